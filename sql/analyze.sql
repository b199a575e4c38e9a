--
-- ANALYZE: the table's size and column statistics from one Scan
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE users (user_id text, name text, score integer, grp text,
                            item jsonb OPTIONS (meta 'item'),
                            page integer OPTIONS (meta 'page_number'))
  SERVER dynamo OPTIONS (table 'Users', page_size '300');
SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass;
-- The planner takes DynamoDB's ItemCount where it is more than 0, and
-- servers differ: real DynamoDB says 0 for hours after a table is made (as
-- dynalite does), DynamoDB Local says the true count.  With pushdown off the
-- extension asks DynamoDB nothing before the scan, so on every server
-- nothing but ANALYZE tells it this table's size.
CREATE FOREIGN TABLE users_unsized (user_id text, name text, score integer, grp text)
  SERVER dynamo OPTIONS (table 'Users', pushdown 'false');
-- nothing says the size: a big table is assumed, and DynamoDB is not asked
SELECT proxy_reset();
EXPLAIN SELECT user_id FROM users_unsized;
SELECT * FROM proxy_requests('DescribeTable');

SELECT proxy_reset();
ANALYZE users;
SELECT * FROM proxy_requests('Scan');
SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass;
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE schemaname = 'public' AND tablename = 'users' ORDER BY attname;
-- 1000 rows: ANALYZE's count, or DynamoDB's ItemCount where the server
-- reports one (DynamoDB Local does, exactly)
EXPLAIN SELECT user_id FROM users;
EXPLAIN SELECT user_id FROM users WHERE score = 5;
-- where DynamoDB says nothing, the size is ANALYZE's alone
SELECT proxy_reset();
ANALYZE users_unsized;
SELECT * FROM proxy_requests('Scan');
SELECT reltuples FROM pg_class WHERE oid = 'users_unsized'::regclass;
EXPLAIN SELECT user_id FROM users_unsized;
EXPLAIN SELECT user_id FROM users_unsized WHERE score = 5;

-- with pushdown off, and with types that need the parsed item
CREATE FOREIGN TABLE types (id text, m jsonb, ss text[], n_dec numeric)
  SERVER dynamo OPTIONS (table 'Types', pushdown 'false');
ANALYZE types;
SELECT reltuples FROM pg_class WHERE oid = 'types'::regclass;
SELECT attname, null_frac FROM pg_stats
 WHERE schemaname = 'public' AND tablename = 'types' ORDER BY attname;

-- a value that cannot be converted stops ANALYZE with the usual context
CREATE FOREIGN TABLE types_bad (id text, s integer) SERVER dynamo OPTIONS (table 'Types');
ANALYZE types_bad;

DROP SERVER dynamo CASCADE;
