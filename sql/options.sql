--
-- options: the validator, defaults, and the credentials rule
--
CREATE EXTENSION dynomite_fdw;
\getenv endpoint DYNAMO_ENDPOINT
\getenv access_key DYNAMO_ACCESS_KEY_ID
\getenv secret_key DYNAMO_SECRET_ACCESS_KEY

-- ===================================================================
-- server options
-- ===================================================================
CREATE SERVER s_noregion FOREIGN DATA WRAPPER dynomite_fdw;
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region '');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us east 1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', bogus 'x');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', endpoint 'ftp://example');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', endpoint 'http://');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', endpoint 'http://127.0.0.1:8000/path');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', endpoint 'http://user@127.0.0.1:8000');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', connect_timeout '0');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', request_timeout 'soon');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', max_retries '-1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', max_retries '21');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', table 'Posts');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', secret_access_key 'hunter2');
CREATE SERVER dynamo FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint', connect_timeout '2.5',
           request_timeout '30', max_retries '2');
-- a required option cannot be dropped; a good value can be changed
ALTER SERVER dynamo OPTIONS (DROP region);
ALTER SERVER dynamo OPTIONS (SET max_retries 'many');
ALTER SERVER dynamo OPTIONS (SET max_retries '3');
-- a trailing slash on the endpoint is fine
CREATE SERVER s_slash FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'eu-west-1', endpoint 'https://dynamodb.eu-west-1.amazonaws.com/');
DROP SERVER s_slash;

-- ===================================================================
-- options of the wrapper itself: none
-- ===================================================================
ALTER FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1');

-- ===================================================================
-- user mapping options
-- ===================================================================
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (region 'us-east-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (access_key_id 'AKID');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (secret_access_key 'not shown');
-- an empty secret is refused without echoing anything
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo OPTIONS (access_key_id 'AKID', secret_access_key '');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo
  OPTIONS (access_key_id :'access_key', secret_access_key :'secret_key');

-- ===================================================================
-- foreign table and column options
-- ===================================================================
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (endpoint 'http://127.0.0.1:1');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (page_size '0');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (page_size 'ten');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (consistent_read 'perhaps');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (table '');
CREATE FOREIGN TABLE t_bad (id text OPTIONS (attr 'id')) SERVER dynamo;
CREATE FOREIGN TABLE t_bad (id text OPTIONS (attribute '')) SERVER dynamo;
CREATE FOREIGN TABLE t_bad (id text OPTIONS (page_size '1')) SERVER dynamo;
CREATE FOREIGN TABLE posts (
    id text,
    headline text OPTIONS (attribute 'title'),
    views bigint
) SERVER dynamo OPTIONS (table 'Posts', page_size '20', consistent_read 'true');
ALTER FOREIGN TABLE posts OPTIONS (SET page_size '-5');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (pushdown 'sometimes');
CREATE FOREIGN TABLE t_bad (id text) SERVER dynamo OPTIONS (index '');
CREATE FOREIGN TABLE t_bad (id text OPTIONS (meta 'everything')) SERVER dynamo;
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', fdw_startup_cost '-1');
CREATE SERVER s_bad FOREIGN DATA WRAPPER dynomite_fdw OPTIONS (region 'us-east-1', fdw_tuple_cost 'cheap');
CREATE FOREIGN TABLE posts_nopush (id text) SERVER dynamo OPTIONS (table 'Posts', pushdown 'false');

-- the options are used: another name, a column's attribute, consistent reads
SELECT id, headline, views FROM posts WHERE id IN ('post-1', 'post-2') ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, headline FROM posts;
-- the table option defaults to the foreign table's own name
CREATE FOREIGN TABLE "Posts" (id text) SERVER dynamo;
SELECT count(id) FROM "Posts";
DROP FOREIGN TABLE "Posts";

-- ===================================================================
-- credentials: non-superusers bring their own keys
-- ===================================================================
CREATE ROLE dynomite_user;
GRANT USAGE ON FOREIGN SERVER dynamo TO dynomite_user;
GRANT SELECT ON posts TO dynomite_user;
GRANT SELECT ON posts_nopush TO dynomite_user;
CREATE USER MAPPING FOR dynomite_user SERVER dynamo;
SET ROLE dynomite_user;
SELECT count(id) FROM posts;
-- planning asks DynamoDB for the key schema, so EXPLAIN needs keys too,
-- unless pushdown is off
EXPLAIN (COSTS OFF) SELECT id FROM posts;
EXPLAIN (COSTS OFF) SELECT id FROM posts_nopush;
RESET ROLE;
ALTER USER MAPPING FOR dynomite_user SERVER dynamo
  OPTIONS (ADD access_key_id :'access_key', ADD secret_access_key :'secret_key');
SET ROLE dynomite_user;
SELECT count(id) FROM posts;
RESET ROLE;
-- a superuser without keys falls back to the server's environment, where
-- the test suite put AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo
  OPTIONS (DROP access_key_id, DROP secret_access_key);
SELECT count(id) FROM posts;
-- but a non-superuser's mapping without keys never does
RESET ROLE;
ALTER USER MAPPING FOR dynomite_user SERVER dynamo
  OPTIONS (DROP access_key_id, DROP secret_access_key);
SET ROLE dynomite_user;
SELECT count(id) FROM posts;
RESET ROLE;

DROP USER MAPPING FOR dynomite_user SERVER dynamo;
REVOKE ALL ON posts FROM dynomite_user;
REVOKE ALL ON posts_nopush FROM dynomite_user;
REVOKE ALL ON FOREIGN SERVER dynamo FROM dynomite_user;
DROP ROLE dynomite_user;
DROP SERVER dynamo CASCADE;
