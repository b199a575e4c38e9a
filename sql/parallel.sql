--
-- parallel: the leader and workers of a parallel query share a Scan's
-- segments and a Query's partitions, each read once.  Nothing here depends
-- on how many workers start, nor on which read what.
--
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;
\i sql/proxy.inc
\i sql/compare.inc

-- 10,000 items in 100 partitions; pages of 500 items
CREATE FOREIGN TABLE wide (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '500');
CREATE FOREIGN TABLE wide_seg6 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '500', segments '6');
CREATE FOREIGN TABLE wide_seg1 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '500', segments '1');
CREATE FOREIGN TABLE wide_token (pk text, n integer, v integer, tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Wide', page_size '500');
CREATE FOREIGN TABLE wide_page (pk text, n integer, v integer, pg integer OPTIONS (meta 'page_number'))
  SERVER dynamo OPTIONS (table 'Wide', page_size '500');
CREATE FOREIGN TABLE wide_budget (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '500', read_capacity_per_second '100000');

-- the plan without the workers planned and a Scan's capacity estimate,
-- which follow the table's size as each server reports it, and without a
-- join filter, whose sides PostgreSQL 17 writes the other way round
CREATE FUNCTION plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line !~ 'Workers Planned|Scan Capacity Estimate|Join Filter' THEN
      RETURN NEXT line;
    END IF;
  END LOOP;
END $$;

-- EXPLAIN ANALYZE VERBOSE's requests: the total, whether the leader's and
-- each worker's add up to it, and whether the proxy counted as many
CREATE FUNCTION requests_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  m text[];
  total bigint;
  parts bigint := 0;
  leader boolean := false;
  sent bigint;
BEGIN
  PERFORM proxy_reset();
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
    m := regexp_match(line, 'DynamoDB Requests: (\d+)');
    IF m IS NOT NULL THEN
      total := m[1]::bigint;
    END IF;
    m := regexp_match(line, 'DynamoDB (Leader|Worker \d+) Requests: (\d+)');
    IF m IS NOT NULL THEN
      parts := parts + m[2]::bigint;
      leader := leader OR m[1] = 'Leader';
    END IF;
  END LOOP;
  SELECT sum(requests) INTO sent FROM (SELECT (proxy_requests(op)).requests
                                         FROM unnest(ARRAY['Scan', 'Query']) op) r;
  PERFORM proxy_reset();
  RETURN format('leader shown: %s, leader and workers add up: %s, as many as sent: %s',
                leader, total = parts, total = sent);
END $$;

-- a table whose size DynamoDB does not say (a new table's ItemCount is 0
-- for hours, and dynalite's always) stays with one process until ANALYZE
-- has counted its items
ANALYZE wide;
ANALYZE wide_seg6;
ANALYZE wide_budget;
ANALYZE wide_token;
ANALYZE wide_page;

-- ---- the defaults: a table this small stays with one process ----
SELECT * FROM plan_of('SELECT * FROM wide_seg6');

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 2;
SET min_parallel_table_scan_size = 0;

-- ---- a Scan: workers take segments, two for each process without the option ----
SELECT * FROM plan_of('SELECT pk, n, v FROM wide');
SELECT * FROM plan_of('SELECT pk, v FROM wide_seg6 WHERE v > 5');
-- segments '1' keeps the table whole: nothing to share
SELECT * FROM plan_of('SELECT * FROM wide_seg1');

-- the rows of one process, and of several
SELECT proxy_reset();
SELECT dynomite_stat_reset();
SELECT count(*), count(DISTINCT (pk, n)), sum(v) FROM wide;
CREATE TEMP TABLE parallel_sent AS SELECT sent() AS sent;
-- the leader's statistics count the workers' reads
CREATE TEMP TABLE parallel_stats AS
  SELECT scan_requests, items_read FROM dynomite_stat_tables WHERE foreign_table = 'wide'::regclass;
SELECT count(*), count(DISTINCT (pk, n)), sum(v) FROM wide_seg1;
SELECT count(*) AS differences FROM (
  (SELECT pk, n, v FROM wide EXCEPT ALL SELECT pk, n, v FROM wide_seg1)
  UNION ALL
  (SELECT pk, n, v FROM wide_seg1 EXCEPT ALL SELECT pk, n, v FROM wide)) d;
SELECT count(*) AS differences FROM (
  (SELECT pk, n, v FROM wide_seg6 EXCEPT ALL SELECT pk, n, v FROM wide_seg1)
  UNION ALL
  (SELECT pk, n, v FROM wide_seg1 EXCEPT ALL SELECT pk, n, v FROM wide_seg6)) d;

-- every segment read once: the requests and items of six segments read by
-- one process
SELECT proxy_reset();
SELECT dynomite_stat_reset();
SET max_parallel_workers_per_gather = 0;
SELECT * FROM plan_of('SELECT pk, n, v FROM wide_seg6');
SELECT count(*), count(DISTINCT (pk, n)), sum(v) FROM wide_seg6;
SET max_parallel_workers_per_gather = 2;
SELECT sent() = sent AS same_requests_and_items FROM parallel_sent;
SELECT (s.scan_requests, s.items_read) = (p.scan_requests, p.items_read) AS same_statistics
  FROM dynomite_stat_tables s, parallel_stats p WHERE s.foreign_table = 'wide_seg6'::regclass;

-- EXPLAIN ANALYZE VERBOSE shows the leader's and each worker's requests
SELECT requests_of('SELECT pk, v FROM wide WHERE v % 7 = 0');
SELECT requests_of('SELECT pk, v FROM wide_seg6');

-- ---- a Query of several partitions: workers take partitions ----
SELECT * FROM plan_of($$SELECT pk, v FROM wide WHERE pk IN ('p001', 'p002', 'p003', 'p004', 'p005')$$);
SELECT proxy_reset();
SELECT count(*), sum(v) FROM wide WHERE pk IN ('p001', 'p002', 'p003', 'p004', 'p005');
SELECT sent();
SELECT requests_of($$SELECT pk, v FROM wide WHERE pk IN ('p010', 'p011', 'p012')$$);

-- ---- a rescan: a Gather on the inner side of a nested loop ----
CREATE TEMP TABLE wanted (n integer);
INSERT INTO wanted VALUES (1), (50), (100);
ANALYZE wanted;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT * FROM plan_of('SELECT w.n, count(*), sum(p.v) FROM wanted w JOIN wide p ON p.n = w.n GROUP BY w.n');
SELECT proxy_reset();
SELECT w.n, count(*), sum(p.v) FROM wanted w JOIN wide p ON p.n = w.n GROUP BY w.n ORDER BY w.n;
TRUNCATE parallel_sent;
INSERT INTO parallel_sent SELECT sent();
-- the same with one process and six segments: every rescan reads them all once
SET max_parallel_workers_per_gather = 0;
SELECT w.n, count(*), sum(p.v) FROM wanted w JOIN wide_seg6 p ON p.n = w.n GROUP BY w.n ORDER BY w.n;
SET max_parallel_workers_per_gather = 2;
SELECT sent() = sent AS same_requests_and_items FROM parallel_sent;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- ---- what stays with one process ----
-- a LIMIT sent to DynamoDB (half the table: two processes would be cheaper)
SELECT * FROM plan_of('SELECT * FROM wide LIMIT 5000');
SELECT count(*) FROM (SELECT * FROM wide LIMIT 5000) l;
-- next_token and page_number columns
SELECT * FROM plan_of('SELECT pk, tok FROM wide_token');
SELECT * FROM plan_of('SELECT pk, pg FROM wide_page');
-- a Query of one partition, a GetItem, a BatchGetItem
SELECT * FROM plan_of($$SELECT * FROM wide WHERE pk = 'p001'$$);
SELECT * FROM plan_of($$SELECT * FROM wide WHERE pk = 'p001' AND n = 5$$);
SELECT * FROM plan_of($$SELECT * FROM wide WHERE pk = 'p001' AND n IN (5, 6)$$);
-- a read budget kept per backend (the library is not preloaded here), and a
-- capacity cap, which every worker would have again
SELECT * FROM plan_of('SELECT * FROM wide_budget');
SET dynomite_fdw.max_read_capacity_per_query = 100000;
SELECT * FROM plan_of('SELECT * FROM wide');
RESET dynomite_fdw.max_read_capacity_per_query;

-- the full-scan guard refuses a parallel Scan as it refuses any
SET dynomite_fdw.allow_full_scan = off;
SELECT count(*), sum(v) FROM wide;
RESET dynomite_fdw.allow_full_scan;

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
DROP SERVER dynamo CASCADE;
