--
-- ANALYZE: the table's size and column statistics from one Scan
--
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE users (user_id text, name text, score integer, grp text,
                            item jsonb OPTIONS (meta 'item'),
                            page integer OPTIONS (meta 'page_number'))
  SERVER dynamo OPTIONS (table 'Users', page_size '300');
SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass;
-- DynamoDB (here dynalite) says nothing of the size: a big table is assumed
EXPLAIN SELECT user_id FROM users;

SELECT proxy_reset();
ANALYZE users;
SELECT * FROM proxy_requests('Scan');
SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass;
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE schemaname = 'public' AND tablename = 'users' ORDER BY attname;
EXPLAIN SELECT user_id FROM users;
EXPLAIN SELECT user_id FROM users WHERE score = 5;

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
