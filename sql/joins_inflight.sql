--
-- joins_inflight: the batched join keeps several BatchGetItem requests on
-- their way, reading outer rows ahead, and joins exactly what it joins one
-- request at a time
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc
\i sql/explain.inc

-- the next n requests wait ms at the proxy before they go on, so that
-- requests sent together overlap there whatever the machine's speed
CREATE FUNCTION hold_requests(n int, ms int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY proxy_out FROM PROGRAM %L',
    format('curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__hold?count=%s&ms=%s"',
           n, ms));
END $$;
-- the lines of EXPLAIN ANALYZE that count the join's batches and requests
CREATE FUNCTION join_counts(q text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT trim(l) FROM explain_analyze(q) l
   WHERE l ~ 'DynamoDB (Batches|Outer Rows Queried|Requests|Most In Flight|Requests In Flight|Keys Reused|Queries Reused):'
$$;
-- rows of a query with every table name %s replaced by each of two tables,
-- in the order they come: the same, or not
CREATE FUNCTION same_ordered_rows(q text, a text, b text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  ra text[];
  rb text[];
BEGIN
  EXECUTE format('SELECT coalesce(array_agg(r::text), ''{}'') FROM (%s) r', format(q, a, a))
    INTO ra;
  EXECUTE format('SELECT coalesce(array_agg(r::text), ''{}'') FROM (%s) r', format(q, b, b))
    INTO rb;
  RETURN CASE WHEN ra = rb THEN 'same ' || cardinality(ra) || ' rows'
              ELSE 'DIFFERENT: ' || cardinality(ra) || ' vs ' || cardinality(rb) END;
END $$;

CREATE FOREIGN TABLE users (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE users_one (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users', join_requests_in_flight '1');
CREATE FOREIGN TABLE users_four (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users', join_requests_in_flight '4');
CREATE FOREIGN TABLE events_one (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events', join_requests_in_flight '1');
CREATE FOREIGN TABLE events_four (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events', join_requests_in_flight '4');

-- ===================================================================
-- the option: server and table; the table's wins
-- ===================================================================
ALTER FOREIGN TABLE users OPTIONS (ADD join_requests_in_flight '0');
ALTER FOREIGN TABLE users OPTIONS (ADD join_requests_in_flight '33');
ALTER SERVER dynamo OPTIONS (ADD join_requests_in_flight 'many');
ALTER SERVER dynamo OPTIONS (ADD join_requests_in_flight '2');

-- the outer side: 1,037 rows in their own order, keys that repeat, match
-- nothing or are NULL
CREATE TEMP TABLE outer_rows AS
  SELECT g, CASE WHEN g % 97 = 0 THEN NULL
                 WHEN g % 89 = 0 THEN 'nobody' || g
                 ELSE 'u' || lpad((1 + (g * 7) % 1000)::text, 4, '0') END AS id
    FROM generate_series(1, 1037) g;
ANALYZE outer_rows;

-- the join in batches, whatever size the server says the table has
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
SELECT o.g, u.name FROM outer_rows o JOIN users u ON u.user_id = o.id;
EXPLAIN (COSTS OFF)
SELECT o.g, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id;

-- ===================================================================
-- several requests on their way at once, and as many requests as one at
-- a time sends
-- ===================================================================
SELECT proxy_reset();
SELECT hold_requests(11, 100);
CREATE TEMP TABLE joined_one AS
  SELECT o.g, u.user_id, u.name FROM outer_rows o JOIN users_one u ON u.user_id = o.id;
SELECT requests, items, proxy_peak() AS at_once FROM proxy_requests('BatchGetItem');
SELECT proxy_reset();
SELECT hold_requests(11, 100);
CREATE TEMP TABLE joined_four AS
  SELECT o.g, u.user_id, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id;
SELECT requests, items, proxy_peak() AS at_once FROM proxy_requests('BatchGetItem');
SELECT count(*),
       (SELECT count(*) FROM ((TABLE joined_one EXCEPT ALL TABLE joined_four)
                              UNION ALL
                              (TABLE joined_four EXCEPT ALL TABLE joined_one)) d) AS differ
  FROM joined_four;
-- the server's setting, and the table's over it
SELECT proxy_reset();
SELECT hold_requests(11, 100);
SELECT count(*) FROM outer_rows o JOIN users u ON u.user_id = o.id;
SELECT requests, proxy_peak() AS at_once FROM proxy_requests('BatchGetItem');
SELECT * FROM join_counts('SELECT o.g, u.name FROM outer_rows o JOIN users u ON u.user_id = o.id');
SELECT * FROM join_counts('SELECT o.g, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id');
SELECT * FROM join_counts('SELECT o.g, u.name FROM outer_rows o JOIN users_one u ON u.user_id = o.id');
ALTER SERVER dynamo OPTIONS (DROP join_requests_in_flight);

-- ===================================================================
-- the same rows, in the same order, one request at a time and four:
-- inner and left joins, join filters, conditions above the join, keys of
-- two attributes
-- ===================================================================
SELECT q, same_ordered_rows(q, 'users_one', 'users_four') FROM (VALUES
  ('SELECT o.g, u.* FROM outer_rows o JOIN %s u ON u.user_id = o.id'),
  ('SELECT o.g, u.* FROM outer_rows o LEFT JOIN %s u ON u.user_id = o.id'),
  ('SELECT o.g, u.score FROM outer_rows o LEFT JOIN %s u ON u.user_id = o.id AND u.score > 2'),
  ('SELECT o.g FROM outer_rows o LEFT JOIN %s u ON u.user_id = o.id WHERE u.user_id IS NULL'),
  ('SELECT o.g, u.name FROM outer_rows o JOIN %s u ON u.user_id = o.id WHERE o.g %% 3 = 0 AND u.score <> 1')
) t(q);
CREATE TEMP TABLE outer_events AS
  SELECT g, 'd' || lpad((1 + g % 12)::text, 2, '0') AS device, (g % 50) * 10 AS ts
    FROM generate_series(1, 450) g;
ANALYZE outer_events;
EXPLAIN (COSTS OFF)
SELECT o.g, e.kind FROM outer_events o JOIN events_four e ON e.device = o.device AND e.ts = o.ts;
SELECT same_ordered_rows(
  'SELECT o.g, e.kind FROM outer_events o LEFT JOIN %s e ON e.device = o.device AND e.ts = o.ts',
  'events_one', 'events_four');

-- ===================================================================
-- LIMIT: a query that stops within the first batch sends one request;
-- one that stops within batch n > 1 has sent those of batches up to
-- n + K - 1, and nothing after
-- ===================================================================
SELECT * FROM join_counts($$
SELECT o.g, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id LIMIT 5$$);
SELECT proxy_reset();
SELECT count(*) FROM (SELECT o.g FROM outer_rows o JOIN users_four u ON u.user_id = o.id LIMIT 5) s;
SELECT requests FROM proxy_requests('BatchGetItem');
SELECT * FROM join_counts($$
SELECT o.g, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id LIMIT 150$$);
SELECT * FROM join_counts($$
SELECT o.g, u.name FROM outer_rows o JOIN users_one u ON u.user_id = o.id LIMIT 150$$);
SELECT proxy_reset();
SELECT count(*) FROM (SELECT o.g FROM outer_rows o JOIN users_four u ON u.user_id = o.id LIMIT 150) s;
SELECT requests <= 5 AS at_most_five FROM proxy_requests('BatchGetItem');
-- nothing more goes out once the query has stopped
SELECT pg_sleep(0.3);
SELECT requests <= 5 AS at_most_five FROM proxy_requests('BatchGetItem');

-- ===================================================================
-- rescans: the join inside a nested loop, its outer side's parameter
-- changing, and a cursor read back from the start
-- ===================================================================
CREATE TEMP TABLE picks (m int);
INSERT INTO picks VALUES (3), (5), (7), (3);
ANALYZE picks;
SELECT q, same_ordered_rows(q, 'users_one', 'users_four') FROM (VALUES
  ('SELECT p.m, s.* FROM picks p, LATERAL (SELECT count(*) AS n, sum(u.score) AS total, min(o.g) AS first
      FROM outer_rows o JOIN %s u ON u.user_id = o.id WHERE o.g %% p.m = 0) s'),
  ('SELECT p.m, s.* FROM picks p, LATERAL (SELECT o.g, u.name
      FROM outer_rows o LEFT JOIN %s u ON u.user_id = o.id WHERE o.g %% p.m = 1 LIMIT 120) s')
) t(q);
EXPLAIN (COSTS OFF)
SELECT p.m, s.* FROM picks p, LATERAL (SELECT count(*) AS n
  FROM outer_rows o JOIN users_four u ON u.user_id = o.id WHERE o.g % p.m = 0) s;
SELECT proxy_reset();
SELECT p.m, s.* FROM picks p, LATERAL (SELECT count(*) AS n, sum(u.score) AS total
  FROM outer_rows o JOIN users_four u ON u.user_id = o.id WHERE o.g % p.m = 0) s ORDER BY 1, 2;
SELECT requests FROM proxy_requests('BatchGetItem');
SELECT proxy_reset();
SELECT p.m, s.* FROM picks p, LATERAL (SELECT count(*) AS n, sum(u.score) AS total
  FROM outer_rows o JOIN users_one u ON u.user_id = o.id WHERE o.g % p.m = 0) s ORDER BY 1, 2;
SELECT requests FROM proxy_requests('BatchGetItem');
BEGIN;
DECLARE c SCROLL CURSOR FOR
  SELECT o.g, u.name FROM outer_rows o JOIN users_four u ON u.user_id = o.id;
MOVE FORWARD 250 IN c;
FETCH 2 FROM c;
MOVE ABSOLUTE 0 IN c;
FETCH 2 FROM c;
COMMIT;

-- ===================================================================
-- a key is asked for once per join: an outer row whose key an earlier
-- batch asked for is joined from the item kept, with no request, across
-- rescans too; what is kept stays within the hash memory limit, past
-- which a batch asks for its keys itself
-- ===================================================================
\i sql/compare.inc
CREATE TEMP TABLE repeat_keys AS
  SELECT g, CASE WHEN g % 23 = 0 THEN NULL
                 WHEN g % 17 = 0 THEN 'ghost' || g % 5
                 ELSE 'u' || lpad((1 + (g * 13) % 700)::text, 4, '0') END AS id
    FROM generate_series(1, 3000) g;
ANALYZE repeat_keys;
CREATE TEMP TABLE users_copy AS SELECT * FROM users;
CREATE INDEX ON users_copy (user_id);
ANALYZE users_copy;
-- one request per hundred keys, each key once, the same one at a time
SELECT proxy_reset();
SELECT count(*), sum(u.score) FROM repeat_keys o JOIN users_four u ON u.user_id = o.id;
SELECT requests, items FROM proxy_requests('BatchGetItem');
SELECT proxy_reset();
SELECT count(*), sum(u.score) FROM repeat_keys o JOIN users_one u ON u.user_id = o.id;
SELECT requests, items FROM proxy_requests('BatchGetItem');
SELECT * FROM join_counts('SELECT o.g, u.name FROM repeat_keys o JOIN users_four u ON u.user_id = o.id');
-- the rows of a join of a local copy: items found, keys that match
-- nothing, NULL keys, a join filter on both sides' values
SELECT q, same_rows_of(q, 'users_four', 'users_copy') FROM (VALUES
  ('SELECT o.g, u.* FROM repeat_keys o JOIN %s u ON u.user_id = o.id'),
  ('SELECT o.g, u.name FROM repeat_keys o LEFT JOIN %s u ON u.user_id = o.id'),
  ('SELECT o.g, u.score FROM repeat_keys o LEFT JOIN %s u ON u.user_id = o.id AND u.score > o.g %% 5'),
  ('SELECT p.m, s.* FROM picks p, LATERAL (SELECT o.g, u.name
      FROM repeat_keys o LEFT JOIN %s u ON u.user_id = o.id WHERE o.g %% p.m = 1 LIMIT 150) s')
) t(q);
-- across rescans: the second pass asks for no key the first asked for
SELECT proxy_reset();
SELECT p.m, s.* FROM (VALUES (1), (2)) p(m), LATERAL (SELECT count(*) AS n, sum(u.score) AS total
  FROM repeat_keys o JOIN users_four u ON u.user_id = o.id WHERE o.g > 0 * p.m) s ORDER BY 1;
SELECT requests, items FROM proxy_requests('BatchGetItem');
-- within a 64 kB limit: the same rows, more requests, the keys and items
-- kept no bigger than the limit and the items of the one batch on its way
CREATE FUNCTION known_keys_peak(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n bigint := 0;
  peak bigint := 0;
  b bigint;
BEGIN
  FOR r IN EXECUTE q LOOP
    n := n + 1;
    IF n % 50 = 0 THEN
      SELECT sum(total_bytes) INTO b FROM pg_backend_memory_contexts
       WHERE 'dynomite_fdw join keys' IN (name, ident);
      peak := greatest(peak, b);
    END IF;
  END LOOP;
  RETURN peak;
END $$;
SELECT known_keys_peak('SELECT o.g, u.name FROM repeat_keys o JOIN users_four u ON u.user_id = o.id')
       > 80 * 1024 AS over_80kb_unbounded;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT known_keys_peak('SELECT o.g, u.name FROM repeat_keys o JOIN users_one u ON u.user_id = o.id')
       <= 80 * 1024 AS within_80kb;
SELECT q, same_rows_of(q, 'users_four', 'users_copy') FROM (VALUES
  ('SELECT o.g, u.* FROM repeat_keys o JOIN %s u ON u.user_id = o.id'),
  ('SELECT o.g, u.score FROM repeat_keys o LEFT JOIN %s u ON u.user_id = o.id AND u.score > o.g %% 5')
) t(q);
SELECT proxy_reset();
SELECT count(*), sum(u.score) FROM repeat_keys o JOIN users_four u ON u.user_id = o.id;
SELECT requests > 18 AS more_requests, items > 700 AS more_items FROM proxy_requests('BatchGetItem');
SELECT (regexp_match(l, '\d+'))[1]::int > 0 AS past_the_limit
  FROM explain_analyze('SELECT o.g FROM repeat_keys o JOIN users_four u ON u.user_id = o.id') l
 WHERE l ~ 'Keys Past Memory Limit';
RESET work_mem;
RESET hash_mem_multiplier;

-- ===================================================================
-- a join on the partition key alone: a Query per outer row, several on
-- their way at once; each outer row's items as its pages come (Wide:
-- partitions of 100 items, pages of 40)
-- ===================================================================
CREATE FOREIGN TABLE wide_one (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '40', join_requests_in_flight '1');
CREATE FOREIGN TABLE wide_four (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '40', join_requests_in_flight '4');
CREATE TEMP TABLE outer_parts AS
  SELECT g, CASE WHEN g % 11 = 0 THEN NULL
                 WHEN g % 13 = 0 THEN 'nothing'
                 ELSE 'p' || lpad((g * 7 % 100)::text, 3, '0') END AS pk
    FROM generate_series(1, 60) g;
ANALYZE outer_parts;
-- one Query per outer row, repeated keys too: no Memoize in front of the
-- plan one at a time
SET enable_memoize = off;
EXPLAIN (COSTS OFF)
SELECT o.g, w.n FROM outer_parts o JOIN wide_one w ON w.pk = o.pk;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.g, w.n FROM outer_parts o JOIN wide_four w ON w.pk = o.pk AND w.n > o.g AND w.v % 7 = 0;
SELECT q, same_ordered_rows(q, 'wide_one', 'wide_four') FROM (VALUES
  ('SELECT o.g, w.* FROM outer_parts o JOIN %s w ON w.pk = o.pk'),
  ('SELECT o.g, w.n FROM outer_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n > 95'),
  ('SELECT o.g, w.n FROM outer_parts o JOIN %s w ON w.pk = o.pk AND w.n > o.g AND w.v %% 7 = 0'),
  ('SELECT o.g, w.v FROM outer_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n <= o.g %% 5'),
  ('SELECT o.g, w.v FROM outer_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n = 3 AND w.v < 0'),
  ('SELECT o.g, w.v FROM outer_parts o LEFT JOIN %s w ON w.pk = o.pk WHERE w.n IS NULL OR w.n = 50')
) t(q);
-- as many Queries as one at a time sends, several on their way at once
SELECT proxy_reset();
SELECT hold_requests(20, 100);
SELECT count(*), sum(w.v) FROM outer_parts o JOIN wide_one w ON w.pk = o.pk AND w.n > 90;
SELECT requests, items, proxy_peak() AS at_once FROM proxy_requests('Query');
SELECT proxy_reset();
SELECT hold_requests(20, 100);
SELECT count(*), sum(w.v) FROM outer_parts o JOIN wide_four w ON w.pk = o.pk AND w.n > 90;
SELECT requests, items, proxy_peak() AS at_once FROM proxy_requests('Query');
-- LIMIT: the first outer row alone; then up to K outer rows ahead
SELECT * FROM join_counts($$
SELECT o.g, w.n FROM outer_parts o JOIN wide_four w ON w.pk = o.pk LIMIT 5$$);
SELECT * FROM join_counts($$
SELECT o.g, w.n FROM outer_parts o JOIN wide_four w ON w.pk = o.pk LIMIT 150$$);
SELECT * FROM join_counts($$
SELECT o.g, w.n FROM outer_parts o JOIN wide_one w ON w.pk = o.pk LIMIT 150$$);
-- rescans with the outer side's parameter changing
SELECT same_ordered_rows(
  'SELECT p.m, s.* FROM picks p, LATERAL (SELECT o.g, w.n
      FROM outer_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n < 3 WHERE o.g %% p.m = 1 LIMIT 25) s',
  'wide_one', 'wide_four');

-- a Query asked for before is read from the items kept: each distinct
-- Query (key condition, filter and their values) is sent once; the rows
-- are those of a join of a local copy, rescans and LIMIT too (the batched
-- join is the only join left to the planner)
SET enable_nestloop = off;
CREATE TEMP TABLE wide_copy AS SELECT * FROM wide_four;
CREATE INDEX ON wide_copy (pk);
ANALYZE wide_copy;
CREATE TEMP TABLE repeat_parts AS
  SELECT g, CASE WHEN g % 11 = 0 THEN NULL
                 WHEN g % 13 = 0 THEN 'nothing'
                 ELSE 'p' || lpad((g * 7 % 30)::text, 3, '0') END AS pk
    FROM generate_series(1, 150) g;
ANALYZE repeat_parts;
EXPLAIN (COSTS OFF)
SELECT o.g, w.v FROM repeat_parts o JOIN wide_one w ON w.pk = o.pk;
SELECT q, same_rows_of(q, 'wide_four', 'wide_copy') FROM (VALUES
  ('SELECT o.g, w.* FROM repeat_parts o JOIN %s w ON w.pk = o.pk'),
  ('SELECT o.g, w.n, w.v FROM repeat_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n > o.g %% 50'),
  ('SELECT o.g, w.v FROM repeat_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n = 3 AND w.v < 0'),
  ('SELECT p.m, s.* FROM picks p, LATERAL (SELECT o.g, w.n
      FROM repeat_parts o LEFT JOIN %s w ON w.pk = o.pk AND w.n < 3 WHERE o.g %% p.m = 1 LIMIT 25) s')
) t(q);
SELECT proxy_reset();
SELECT count(*), sum(w.v) FROM repeat_parts o JOIN wide_four w ON w.pk = o.pk;
SELECT requests, items FROM proxy_requests('Query');
SELECT * FROM join_counts('SELECT o.g, w.n FROM repeat_parts o JOIN wide_one w ON w.pk = o.pk AND w.n > 90');
-- outer rows in runs of one partition: a row whose Query an earlier row
-- on its way is reading takes that row's items, so four on their way send
-- what one at a time sends
CREATE TEMP TABLE sorted_parts AS
  SELECT g, CASE WHEN g % 23 = 0 THEN NULL
                 ELSE 'p' || lpad((g / 6 % 20)::text, 3, '0') END AS pk
    FROM generate_series(1, 150) g;
ANALYZE sorted_parts;
SELECT same_rows_of('SELECT o.g, w.* FROM sorted_parts o JOIN %s w ON w.pk = o.pk',
                    'wide_four', 'wide_copy');
SELECT proxy_reset();
SELECT count(*), sum(w.v) FROM sorted_parts o JOIN wide_one w ON w.pk = o.pk;
SELECT requests, items FROM proxy_requests('Query');
SELECT proxy_reset();
SELECT count(*), sum(w.v) FROM sorted_parts o JOIN wide_four w ON w.pk = o.pk;
SELECT requests, items FROM proxy_requests('Query');
-- within a 64 kB limit: the same rows, more requests, and what is kept
-- no bigger than the limit and a page
SELECT known_keys_peak('SELECT o.g, w.v FROM repeat_parts o JOIN wide_one w ON w.pk = o.pk')
       > 80 * 1024 AS over_80kb_unbounded;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT known_keys_peak('SELECT o.g, w.v FROM repeat_parts o JOIN wide_one w ON w.pk = o.pk')
       <= 80 * 1024 AS within_80kb;
SELECT same_rows_of('SELECT o.g, w.* FROM repeat_parts o JOIN %s w ON w.pk = o.pk',
                    'wide_four', 'wide_copy');
SELECT same_rows_of('SELECT o.g, w.* FROM sorted_parts o JOIN %s w ON w.pk = o.pk',
                    'wide_four', 'wide_copy');
SELECT proxy_reset();
SELECT count(*), sum(w.v) FROM repeat_parts o JOIN wide_four w ON w.pk = o.pk;
SELECT requests > 91 AS more_requests FROM proxy_requests('Query');
RESET work_mem;
RESET hash_mem_multiplier;
RESET enable_nestloop;
-- costed by its distinct Queries: chosen, one at a time too, over a
-- Memoize in front of a Query per outer row
SET enable_memoize = on;
CREATE TEMP TABLE many_parts AS
  SELECT g, 'p' || lpad((g % 100)::text, 3, '0') AS pk FROM generate_series(1, 1000) g;
ANALYZE many_parts;
EXPLAIN (COSTS OFF)
SELECT count(w.v) FROM many_parts o JOIN wide_one w ON w.pk = o.pk AND w.n <= 10;
SELECT * FROM join_counts('SELECT o.g, w.v FROM many_parts o JOIN wide_one w ON w.pk = o.pk AND w.n <= 10');
SET enable_memoize = off;

-- ===================================================================
-- memory: the values of a joined row live until the next row, not until
-- the end of the query (the executor's contexts stay flat)
-- ===================================================================
CREATE FUNCTION executor_growth(q text, OUT rows bigint, OUT flat boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  first bigint;
  b bigint;
BEGIN
  rows := 0;
  FOR r IN EXECUTE q LOOP
    rows := rows + 1;
    IF rows = 500 OR rows % 1000 = 0 THEN
      SELECT sum(total_bytes) INTO b FROM pg_backend_memory_contexts WHERE name = 'ExecutorState';
      first := coalesce(first, b);
    END IF;
  END LOOP;
  flat := b - first < 65536;
  IF NOT flat THEN
    RAISE NOTICE 'the executor''s contexts grew by % bytes', b - first;
  END IF;
END $$;
CREATE TEMP TABLE many_keys AS
  SELECT g, 'u' || lpad((1 + g % 1000)::text, 4, '0') AS id FROM generate_series(1, 6000) g;
ANALYZE many_keys;
SELECT * FROM executor_growth('SELECT o.g, u.name, u.user_id FROM many_keys o JOIN users_four u ON u.user_id = o.id');
SELECT * FROM executor_growth('SELECT o.g, w.pk, w.v FROM outer_parts o JOIN wide_four w ON w.pk = o.pk');
RESET enable_memoize;
RESET enable_hashjoin;
RESET enable_mergejoin;

DROP SERVER dynamo CASCADE;
