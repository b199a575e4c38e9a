--
-- batch_retry: keys a BatchGetItem leaves in UnprocessedKeys are asked for
-- again, until every one is read
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

-- the next n BatchGetItem answers hold the items of the first keep keys
-- only, and the other keys in UnprocessedKeys
CREATE FUNCTION proxy_unprocessed(n int, keep int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY proxy_out FROM PROGRAM %L',
    format('curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__unprocessed?count=%s&keep=%s"',
           n, keep));
END $$;
-- BatchGetItem requests and the items they returned; answers the proxy cut
-- short and the keys it left out of them
CREATE FUNCTION batch_stats(OUT requests bigint, OUT items bigint,
                            OUT cut_short bigint, OUT keys_left_out bigint)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.requests, r.items INTO requests, items FROM proxy_requests('BatchGetItem') r;
  SELECT coalesce(sum(s.requests), 0), coalesce(sum(s.items), 0) INTO cut_short, keys_left_out
    FROM proxy_stats s WHERE s.target = 'unprocessed';
END $$;

CREATE FOREIGN TABLE users (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE events (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events');
EXPLAIN (COSTS OFF) SELECT name FROM users WHERE user_id IN ('u0001', 'u0002');

-- ===================================================================
-- BatchGetItem of a list of keys
-- ===================================================================
-- part of the keys left unprocessed once: asked for again
SELECT proxy_reset();
SELECT proxy_unprocessed(1, 2);
SELECT user_id, name FROM users WHERE user_id IN ('u0001', 'u0002', 'u0003', 'u0004', 'u0005')
 ORDER BY 1;
SELECT * FROM batch_stats();
-- every key left unprocessed, twice in a row: an answer without items
-- goes on to the next request all the same
SELECT proxy_reset();
SELECT proxy_unprocessed(2, 0);
SELECT count(*), sum(score) FROM users WHERE user_id IN ('u0001', 'u0002', 'u0003', 'u0004', 'u0005');
SELECT * FROM batch_stats();
-- answers cut short one after another: each retry leaves some again
SELECT proxy_reset();
SELECT proxy_unprocessed(3, 1);
SELECT count(*), sum(score) FROM users WHERE user_id IN ('u0001', 'u0002', 'u0003', 'u0004', 'u0005');
SELECT * FROM batch_stats();
-- 250 keys, three batches of at most 100: the first answer and the third
-- cut short (the second is the first one's retry); each batch is read
-- whole before the next goes out
SELECT proxy_reset();
SELECT proxy_unprocessed(3, 60);
SELECT count(*), count(DISTINCT user_id), sum(score) FROM users
 WHERE user_id = ANY (array(SELECT 'u' || lpad(g::text, 4, '0') FROM generate_series(1, 250) g));
SELECT * FROM batch_stats();
-- a key of two attributes
SELECT proxy_reset();
SELECT proxy_unprocessed(1, 1);
EXPLAIN (COSTS OFF) SELECT kind FROM events WHERE device IN ('d01', 'd02', 'd03') AND ts = 20;
SELECT device, ts, kind FROM events WHERE device IN ('d01', 'd02', 'd03') AND ts = 20 ORDER BY 1;
SELECT * FROM batch_stats();

-- ===================================================================
-- a join on the whole key: each batch's BatchGetItem, asked again
-- ===================================================================
CREATE TEMP TABLE wanted AS
  SELECT 'u' || lpad(g::text, 4, '0') AS id, g FROM generate_series(1, 150) g;
ANALYZE wanted;
-- the join in batches, whatever size the server says the table has
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT w.g, u.name FROM wanted w JOIN users u ON u.user_id = w.id;
SELECT proxy_reset();
SELECT proxy_unprocessed(1, 30);
SELECT count(*), count(DISTINCT u.user_id), sum(u.score)
  FROM wanted w JOIN users u ON u.user_id = w.id;
SELECT * FROM batch_stats();
-- every key left out, twice
SELECT proxy_reset();
SELECT proxy_unprocessed(2, 0);
SELECT count(*), sum(u.score) FROM wanted w LEFT JOIN users u ON u.user_id = w.id;
SELECT * FROM batch_stats();
RESET enable_hashjoin;
RESET enable_mergejoin;

DROP SERVER dynamo CASCADE;
