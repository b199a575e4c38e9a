--
-- credentials: where the keys that sign requests come from.  Static keys,
-- the server's environment, profiles of the shared config and credentials
-- files (role_arn/source_profile, credential_process), STS AssumeRole on top
-- of any source, the container endpoint, instance metadata (IMDSv2) and web
-- identity, served by test/credstub.js; the proxy checks every signature,
-- and refuses a temporary key past its expiry.  Each source's failure is an
-- error that names it and says no secret.
--
-- (whether the extension is there already depends on the suites before)
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;
\i sql/proxy.inc
\getenv stub_endpoint CREDSTUB_ENDPOINT
\getenv session_key DYNAMO_SESSION_KEY_ID
\getenv session_secret DYNAMO_SESSION_SECRET
\getenv session_token DYNAMO_SESSION_TOKEN
\set stub_ok :stub_endpoint '/ok'

-- what the stand-ins counted since the last call, and a reset
CREATE TEMP TABLE stub_out (line text);
CREATE FUNCTION stub_counts() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
BEGIN
  TRUNCATE stub_out;
  COPY stub_out FROM PROGRAM 'curl -sf "http://127.0.0.1:$CREDSTUB_PORT/__count"';
  SELECT line::jsonb INTO r FROM stub_out;
  COPY stub_out FROM PROGRAM 'curl -sf -o /dev/null "http://127.0.0.1:$CREDSTUB_PORT/__reset"';
  RETURN r;
END $$;
SELECT stub_counts() IS NOT NULL AS stub_up;

-- a statement's SQLSTATE, message and detail (or "ok" and its row count),
-- ports and the data directory masked; and whether it ended in time
CREATE FUNCTION creds_try(query text, seconds float8 DEFAULT 5) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  result text;
  msg text;
  detail text;
  n bigint;
BEGIN
  BEGIN
    IF query ILIKE 'SELECT%' THEN
      EXECUTE format('SELECT count(*) FROM (%s) q', query) INTO n;
      result := 'ok: ' || n || ' rows';
    ELSE
      EXECUTE query;
      result := 'ok';
    END IF;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS result = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
      detail = PG_EXCEPTION_DETAIL;
    result := result || ': ' || msg || coalesce(' / ' || detail, '');
  END;
  result := regexp_replace(result, '127\.0\.0\.1:[0-9]+', '127.0.0.1:PORT', 'g');
  result := replace(result, current_setting('creds.datadir'), 'DATADIR');
  IF clock_timestamp() - t0 > make_interval(secs => seconds) THEN
    result := result || ' (took longer than ' || seconds || ' s)';
  END IF;
  RETURN result;
END $$;

-- no message may hold a secret the test knows
CREATE FUNCTION no_secret(r text) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN r ~ '(dynomite-test-secret|session-test-secret|stub-web-identity-token|stub-container-token|stubtoken)'
              THEN 'SECRET IN: ' || r ELSE r END $$;

-- the user mapping of the current user, with these options
CREATE FUNCTION remap(options text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER creds';
  EXECUTE 'CREATE USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (' || options || ')';
END $$;

-- a file in the data directory, one line a row
CREATE FUNCTION put_file(name text, lines text[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  path text := current_setting('data_directory') || '/' || name;
BEGIN
  EXECUTE format('COPY (SELECT unnest(%L::text[])) TO %L', lines, path);
  RETURN path;
END $$;

CREATE SERVER creds FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint', request_timeout '2', max_retries '1');
CREATE FOREIGN TABLE creds_paging (pk text, n integer, label text)
  SERVER creds OPTIONS (table 'Paging', page_size '10');
SELECT set_config('creds.stub', :'stub_endpoint', false) IS NOT NULL AS stub_set;
SELECT set_config('creds.datadir', current_setting('data_directory'), false) IS NOT NULL AS datadir_set;
SELECT set_config('creds.key', :'access_key', false) IS NOT NULL AS key_set;
SELECT set_config('creds.secret', :'secret_key', false) IS NOT NULL AS secret_set;
-- the mapping's static keys, as options text
CREATE FUNCTION static_keys() RETURNS text LANGUAGE sql AS $$
  SELECT format('access_key_id %L, secret_access_key %L',
                current_setting('creds.key'), current_setting('creds.secret')) $$;
-- the stand-in's URL for a mode
CREATE FUNCTION stub(mode text, path text DEFAULT '') RETURNS text LANGUAGE sql AS $$
  SELECT quote_literal(current_setting('creds.stub') || '/' || mode || path) $$;

-- ===================================================================
-- options
-- ===================================================================
SELECT creds_try($$CREATE USER MAPPING FOR PUBLIC SERVER creds OPTIONS (credentials_source 'magic')$$);
SELECT creds_try($$CREATE USER MAPPING FOR PUBLIC SERVER creds OPTIONS (config_file 'relative/config')$$);
SELECT creds_try($$CREATE USER MAPPING FOR PUBLIC SERVER creds OPTIONS (sts_endpoint 'ftp://x')$$);
SELECT creds_try($$CREATE USER MAPPING FOR PUBLIC SERVER creds OPTIONS (container_authorization_token 'a b')$$);
SELECT creds_try($$CREATE USER MAPPING FOR PUBLIC SERVER creds OPTIONS (role_arn '')$$);
SELECT creds_try($$ALTER SERVER creds OPTIONS (ADD profile 'x')$$);
-- files and programs are read and run as the server's operating system
-- user: only a superuser names them
CREATE ROLE creds_user;
GRANT USAGE ON FOREIGN SERVER creds TO creds_user;
GRANT SELECT ON creds_paging TO creds_user;
SET ROLE creds_user;
SELECT creds_try($$CREATE USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (config_file '/etc/passwd')$$);
SELECT creds_try($$CREATE USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (web_identity_token_file '/etc/hostname')$$);
SELECT creds_try($$CREATE USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (container_authorization_token_file '/etc/hostname')$$);
-- the machine's sources are not a non-superuser's
CREATE USER MAPPING FOR CURRENT_USER SERVER creds
  OPTIONS (credentials_source 'instance_metadata', metadata_endpoint :'stub_ok');
SELECT creds_try('SELECT * FROM creds_paging');
ALTER USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (SET credentials_source 'environment');
SELECT creds_try('SELECT * FROM creds_paging');
ALTER USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (DROP credentials_source, ADD profile 'default');
SELECT creds_try('SELECT * FROM creds_paging');
RESET ROLE;

-- ===================================================================
-- static keys and the environment
-- ===================================================================
SELECT remap(static_keys());
SELECT creds_try('SELECT * FROM creds_paging');
SELECT remap($$credentials_source 'static'$$);
SELECT creds_try('SELECT * FROM creds_paging');
-- the test put the keys in the server's AWS_ACCESS_KEY_ID too
SELECT remap($$credentials_source 'environment'$$);
SELECT creds_try('SELECT * FROM creds_paging');
SELECT remap($$credentials_source 'default'$$);
SELECT creds_try('SELECT * FROM creds_paging');

-- ===================================================================
-- a role on top: STS AssumeRole, signed with the source's keys
-- ===================================================================
SELECT stub_counts();
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('ok'));
SELECT creds_try('SELECT * FROM creds_paging');
-- cached for the backend: no second AssumeRole
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts();
-- signed with temporary keys (and their token) as well
SELECT remap(format('access_key_id %L, secret_access_key %L, session_token %L', :'session_key',
                    :'session_secret', :'session_token')
             || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('ok'));
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts();
-- external_id travels
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/external'', sts_endpoint ' || stub('ok'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
ALTER USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (ADD external_id 'stub-external-id');
SELECT creds_try('SELECT * FROM creds_paging');
-- refusals and broken answers
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/denied'', sts_endpoint ' || stub('ok'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(format('access_key_id %L, secret_access_key %L', current_setting('creds.key'), 'wrong-secret')
             || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('ok'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('garbage'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('nokey'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('twice'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('inject'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('fail-500'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('hang'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging', 8));
-- statement_timeout ends a wait for STS as it does one for DynamoDB
\set VERBOSITY sqlstate
SET statement_timeout = '300ms';
SELECT count(*) FROM creds_paging;
RESET statement_timeout;
\set VERBOSITY default
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ''http://127.0.0.1:9''');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
-- a non-superuser may assume a role with keys of their own
SET ROLE creds_user;
ALTER USER MAPPING FOR CURRENT_USER SERVER creds OPTIONS (DROP profile);
RESET ROLE;
SELECT format('ALTER USER MAPPING FOR creds_user SERVER creds OPTIONS (%s, role_arn %L, sts_endpoint %s)',
              static_keys(), 'arn:aws:iam::123456789012:role/app', stub('ok')) AS alter_mapping \gset
:alter_mapping;
SET ROLE creds_user;
SELECT creds_try('SELECT * FROM creds_paging');
RESET ROLE;
SELECT stub_counts() ->> 'assume_role' AS assume_role;

-- ===================================================================
-- profiles: the shared config and credentials files
-- ===================================================================
SELECT put_file('aws_credentials', ARRAY[
  '# the keys of the test stack',
  '[base]',
  'aws_access_key_id = ' || current_setting('creds.key'),
  'aws_secret_access_key = ' || current_setting('creds.secret'),
  '[nokeys]',
  'region = us-east-1']) IS NOT NULL AS written;
SELECT put_file('aws_config', ARRAY[
  '[default]',
  'region = us-east-1',
  '[profile assumer]',
  'role_arn = arn:aws:iam::123456789012:role/app',
  'source_profile = base',
  '[profile loop_a]',
  'role_arn = arn:aws:iam::123456789012:role/app',
  'source_profile = loop_b',
  '[profile loop_b]',
  'role_arn = arn:aws:iam::123456789012:role/app',
  'source_profile = loop_a',
  '[profile process]',
  's3 =',
  '  max_concurrent_requests = 10',
  'credential_process = cat ' || current_setting('data_directory') || '/process.json',
  '[profile process_fails]',
  'credential_process = sh -c "echo do-not-show-this; exit 3"',
  '[profile process_hangs]',
  'credential_process = sleep 20',
  '[profile process_garbage]',
  'credential_process = echo {"Version": 1, "AccessKeyId": 5}',
  '[profile process_huge]',
  'credential_process = head -c 1000000 /dev/zero']) IS NOT NULL AS written;
SELECT put_file('process.json', ARRAY[
  format('{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2099-01-01T00:00:00Z"}',
         current_setting('creds.key'), current_setting('creds.secret'))]) IS NOT NULL AS written;
CREATE FUNCTION profile_mapping(profile text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM remap(format('profile %L, config_file %L, credentials_file %L, sts_endpoint %s', profile,
                       current_setting('data_directory') || '/aws_config',
                       current_setting('data_directory') || '/aws_credentials', stub('ok')));
END $$;
SELECT profile_mapping('base');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT profile_mapping('assumer');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts() ->> 'assume_role' AS assume_role;
SELECT profile_mapping('process');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT profile_mapping('nokeys');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT profile_mapping('absent');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT profile_mapping('loop_a');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT profile_mapping('process_fails');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT profile_mapping('process_hangs');
SELECT no_secret(creds_try('SELECT * FROM creds_paging', 8));
-- and a program that hangs is killed at a statement_timeout
\set VERBOSITY sqlstate
SET statement_timeout = '300ms';
SELECT count(*) FROM creds_paging;
RESET statement_timeout;
\set VERBOSITY default
SELECT profile_mapping('process_garbage');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT profile_mapping('process_huge');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap(format('profile %L, config_file %L', 'base', current_setting('data_directory') || '/none'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));

-- ===================================================================
-- the container credentials endpoint
-- ===================================================================
SELECT stub_counts() IS NOT NULL AS reset;
SELECT remap($$credentials_source 'container', container_authorization_token 'stub-container-token',
               container_credentials_uri $$ || stub('ok', '/container'));
SELECT creds_try('SELECT * FROM creds_paging');
SELECT put_file('container_token', ARRAY['stub-container-token']) IS NOT NULL AS written;
SELECT remap(format('credentials_source %L, container_authorization_token_file %L, container_credentials_uri %s',
                    'container', current_setting('data_directory') || '/container_token',
                    stub('ok', '/container')));
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts() ->> 'container' AS container;
-- and a role on top of it
ALTER USER MAPPING FOR CURRENT_USER SERVER creds
  OPTIONS (ADD role_arn 'arn:aws:iam::123456789012:role/app', ADD sts_endpoint :'stub_ok');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts();
CREATE FUNCTION container_mapping(mode text, token text DEFAULT 'stub-container-token') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM remap(format('credentials_source %L, container_authorization_token %L, container_credentials_uri %s',
                       'container', token, stub(mode, '/container')));
END $$;
SELECT container_mapping('ok', 'wrong-token');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT container_mapping('garbage');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT container_mapping('nokey');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT container_mapping('inject');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT container_mapping('huge');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT container_mapping('hang');
SELECT no_secret(creds_try('SELECT * FROM creds_paging', 8));
SELECT remap($$credentials_source 'container', container_credentials_uri 'http://198.51.100.7/creds'$$);
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));

-- ===================================================================
-- EC2 instance metadata, IMDSv2
-- ===================================================================
SELECT stub_counts() IS NOT NULL AS reset;
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('ok'));
SELECT creds_try('SELECT * FROM creds_paging');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts();
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('fail-404'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('fail-500'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('garbage'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('inject'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint 'http://127.0.0.1:9'$$);
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));

-- ===================================================================
-- web identity: STS AssumeRoleWithWebIdentity, unsigned
-- ===================================================================
SELECT stub_counts() IS NOT NULL AS reset;
SELECT put_file('web_token', ARRAY['stub-web-identity-token']) IS NOT NULL AS written;
SELECT put_file('web_token_bad', ARRAY['not-the-token']) IS NOT NULL AS written;
CREATE FUNCTION web_mapping(mode text, file text DEFAULT 'web_token') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM remap(format('credentials_source %L, web_identity_token_file %L, web_identity_role_arn %L, sts_endpoint %s',
                       'web_identity', current_setting('data_directory') || '/' || file,
                       'arn:aws:iam::123456789012:role/web', stub(mode)));
END $$;
SELECT web_mapping('ok');
SELECT creds_try('SELECT * FROM creds_paging');
SELECT stub_counts();
SELECT web_mapping('ok', 'web_token_bad');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT web_mapping('ok', 'web_token_absent');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT web_mapping('garbage');
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));
SELECT remap($$credentials_source 'web_identity', web_identity_role_arn 'arn:aws:iam::123456789012:role/web'$$);
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));

-- ===================================================================
-- temporary keys that expire in the middle of a scan are fetched again
-- ===================================================================
-- keys that expire in 3 s, inside the refresh window: each request fetches
-- new ones; the proxy holds requests so that the scan outlasts the keys
CREATE FOREIGN TABLE creds_paging_5 (pk text, n integer, label text)
  SERVER creds OPTIONS (table 'Paging', page_size '5');
SELECT stub_counts() IS NOT NULL AS reset;
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('expire-3'));
SELECT proxy_reset();
COPY proxy_out FROM PROGRAM 'curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__hold?count=11&ms=450"';
SELECT count(*), count(DISTINCT pk) FROM creds_paging_5;
SELECT (proxy_requests('Scan')).requests AS scans;
SELECT (stub_counts() ->> 'imds_credentials')::int >= 11 AS refreshed_for_each_request;
-- the same through a role on top: the role's keys are fetched again too
SELECT remap(static_keys() || ', role_arn ''arn:aws:iam::123456789012:role/app'', sts_endpoint ' || stub('expire-3'));
COPY proxy_out FROM PROGRAM 'curl -sf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__hold?count=11&ms=450"';
SELECT count(*), count(DISTINCT pk) FROM creds_paging_5;
SELECT (stub_counts() ->> 'assume_role')::int >= 11 AS refreshed_for_each_request;
-- keys good for longer than the window are fetched once
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('expire-900'));
SELECT count(*) FROM creds_paging_5;
SELECT count(*) FROM creds_paging_5;
SELECT stub_counts() ->> 'imds_credentials' AS fetched;
-- keys in the refresh window (here 200 s from expiry) stay in use when
-- fetching new ones fails, with a warning, and the fetch is not tried again
-- on every request; the keys of this mode are issued once, then refused
SELECT stub_counts() IS NOT NULL AS reset;
SELECT remap($$credentials_source 'container', container_authorization_token 'stub-container-token',
               container_credentials_uri $$ || stub('once-expire-200', '/container'));
SELECT count(*) FROM creds_paging;
SELECT count(*) FROM creds_paging;
SELECT count(*) FROM creds_paging;
SELECT s ->> 'container' AS asked, s ->> 'rejected' AS refused FROM stub_counts() s;
-- keys within a minute of expiry are not kept: the failure is an error
SELECT remap($$credentials_source 'container', container_authorization_token 'stub-container-token',
               container_credentials_uri $$ || stub('once-expire-50', '/container'));
SELECT no_secret(creds_try('SELECT * FROM creds_paging'));

-- ===================================================================
-- EXPLAIN VERBOSE names the source, never a secret
-- ===================================================================
SELECT remap($$credentials_source 'instance_metadata', metadata_endpoint $$ || stub('ok'));
EXPLAIN (VERBOSE, COSTS OFF) SELECT pk FROM creds_paging;
SELECT profile_mapping('assumer');
EXPLAIN (VERBOSE, COSTS OFF) SELECT pk FROM creds_paging;

-- ===================================================================
-- cleanup
-- ===================================================================
DROP USER MAPPING FOR creds_user SERVER creds;
REVOKE ALL ON creds_paging FROM creds_user;
REVOKE ALL ON FOREIGN SERVER creds FROM creds_user;
DROP ROLE creds_user;
DROP SERVER creds CASCADE;
DROP SERVER dynamo CASCADE;
DROP FUNCTION creds_try, no_secret, remap, put_file, static_keys, stub, stub_counts,
  profile_mapping, container_mapping, web_mapping;
