--
-- requests: one path from SQL conditions to DynamoDB requests for scans,
-- joins and the paging functions, and no request DynamoDB rejects.  Where
-- nothing can match, nothing is sent: the proxy's counts show it.
--
-- (whether the extension is there already depends on the suites before)
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;
\i sql/proxy.inc
\i sql/explain.inc

\i sql/compare.inc

-- the SQLSTATE and message of a statement's error
CREATE FUNCTION error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE FOREIGN TABLE users (user_id text, name text, score integer, grp text)
  SERVER dynamo OPTIONS (table 'Users');
CREATE FOREIGN TABLE users_nopush (user_id text, name text, score integer, grp text)
  SERVER dynamo OPTIONS (table 'Users', pushdown 'false');
CREATE FOREIGN TABLE events (device text, ts bigint, kind text, status text,
                             amount numeric, note text)
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_n (device text, ts numeric, kind text)
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_n_nopush (device text, ts numeric, kind text)
  SERVER dynamo OPTIONS (table 'Events', pushdown 'false');
CREATE FOREIGN TABLE wide (pk text, n numeric, v integer)
  SERVER dynamo OPTIONS (table 'Wide');
CREATE FOREIGN TABLE nums (k numeric, v text)
  SERVER dynamo OPTIONS (table 'ReqNumbers');
CREATE FOREIGN TABLE nums_nopush (k numeric, v text)
  SERVER dynamo OPTIONS (table 'ReqNumbers', pushdown 'false');
CREATE FOREIGN TABLE blobs (b bytea, v text)
  SERVER dynamo OPTIONS (table 'ReqBinary');
CREATE FOREIGN TABLE posts (id text, title text)
  SERVER dynamo OPTIONS (table 'Posts', page_size '5');
SELECT proxy_reset();

-- ===================================================================
-- empty key values match nothing and are never sent
-- ===================================================================
SELECT * FROM users WHERE user_id = '';
SELECT sent();
SELECT user_id FROM users WHERE user_id IN ('', 'u0001', 'u0002') ORDER BY 1;
SELECT sent();
SELECT user_id FROM users WHERE user_id = ANY (ARRAY['', NULL]);
SELECT sent();
SELECT ts FROM events WHERE device = '';
SELECT sent();
SELECT device, ts FROM events WHERE device IN ('', 'd02') AND ts < 30 ORDER BY 1, 2;
SELECT sent();
SELECT v FROM blobs WHERE b = ''::bytea;
SELECT sent();
SELECT v FROM blobs WHERE b IN (''::bytea, '\x01'::bytea, '\x0102'::bytea) ORDER BY 1;
SELECT sent();
-- a global index's key is never empty either
SELECT user_id FROM users WHERE grp = '';
SELECT sent();
-- a string sort key (by_grp: grp, user_id): nothing is below '', all above
SELECT user_id FROM users WHERE grp = 'g1' AND user_id < '';
SELECT sent();
SELECT user_id FROM users WHERE grp = 'g1' AND user_id <= '';
SELECT sent();
SELECT count(*) FROM users WHERE grp = 'g1' AND user_id >= '';
SELECT sent();
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM users WHERE user_id = '';
-- and with parameters, under a generic plan
SET plan_cache_mode = force_generic_plan;
PREPARE get_user(text) AS SELECT name FROM users WHERE user_id = $1;
EXECUTE get_user('');
EXECUTE get_user('u0003');
SELECT sent();
PREPARE get_users(text[]) AS SELECT name FROM users WHERE user_id = ANY ($1) ORDER BY 1;
EXECUTE get_users(ARRAY['', 'u0004']);
EXECUTE get_users(ARRAY['']);
SELECT sent();
RESET plan_cache_mode;

-- ===================================================================
-- sort-key ranges with nothing in them send nothing
-- ===================================================================
SELECT ts FROM events WHERE device = 'd01' AND ts BETWEEN 100 AND 50;
SELECT sent();
SELECT ts FROM events WHERE device = 'd01' AND ts > 100 AND ts < 100;
SELECT ts FROM events WHERE device = 'd01' AND ts >= 100 AND ts < 100;
SELECT ts FROM events WHERE device = 'd01' AND ts > 100 AND ts <= 100;
SELECT sent();
SELECT ts FROM events WHERE device = 'd01' AND ts >= 100 AND ts <= 100;
SELECT ts FROM events WHERE device = 'd01' AND ts > 100 AND ts < 111 ORDER BY 1;
SELECT sent();
SELECT user_id FROM users WHERE grp = 'g1' AND user_id BETWEEN 'u0900' AND 'u0100';
SELECT sent();
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd01' AND ts BETWEEN 100 AND 50;
SET plan_cache_mode = force_generic_plan;
PREPARE range(text, bigint, bigint) AS
  SELECT ts FROM events WHERE device = $1 AND ts BETWEEN $2 AND $3 ORDER BY ts;
EXPLAIN (COSTS OFF) EXECUTE range('d01', 100, 50);
SELECT * FROM explain_analyze($$EXECUTE range('d01', 100, 50)$$);
EXECUTE range('d01', 100, 50);
EXECUTE range('d01', 100, 100);
SELECT sent();
EXECUTE range('d01', 50, 70);
SELECT sent();
PREPARE srange(text, text, text) AS
  SELECT user_id FROM users WHERE grp = $1 AND user_id > $2 AND user_id < $3 ORDER BY 1;
EXECUTE srange('g1', 'u0900', 'u0100');
EXECUTE srange('g1', 'u0100', 'u0100');
EXECUTE srange('g1', 'u0100', '');
SELECT sent();
EXECUTE srange('g1', '', 'u0021');
SELECT sent();
RESET plan_cache_mode;

-- ===================================================================
-- numbers DynamoDB cannot hold: an equality matches nothing, a range
-- bound is clamped to the nearest number it holds, or dropped
-- ===================================================================
SELECT v FROM nums WHERE k = 1e200;
SELECT v FROM nums WHERE k = 1.000000000000000000000000000000000000001;
SELECT v FROM nums WHERE k = -1e-200;
SELECT sent();
SELECT v FROM nums WHERE k IN (1e200, 2, 3.0000000000000000000000000000000000000000001) ORDER BY 1;
SELECT sent();
SELECT n FROM wide WHERE pk = 'p001' AND n = 1e126;
SELECT sent();
-- bounds beyond the range: everything or nothing
SELECT count(*) FROM wide WHERE pk = 'p001' AND n < 1e200;
SELECT count(*) FROM wide WHERE pk = 'p001' AND n > -1e200;
SELECT sent();
SELECT count(*) FROM wide WHERE pk = 'p001' AND n > 1e200;
SELECT count(*) FROM wide WHERE pk = 'p001' AND n < -1e126;
SELECT count(*) FROM wide WHERE pk = 'p001' AND n BETWEEN 5 AND -1e200;
SELECT sent();
-- bounds below the least magnitude, and with more than 38 digits
SELECT count(*) FROM wide WHERE pk = 'p001' AND n > 1e-200;
SELECT count(*) FROM wide WHERE pk = 'p001' AND n < 1e-200;
SELECT n FROM wide WHERE pk = 'p001' AND n > 99.000000000000000000000000000000000000000001 ORDER BY 1;
SELECT n FROM wide WHERE pk = 'p001' AND n <= 1.99999999999999999999999999999999999999999 ORDER BY 1;
SELECT n FROM wide WHERE pk = 'p001'
   AND n BETWEEN 3.0000000000000000000000000000000000000000001 AND 5.99999999999999999999999999999999999999999 ORDER BY 1;
SELECT count(*) FROM wide WHERE pk = 'p001' AND n > 9.99999999999999999999999999999999999999999e125;
SELECT sent();
-- NaN is above every number in PostgreSQL
SELECT count(*) FROM events_n WHERE device = 'd01' AND ts < 'NaN';
SELECT count(*) FROM events_n WHERE device = 'd01' AND ts > 'NaN';
SELECT count(*) FROM events_n WHERE device = 'd01' AND ts = 'NaN';
SELECT sent();
-- the same rows as without pushdown
SELECT q, same_rows_of(q, 'events_n', 'events_n_nopush') FROM (VALUES
  ('SELECT * FROM %s WHERE device = ''d02'' AND ts < 1e200'),
  ('SELECT * FROM %s WHERE device = ''d02'' AND ts > 1e-200 AND ts <= 30.000000000000000000000000000000000000000001'),
  ('SELECT * FROM %s WHERE device = ''d02'' AND ts >= -1e-200 AND ts < 20.0000000000000000000000000000000000000000001'),
  ('SELECT * FROM %s WHERE device = ''d02'' AND ts > 489.99999999999999999999999999999999999999999'),
  ('SELECT * FROM %s WHERE device IN (''d02'', ''d03'') AND ts > ''-Infinity'' AND ts < ''Infinity'''),
  ('SELECT * FROM %s WHERE ts = 1e200 OR ts = 10.00000000000000000000000000000000000000001')
) t(q);
SELECT proxy_reset();
-- and with parameters, under a generic plan
SET plan_cache_mode = force_generic_plan;
PREPARE above(numeric) AS SELECT count(*) FROM wide WHERE pk = 'p001' AND n > $1;
EXECUTE above(1e200);
EXECUTE above('NaN');
SELECT sent();
EXECUTE above(-1e200);
EXECUTE above(99.0000000000000000000000000000000000000000001);
SELECT sent();
PREPARE key(numeric) AS SELECT v FROM nums WHERE k = $1;
EXECUTE key(1e-131);
EXECUTE key(12345678901234567890123456789012345678901);
SELECT sent();
RESET plan_cache_mode;
-- a filter value DynamoDB cannot hold stays with PostgreSQL
SELECT same_rows_of('SELECT * FROM %s WHERE ts > 480 AND kind <> ''x'' AND ts::numeric < 1e200',
                 'events_n', 'events_n_nopush');
SELECT proxy_reset();
SELECT count(*) FROM events WHERE amount < 1e200 AND device = 'd01';
SELECT sent();

-- ===================================================================
-- keys by value, not spelling: 1 and 1.0 are one key
-- ===================================================================
SELECT k, v FROM nums WHERE k IN (1, 1.0, 1.00, 2, 2e0) ORDER BY 1;
SELECT sent();
EXPLAIN (VERBOSE, COSTS OFF) SELECT v FROM nums WHERE k IN (1, 1.0, 1.00);
SELECT same_rows_of('SELECT * FROM %s WHERE k IN (1, 1.0, 10.000, 1e1, 20)', 'nums', 'nums_nopush');
SELECT proxy_reset();
-- in a batched join, outer rows keyed 1 and 1.0 share one key
CREATE TEMP TABLE num_keys AS SELECT x::numeric AS x FROM unnest(ARRAY['1', '1.0', '3', '3.00', '', '1e200']) u(t),
  LATERAL (SELECT nullif(t, '')) n(x);
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_nestloop = off;
SELECT n.x, s.v FROM num_keys n LEFT JOIN nums s ON s.k = n.x ORDER BY 1, 2;
SELECT sent();
RESET enable_nestloop;
RESET enable_mergejoin;
RESET enable_hashjoin;

-- ===================================================================
-- the batched join: any target list, empty keys, local conditions in
-- EXPLAIN
-- ===================================================================
CREATE TEMP TABLE w AS
  SELECT 'u' || lpad(g::text, 4, '0') AS id, g FROM generate_series(1, 250) g
  UNION ALL SELECT '', 0 UNION ALL SELECT NULL, -1;
ANALYZE w;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_nestloop = off;
-- the output columns are exactly the scan tuple: no projection
EXPLAIN (COSTS OFF) SELECT w.id, u.user_id FROM w JOIN users u ON u.user_id = w.id;
SELECT count(*), count(DISTINCT user_id), min(id), max(user_id)
  FROM (SELECT w.id, u.user_id FROM w JOIN users u ON u.user_id = w.id) s;
SELECT w.id, u.user_id FROM w JOIN users u ON u.user_id = w.id ORDER BY 1 LIMIT 3;
SELECT u.user_id, w.id FROM w JOIN users u ON u.user_id = w.id ORDER BY 1 LIMIT 2;
SELECT w.*, u.* FROM w LEFT JOIN users u ON u.user_id = w.id ORDER BY w.g LIMIT 3;
SELECT sent();
-- conditions checked for each pair are shown
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.g, u.name FROM w JOIN users u ON u.user_id = w.id AND u.score > w.g % 50
 WHERE u.grp <> 'g3';
EXPLAIN (COSTS OFF)
SELECT w.g, u.name FROM w LEFT JOIN users u ON u.user_id = w.id AND u.score > 3;
SELECT q, same_rows_of(q, 'users', 'users_nopush') FROM (VALUES
  ('SELECT w.id, u.user_id FROM w JOIN %s u ON u.user_id = w.id'),
  ('SELECT w.g, u.name FROM w JOIN %s u ON u.user_id = w.id AND u.score > w.g %% 50 WHERE u.grp <> ''g3'''),
  ('SELECT w.g, u.name FROM w LEFT JOIN %s u ON u.user_id = w.id AND u.score > 3'),
  ('SELECT w.g, u.user_id FROM w LEFT JOIN %s u ON u.user_id = w.id WHERE u.user_id IS NULL')
) t(q);
SELECT proxy_reset();
-- a key of two attributes, one a constant of the inner side
EXPLAIN (COSTS OFF)
SELECT d.device, e.kind FROM (VALUES ('d01'), (''), ('d02')) d(device)
  JOIN events e ON e.device = d.device AND e.ts = 20;
SELECT d.device, e.kind FROM (VALUES ('d01'), (''), ('d02')) d(device)
  JOIN events e ON e.device = d.device AND e.ts = 20 ORDER BY 1;
SELECT sent();
RESET enable_nestloop;
RESET enable_mergejoin;
RESET enable_hashjoin;

-- ===================================================================
-- an index's projection against the columns a query needs
-- ===================================================================
-- by_day projects its keys (day, seq) and the table's (cust, seq) only
CREATE FOREIGN TABLE orders_by_day (day text, seq integer, cust text, total integer)
  SERVER dynamo OPTIONS (table 'ReqOrders', index 'by_day');
-- by_state projects total besides its key and the table's
CREATE FOREIGN TABLE orders_by_state (state text, cust text, seq integer, total integer,
                                      note text)
  SERVER dynamo OPTIONS (table 'ReqOrders', index 'by_state');
CREATE FOREIGN TABLE orders (cust text, seq integer, day text, state text, total integer,
                             note text)
  SERVER dynamo OPTIONS (table 'ReqOrders');
SELECT q, error_of(q) FROM (VALUES
  ('SELECT * FROM orders_by_day WHERE day = ''2024-03-01'''),
  ('SELECT total FROM orders_by_day'),
  ('SELECT cust FROM orders_by_day WHERE total > 0'),
  ('SELECT o FROM orders_by_state o'),
  ('SELECT note FROM orders_by_state WHERE state = ''paid'''),
  ('SELECT count(*) FROM orders_by_state WHERE note IS NULL')
) t(q);
SELECT sent();
SELECT * FROM orders_by_state WHERE state = 'paid' AND cust = 'c9';
-- what the index holds is read from it
SELECT day, count(*), min(cust), max(seq) FROM orders_by_day
 WHERE day = '2024-03-02' GROUP BY day;
SELECT count(*), sum(total) FROM orders_by_state WHERE state = 'paid';
SELECT count(*) FROM orders_by_day;
SELECT sent();
-- without the option, an index that lacks a column is passed over
EXPLAIN (COSTS OFF) SELECT cust, seq FROM orders WHERE day = '2024-03-01';
EXPLAIN (COSTS OFF) SELECT cust, total FROM orders WHERE day = '2024-03-01';
EXPLAIN (COSTS OFF) SELECT cust, total FROM orders WHERE state = 'open';
EXPLAIN (COSTS OFF) SELECT * FROM orders WHERE state = 'open';
SELECT count(*), sum(total), count(note) FROM orders WHERE state = 'open';
SELECT count(*), min(cust) FROM orders WHERE day = '2024-03-03';
-- the paging functions take items as the index holds them
SELECT page_number, jsonb_array_length(items), (SELECT array_agg(DISTINCT k ORDER BY k)
  FROM jsonb_array_elements(items) i, jsonb_object_keys(i) k) AS attributes
  FROM dynomite_pages('orders_by_day', '{"day": "2024-03-01"}');
SELECT sent();

-- ===================================================================
-- the paging functions: the same rules
-- ===================================================================
SELECT * FROM dynomite_pages('users', '{"user_id": ""}');
SELECT * FROM dynomite_raw_pages('users', '{"grp": ""}');
SELECT * FROM dynomite_page('users', NULL, 3, '{"user_id": ""}');
SELECT * FROM dynomite_page('users', NULL, 3, '{"grp": "", "score": 3}');
SELECT * FROM dynomite_pages('users', '{"score": 1e200}');
SELECT * FROM dynomite_page('orders', NULL, 3, '{"cust": "c1", "seq": 1e-200}');
SELECT sent();
SELECT jsonb_array_length(items) FROM dynomite_pages('nums', '{"k": 1.0}');
SELECT jsonb_array_length(items), next_token IS NULL FROM dynomite_page('orders', NULL, 3, '{"cust": "c2", "seq": 4.00}');
SELECT sent();
-- a value of the wrong type for a key attribute is an error, as
-- comparing a text column with a number is
SELECT q, error_of(q) FROM (VALUES
  ('SELECT * FROM dynomite_pages(''users'', ''{"user_id": 7}'')'),
  ('SELECT * FROM dynomite_page(''users'', NULL, 3, ''{"grp": true}'')'),
  ('SELECT * FROM dynomite_page(''nums'', NULL, 3, ''{"k": "1"}'')'),
  ('SELECT * FROM dynomite_page(''orders'', NULL, 3, ''{"cust": "c1", "seq": "1"}'')')
) t(q);
SELECT * FROM dynomite_pages('users', '{"user_id": 7}');
-- another attribute of another type matches nothing
SELECT jsonb_array_length(items), next_token FROM dynomite_page('nums', NULL, 25, '{"v": 5}');
-- start_at keys DynamoDB could not take are refused
SELECT q, error_of(q) FROM (VALUES
  ('SELECT * FROM dynomite_pages(''users'', start_at => ''{"user_id": ""}'')'),
  ('SELECT * FROM dynomite_pages(''nums'', start_at => ''{"k": 1e200}'')'),
  ('SELECT * FROM dynomite_pages(''nums'', start_at => ''{"k": 1.00000000000000000000000000000000000000001}'')')
) t(q);
SELECT sent();
-- a key attribute in a filter a Query cannot carry: a Scan whose filter can
SELECT page_number, count FROM dynomite_pages('orders_by_state', '{"state": "paid", "cust": "c3"}',
                                              page_size => 100);
SELECT sent();

-- ===================================================================
-- lazy paging functions from the first statement of a session
-- ===================================================================
SELECT proxy_reset();
\c
SELECT page_number, jsonb_array_length(items) FROM dynomite_pages('posts') LIMIT 1;
\set ECHO none
\i sql/proxy.inc
\set ECHO all
SELECT * FROM proxy_requests('Scan');
SELECT proxy_reset();
\c
SELECT page_number FROM dynomite_raw_pages('posts') LIMIT 2;
\set ECHO none
\i sql/proxy.inc
\set ECHO all
SELECT * FROM proxy_requests('Scan');
SELECT proxy_reset();
\c
EXPLAIN (COSTS OFF) SELECT * FROM dynomite_pages('posts') LIMIT 1;

DROP SERVER dynamo CASCADE;
