--
-- budget: the full-scan guard, the statistics of each foreign table, the
-- read budget that paces requests and the cap on a statement's capacity
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc
\i sql/explain.inc

CREATE FOREIGN TABLE b_events (device text, ts integer, kind text, status text, amount numeric)
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE b_users (user_id text, name text, grp text)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE b_paging (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', page_size '5');
CREATE FOREIGN TABLE b_paging_off (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', pushdown 'false');

-- q's error, if any: SQLSTATE, message, detail and hint; 'ok' and the rows
-- it returned otherwise (every row read: a count of a subquery would not
-- run an aggregate in it)
CREATE FUNCTION outcome(q text, OUT state text, OUT message text, OUT detail text,
                        OUT hint text)
LANGUAGE plpgsql AS $$
DECLARE
  n bigint := 0;
  r record;
BEGIN
  FOR r IN EXECUTE q LOOP
    n := n + 1;
  END LOOP;
  state := 'ok';
  message := n || ' rows';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END $$;

-- EXPLAIN of q with its numbers of capacity masked: DynamoDB Local reports a
-- table's size, dynalite 0
CREATE FUNCTION explain_masked(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'Capacity Estimate: [0-9]+\.[0-9] units',
                               'Capacity Estimate: N units');
  END LOOP;
END $$;

-- plan once: the tables' descriptions are cached from now on
SELECT count(*) FROM b_events WHERE device = 'd01';
SELECT count(*) FROM b_users WHERE user_id = 'u0001';
SELECT count(*) FROM b_paging WHERE pk = 'item-001';

-- ===================================================================
-- the full-scan guard: the setting
-- ===================================================================
SET dynomite_fdw.allow_full_scan = off;
-- EXPLAIN shows the plan, and that running it is refused
SELECT * FROM explain_masked('SELECT * FROM b_events');
SELECT * FROM outcome('SELECT * FROM b_events');
-- the hint names what makes it a Query or GetItem; those run
SELECT * FROM outcome('SELECT * FROM b_events WHERE device = ''d01''');
SELECT * FROM outcome('SELECT * FROM b_events WHERE device IN (''d01'', ''d02'')');
SELECT * FROM outcome('SELECT * FROM b_events WHERE device = ''d01'' AND ts = 10');
SELECT * FROM outcome('SELECT ts, amount FROM b_events WHERE status = ''open''');
SELECT * FROM outcome('SELECT * FROM b_users');
SELECT * FROM outcome('SELECT * FROM b_users WHERE user_id = ''u0001''');
SELECT * FROM outcome('SELECT * FROM b_users WHERE grp = ''g1''');
-- a LIMIT does not make a Scan allowed: DynamoDB still Scans
SELECT * FROM outcome('SELECT * FROM b_users LIMIT 1');
SELECT * FROM outcome('SELECT count(*) FROM b_users');
-- a filter alone leaves a Scan
SELECT * FROM outcome('SELECT * FROM b_users WHERE name = ''user 1''');
-- with pushdown off every read is a Scan
SELECT * FROM outcome('SELECT * FROM b_paging_off WHERE pk = ''item-001''');
-- the paging functions are guarded too
SELECT * FROM outcome('SELECT * FROM dynomite_pages(''b_users'')');
SELECT * FROM outcome('SELECT * FROM dynomite_pages(''b_users'', ''{"grp": "g2"}'')');
-- no request at all is no Scan
SELECT * FROM outcome('SELECT * FROM b_users WHERE user_id = ''''');
-- a prepared statement follows the setting of the moment it runs
PREPARE scan_users AS SELECT count(*) FROM b_users;
SELECT * FROM outcome('EXECUTE scan_users');
RESET dynomite_fdw.allow_full_scan;
EXECUTE scan_users;
DEALLOCATE scan_users;
-- without a guard, EXPLAIN shows nothing of it
SELECT * FROM explain_masked('SELECT * FROM b_users');

-- ===================================================================
-- the full-scan guard: the options of the table and the server
-- ===================================================================
ALTER FOREIGN TABLE b_users OPTIONS (ADD allow_full_scan 'false');
SELECT * FROM outcome('SELECT * FROM b_users');
SELECT * FROM outcome('SELECT * FROM b_users WHERE user_id = ''u0002''');
-- the table's option overrides the server's
ALTER SERVER dynamo OPTIONS (ADD allow_full_scan 'false');
ALTER FOREIGN TABLE b_users OPTIONS (SET allow_full_scan 'true');
SELECT * FROM outcome('SELECT * FROM b_users');
SELECT * FROM outcome('SELECT * FROM b_paging');
ALTER FOREIGN TABLE b_users OPTIONS (DROP allow_full_scan);
SELECT * FROM outcome('SELECT * FROM b_users');
ALTER SERVER dynamo OPTIONS (DROP allow_full_scan);
SELECT * FROM outcome('SELECT * FROM b_users');
-- values the options take
ALTER FOREIGN TABLE b_users OPTIONS (ADD allow_full_scan 'maybe');
ALTER FOREIGN TABLE b_users OPTIONS (ADD read_capacity_per_second '0');
ALTER FOREIGN TABLE b_users OPTIONS (ADD read_capacity_per_second 'fast');
ALTER SERVER dynamo OPTIONS (ADD read_capacity_per_second '-1');
CREATE USER MAPPING FOR PUBLIC SERVER dynamo OPTIONS (read_capacity_per_second '5');

-- ===================================================================
-- statistics
-- ===================================================================
SELECT extversion FROM pg_extension WHERE extname = 'dynomite_fdw';
SELECT source, target FROM pg_extension_update_paths('dynomite_fdw')
  WHERE source = '0.1' AND target = '0.2';
SELECT dynomite_stat_reset();
SELECT count(*) FROM dynomite_stat_tables;
SELECT count(*) FROM b_events WHERE device = 'd01';
SELECT count(*) FROM b_events WHERE device IN ('d01', 'd02');
SELECT name FROM b_users WHERE user_id = 'u0003';
SELECT count(*) FROM b_users WHERE user_id IN ('u0001', 'u0002', 'u0003');
SELECT count(*) FROM b_paging;
-- a throttled request, retried
SELECT proxy_fail(1, 400, 'ProvisionedThroughputExceededException');
SELECT count(*) FROM b_paging WHERE pk = 'item-002';
-- an error
SELECT proxy_fail(1, 400, 'ValidationException');
SELECT * FROM outcome('SELECT * FROM b_paging WHERE pk = ''item-003''');
SELECT foreign_table, scan_requests, query_requests, getitem_requests, batchgetitem_requests,
       write_requests, items_read, throttles, retries, errors, budget_waits
  FROM dynomite_stat_tables ORDER BY foreign_table::text;
-- consumed capacity is asked for with a budget or a cap, or under EXPLAIN ANALYZE
SELECT capacity_units FROM dynomite_stat_tables WHERE foreign_table = 'b_paging'::regclass;
-- one table's, then all
SELECT dynomite_stat_reset('b_paging');
SELECT foreign_table FROM dynomite_stat_tables ORDER BY foreign_table::text;
SELECT dynomite_stat_reset();
SELECT count(*) FROM dynomite_stat_tables;

-- ===================================================================
-- the read budget: requests paced so that capacity stays under it
-- ===================================================================
ALTER FOREIGN TABLE b_paging OPTIONS (ADD read_capacity_per_second '4');
SELECT * FROM explain_masked('SELECT * FROM b_paging');
-- pages of 5 items, each a Scan DynamoDB charges at least half a unit:
-- each request waits until the capacity of those before is paid for
CREATE TEMP TABLE timing AS SELECT clock_timestamp() AS began;
SELECT count(*) FROM b_paging;
SELECT scan_requests, items_read, capacity_units > 0 AS consumed, budget_waits > 0 AS waited,
       throttles, errors
  FROM dynomite_stat_tables WHERE foreign_table = 'b_paging'::regclass;
-- at least the time the budget gives the capacity of every page but the last
SELECT extract(epoch FROM clock_timestamp() - t.began) * 1000 >=
       (s.capacity_units - s.capacity_units / s.scan_requests) / 4 * 1000 - 20 AS paced,
       s.budget_wait_ms > 0 AS waited
  FROM timing t, dynomite_stat_tables s WHERE s.foreign_table = 'b_paging'::regclass;
-- the proxy saw each request (11: ten pages of five and the empty last one)
SELECT proxy_reset();
SELECT count(*) FROM b_paging;
SELECT * FROM proxy_requests('Scan');
-- the paging functions' requests (sent one at a time) are paced too
SELECT dynomite_stat_reset('b_paging');
SELECT count(*) FROM dynomite_pages('b_paging');
SELECT scan_requests, budget_waits > 0 AS waited
  FROM dynomite_stat_tables WHERE foreign_table = 'b_paging'::regclass;
-- EXPLAIN ANALYZE: the budget, capacity and throttles of the scan
SELECT regexp_replace(line, '[0-9]+\.[0-9] units', 'N units')
  FROM explain_analyze('SELECT * FROM b_paging') AS line
  WHERE line ~ 'Budget|Throttles|Requests|Estimate';
SELECT line ~ 'Capacity Units: [1-9]' AS capacity_shown
  FROM explain_analyze('SELECT * FROM b_paging') AS line WHERE line ~ 'Capacity Units';
-- a budget of the server's, taken by every table of it without one
ALTER FOREIGN TABLE b_paging OPTIONS (DROP read_capacity_per_second);
ALTER SERVER dynamo OPTIONS (ADD read_capacity_per_second '1000');
SELECT line FROM explain_analyze('SELECT * FROM b_users WHERE user_id = ''u0001''') AS line
  WHERE line ~ 'Budget';
ALTER SERVER dynamo OPTIONS (DROP read_capacity_per_second);
-- a wait for the budget ends at a cancel or statement_timeout
ALTER FOREIGN TABLE b_paging OPTIONS (ADD read_capacity_per_second '0.05');
SELECT count(*) FROM b_paging WHERE pk = 'item-004';
TRUNCATE timing;
INSERT INTO timing VALUES (clock_timestamp());
SET statement_timeout = '500ms';
SELECT count(*) FROM b_paging WHERE pk = 'item-005';
RESET statement_timeout;
SELECT extract(epoch FROM clock_timestamp() - began) < 3 AS stopped_soon FROM timing;
ALTER FOREIGN TABLE b_paging OPTIONS (DROP read_capacity_per_second);

-- ===================================================================
-- the cap on a statement's capacity
-- ===================================================================
SET dynomite_fdw.max_read_capacity_per_query = 2;
SELECT * FROM explain_masked('SELECT * FROM b_paging');
SELECT state, message, hint FROM outcome('SELECT * FROM b_paging');
-- one within the cap runs
SELECT * FROM outcome('SELECT * FROM b_paging WHERE pk = ''item-006''');
SELECT * FROM outcome('SELECT * FROM b_paging LIMIT 5');
-- each statement has its own
SELECT * FROM outcome('SELECT * FROM b_paging LIMIT 5');
RESET dynomite_fdw.max_read_capacity_per_query;
SELECT * FROM outcome('SELECT * FROM b_paging');

DROP FUNCTION outcome(text);
DROP FUNCTION explain_masked(text);
DROP SERVER dynamo CASCADE;
