--
-- paging: every item exactly once, whatever the page size, one page at a time
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
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
\i sql/explain.inc
-- EXPLAIN ANALYZE of q, with the capacity DynamoDB reported shown as
-- positive (or zero) and kept in plan_capacity: how a page's items are
-- rounded into capacity units is each server's own arithmetic (dynalite
-- and DynamoDB Local differ by half a unit here)
CREATE TEMP TABLE plan_capacity (units numeric);
CREATE FUNCTION explain_capacity(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  units numeric;
BEGIN
  TRUNCATE plan_capacity;
  FOR line IN SELECT * FROM explain_analyze(q) LOOP
    units := substring(line FROM 'DynamoDB Capacity Units: ([0-9.]+)$')::numeric;
    IF units IS NOT NULL THEN
      INSERT INTO plan_capacity VALUES (units);
      line := regexp_replace(line, '[0-9.]+$', CASE WHEN units > 0 THEN 'positive' ELSE 'zero' END);
    END IF;
    RETURN NEXT line;
  END LOOP;
END $$;
SELECT * FROM explain_capacity('SELECT id FROM big_items');
-- the capacity is the sum of what the server said for each page
SELECT count(*) AS reported,
       sum(units) = (SELECT sum(consumed_capacity)::numeric FROM dynomite_pages('big_items'))
         AS sum_of_pages
  FROM plan_capacity;

-- ===================================================================
-- pages are fetched only as rows are needed
-- ===================================================================
-- The order a Scan returns items in is the server's own (dynalite and
-- DynamoDB Local hash the key differently), but every read of an unchanged
-- table returns them in the same order: paging with ExclusiveStartKey
-- depends on it.  Each item's position in one read of a single page says
-- which items a partial read returned.
CREATE TEMP TABLE scan_order AS
  SELECT row_number() OVER () AS pos, pk FROM paging_all;
SELECT count(*), count(DISTINCT pk), min(pos), max(pos) FROM scan_order;
-- pages of 7 read the items in that order
SELECT array_agg(pk) = (SELECT array_agg(pk ORDER BY pos) FROM scan_order) AS same_order
  FROM paging_7;
SELECT proxy_reset();
SELECT (SELECT pos FROM scan_order o WHERE o.pk = p.pk) AS pos FROM paging_7 p LIMIT 3;
SELECT * FROM proxy_requests('Scan');
SELECT proxy_reset();
SELECT (SELECT pos FROM scan_order o WHERE o.pk = p.pk) AS pos FROM paging_7 p LIMIT 8;
SELECT * FROM proxy_requests('Scan');

-- a cursor reads page by page: without read-ahead, the second page only
-- when the first is read (with it, from the second page on, one page ahead
-- is on its way, and when it is counted depends on timing)
CREATE FOREIGN TABLE paging_7_lazy (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '7', prefetch 'false');
SELECT proxy_reset();
BEGIN;
DECLARE c CURSOR FOR SELECT (SELECT pos FROM scan_order o WHERE o.pk = p.pk) AS pos
  FROM paging_7_lazy p;
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
SELECT * FROM explain_analyze('SELECT v FROM wide_seg');
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
-- the first requests are held at the proxy, so that streams started together
-- overlap there whatever the machine's speed, and one at a time never does
CREATE FUNCTION proxy_hold(n int, ms int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY proxy_out FROM PROGRAM %L',
    format('curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__hold?count=%s&ms=%s"',
           n, ms));
END $$;
SELECT proxy_hold(3, 300);
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
