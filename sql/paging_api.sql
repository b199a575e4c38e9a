--
-- paging API: page numbers, raw pages, start_at and next_token
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE posts (id text, title text, category text, views bigint)
  SERVER dynamo OPTIONS (table 'Posts', page_size '5');
CREATE FOREIGN TABLE users (user_id text, name text, score integer, grp text)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE pages95 (id text, n integer,
                              page integer OPTIONS (meta 'page_number'))
  SERVER dynamo OPTIONS (table 'Pages95', page_size '10');

-- ===================================================================
-- meta columns: page_number, item, next_token
-- ===================================================================
SELECT page, count(*), min(n) IS NOT NULL AS has_items FROM pages95 GROUP BY page ORDER BY page;
SELECT count(DISTINCT id), max(page) FROM pages95;
CREATE FOREIGN TABLE users_meta (user_id text, name text,
                                 item jsonb OPTIONS (meta 'item'),
                                 tok text OPTIONS (meta 'next_token'),
                                 page integer OPTIONS (meta 'page_number'))
  SERVER dynamo OPTIONS (table 'Users', page_size '100');
SELECT user_id, item, page, length(tok) > 20 AS has_token FROM users_meta WHERE user_id = 'u0042';
EXPLAIN (VERBOSE, COSTS OFF) SELECT user_id, tok FROM users_meta WHERE user_id = 'u0042';

-- ===================================================================
-- dynomite_pages: one row per DynamoDB page, fetched as rows are wanted
-- ===================================================================
SELECT page_number, jsonb_array_length(items) AS n, count, scanned_count,
       last_evaluated_key IS NOT NULL AS has_lek, next_token IS NOT NULL AS has_token,
       consumed_capacity > 0 AS consumed
  FROM dynomite_pages('pages95');
-- every item once, in the table's column names
SELECT count(*), count(DISTINCT i->>'id'), min(i->>'id'), max(i->>'id'), min((i->>'n')::int)
  FROM dynomite_pages('pages95', page_size => 7) p, jsonb_array_elements(p.items) i;
SELECT items->0 FROM dynomite_pages('posts', '{"id": "post-7"}');
-- LIMIT 3 sends 3 requests, in FROM too
SELECT proxy_reset();
SELECT page_number, jsonb_array_length(items) FROM dynomite_pages('posts') LIMIT 3;
SELECT * FROM proxy_requests('Scan');
EXPLAIN (COSTS OFF) SELECT * FROM dynomite_pages('posts') LIMIT 3;
SELECT proxy_reset();
SELECT (dynomite_pages('posts', page_size => 2)).page_number LIMIT 3;
SELECT * FROM proxy_requests('Scan');
-- where(category: "Cloud").each_page: a filter, pages that may be short.
-- Which posts a page scans is the server's Scan order: each page scans 20
-- (the last 10), keeps only Cloud posts, no more than it scanned and fewer
-- than 20, and the pages together keep all 17.
SELECT page_number, scanned_count, count <= scanned_count AS within_scanned, count < 20 AS short,
       count = jsonb_array_length(items) AS count_is_items,
       (SELECT coalesce(bool_and(i->>'category' = 'Cloud'), true)
          FROM jsonb_array_elements(items) i) AS only_cloud,
       sum(count) OVER () AS cloud_posts
  FROM dynomite_pages('posts', '{"category": "Cloud"}', page_size => 20);
-- a filter on the partition key is a Query; on a global index's key too
SELECT proxy_reset();
SELECT jsonb_array_length(items) FROM dynomite_pages('users', '{"user_id": "u0007"}');
SELECT sum(jsonb_array_length(items)) FROM dynomite_pages('users', '{"grp": "g3", "score": 3}');
SELECT * FROM proxy_requests('Query');
SELECT * FROM proxy_requests('Scan');
-- start_at: after the given key, as ExclusiveStartKey.  Which items come
-- first is the server's Scan order, the same on every read: starting after
-- the first page's last key reads the second page again.
CREATE TEMP TABLE by3 AS
  SELECT page_number, items, last_evaluated_key FROM dynomite_pages('pages95', page_size => 3) LIMIT 2;
SELECT page_number, jsonb_array_length(items) AS n,
       last_evaluated_key = jsonb_build_object('id', items->2->'id') AS lek_is_last_item,
       items->0 <> (SELECT items->0 FROM by3 b WHERE b.page_number <> by3.page_number) AS another_first
  FROM by3 ORDER BY page_number;
SELECT items->0 = (SELECT items->0 FROM by3 WHERE page_number = 2) AS first_of_page_2,
       items = (SELECT items FROM by3 WHERE page_number = 2) AS page_2
  FROM dynomite_pages('pages95', start_at => (SELECT last_evaluated_key FROM dynomite_pages('pages95', page_size => 3) LIMIT 1), page_size => 3)
 LIMIT 1;

-- ===================================================================
-- dynomite_raw_pages: the responses as DynamoDB sent them
-- ===================================================================
SELECT page_number, response->'Count' AS count, response->'ScannedCount' AS scanned,
       response->'LastEvaluatedKey' AS lek, response->'ConsumedCapacity' AS capacity,
       response->'Items'->0 AS first_raw, items->0 AS first
  FROM dynomite_raw_pages('posts', '{"id": "post-9"}');
SELECT page_number, jsonb_array_length(response->'Items'), response ? 'LastEvaluatedKey'
  FROM dynomite_raw_pages('pages95', page_size => 40);

-- ===================================================================
-- dynomite_page: the controller example; walk 1,000 items 7 at a time
-- ===================================================================
CREATE FUNCTION walk(tbl regclass, size int, filter jsonb DEFAULT NULL,
                     OUT calls int, OUT items int, OUT distinct_items int,
                     OUT short_pages int, OUT last_page_items int)
LANGUAGE plpgsql AS $$
DECLARE
  tok text;
  r record;
  seen text[] := '{}';
BEGIN
  calls := 0;
  short_pages := 0;
  LOOP
    SELECT * INTO r FROM dynomite_page(tbl, tok, size, filter);
    calls := calls + 1;
    seen := seen || ARRAY(SELECT i::text FROM jsonb_array_elements(r.items) i);
    last_page_items := jsonb_array_length(r.items);
    IF r.next_token IS NOT NULL AND last_page_items <> size THEN
      short_pages := short_pages + 1;
    END IF;
    EXIT WHEN r.next_token IS NULL;
    tok := r.next_token;
  END LOOP;
  items := cardinality(seen);
  distinct_items := (SELECT count(DISTINCT x) FROM unnest(seen) x);
END $$;
SELECT * FROM walk('users', 7);
-- with a filter (a Scan that drops items), and on a global index
SELECT * FROM walk('users', 7, '{"score": 5}');
SELECT * FROM walk('users', 7, '{"grp": "g4"}');
SELECT * FROM walk('pages95', 95);
SELECT * FROM walk('pages95', 100);
SELECT proxy_reset();
SELECT jsonb_array_length(items), next_token IS NULL FROM dynomite_page('users', page_size => 25);
SELECT * FROM proxy_requests('Scan');

-- ===================================================================
-- plain SQL: LIMIT and a next_token column, resumed with "tok > $1"
-- ===================================================================
CREATE FUNCTION walk_sql(size int, OUT calls int, OUT items int, OUT distinct_items int)
LANGUAGE plpgsql AS $$
DECLARE
  tok text := '';
  ids text[] := '{}';
  batch text[];
  toks text[];
BEGIN
  calls := 0;
  LOOP
    EXECUTE 'SELECT array_agg(user_id), array_agg(tok) FROM
               (SELECT user_id, tok FROM users_meta WHERE tok > $1 LIMIT $2) s'
      INTO batch, toks USING tok, size;
    calls := calls + 1;
    EXIT WHEN batch IS NULL;
    ids := ids || batch;
    tok := toks[cardinality(toks)];
  END LOOP;
  items := cardinality(ids);
  distinct_items := (SELECT count(DISTINCT x) FROM unnest(ids) x);
END $$;
SELECT * FROM walk_sql(7);
EXPLAIN (COSTS OFF) SELECT user_id, tok FROM users_meta WHERE tok > 'x' LIMIT 7;
-- a Query on a global index, resumed
CREATE FOREIGN TABLE users_grp (user_id text, grp text, tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Users');
SELECT user_id FROM users_grp WHERE grp = 'g1' LIMIT 3;
SELECT user_id FROM users_grp WHERE grp = 'g1'
   AND tok > (SELECT tok FROM users_grp WHERE grp = 'g1' LIMIT 1 OFFSET 2) LIMIT 3;
-- ORDER BY the sort key, backwards, resumed
SELECT user_id FROM users_grp WHERE grp = 'g1' ORDER BY user_id DESC LIMIT 2;
SELECT user_id FROM users_grp WHERE grp = 'g1'
   AND tok > (SELECT tok FROM users_grp WHERE grp = 'g1' ORDER BY user_id DESC LIMIT 1 OFFSET 1)
 ORDER BY user_id DESC LIMIT 2;
-- an empty token starts at the beginning; NULL compares as unknown
SELECT count(*) FROM (SELECT user_id FROM users_grp WHERE grp = 'g1' AND tok > '') s;
SELECT count(*) FROM (SELECT user_id FROM users_grp WHERE grp = 'g1' AND tok > NULL) s;

-- ===================================================================
-- tokens that are not what they claim are refused
-- ===================================================================
\set VERBOSITY default
CREATE TEMP TABLE toks AS
  SELECT (SELECT next_token FROM dynomite_page('users', NULL, 3)) AS users_tok,
         (SELECT next_token FROM dynomite_page('pages95', NULL, 3)) AS pages_tok,
         (SELECT next_token FROM dynomite_page('users', NULL, 3, '{"grp": "g2"}')) AS grp_tok;
-- a good one works
SELECT jsonb_array_length(items) FROM dynomite_page('users', (SELECT users_tok FROM toks), 3);
-- truncated, tampered, garbage
SELECT * FROM dynomite_page('users', (SELECT left(users_tok, 20) FROM toks), 3);
SELECT * FROM dynomite_page('users', (SELECT overlay(users_tok placing 'x' from 30 for 1) FROM toks), 3);
SELECT * FROM dynomite_page('users', 'not a token!', 3);
SELECT * FROM dynomite_page('users', encode('{"v":1}', 'base64'), 3);
-- another table, another query, another index
SELECT * FROM dynomite_page('users', (SELECT pages_tok FROM toks), 3);
SELECT * FROM dynomite_page('users', (SELECT users_tok FROM toks), 3, '{"score": 1}');
SELECT * FROM dynomite_page('users', (SELECT grp_tok FROM toks), 3);
-- a forged key of the wrong shape
SELECT * FROM dynomite_page('users',
  rtrim(translate(encode(convert_to('{"v":1,"t":"Users","i":null,"b":"' ||
    (SELECT convert_from(decode(translate(users_tok, '-_', '+/') ||
       repeat('=', (4 - length(users_tok) % 4) % 4), 'base64'), 'UTF8')::jsonb->>'b' FROM toks) ||
    '","k":{"id":{"S":"u0001"}}}', 'UTF8'), 'base64'), E'+/\n', '-_'), '='), 3);
-- start_at and next_token together, start_at of the wrong shape
SELECT * FROM dynomite_pages('users', start_at => '{"user_id": "u0001"}', next_token => 'x');
SELECT * FROM dynomite_pages('users', start_at => '{"id": "u0001"}');
SELECT * FROM dynomite_pages('users', start_at => '{"user_id": 5}');
SELECT * FROM dynomite_pages('users', start_at => '[1]');
SELECT * FROM dynomite_pages('users', '{"name": ["x"]}');
SELECT * FROM dynomite_page('users', NULL, 0);
SELECT * FROM dynomite_page('pg_class', NULL, 3);
-- a token from a plain SELECT is bound to its conditions
SELECT user_id FROM users_grp WHERE grp = 'g2'
   AND tok > (SELECT tok FROM users_grp WHERE grp = 'g1' LIMIT 1);
-- resuming needs the key schema
CREATE FOREIGN TABLE users_nopush (user_id text, tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Users', pushdown 'false');
SELECT * FROM users_nopush WHERE tok > 'x';

-- signed tokens: with token_secret set, unsigned and re-signed ones fail
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (ADD token_secret 'a secret for tokens');
SELECT * FROM dynomite_page('users', (SELECT users_tok FROM toks), 3);
CREATE TEMP TABLE signed AS SELECT next_token AS tok FROM dynomite_page('users', NULL, 3);
SELECT tok LIKE '%.%' AS signed FROM signed;
SELECT jsonb_array_length(items) FROM dynomite_page('users', (SELECT tok FROM signed), 3);
SELECT * FROM dynomite_page('users', (SELECT split_part(tok, '.', 1) || '.AAAA' FROM signed), 3);
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (SET token_secret 'another secret');
SELECT * FROM dynomite_page('users', (SELECT tok FROM signed), 3);
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (DROP token_secret);

-- a table with a whole-item column (as IMPORT FOREIGN SCHEMA makes them)
-- pages through whole items; one without, through its columns
CREATE FOREIGN TABLE events_items (device text, ts numeric, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_cols (device text, ts numeric, kind text)
  SERVER dynamo OPTIONS (table 'Events');
SELECT items, next_token IS NOT NULL AS more
  FROM dynomite_page('events_items', NULL, 2, '{"device": "d01"}');
SELECT page_number, items FROM dynomite_pages('events_items', '{"device": "d02"}', page_size => 2) LIMIT 2;
SELECT items FROM dynomite_page('events_cols', NULL, 2, '{"device": "d01"}');

DROP SERVER dynamo CASCADE;
