--
-- paging: every item exactly once, whatever the page size, one page at a time
--
\i sql/server.inc

\i sql/proxy.inc

CREATE FOREIGN TABLE paging_1 (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '1');
CREATE FOREIGN TABLE paging_7 (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '7');
CREATE FOREIGN TABLE paging_all (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging');
CREATE FOREIGN TABLE big_items (id text, n integer, payload text)
  SERVER dynamo OPTIONS (table 'BigItems');

-- ===================================================================
-- page_size 1, 7 and the default: 50 items, each once
-- ===================================================================
SELECT proxy_reset();
SELECT count(*), count(DISTINCT pk), sum(n), min(label), max(label) FROM paging_1;
-- 50 pages of one item, and a last empty page that ends the scan
SELECT * FROM proxy_requests('Scan');

SELECT proxy_reset();
SELECT count(*), count(DISTINCT pk), sum(n), min(label), max(label) FROM paging_7;
SELECT * FROM proxy_requests('Scan');

SELECT proxy_reset();
SELECT count(*), count(DISTINCT pk), sum(n), min(label), max(label) FROM paging_all;
SELECT * FROM proxy_requests('Scan');

-- the rows are the items: compare with a list built here
SELECT array_agg(n ORDER BY n) = array(SELECT generate_series(1, 50)) AS all_items,
       bool_and(pk = 'item-' || lpad(n::text, 3, '0')) AS keys_match
  FROM paging_7;

-- ===================================================================
-- 10 KB items: DynamoDB's 1 MB limit splits the pages
-- ===================================================================
SELECT proxy_reset();
SELECT count(*), count(DISTINCT id), sum(n), min(length(payload)), max(length(payload))
  FROM big_items;
SELECT requests > 1 AS several_pages, items FROM proxy_requests('Scan');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM big_items;

-- ===================================================================
-- pages are fetched only as rows are needed
-- ===================================================================
SELECT proxy_reset();
SELECT pk FROM paging_7 LIMIT 3;
SELECT * FROM proxy_requests('Scan');
SELECT proxy_reset();
SELECT pk FROM paging_7 LIMIT 8;
SELECT * FROM proxy_requests('Scan');

-- a cursor reads page by page: without read-ahead, the second page only
-- when the first is read (with it, from the second page on, one page ahead
-- is on its way, and when it is counted depends on timing)
CREATE FOREIGN TABLE paging_7_lazy (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '7', prefetch 'false');
SELECT proxy_reset();
BEGIN;
DECLARE c CURSOR FOR SELECT n FROM paging_7_lazy;
FETCH 7 FROM c;
SELECT * FROM proxy_requests('Scan');
FETCH 1 FROM c;
SELECT * FROM proxy_requests('Scan');
FETCH 6 FROM c;
SELECT * FROM proxy_requests('Scan');
COMMIT;

-- ===================================================================
-- count(*) needs no attributes: Select=COUNT transfers no items
-- ===================================================================
SELECT proxy_reset();
SELECT count(*) FROM paging_7;
SELECT * FROM proxy_requests('Scan');
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM paging_7;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM paging_7 WHERE n > 45;
SELECT label FROM paging_7 WHERE n > 45 ORDER BY n;

-- ===================================================================
-- segments: a Scan in parallel segments, every item once
-- ===================================================================
CREATE FOREIGN TABLE wide_seg (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', segments '4', page_size '500');
CREATE FOREIGN TABLE wide_one (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '500', prefetch 'false');
SELECT proxy_reset();
SELECT count(*), count(DISTINCT (pk, n)), sum(v::bigint) FROM wide_seg;
SELECT * FROM proxy_requests('Scan');
SELECT count(*), count(DISTINCT (pk, n)), sum(v::bigint) FROM wide_one;
EXPLAIN (VERBOSE, COSTS OFF) SELECT v FROM wide_seg;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT v FROM wide_seg;
-- count(*) in segments: no items
SELECT proxy_reset();
SELECT count(*) FROM wide_seg;
SELECT * FROM proxy_requests('Scan');
-- a LIMIT stops every segment
SELECT count(*) FROM (SELECT v FROM wide_seg WHERE v % 7 = 0 LIMIT 30) s;
-- a LIMIT DynamoDB is told of: one Scan, not a segment each asking for 30
SELECT proxy_reset();
SELECT count(v) FROM (SELECT v FROM wide_seg LIMIT 30) s;
SELECT * FROM proxy_requests('Scan');
EXPLAIN (COSTS OFF) SELECT v FROM wide_seg LIMIT 30;
-- a Query of several partitions reads them side by side: the same rows and
-- requests as one after another, with more than one request at a time
CREATE FOREIGN TABLE events_seq (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events', page_size '20');
CREATE FOREIGN TABLE events_par (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events', page_size '20', segments '3');
SELECT proxy_reset();
CREATE TEMP TABLE events_one_by_one AS
  SELECT * FROM events_seq WHERE device IN ('d01', 'd02', 'd03', 'd04', 'd05') AND ts > 100;
SELECT requests, items, proxy_peak() AS at_once FROM proxy_requests('Query');
SELECT proxy_reset();
CREATE TEMP TABLE events_side_by_side AS
  SELECT * FROM events_par WHERE device IN ('d01', 'd02', 'd03', 'd04', 'd05') AND ts > 100;
SELECT requests, items, proxy_peak() > 1 AS several_at_once FROM proxy_requests('Query');
SELECT count(*),
       (SELECT count(*) FROM ((TABLE events_one_by_one EXCEPT ALL TABLE events_side_by_side)
                              UNION ALL
                              (TABLE events_side_by_side EXCEPT ALL TABLE events_one_by_one)) d) AS differ
  FROM events_side_by_side;
EXPLAIN (COSTS OFF) SELECT * FROM events_par WHERE device IN ('d01', 'd02') AND ts > 100;
-- one partition stays one stream, and keeps the sort key's order
EXPLAIN (COSTS OFF) SELECT * FROM events_par WHERE device = 'd01';
EXPLAIN (COSTS OFF) SELECT * FROM events_par WHERE device = 'd01' ORDER BY ts DESC LIMIT 3;
SELECT ts FROM events_par WHERE device = 'd01' ORDER BY ts DESC LIMIT 3;
-- a LIMIT sent to DynamoDB: partitions one after another, as many items as asked
SELECT proxy_reset();
SELECT count(kind) FROM (SELECT kind FROM events_par WHERE device IN ('d01', 'd02', 'd03') LIMIT 25) s;
SELECT * FROM proxy_requests('Query');
-- the inner side of a nested loop: each rescan reads all segments again
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT w.x, count(s.v) FROM (VALUES (1), (2)) w(x),
       LATERAL (SELECT v FROM wide_seg WHERE n = w.x OFFSET 0) s GROUP BY w.x ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- an error with requests on their way leaves nothing behind
SELECT proxy_fail(1, 400, 'ValidationException');
SELECT count(*) FROM (SELECT v FROM wide_seg) s;
SELECT count(*), sum(v::bigint) FROM wide_seg;
-- a cursor closed half way, with the next pages on their way
BEGIN;
DECLARE c2 CURSOR FOR SELECT v FROM wide_seg;
MOVE 3 IN c2;
CLOSE c2;
COMMIT;
SELECT count(*) FROM wide_seg WHERE v % 1000 = 1;
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (segments '0');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (segments '65');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (prefetch 'maybe');

DROP SERVER dynamo CASCADE;
