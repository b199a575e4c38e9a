--
-- pushdown: conditions, LIMIT, ORDER BY and count(*) become the fewest
-- DynamoDB requests that give the exact answer
--
-- (whether a suite before this one made the extension already is no
-- matter here: its notice is not shown)
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;
\i sql/proxy.inc

-- Events: key (device, ts); local index by_kind (device, kind), all
-- attributes; sparse global index by_status (status, ts) with amount only
CREATE FOREIGN TABLE events (device text, ts bigint, kind text, status text,
                             amount numeric, flag boolean, note text)
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_nopush (device text, ts bigint, kind text, status text,
                                    amount numeric, flag boolean, note text)
  SERVER dynamo OPTIONS (table 'Events', pushdown 'false');
CREATE FOREIGN TABLE users (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE wide (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide');
CREATE FOREIGN TABLE wide_p100 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '100');
-- The tables' sizes, counted by ANALYZE: DynamoDB says nothing of a new
-- table's size (its ItemCount is 0 for hours, as dynalite's always is),
-- DynamoDB Local gives the count, and no plan below may hang on which.
ANALYZE events;
ANALYZE users;
ANALYZE wide;

-- ===================================================================
-- GetItem: the whole key
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM users WHERE user_id = 'u0007';
SELECT * FROM users WHERE user_id = 'u0007';
EXPLAIN (VERBOSE, COSTS OFF) SELECT kind FROM events WHERE device = 'd02' AND ts = 70;
SELECT kind FROM events WHERE device = 'd02' AND ts = 70;
SELECT proxy_reset();
SELECT kind, note FROM events WHERE ts = 70 AND device = 'd02';
SELECT kind FROM events WHERE device = 'd02' AND ts = 71;
SELECT * FROM proxy_requests('GetItem');
SELECT * FROM proxy_requests('Scan');
-- a NULL key matches nothing, and sends nothing
SELECT proxy_reset();
SELECT * FROM users WHERE user_id = NULL;
SELECT * FROM proxy_requests('GetItem');

-- ===================================================================
-- BatchGetItem: a list of whole keys; duplicates and NULLs dropped
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
SELECT name FROM users WHERE user_id IN ('u0001', 'u0002', 'u0002', NULL, 'nobody');
SELECT name FROM users WHERE user_id IN ('u0001', 'u0002', 'u0002', NULL, 'nobody') ORDER BY 1;
-- 250 keys: three requests of at most 100
SELECT proxy_reset();
SELECT count(*), min(name), max(name) FROM users
 WHERE user_id = ANY (array(SELECT 'u' || lpad(g::text, 4, '0') FROM generate_series(1, 250) g));
SELECT * FROM proxy_requests('BatchGetItem');

-- ===================================================================
-- Query: one partition, with every kind of sort-key condition
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts, kind FROM events WHERE device = 'd03';
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND ts < 40;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND ts >= 480;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND ts BETWEEN 100 AND 130;
-- strict bounds travel as BETWEEN and are checked again
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND ts > 100 AND ts < 130;
SELECT ts FROM events WHERE device = 'd03' AND ts > 100 AND ts < 130 ORDER BY ts;
-- the partition of a 10,000-item table: one request, its 100 items
SELECT proxy_reset();
SELECT count(v), sum(v) FROM wide WHERE pk = 'p042';
SELECT * FROM proxy_requests('Query');
SELECT * FROM proxy_requests('Scan');
-- a list of partition keys: one Query each
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device IN ('d01', 'd02') AND ts <= 20;
SELECT device, ts FROM events WHERE device IN ('d01', 'd02') AND ts <= 20 ORDER BY 1, 2;

-- ===================================================================
-- indexes: the local index on kind, the sparse global index on status
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd04' AND kind = 'ping';
SELECT ts FROM events WHERE device = 'd04' AND kind = 'ping' ORDER BY ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd04' AND kind LIKE 'u%';
SELECT ts, kind FROM events WHERE device = 'd04' AND kind LIKE 'u%' ORDER BY ts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts, amount FROM events WHERE status = 'open' AND ts > 480;
SELECT ts, amount FROM events WHERE status = 'open' AND ts > 480 ORDER BY ts, amount;
-- the global index holds only amount: a query needing more scans the table
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts, note FROM events WHERE status = 'open' AND ts > 480;
-- an index named by the table option
CREATE FOREIGN TABLE open_events (status text, ts bigint, amount numeric)
  SERVER dynamo OPTIONS (table 'Events', index 'by_status');
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM open_events;
-- Scan of a sparse index: only the items that have a status
SELECT count(*), count(DISTINCT status) FROM open_events;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM open_events WHERE status = 'closed' AND ts < 60;
SELECT ts, amount FROM open_events WHERE status = 'closed' AND ts < 60 ORDER BY ts, amount;
CREATE FOREIGN TABLE bad_index (status text) SERVER dynamo OPTIONS (table 'Events', index 'nope');
SELECT * FROM bad_index;

-- ===================================================================
-- filters: shipped where DynamoDB decides as PostgreSQL would, and
-- always checked again
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
SELECT device, ts FROM events
 WHERE note IS NULL AND flag AND kind LIKE 'p%' AND amount >= 3
   AND (status = 'open' OR status IS NULL) AND note IS DISTINCT FROM 'x';
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE NOT flag AND status <> 'open' AND kind IN ('boot', 'ping');
-- floats round, upper() is PostgreSQL's: checked locally only
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE amount::float8 > 3 AND upper(kind) = 'PING';
-- ordering strings: bytewise in "C" only
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE kind > 'P' COLLATE "C";
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE kind > 'P' COLLATE "und-x-icu";
-- a Query's filter may not name a key attribute: that stays local
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE device = 'd01' AND ts <> 50 AND kind = 'boot';

-- a filtered Scan whose pages come back empty still finds every item
CREATE FOREIGN TABLE paging_7 (pk text, n integer) SERVER dynamo
  OPTIONS (table 'Paging', page_size '7');
SELECT proxy_reset();
SELECT pk FROM paging_7 WHERE n = 50 OR n = 1 ORDER BY pk;
SELECT * FROM proxy_requests('Scan');

-- ===================================================================
-- the same rows with pushdown on and off
-- ===================================================================
\i sql/compare.inc
-- on Events unless told otherwise
CREATE FUNCTION same_rows(q text, pushed text DEFAULT 'events',
                          unpushed text DEFAULT 'events_nopush') RETURNS text
LANGUAGE sql AS $$ SELECT same_rows_of(q, pushed, unpushed) $$;
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT * FROM %s WHERE device = ''d05'''),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts = 250'),
  ('SELECT * FROM %s WHERE device IN (''d05'', ''d06'', ''zz'') AND ts = 250'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts < 100'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts <= 100'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts > 400'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts >= 400'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts BETWEEN 120 AND 200'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND ts > 120 AND ts < 200'),
  ('SELECT * FROM %s WHERE device = ''d05'' AND kind = ''ping'''),
  ('SELECT * FROM %s WHERE device = ''d05'' AND kind LIKE ''p%%'''),
  ('SELECT * FROM %s WHERE device = ''d05'' AND kind > ''a'' AND kind < ''q'''),
  ('SELECT * FROM %s WHERE status = ''open'''),
  ('SELECT status, ts, amount FROM %s WHERE status = ''closed'' AND ts > 250'),
  ('SELECT * FROM %s WHERE status IS NULL'),
  ('SELECT * FROM %s WHERE status IS NOT NULL'),
  ('SELECT * FROM %s WHERE note IS NULL'),
  ('SELECT * FROM %s WHERE note IS NOT NULL AND note <> ''note 5'''),
  ('SELECT * FROM %s WHERE status <> ''open'''),
  ('SELECT * FROM %s WHERE amount > 4.5'),
  ('SELECT * FROM %s WHERE amount = 0 OR kind = ''Ping'''),
  ('SELECT * FROM %s WHERE NOT flag AND kind IN (''boot'', ''update'')'),
  ('SELECT * FROM %s WHERE flag = false AND (status = ''open'' OR note IS NULL)'),
  ('SELECT * FROM %s WHERE kind >= ''P'' AND kind < ''b'''),
  ('SELECT * FROM %s WHERE ts = 10'),
  ('SELECT * FROM %s WHERE device < ''d03'' AND ts > 480'),
  ('SELECT * FROM %s WHERE device = ''d07'' ORDER BY ts DESC LIMIT 4')
) t(q);

-- ===================================================================
-- LIMIT: each request asks only for the items still needed
-- ===================================================================
-- (which five items is the server's: a Scan returns them in no particular
-- order)
SELECT proxy_reset();
SELECT count(*), count(DISTINCT (pk, n)) AS different FROM (SELECT pk, n FROM wide_p100 LIMIT 5) s;
SELECT * FROM proxy_requests('Scan');
EXPLAIN (VERBOSE, COSTS OFF) SELECT pk, n FROM wide_p100 LIMIT 5;
EXPLAIN (VERBOSE, COSTS OFF) SELECT pk, n FROM wide_p100 LIMIT 5 OFFSET 10;
EXPLAIN (VERBOSE, COSTS OFF) SELECT pk, n FROM wide LIMIT 5;
-- a local condition: no limit is pushed, paging stops once five rows passed
SELECT proxy_reset();
SELECT count(*) FROM (SELECT v FROM wide_p100 WHERE v % 2 = 0 LIMIT 5) s;
SELECT * FROM proxy_requests('Scan');

-- ===================================================================
-- ORDER BY the sort key within a partition: no Sort
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd01' ORDER BY ts DESC LIMIT 3;
SELECT proxy_reset();
SELECT ts FROM events WHERE device = 'd01' ORDER BY ts DESC LIMIT 3;
SELECT * FROM proxy_requests('Query');
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE device = 'd01' ORDER BY ts;
SELECT ts FROM events WHERE device = 'd01' AND ts > 470 ORDER BY device, ts;
-- across partitions, or by another column, PostgreSQL sorts
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE device IN ('d01', 'd02') ORDER BY ts;
EXPLAIN (COSTS OFF) SELECT ts FROM events WHERE device = 'd01' ORDER BY kind;
-- the local index's order
EXPLAIN (COSTS OFF)
SELECT kind FROM events WHERE device = 'd01' AND kind >= 'p' ORDER BY kind COLLATE "C" DESC;

-- ===================================================================
-- count(*): Select=COUNT, no items transferred
-- ===================================================================
SELECT proxy_reset();
SELECT count(*) FROM wide;
SELECT count(*) FROM wide WHERE pk = 'p007';
SELECT count(*) FROM events WHERE device = 'd01' AND ts > 250;
SELECT * FROM proxy_requests('Scan');
SELECT * FROM proxy_requests('Query');
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM events WHERE device = 'd01' AND ts > 250;

-- ===================================================================
-- parameters: prepared statements keep their pushdown, also after the
-- switch to a generic plan
-- ===================================================================
PREPARE get_user(text) AS SELECT name FROM users WHERE user_id = $1;
SELECT proxy_reset();
EXECUTE get_user('u0001');
EXECUTE get_user('u0002');
EXECUTE get_user('u0003');
EXECUTE get_user('u0004');
EXECUTE get_user('u0005');
EXECUTE get_user('u0006');
EXECUTE get_user('u0007');
SELECT * FROM proxy_requests('GetItem');
SELECT * FROM proxy_requests('Scan');
EXPLAIN (COSTS OFF) EXECUTE get_user('u0008');
PREPARE range(text, bigint, bigint) AS
  SELECT ts FROM events WHERE device = $1 AND ts BETWEEN $2 AND $3 ORDER BY ts;
EXECUTE range('d09', 100, 120);
EXECUTE range('d09', 200, 210);
EXECUTE range('d09', 300, 300);
EXECUTE range('d09', 1, 10);
EXECUTE range('d09', 490, 1000);
EXECUTE range(NULL, 1, 1000);
EXECUTE range('d09', NULL, 10);
EXPLAIN (COSTS OFF) EXECUTE range('d09', 100, 120);
PREPARE flt(numeric) AS SELECT count(*) FROM events WHERE amount > $1;
EXECUTE flt(4.5);
EXECUTE flt(4.5);
EXECUTE flt(4.5);
EXECUTE flt(4.5);
EXECUTE flt(4.5);
EXECUTE flt(4.5);
EXECUTE flt(NULL);
EXECUTE flt('NaN');
EXPLAIN (COSTS OFF) EXECUTE flt(1);
-- a NULL value matches no item (the operators are strict): nothing is sent
SELECT proxy_reset();
EXECUTE flt(NULL);
SELECT * FROM proxy_requests('Scan');
-- NaN cannot be sent: its condition stays local, the others still travel
PREPARE flt2(text, numeric) AS SELECT count(ts) FROM events WHERE kind = $1 AND amount > $2;
SELECT proxy_reset();
EXECUTE flt2('boot', 'NaN');
SELECT * FROM proxy_requests('Scan');
-- in an OR, the branch with a NULL value drops out
PREPARE flt3(text, text) AS SELECT count(ts) FROM events WHERE kind = $1 OR kind = $2;
SELECT proxy_reset();
EXECUTE flt3('boot', NULL);
SELECT * FROM proxy_requests('Scan');
EXECUTE flt3(NULL, NULL);
SELECT * FROM proxy_requests('Scan');
-- the NULLs of an IN list match nothing; a list of NULLs only, no item
SELECT proxy_reset();
SELECT count(ts) FROM events WHERE kind IN ('boot', NULL);
SELECT * FROM proxy_requests('Scan');
SELECT count(ts) FROM events WHERE kind = ANY (ARRAY[NULL, NULL]::text[]);
SELECT * FROM proxy_requests('Scan');
-- the same rows with pushdown off
SELECT same_rows('SELECT ts, device FROM %s WHERE kind IN (''boot'', NULL) OR amount > ''NaN''');
SELECT same_rows('SELECT ts, device FROM %s WHERE kind = ANY (ARRAY[NULL]::text[]) OR amount > 7');

-- ===================================================================
-- joins on the whole key: outer rows in batches of 100, one BatchGetItem
-- per batch
-- ===================================================================
CREATE FOREIGN TABLE users_nopush (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users', pushdown 'false');
CREATE TEMP TABLE wanted_users AS
  SELECT 'u' || lpad(g::text, 4, '0') AS id, g FROM generate_series(1, 1000) g;
ANALYZE wanted_users;
-- Users holds 1,000 items: a hash join over one Scan costs less than ten
-- BatchGetItem requests.  Hash and merge joins are off here, for the plan
-- whose requests are counted.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.g, u.name FROM wanted_users w JOIN users u ON u.user_id = w.id;
SELECT proxy_reset();
SELECT count(*), sum(u.score), count(DISTINCT u.name)
  FROM wanted_users w JOIN users u ON u.user_id = w.id;
SELECT * FROM proxy_requests('BatchGetItem');
SELECT * FROM proxy_requests('Scan');
\i sql/explain.inc
SELECT * FROM explain_analyze($$
SELECT w.g, u.name FROM wanted_users w JOIN users u ON u.user_id = w.id WHERE w.g <= 250$$);
-- the same rows as without pushdown: inner and outer joins, keys that
-- match nothing, NULL keys, conditions on either side
CREATE TEMP TABLE some_keys AS
  SELECT id FROM (VALUES ('u0001'), ('u0002'), ('u0500'), ('nobody'), (NULL), ('u0002')) v(id);
SELECT q, same_rows(q, 'users', 'users_nopush') FROM (VALUES
  ('SELECT k.id, u.name FROM some_keys k JOIN %s u ON u.user_id = k.id'),
  ('SELECT k.id, u.name FROM some_keys k LEFT JOIN %s u ON u.user_id = k.id'),
  ('SELECT k.id, u.score FROM some_keys k LEFT JOIN %s u ON u.user_id = k.id AND u.score > 1'),
  ('SELECT k.id FROM some_keys k LEFT JOIN %s u ON u.user_id = k.id WHERE u.user_id IS NULL'),
  ('SELECT w.g, u.name FROM wanted_users w JOIN %s u ON u.user_id = w.id WHERE u.score = 3'),
  ('SELECT w.g, u.* FROM wanted_users w LEFT JOIN %s u ON u.user_id = w.id AND w.g %% 3 = 0'),
  -- values of the inner side's subquery, nulled by the outer join
  ('SELECT k.id, u.user_id, u.c FROM some_keys k LEFT JOIN (SELECT user_id, ''x''::text AS c FROM %s) u ON u.user_id = k.id'),
  ('SELECT k.id, u.n FROM some_keys k LEFT JOIN (SELECT user_id, coalesce(name, ''-'') AS n FROM %s) u ON u.user_id = k.id'),
  ('SELECT k.id, s.c FROM some_keys k LEFT JOIN (SELECT u.user_id, 1 AS c FROM some_keys k2 JOIN %s u ON u.user_id = k2.id) s ON s.user_id = k.id')
) t(q);
SELECT k.id, u.name FROM some_keys k LEFT JOIN users u ON u.user_id = k.id ORDER BY 1, 2;
EXPLAIN (COSTS OFF) SELECT k.id, u.name FROM some_keys k LEFT JOIN users u ON u.user_id = k.id;
-- a key of two attributes
EXPLAIN (COSTS OFF)
SELECT d.device, e.kind FROM (VALUES ('d01', 10), ('d02', 20), ('d03', 15)) d(device, t)
  JOIN events e ON e.device = d.device AND e.ts = d.t;
SELECT d.device, e.kind FROM (VALUES ('d01', 10), ('d02', 20), ('d03', 15)) d(device, t)
  JOIN events e ON e.device = d.device AND e.ts = d.t ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- a correlated subquery: one GetItem per outer row, the value a parameter
SELECT proxy_reset();
SELECT k.id, (SELECT u.name FROM users u WHERE u.user_id = k.id) FROM some_keys k ORDER BY 1, 2;
SELECT * FROM proxy_requests('GetItem');
EXPLAIN (COSTS OFF)
SELECT k.id, (SELECT u.name FROM users u WHERE u.user_id = k.id) FROM some_keys k;

-- a join on the partition key alone: a Query for each outer row, where a
-- partition is a small part of the table (Wide's 100 items of 10,000; of
-- Events' 1,000 items, one Scan costs less than two Queries)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
SELECT d.pk, w.n FROM (VALUES ('p001'), ('p002')) d(pk)
  JOIN wide w ON w.pk = d.pk AND w.n < 3;
SELECT proxy_reset();
SELECT d.pk, w.n FROM (VALUES ('p001'), ('p002')) d(pk)
  JOIN wide w ON w.pk = d.pk AND w.n < 3 ORDER BY 1, 2;
SELECT * FROM proxy_requests('Query');
SELECT * FROM proxy_requests('Scan');
RESET enable_hashjoin;
RESET enable_mergejoin;

-- ===================================================================
-- projection: asked for only when it leaves something out
-- ===================================================================
CREATE FOREIGN TABLE paging_cols (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '10');
CREATE FOREIGN TABLE paging_two (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', page_size '10');
-- every column, and the items hold nothing more: no projection, 6 requests
SELECT proxy_reset();
SELECT count(pk), sum(n), min(label), max(label) FROM (SELECT * FROM paging_cols) s;
SELECT * FROM proxy_requests('Scan'), proxy_projected('Scan') AS projected;
EXPLAIN (COSTS OFF) SELECT * FROM paging_cols;
SELECT * FROM explain_analyze('SELECT * FROM paging_cols');
-- a column left out: the projection from the first request on
SELECT proxy_reset();
SELECT sum(n) FROM paging_cols;
SELECT * FROM proxy_requests('Scan'), proxy_projected('Scan') AS projected;
-- every column, but the items hold label too: the first page shows it,
-- and every request after the first asks for pk and n alone
SELECT proxy_reset();
SELECT count(*), sum(n), min(pk) FROM (SELECT * FROM paging_two OFFSET 0) s;
SELECT * FROM proxy_requests('Scan'), proxy_projected('Scan') AS projected;
SELECT * FROM explain_analyze('SELECT * FROM paging_two');
-- one item in 40 holds an attribute more, and a Scan returns it after the
-- 16th item of its page: seen as its row is read, so the next request
-- (without read-ahead) asks for id and n alone.  Where a Scan returns it
-- is the server's (dynalite 20th, DynamoDB Local 34th): in pages of 39,
-- anywhere from the 17th to the 39th is past the 16th item of the first
-- of two pages
CREATE FOREIGN TABLE sparse (id text, n integer)
  SERVER dynamo OPTIONS (table 'Sparse', page_size '39', prefetch 'false');
CREATE FOREIGN TABLE sparse_extra (id text, extra text)
  SERVER dynamo OPTIONS (table 'Sparse', page_size '39');
SELECT id, pos > 16 AS past_16th, pos <= 39 AS first_page
  FROM (SELECT row_number() OVER () AS pos, id, extra FROM sparse_extra) s
  WHERE extra IS NOT NULL;
SELECT proxy_reset();
SELECT count(id), sum(n) FROM (SELECT * FROM sparse OFFSET 0) s;
SELECT * FROM proxy_requests('Scan'), proxy_projected('Scan') AS projected;
-- GetItem keeps its projection
SELECT proxy_reset();
SELECT * FROM paging_cols WHERE pk = 'item-007';
SELECT * FROM proxy_requests('GetItem'), proxy_projected('GetItem') AS projected;

-- ===================================================================
-- pages are read as their bytes arrive: the same rows, however the
-- bytes are cut
-- ===================================================================
CREATE TEMP TABLE paging_whole AS SELECT * FROM paging_cols;
CREATE TEMP TABLE events_whole AS SELECT * FROM events WHERE device IN ('d01', 'd02');
-- the rows read while every answer comes size bytes at a time, and how
-- many differ from the rows read before (in either direction)
CREATE FUNCTION cut_reads(size int, OUT paging_rows bigint, OUT paging_wrong bigint,
                          OUT events_rows bigint, OUT events_wrong bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM proxy_chunk(1000, size);
  CREATE TEMP TABLE paging_cut AS SELECT * FROM paging_cols;
  CREATE TEMP TABLE events_cut AS SELECT * FROM events WHERE device IN ('d01', 'd02');
  PERFORM proxy_reset();
  SELECT count(*) INTO paging_rows FROM paging_cut;
  SELECT count(*) INTO paging_wrong FROM
    ((TABLE paging_cut EXCEPT ALL TABLE paging_whole) UNION ALL
     (TABLE paging_whole EXCEPT ALL TABLE paging_cut)) d;
  SELECT count(*) INTO events_rows FROM events_cut;
  SELECT count(*) INTO events_wrong FROM
    ((TABLE events_cut EXCEPT ALL TABLE events_whole) UNION ALL
     (TABLE events_whole EXCEPT ALL TABLE events_cut)) d;
  DROP TABLE paging_cut, events_cut;
END $$;
SELECT size, r.* FROM unnest(ARRAY[1, 2, 3, 7, 64]) size, cut_reads(size) r;
SELECT count(*) FROM paging_whole;
SELECT count(*) FROM events_whole;

DROP SERVER dynamo CASCADE;
