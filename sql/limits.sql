--
-- limits: a LIMIT sent to DynamoDB asks only for what is still needed, and
-- gives the rows a local LIMIT would; a Query's direction is its ORDER BY
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE wide (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide');
CREATE FOREIGN TABLE wide_p30 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '30');
CREATE FOREIGN TABLE wide_local (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', pushdown 'false');

-- ===================================================================
-- LIMIT: each request asks for the items still needed, no more
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT n FROM wide_p30 WHERE pk = 'p003' LIMIT 4;
SELECT proxy_reset();
SELECT n FROM wide_p30 WHERE pk = 'p003' LIMIT 4;
SELECT * FROM proxy_requests('Query');
-- more than a page: pages of 30, then the 15 still needed
SELECT proxy_reset();
SELECT count(*), sum(n) FROM (SELECT n FROM wide_p30 WHERE pk = 'p003' LIMIT 75) s;
SELECT * FROM proxy_requests('Query');
-- a Scan without a page size: one request for the items needed
SELECT proxy_reset();
SELECT count(v) FROM (SELECT v FROM wide LIMIT 12) s;
SELECT * FROM proxy_requests('Scan');

-- ===================================================================
-- LIMIT and OFFSET: the rows of the same query checked locally
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT n FROM wide_p30 WHERE pk = 'p003' LIMIT 5 OFFSET 40;
SELECT n FROM wide_p30 WHERE pk = 'p003' LIMIT 5 OFFSET 40;
SELECT proxy_reset();
SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n DESC LIMIT 3 OFFSET 2;
SELECT * FROM proxy_requests('Query');
SELECT (SELECT array_agg(n) FROM (SELECT n FROM wide_p30 WHERE pk = 'p004' LIMIT 7 OFFSET 61) a)
     = (SELECT array_agg(n) FROM (SELECT n FROM wide_local WHERE pk = 'p004' ORDER BY n
                                   LIMIT 7 OFFSET 61) b) AS same;

-- ===================================================================
-- a condition checked locally: no LIMIT is sent, and paging goes on
-- until enough rows passed
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT n FROM wide_p30 WHERE pk = 'p003' AND v % 4 = 0 LIMIT 10;
SELECT n FROM wide_p30 WHERE pk = 'p003' AND v % 4 = 0 LIMIT 10;
SELECT count(*) FROM (SELECT v FROM wide_p30 WHERE v % 1000 = 5 LIMIT 20) s;

-- ===================================================================
-- direction: ORDER BY the sort key is the Query's own order, either way
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n DESC LIMIT 3;
SELECT proxy_reset();
SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n DESC LIMIT 3;
SELECT * FROM proxy_requests('Query');
SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n LIMIT 3;
SELECT n FROM wide_p30 WHERE pk = 'p003' AND n < 50 ORDER BY n DESC LIMIT 3;
-- every row, backwards, across pages
SELECT array_agg(n) = array(SELECT generate_series(100, 1, -1)) AS backwards
  FROM (SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n DESC) s;
SELECT array_agg(n) = array(SELECT generate_series(1, 100)) AS forwards
  FROM (SELECT n FROM wide_p30 WHERE pk = 'p003' ORDER BY n) s;

DROP SERVER dynamo CASCADE;
