--
-- page_memory: a scan holds a page or two in memory however many it reads;
-- what it read before is let go
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc

-- Wide: 10,000 items, pages of 50 items (some 4 kB of text each), so 200
-- pages; a scan that kept them would hold megabytes
CREATE FOREIGN TABLE wide_p50 (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '50');
CREATE FOREIGN TABLE wide_p50_lazy (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '50', prefetch 'false');
CREATE FOREIGN TABLE wide_p50_seg (pk text, n integer, v integer)
  SERVER dynamo OPTIONS (table 'Wide', page_size '50', segments '4');
CREATE FOREIGN TABLE users (user_id text, name text, score integer)
  SERVER dynamo OPTIONS (table 'Users');

-- The rows of q, with the memory of the extension's own contexts (pages,
-- requests, batches, pager) sampled every "every" rows while they are read:
-- how many rows and samples, whether every sample saw the contexts, and
-- whether they stayed flat: the most they held is at most twice what they
-- held at the first sample (a scan that kept its pages would hold ten or
-- twenty times as much by its end).  With whole, every context of the
-- backend, flat when it grew by less than 2 MB from the first sample
-- (rows kept after they were returned would add some 60 kB a page of 50).
-- Samples start at row settle: a join with requests in flight fills its
-- ring of batches first.
CREATE FUNCTION scan_memory(q text, every int, whole boolean DEFAULT false,
                            settle int DEFAULT 0, OUT rows bigint, OUT samples int,
                            OUT seen boolean, OUT flat boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  b bigint;
  first bigint;
  most bigint := 0;
BEGIN
  rows := 0;
  samples := 0;
  seen := true;
  FOR r IN EXECUTE q LOOP
    rows := rows + 1;
    IF rows % every = 0 AND rows >= settle THEN
      SELECT coalesce(sum(total_bytes), 0) INTO b FROM pg_backend_memory_contexts
       WHERE whole OR name LIKE 'dynomite_fdw%';
      samples := samples + 1;
      first := coalesce(first, b);
      most := greatest(most, b);
      seen := seen AND b > 0;
    END IF;
  END LOOP;
  flat := CASE WHEN whole THEN most - first < 2 * 1024 * 1024 ELSE most <= 2 * first END;
  IF NOT flat THEN
    RAISE NOTICE 'the memory grew from % to % bytes', first, most;
  END IF;
END $$;

-- ===================================================================
-- Scan and Query
-- ===================================================================
-- pages read ahead, and one at a time
SELECT * FROM scan_memory('SELECT v FROM wide_p50', 500);
SELECT * FROM scan_memory('SELECT v FROM wide_p50_lazy', 500);
-- four segments side by side
SELECT * FROM scan_memory('SELECT v FROM wide_p50_seg', 500);
-- a Query of 20 partitions, one after another
SELECT * FROM scan_memory(
  'SELECT v FROM wide_p50 WHERE pk IN (SELECT ''p'' || lpad(g::text, 3, ''0'') FROM generate_series(1, 20) g)',
  100);
-- a cursor, read a few rows at a time
SELECT * FROM scan_memory('SELECT v FROM wide_p50 WHERE v % 10 = 3', 100);

-- ===================================================================
-- BatchGetItem: 1,000 keys in 10 requests; a join in batches of 100, of
-- which it holds as many as it keeps requests in flight (8): 5,000 outer
-- rows, measured from the 1,000th on (a join that kept its batches would
-- hold three times as much by its end)
-- ===================================================================
SELECT * FROM scan_memory(
  'SELECT name FROM users WHERE user_id = ANY (array(SELECT ''u'' || lpad(g::text, 4, ''0'') FROM generate_series(1, 1000) g))',
  50);
CREATE TEMP TABLE wanted AS
  SELECT 'u' || lpad((1 + g % 1000)::text, 4, '0') AS id, g FROM generate_series(1, 5000) g;
ANALYZE wanted;
-- the join in batches, whatever size the server says the table has
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT u.name FROM wanted w JOIN users u ON u.user_id = w.id;
SELECT * FROM scan_memory('SELECT u.name FROM wanted w JOIN users u ON u.user_id = w.id', 250,
                          settle => 1000);
RESET enable_hashjoin;
RESET enable_mergejoin;

-- ===================================================================
-- the pages functions: one page a row, the page before let go
-- ===================================================================
SELECT * FROM scan_memory('SELECT items FROM dynomite_pages(''wide_p50'')', 10);
SELECT * FROM scan_memory('SELECT (dynomite_pages(''wide_p50'')).page_number', 10);
-- in FROM, each row's values are let go with the row
SELECT rows, flat AS steady FROM scan_memory('SELECT page_number, count FROM dynomite_pages(''wide_p50'')', 10, whole => true);
SELECT rows, flat AS steady FROM scan_memory('SELECT * FROM dynomite_raw_pages(''wide_p50'')', 10, whole => true);
SELECT rows, flat AS steady FROM scan_memory('SELECT v FROM wide_p50', 500, whole => true);
SELECT rows, flat AS steady FROM scan_memory('SELECT u.name FROM wanted w JOIN users u ON u.user_id = w.id', 50, whole => true,
                                            settle => 1000);

DROP SERVER dynamo CASCADE;
