--
-- empty_pages: only the absence of a LastEvaluatedKey ends paging; a page
-- that a filter emptied is followed by the next
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE paging_p5 (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', page_size '5');
CREATE FOREIGN TABLE paging_p5_seg (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', page_size '5', segments '3');
CREATE FOREIGN TABLE wide_p10 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '10');

-- ===================================================================
-- Scan: ten pages of five items, a filter that keeps two items
-- ===================================================================
SELECT proxy_reset();
SELECT pk FROM paging_p5 WHERE n IN (1, 50) ORDER BY pk;
-- every page asked for (the last one, past the 50th item, is empty)
SELECT requests >= 10 AS every_page, items FROM proxy_requests('Scan');
SELECT count(*) FROM paging_p5 WHERE n = 37;
SELECT count(*) FROM paging_p5 WHERE n > 1000;
-- segments side by side, each with pages emptied by the filter
SELECT pk FROM paging_p5_seg WHERE n IN (1, 25, 50) ORDER BY pk;

-- ===================================================================
-- Query: one partition of 100 items in pages of ten, in sort-key order;
-- the filter keeps n = 99 only, on the tenth page
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT n FROM wide_p10 WHERE pk = 'p007' AND v = 7099;
SELECT proxy_reset();
SELECT n FROM wide_p10 WHERE pk = 'p007' AND v = 7099;
SELECT * FROM proxy_requests('Query');
-- and for a list of partitions, each paged past its empty pages
SELECT pk, n FROM wide_p10 WHERE pk IN ('p007', 'p008', 'p009') AND v IN (7099, 8050, 9001)
 ORDER BY pk;
-- count(*) asks for counts only: pages that count nothing go on too
SELECT count(*) FROM wide_p10 WHERE pk = 'p007' AND v = 7099;

-- ===================================================================
-- dynomite_pages: the empty pages are rows of their own
-- ===================================================================
SELECT page_number, jsonb_array_length(items) AS n, count, scanned_count,
       next_token IS NOT NULL AS has_token
  FROM dynomite_pages('wide_p10', '{"pk": "p007", "v": 7099}');
SELECT count(*) >= 10 AS pages, sum(count) AS items, sum(scanned_count) AS scanned
  FROM dynomite_pages('paging_p5', '{"n": 50}');
-- dynomite_page gathers its items across empty pages
SELECT items, next_token IS NULL AS last FROM dynomite_page('wide_p10', NULL, 1, '{"pk": "p007", "v": 7099}');

DROP SERVER dynamo CASCADE;
