-- INSERT, UPDATE and DELETE: PutItem, UpdateItem, DeleteItem, BatchWriteItem
SET client_min_messages = warning;
\i sql/server.inc
\i sql/proxy.inc
RESET client_min_messages;
-- an item as DynamoDB holds it, read with curl's own signer (not the FDW)
CREATE TEMP TABLE raw_out (line text);
CREATE FUNCTION raw_get(tbl text, key jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE raw_out;
  EXECUTE format('COPY raw_out FROM PROGRAM %L WITH (FORMAT csv, QUOTE %L, DELIMITER %L)',
    'curl -s --aws-sigv4 aws:amz:us-east-1:dynamodb'
    ' -u "$DYNAMO_ACCESS_KEY_ID:$DYNAMO_SECRET_ACCESS_KEY"'
    ' -H "X-Amz-Target: DynamoDB_20120810.GetItem" -H "Content-Type: application/x-amz-json-1.0"'
    ' --data-binary ''' || jsonb_build_object('TableName', tbl, 'Key', key, 'ConsistentRead', true)::text
    || ''' "$DYNAMO_ENDPOINT/"', e'\x01', e'\x02');
  RETURN (SELECT line::jsonb -> 'Item' FROM raw_out);
END $$;

CREATE FOREIGN TABLE wh (pk text, s text, n numeric, i int, f float8, b boolean, by bytea,
                         j jsonb, ss text[], ns numeric[], bs bytea[], d date)
  SERVER dynamo OPTIONS (table 'WriteHash', consistent_read 'true');
CREATE FOREIGN TABLE wr (pk text, sk numeric, v text, n int)
  SERVER dynamo OPTIONS (table 'WriteRange', consistent_read 'true');
-- whatever an interrupted run left
DELETE FROM wh;
DELETE FROM wr;

-- ===================================================================
-- INSERT: every type written and read back equal
-- ===================================================================
INSERT INTO wh VALUES
  ('a', 'héllo "q"', 12345678901234567890.123456789, -7, 0.1, true, '\x00ff10'::bytea,
   '{"m": {"x": 1.50, "big": 123456789012345678901234567890}, "l": [1, "two", null, false]}',
   '{b,a}', '{1.5,2,-3}', '{"\\x01","\\x02"}', '2024-02-29');
INSERT INTO wh (pk, s) VALUES ('b', '');
-- (a set's order is the server's: sorted here)
CREATE OR REPLACE FUNCTION sorted(anyarray) RETURNS anyarray LANGUAGE sql
  AS $$ SELECT array_agg(x ORDER BY x) FROM unnest($1) x $$;
SELECT pk, s, n, i, f, b, by, j, sorted(ss) AS ss, sorted(ns) AS ns, sorted(bs) AS bs, d
  FROM wh ORDER BY pk;
-- equal, column by column, to what went in
SELECT s = 'héllo "q"' AS s, n = 12345678901234567890.123456789 AS n, i = -7 AS i, f = 0.1 AS f,
       b, by = '\x00ff10'::bytea AS by,
       j = '{"m": {"x": 1.50, "big": 123456789012345678901234567890}, "l": [1, "two", null, false]}'::jsonb AS j,
       ss @> '{a,b}' AND ss <@ '{a,b}' AS ss, ns @> '{1.5,2,-3}' AND ns <@ '{1.5,2,-3}' AS ns,
       d = '2024-02-29' AS d
  FROM wh WHERE pk = 'a';
-- as DynamoDB holds it: numbers as N (exact), sets, a map, B, BOOL; no NULL attributes
SELECT key, value FROM jsonb_each(raw_get('WriteHash', '{"pk": {"S": "a"}}'))
 WHERE key NOT IN ('ss', 'ns', 'bs') ORDER BY key;
SELECT (SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(raw_get('WriteHash', '{"pk": {"S": "a"}}') -> 'ss' -> 'SS') x) AS ss,
       (SELECT array_agg(x::numeric ORDER BY x::numeric) FROM jsonb_array_elements_text(raw_get('WriteHash', '{"pk": {"S": "a"}}') -> 'ns' -> 'NS') x) AS ns,
       (SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(raw_get('WriteHash', '{"pk": {"S": "a"}}') -> 'bs' -> 'BS') x) AS bs;
SELECT raw_get('WriteHash', '{"pk": {"S": "b"}}');

-- ===================================================================
-- conflicts: an existing key is a unique violation
-- ===================================================================
SELECT proxy_reset();
INSERT INTO wh (pk, s) VALUES ('a', 'again');
SELECT * FROM proxy_requests('PutItem');
\set QUIET off
INSERT INTO wh (pk, s) VALUES ('a', 'again'), ('c', 'new') ON CONFLICT DO NOTHING;
\set QUIET on
SELECT pk, s FROM wh ORDER BY pk;
INSERT INTO wr VALUES ('p', 1, 'one'), ('p', 2, 'two'), ('q', 1, 'q one');
INSERT INTO wr VALUES ('p', 1.0, 'same key');
-- the same partition, another sort key: no conflict
INSERT INTO wr VALUES ('q', 2, 'q two') RETURNING *;
-- overwriting puts, on request
ALTER FOREIGN TABLE wr OPTIONS (ADD overwrite 'true');
INSERT INTO wr VALUES ('p', 1, 'replaced');
ALTER FOREIGN TABLE wr OPTIONS (DROP overwrite);
SELECT * FROM wr ORDER BY pk, sk;

-- ===================================================================
-- what DynamoDB cannot hold: refused before anything is sent
-- ===================================================================
SELECT proxy_reset();
INSERT INTO wh (pk, n) VALUES ('x', 1e126);
INSERT INTO wh (pk, n) VALUES ('x', 1e-131);
INSERT INTO wh (pk, n) VALUES ('x', 1234567890123456789012345678901234567891);
INSERT INTO wh (pk, n) VALUES ('x', 'NaN');
INSERT INTO wh (pk, f) VALUES ('x', 'Infinity');
INSERT INTO wh (pk, j) VALUES ('x', '{"a": 1e200}');
INSERT INTO wh (pk, ss) VALUES ('x', '{a,b,a}');
INSERT INTO wh (pk, ns) VALUES ('x', '{1,1.0}');
INSERT INTO wh (pk, ss) VALUES ('x', '{a,NULL}');
INSERT INTO wh (pk) VALUES ('');
INSERT INTO wh (pk) VALUES (NULL);
INSERT INTO wr (pk, sk) VALUES ('x', NULL);
INSERT INTO wh (pk, s) VALUES ('x', repeat('x', 410 * 1024));
SELECT * FROM proxy_requests('PutItem');
-- numbers at DynamoDB's limits are fine
INSERT INTO wh (pk, n, ns) VALUES ('lim', 9.9999999999999999999999999999999999999e125, '{1e-130,-1e-130}');
SELECT n = 9.9999999999999999999999999999999999999e125 AS n, sorted(ns) AS ns FROM wh WHERE pk = 'lim';

-- ===================================================================
-- NULLs and empty arrays: the attribute goes
-- ===================================================================
INSERT INTO wh (pk, s, n, ss) VALUES ('nul', 'x', 1, '{}');
SELECT raw_get('WriteHash', '{"pk": {"S": "nul"}}');
UPDATE wh SET s = NULL, ss = '{z}' WHERE pk = 'nul';
SELECT raw_get('WriteHash', '{"pk": {"S": "nul"}}');
UPDATE wh SET ss = '{}' WHERE pk = 'nul';
SELECT raw_get('WriteHash', '{"pk": {"S": "nul"}}');

-- ===================================================================
-- UPDATE and DELETE through a read
-- ===================================================================
UPDATE wr SET n = sk * 10, v = upper(v) WHERE pk = 'p';
SELECT * FROM wr ORDER BY pk, sk;
UPDATE wr SET sk = sk + 1 WHERE pk = 'q';
UPDATE wr SET sk = sk, v = 'same key' WHERE pk = 'q' AND v = 'q one';
UPDATE wh SET j = j || '{"added": [1, 2]}' WHERE pk = 'a' RETURNING pk, j, s;
SELECT raw_get('WriteHash', '{"pk": {"S": "a"}}') -> 'j';
DELETE FROM wr WHERE v = 'Q TWO' OR n = 20 RETURNING *;
SELECT * FROM wr ORDER BY pk, sk;

-- ===================================================================
-- by whole key: one request, no read
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM wr WHERE pk = 'p' AND sk = 1;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE wr SET v = 'direct' WHERE pk = 'q' AND sk = 1;
SELECT proxy_reset();
\set QUIET off
UPDATE wr SET v = 'direct', n = NULL WHERE pk = 'q' AND sk = 1;
-- an item that is not there: no row updated
UPDATE wr SET v = 'direct' WHERE pk = 'q' AND sk = 99;
\set QUIET on
SELECT * FROM proxy_requests('UpdateItem');
SELECT * FROM wr ORDER BY pk, sk;
SELECT proxy_reset();
\set QUIET off
DELETE FROM wr WHERE pk = 'p' AND sk = 1;
DELETE FROM wr WHERE pk = 'p' AND sk = 1;
\set QUIET on
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{DeleteItem,GetItem,Query,Scan}'::text[]) op ORDER BY op;
SELECT * FROM wr ORDER BY pk, sk;
-- a parameter of a prepared statement, in the generic plan too
PREPARE del(text, numeric) AS DELETE FROM wr WHERE pk = $1 AND sk = $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE del('q', 1);
EXECUTE del('q', 1);
RESET plan_cache_mode;
SELECT count(*) FROM wr;
-- on a partition key alone
SELECT proxy_reset();
DELETE FROM wh WHERE pk = 'c';
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{DeleteItem,GetItem,Scan}'::text[]) op ORDER BY op;

-- ===================================================================
-- batches: BatchWriteItem, 25 items a request, when overwriting
-- ===================================================================
ALTER FOREIGN TABLE wr OPTIONS (ADD batch_size '25', ADD overwrite 'true');
SELECT proxy_reset();
INSERT INTO wr SELECT 'batch', g, 'v' || g, g FROM generate_series(1, 1000) g;
SELECT * FROM proxy_requests('BatchWriteItem');
SELECT count(*), sum(n), count(DISTINCT v) FROM wr WHERE pk = 'batch';
SELECT raw_get('WriteRange', '{"pk": {"S": "batch"}, "sk": {"N": "777"}}');
-- one key twice in a batch: the later row wins
INSERT INTO wr VALUES ('dup', 1, 'first'), ('dup', 1, 'second');
SELECT * FROM wr WHERE pk = 'dup';
-- without overwriting, a batch is conditional puts
ALTER FOREIGN TABLE wr OPTIONS (DROP overwrite);
SELECT proxy_reset();
INSERT INTO wr SELECT 'cond', g, 'c' FROM generate_series(1, 30) g;
INSERT INTO wr VALUES ('cond', 31, 'c'), ('cond', 5, 'c');
INSERT INTO wr VALUES ('cond', 32, 'c'), ('cond', 5, 'c') ON CONFLICT DO NOTHING;
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{BatchWriteItem,PutItem}'::text[]) op ORDER BY op;
SELECT count(*) FROM wr WHERE pk = 'cond';

-- ===================================================================
-- a large batch: 10,000 rows, 25 a request, read back equal
-- ===================================================================
-- the same items on every run; what an interrupted run left besides goes
CREATE FOREIGN TABLE wbig (pk text, n numeric, v text)
  SERVER dynamo OPTIONS (table 'WriteBig', batch_size '25', overwrite 'true');
CREATE FOREIGN TABLE wbigr (pk text, sk int, n numeric, v text)
  SERVER dynamo OPTIONS (table 'WriteBigRange', batch_size '25', overwrite 'true');
CREATE TEMP TABLE big AS
  SELECT 'k' || lpad(g::text, 5, '0') AS pk, 'p' || (g % 97) AS rpk, g / 97 AS sk,
         (g * 7 - 30000) / 8.0 AS n, md5(g::text) || repeat('é', g % 5) AS v
    FROM generate_series(0, 9999) g;
DELETE FROM wbig WHERE pk NOT IN (SELECT pk FROM big);
DELETE FROM wbigr WHERE (pk, sk) NOT IN (SELECT rpk, sk FROM big);
SELECT proxy_reset();
INSERT INTO wbig SELECT pk, n, v FROM big;
INSERT INTO wbigr SELECT rpk, sk, n, v FROM big;
SELECT * FROM proxy_requests('BatchWriteItem');
SELECT count(*), sum(n),
       md5(string_agg(pk || ' ' || trim_scale(n) || ' ' || v, ',' ORDER BY pk)) =
         (SELECT md5(string_agg(pk || ' ' || trim_scale(n) || ' ' || v, ',' ORDER BY pk)) FROM big) AS same
  FROM wbig;
SELECT count(*), count(DISTINCT pk), sum(n),
       md5(string_agg(pk || ' ' || sk || ' ' || trim_scale(n) || ' ' || v, ',' ORDER BY pk, sk)) =
         (SELECT md5(string_agg(rpk || ' ' || sk || ' ' || trim_scale(n) || ' ' || v, ',' ORDER BY rpk, sk))
            FROM big) AS same
  FROM wbigr;

-- ===================================================================
-- UnprocessedItems: written again after a pause until none is left
-- ===================================================================
\i sql/explain.inc
-- the next n BatchWriteItem requests are sent on with their first keep
-- writes only, the others answered as UnprocessedItems
CREATE FUNCTION proxy_unprocessed_writes(n int, keep int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY proxy_out FROM PROGRAM %L',
    format('curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__unprocessed?count=%s&keep=%s&op=BatchWriteItem"',
           n, keep));
END $$;
-- BatchWriteItem requests; answers the proxy cut short and the writes it left out
CREATE FUNCTION write_stats(OUT requests bigint, OUT cut_short bigint, OUT writes_left_out bigint)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.requests INTO requests FROM proxy_requests('BatchWriteItem') r;
  SELECT coalesce(sum(s.requests), 0), coalesce(sum(s.items), 0) INTO cut_short, writes_left_out
    FROM proxy_stats s WHERE s.target = 'unprocessed';
END $$;
ALTER FOREIGN TABLE wr OPTIONS (ADD overwrite 'true');
-- five batches cut short once each (their retries count too): 40 + 5
-- requests, 5 retries, every row there
SELECT proxy_reset();
SELECT proxy_unprocessed_writes(10, 20);
SELECT * FROM explain_analyze($$INSERT INTO wr SELECT 'unp', g, 'u' || g, g FROM generate_series(1, 1000) g$$);
SELECT * FROM write_stats();
SELECT count(*), sum(n), count(DISTINCT v) FROM wr WHERE pk = 'unp';
-- one batch cut short again and again: each retry holds what is left
SELECT proxy_reset();
SELECT proxy_unprocessed_writes(3, 10);
INSERT INTO wr SELECT 'unp2', g, 'v' FROM generate_series(1, 25) g;
SELECT * FROM write_stats();
SELECT count(*), sum(sk) FROM wr WHERE pk = 'unp2';
-- nothing written twice in a row
SELECT proxy_reset();
SELECT proxy_unprocessed_writes(2, 0);
INSERT INTO wr SELECT 'unp3', g, 'v' FROM generate_series(1, 30) g;
SELECT * FROM write_stats();
SELECT count(*), sum(sk) FROM wr WHERE pk = 'unp3';
-- a batch never written: an error once the retries run out (max_retries
-- + 10 answers in a row), never a silent loss
ALTER SERVER dynamo OPTIONS (ADD max_retries '0');
SELECT proxy_reset();
SELECT proxy_unprocessed_writes(100, 0);
\set VERBOSITY sqlstate
INSERT INTO wr SELECT 'unp4', g, 'v' FROM generate_series(1, 30) g;
\set VERBOSITY default
SELECT * FROM write_stats();
SELECT proxy_reset();
ALTER SERVER dynamo OPTIONS (DROP max_retries);
SELECT count(*) FROM wr WHERE pk = 'unp4';
ALTER FOREIGN TABLE wr OPTIONS (DROP overwrite);

-- ===================================================================
-- the whole item: the jsonb column of IMPORT FOREIGN SCHEMA
-- ===================================================================
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA dynamodb LIMIT TO ("WriteRange") FROM SERVER dynamo INTO imp;
ALTER FOREIGN TABLE imp."WriteRange" OPTIONS (ADD consistent_read 'true');
-- INSERT: the item's attributes beside the key columns', by jsonb's rules
-- (numbers as N, objects as M, arrays as L, null as NULL)
INSERT INTO imp."WriteRange" (pk, sk, item) VALUES ('it', 1,
  '{"v": "one", "n": 1.50, "m": {"a": [1, "x", null, true]}, "nul": null, "big": 12345678901234567890123456789012345678}');
SELECT raw_get('WriteRange', '{"pk": {"S": "it"}, "sk": {"N": "1"}}');
SELECT pk, sk, item FROM imp."WriteRange" WHERE pk = 'it';
SELECT pk, sk, v FROM wr WHERE pk = 'it';
-- the item may repeat the key, as a read shows it: as the same value
INSERT INTO imp."WriteRange" (pk, sk, item) VALUES ('it', 2, '{"pk": "it", "sk": 2.0, "v": "two"}');
CREATE FOREIGN TABLE wrf (pk text, sk float8, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'WriteRange', consistent_read 'true');
INSERT INTO wrf VALUES ('it', 1e20, '{"sk": 100000000000000000000, "v": "1e20"}');
SELECT sk, item ->> 'v' AS v FROM wrf WHERE pk = 'it' AND sk = 1e20;
DELETE FROM wrf WHERE pk = 'it' AND sk = 1e20;
-- no item: the key alone
INSERT INTO imp."WriteRange" (pk, sk) VALUES ('it', 3);
SELECT pk, sk, item FROM imp."WriteRange" WHERE pk = 'it' ORDER BY sk;
-- an item that says another key, of another value or type: refused
INSERT INTO imp."WriteRange" (pk, sk, item) VALUES ('it', 4, '{"pk": "other"}');
INSERT INTO imp."WriteRange" (pk, sk, item) VALUES ('it', 4, '{"sk": "4"}');
-- so copying items to other keys leaves the key out of them
INSERT INTO imp."WriteRange" SELECT 'it2', sk, item FROM imp."WriteRange" WHERE pk = 'it';
INSERT INTO imp."WriteRange" SELECT 'it2', sk, item - 'pk' FROM imp."WriteRange" WHERE pk = 'it';
SELECT pk, sk, item FROM imp."WriteRange" WHERE pk = 'it2' ORDER BY sk;
-- not an object; what DynamoDB cannot hold; an existing key
INSERT INTO imp."WriteRange" VALUES ('it', 5, '[1]');
INSERT INTO imp."WriteRange" VALUES ('it', 5, '{"n": 1e200}');
INSERT INTO imp."WriteRange" VALUES ('it', 1, '{}');
-- other columns beside the item: a NULL column leaves the attribute to
-- the item, any other value must be the item's
CREATE FOREIGN TABLE wri (pk text, sk numeric, v text, n int, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'WriteRange', consistent_read 'true');
INSERT INTO wri VALUES ('it', 6, 'six', NULL, '{"x": 6, "n": 6}');
INSERT INTO wri VALUES ('it', 7, NULL, 7, '{"v": "from the item", "n": 7.0}');
INSERT INTO wri VALUES ('it', 8, 'column', NULL, '{"v": "item"}');
INSERT INTO wri VALUES ('it', 8, 'eight', 8, '{"n": "8"}');
SELECT pk, sk, v, n, item FROM wri WHERE pk = 'it' AND sk >= 6 ORDER BY sk;

-- UPDATE SET item: every attribute but the key replaced, one PutItem on
-- condition that the item is there
EXPLAIN (VERBOSE, COSTS OFF) UPDATE imp."WriteRange" SET item = '{}' WHERE pk = 'it' AND sk = 1;
SELECT proxy_reset();
UPDATE imp."WriteRange" SET item = '{"w": [1, 2], "n": 2}' WHERE pk = 'it' AND sk = 1;
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{GetItem,PutItem,UpdateItem}'::text[]) op ORDER BY op;
SELECT raw_get('WriteRange', '{"pk": {"S": "it"}, "sk": {"N": "1"}}');
-- from the item read, with the key in it; RETURNING the row as put
UPDATE imp."WriteRange" SET item = item || '{"added": true}' WHERE pk = 'it' AND sk = 2
  RETURNING pk, sk, item;
-- the other columns follow the item; those set go in beside it
UPDATE wri SET item = '{"x": 66}' WHERE pk = 'it' AND sk = 6;
UPDATE wri SET item = '{"x": 77}', v = 'seven' WHERE pk = 'it' AND sk = 7 RETURNING v, n, item;
SELECT pk, sk, v, n, item FROM wri WHERE pk = 'it' AND sk >= 6 ORDER BY sk;
-- '{}' keeps the key alone; an item not there is not updated
\set QUIET off
UPDATE imp."WriteRange" SET item = '{}' WHERE pk = 'it' AND sk = 6;
UPDATE imp."WriteRange" SET item = '{}' WHERE pk = 'it' AND sk = 99;
\set QUIET on
SELECT raw_get('WriteRange', '{"pk": {"S": "it"}, "sk": {"N": "6"}}');
-- the key cannot change through the item, nor the item be NULL
UPDATE imp."WriteRange" SET item = '{"sk": 99}' WHERE pk = 'it' AND sk = 2;
UPDATE imp."WriteRange" SET item = '{"pk": "it", "sk": 2}' WHERE pk = 'it' AND sk = 2;
UPDATE imp."WriteRange" SET item = NULL WHERE pk = 'it' AND sk = 2;
UPDATE wri SET item = '{"v": "b"}', v = 'a' WHERE pk = 'it' AND sk = 2;
SELECT pk, sk, item FROM imp."WriteRange" WHERE pk = 'it' ORDER BY sk;
-- DELETE as ever
DELETE FROM imp."WriteRange" WHERE pk IN ('it', 'it2');
SELECT count(*) FROM wr WHERE pk IN ('it', 'it2');
DROP SCHEMA imp CASCADE;

-- ===================================================================
-- what cannot be written
-- ===================================================================
CREATE FOREIGN TABLE wnokey (v text) SERVER dynamo OPTIONS (table 'WriteHash');
INSERT INTO wnokey VALUES ('x');
CREATE FOREIGN TABLE wmeta (pk text, pn int OPTIONS (meta 'page_number')) SERVER dynamo
  OPTIONS (table 'WriteHash');
INSERT INTO wmeta VALUES ('m', 1);
-- a key is written as the key schema's type: bytea cannot be an S key
CREATE FOREIGN TABLE wbadkey (pk bytea) SERVER dynamo OPTIONS (table 'WriteHash');
INSERT INTO wbadkey VALUES ('\x01');

-- ===================================================================
-- leave the tables as they were
-- ===================================================================
ALTER FOREIGN TABLE wr OPTIONS (DROP batch_size);
DELETE FROM wh;
DELETE FROM wr;
SELECT (SELECT count(*) FROM wh) AS wh, (SELECT count(*) FROM wr) AS wr;
DROP SERVER dynamo CASCADE;
