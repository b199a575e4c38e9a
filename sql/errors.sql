--
-- errors: DynamoDB and network failures become clear PostgreSQL errors
--
-- (whether a suite before this one made the extension already is no
-- matter here: its notice is not shown)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\getenv endpoint DYNAMO_ENDPOINT
\getenv dead_endpoint DEAD_ENDPOINT
\getenv blackhole_endpoint BLACKHOLE_ENDPOINT
\getenv access_key DYNAMO_ACCESS_KEY_ID
\getenv secret_key DYNAMO_SECRET_ACCESS_KEY
\getenv session_key DYNAMO_SESSION_KEY_ID
\getenv session_secret DYNAMO_SESSION_SECRET
\getenv session_token DYNAMO_SESSION_TOKEN
\set VERBOSITY default
CREATE SERVER dynamo FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo
  OPTIONS (access_key_id :'access_key', secret_access_key :'secret_key');

\i sql/explain.inc
-- an error with its SQLSTATE, the test stack's ports masked, and of a
-- detail that quotes libcurl only the request it was about: libcurl's
-- words change between its versions
CREATE FUNCTION show_error(query text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
  detail text;
  hint text;
BEGIN
  EXECUTE query;
  RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RAISE NOTICE E'%: %\ndetail: %\nhint: %', state,
    regexp_replace(msg, '127\.0\.0\.1:[0-9]+', '127.0.0.1:PORT', 'g'),
    regexp_replace(detail, '^.+ (\([A-Za-z]+ request\)\.)$', '(libcurl''s words) \1'),
    hint;
END $$;

-- an error DynamoDB answered: its SQLSTATE, and of the detail the AWS
-- error type and HTTP status; the words of the server's message are its
-- own (dynalite's and DynamoDB Local's differ), only that there are some
-- is shown
CREATE FUNCTION show_aws_error(query text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
  detail text;
  hint text;
  context text;
BEGIN
  EXECUTE query;
  RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT, context = PG_EXCEPTION_CONTEXT;
  RAISE NOTICE E'%: %\ndetail: %\nhint: %\ncontext: %', state, msg,
    regexp_replace(detail, '^([A-Za-z]+ \(HTTP [0-9]+\)): .*[^ ].*$', '\1: (the server''s message)'),
    hint, split_part(context, E'\n', 1);
END $$;

-- ===================================================================
-- a DynamoDB table that does not exist
-- ===================================================================
CREATE FOREIGN TABLE nowhere (id text) SERVER dynamo OPTIONS (table 'NoSuchTable');
SELECT show_aws_error('SELECT * FROM nowhere');
-- the SQLSTATE is the FDW's "table not found"
DO $$
BEGIN
  PERFORM * FROM nowhere;
EXCEPTION WHEN fdw_table_not_found THEN
  RAISE NOTICE 'caught fdw_table_not_found';
END $$;

-- an invalid table name is DynamoDB's to refuse
CREATE FOREIGN TABLE badname (id text) SERVER dynamo OPTIONS (table 'no spaces allowed');
SELECT show_aws_error('SELECT * FROM badname');

-- ===================================================================
-- credentials the signature check refuses
-- ===================================================================
CREATE SERVER dynamo_wrong FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo_wrong
  OPTIONS (access_key_id :'access_key', secret_access_key 'not-the-secret');
CREATE FOREIGN TABLE wrong_secret (id text) SERVER dynamo_wrong OPTIONS (table 'Posts');
-- the detail holds the server's canonical request, which names the port
-- and the time: only its start is shown here
\set VERBOSITY terse
SELECT * FROM wrong_secret;
\set VERBOSITY default
-- the error never shows the secret
DO $$
DECLARE
  detail text;
  hint text;
BEGIN
  PERFORM * FROM wrong_secret;
EXCEPTION WHEN invalid_authorization_specification THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RAISE NOTICE 'detail: %', split_part(detail, '.', 1);
  RAISE NOTICE 'hint: %', hint;
  RAISE NOTICE 'secret shown: %',
    position('not-the-secret' IN SQLERRM || detail || hint) > 0;
END $$;
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo_wrong
  OPTIONS (SET access_key_id 'AKIDUNKNOWN');
SELECT * FROM wrong_secret;
-- temporary credentials: the session token travels signed, and a wrong
-- or missing token is refused
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo_wrong
  OPTIONS (SET access_key_id :'session_key', SET secret_access_key :'session_secret',
           ADD session_token 'token-nobody-issued');
SELECT count(id) FROM wrong_secret;
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo_wrong OPTIONS (DROP session_token);
SELECT count(id) FROM wrong_secret;
-- the right token: the mapping's change takes effect at once
ALTER USER MAPPING FOR CURRENT_USER SERVER dynamo_wrong
  OPTIONS (ADD session_token :'session_token');
SELECT count(id) FROM wrong_secret;
-- a wrong region is refused by the signature check too
ALTER SERVER dynamo_wrong OPTIONS (SET region 'eu-west-1');
\set VERBOSITY terse
SELECT count(id) FROM wrong_secret;
\set VERBOSITY default
ALTER SERVER dynamo_wrong OPTIONS (SET region 'us-east-1');
SELECT count(id) FROM wrong_secret;

-- ===================================================================
-- an endpoint nobody listens on: an error at once, after the retries
-- ===================================================================
CREATE SERVER dynamo_dead FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'dead_endpoint', max_retries '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo_dead
  OPTIONS (access_key_id :'access_key', secret_access_key :'secret_key');
CREATE FOREIGN TABLE dead (id text) SERVER dynamo_dead OPTIONS (table 'Posts');
SELECT show_error('SELECT * FROM dead');

-- ===================================================================
-- a server that never answers: statement_timeout and request_timeout
-- ===================================================================
CREATE SERVER dynamo_silent FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'blackhole_endpoint',
           request_timeout '600', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo_silent
  OPTIONS (access_key_id :'access_key', secret_access_key :'secret_key');
CREATE FOREIGN TABLE silent (id text) SERVER dynamo_silent OPTIONS (table 'Posts');
SET statement_timeout = '500ms';
SELECT * FROM silent;
-- the same while the scan waits for a page (no planning request first)
CREATE FOREIGN TABLE silent_scan (id text) SERVER dynamo_silent
  OPTIONS (table 'Posts', pushdown 'false');
SELECT * FROM silent_scan;
RESET statement_timeout;
-- the connection is usable again after the cancel
SELECT show_aws_error('SELECT count(id) FROM nowhere');
ALTER SERVER dynamo_silent OPTIONS (SET request_timeout '0.3');
SELECT show_error('SELECT * FROM silent');

-- ===================================================================
-- retries: throttling, 5xx and dropped connections are tried again;
-- the proxy answers the next requests with the failure given
-- ===================================================================
CREATE FOREIGN TABLE posts (id text, views integer) SERVER dynamo OPTIONS (table 'Posts');
\i sql/proxy.inc
-- plan once: the table's description is cached from now on
SELECT count(id) FROM posts;
SELECT proxy_fail(2, 400, 'ProvisionedThroughputExceededException');
SELECT * FROM explain_analyze('SELECT id FROM posts');
SELECT proxy_fail(1, 400, 'ThrottlingException');
SELECT count(id), sum(views) FROM posts;
SELECT proxy_fail(1, 500, 'InternalServerError');
SELECT count(id), sum(views) FROM posts;
SELECT proxy_fail(1, 503, 'ServiceUnavailable');
SELECT count(id), sum(views) FROM posts;
-- connections dropped without an answer
SELECT proxy_fail(2, 400, 'close');
SELECT count(id), sum(views) FROM posts;
-- more failures than max_retries allows
SELECT proxy_fail(4, 400, 'ProvisionedThroughputExceededException');
SELECT count(id) FROM posts;
SELECT proxy_fail(3, 500, 'InternalServerError');
ALTER SERVER dynamo OPTIONS (ADD max_retries '1');
SELECT count(id) FROM posts;
-- the third injected failure is still pending: it is retried once, then
-- the answer comes
SELECT count(id) FROM posts;
ALTER SERVER dynamo OPTIONS (DROP max_retries);
-- what must not be retried is not: the error comes from the first answer
SELECT proxy_fail(2, 400, 'ValidationException');
SELECT count(id) FROM posts;
SELECT count(id) FROM posts;
SELECT count(id) FROM posts;

-- answers that are not what DynamoDB sends: a clear error, nothing kept
SELECT proxy_fail(1, 200, 'truncated');
SELECT count(id) FROM posts;
SELECT proxy_fail(1, 200, 'NotAScanResponse');
SELECT count(id) FROM posts;
SELECT count(id), sum(views) FROM posts;

-- ===================================================================
-- a kept-alive connection the server closed while idle (after 5 s, as
-- dynalite does) is reopened
-- ===================================================================
-- (whether libcurl sees the closed connection before reusing it, or the
-- request fails and is sent again at once, is a race: the answer is what
-- counts, not the number of attempts)
SELECT pg_sleep(6);
SELECT count(id), sum(views) FROM posts;

-- ===================================================================
-- after all that, the good server still answers
-- ===================================================================
SELECT count(id), sum(views) FROM posts;

-- writes refused before anything changes (the writes suite has the rest)
INSERT INTO posts VALUES ('post-1', 1);
UPDATE posts SET id = 'post-x' WHERE id = 'post-1';

DROP SERVER dynamo CASCADE;
DROP SERVER dynamo_wrong CASCADE;
DROP SERVER dynamo_dead CASCADE;
DROP SERVER dynamo_silent CASCADE;
