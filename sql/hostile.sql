--
-- hostile: an endpoint that answers what a broken or hostile one would
-- (test/hostile.js, chosen by table name) gets a clean error for every kind
-- of bad answer, with its SQLSTATE and what was wrong; no crash (the next
-- statement works), no hang (every case ends on its own within seconds; no
-- statement_timeout is set), and backend memory that stays bounded.  And
-- what an unprivileged role cannot do: read token_secret, or have a
-- superuser's query send the server's credentials to an endpoint of its
-- choosing.
--
-- (quietly: whether an earlier suite left it depends on the order they run in)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\getenv hostile_endpoint HOSTILE_ENDPOINT
\getenv hostile_port HOSTILE_PORT
\getenv machine_key DYNAMO_ACCESS_KEY_ID
\set VERBOSITY sqlstate
CREATE SERVER hostile FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'hostile_endpoint',
           request_timeout '1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER hostile
  OPTIONS (access_key_id 'AKIDHOSTILE', secret_access_key 'hostile-secret');

-- a query's SQLSTATE, message and detail (or "ok" and its row count; a
-- statement other than SELECT: "ok"), and whether it ended within the
-- bound; the endpoint's port masked
CREATE FUNCTION try(query text, seconds float8 DEFAULT 5, details bool DEFAULT true) RETURNS text
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
      -- the whole row: every column is converted
      EXECUTE format('SELECT count(*) FROM (%s) q WHERE q::text IS NOT NULL', query) INTO n;
      result := 'ok: ' || n || ' rows';
    ELSE
      EXECUTE query;
      result := 'ok';
    END IF;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS result = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
      detail = PG_EXCEPTION_DETAIL;
    result := result || ': ' || msg ||
      CASE WHEN details THEN coalesce(' / ' || detail, '') ELSE '' END;
  END;
  result := regexp_replace(result, '127\.0\.0\.1:[0-9]+', '127.0.0.1:PORT', 'g');
  IF clock_timestamp() - t0 > make_interval(secs => seconds) THEN
    result := result || ' (took longer than ' || seconds || ' s)';
  END IF;
  RETURN result;
END $$;

-- one foreign table per case of test/hostile.js
CREATE FUNCTION hostile_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE FOREIGN TABLE %I (id text, sk text, n numeric, s text, m jsonb, b bytea)
                  SERVER hostile OPTIONS (table %L)', 'h_' || name, name);
END $$;
-- what the endpoint saw: the key ids of its requests, and how many
CREATE TEMP TABLE hostile_out (line text);
CREATE FUNCTION hostile(what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE hostile_out;
  EXECUTE format('COPY hostile_out FROM PROGRAM %L',
                 format('curl -sf http://127.0.0.1:%s/__%s', current_setting('hostile.port'), what));
  RETURN QUERY SELECT line FROM hostile_out;
END $$;
SELECT set_config('hostile.port', :'hostile_port', false) IS NOT NULL AS port_set;

-- the answers that are fine are read as such
SELECT count(hostile_table(c)) FROM unnest(ARRAY['good', 'progress']) c;
SELECT * FROM h_good ORDER BY id;
SELECT id FROM h_progress ORDER BY id;

-- ===================================================================
-- malformed answers: each a clean error naming the operation and what
-- was wrong, through Scan, GetItem (id = 'a') and a paging function
-- ===================================================================
SELECT count(hostile_table(c)) FROM unnest(ARRAY[
  'nul_name', 'nul_name_escaped', 'items_twice', 'attr_twice', 'attr_twice_escaped',
  'map_key_twice', 'type_twice', 'type_twice_same', 'number_json', 'number_word',
  'number_list', 'number_set', 'number_digits', 'number_range', 'number_escaped',
  'bad_utf8', 'overlong_utf8', 'bad_utf8_name', 'lone_surrogate', 'lone_low_surrogate',
  'raw_control', 'bad_escape', 'unknown_type', 'empty_type', 'bad_base64', 'bool_string',
  'deep', 'count_twice', 'count_negative', 'text_after', 'not_json', 'items_not_array',
  'item_not_object', 'items_and_item', 'capacity_word']) c;
SELECT c AS "case", try(format('SELECT * FROM %I', 'h_' || c)) AS scan
FROM unnest(ARRAY[
  'nul_name', 'nul_name_escaped', 'items_twice', 'attr_twice', 'attr_twice_escaped',
  'map_key_twice', 'type_twice', 'type_twice_same', 'number_json', 'number_word',
  'number_list', 'number_set', 'number_digits', 'number_range', 'number_escaped',
  'bad_utf8', 'overlong_utf8', 'bad_utf8_name', 'lone_surrogate', 'lone_low_surrogate',
  'raw_control', 'bad_escape', 'unknown_type', 'empty_type', 'bad_base64', 'bool_string',
  'deep', 'count_twice', 'count_negative', 'text_after', 'not_json', 'items_not_array',
  'item_not_object', 'items_and_item']) c;
SELECT c AS "case", try(format('SELECT * FROM %I WHERE id = %L', 'h_' || c, 'a')) AS getitem
FROM unnest(ARRAY['nul_name', 'attr_twice', 'type_twice', 'number_json', 'bad_utf8',
                  'lone_surrogate', 'deep']) c;
SELECT c AS "case", try(format('SELECT * FROM dynomite_pages(%L)', 'h_' || c)) AS pages
FROM unnest(ARRAY['nul_name', 'items_twice', 'number_json', 'bad_utf8']) c;
-- ConsumedCapacity is read by EXPLAIN ANALYZE
SELECT try('SELECT * FROM dynomite_pages(''h_capacity_word'')');
-- the issue's wrong answer: a number that would have made two keys of a map
SELECT try('SELECT m FROM h_number_json');
-- no crash: the session goes on
SELECT count(*) FROM h_good;

-- BatchGetItem (id IN ...) answers
SELECT count(hostile_table(c)) FROM unnest(ARRAY['responses_twice', 'unprocessed_other',
                                          'unprocessed_shape']) c;
SELECT c AS "case", try(format('SELECT * FROM %I WHERE id IN (%L, %L)', 'h_' || c, 'a', 'b')) AS batch
FROM unnest(ARRAY['good', 'responses_twice', 'unprocessed_other', 'unprocessed_shape']) c;

-- table descriptions: planning fails cleanly
SELECT count(hostile_table(c)) FROM unnest(ARRAY['describe_twice', 'describe_type', 'describe_nul',
                                          'describe_two_hash', 'describe_count']) c;
SELECT c AS "case", try(format('SELECT * FROM %I', 'h_' || c)) AS describe
FROM unnest(ARRAY['describe_twice', 'describe_type', 'describe_nul', 'describe_two_hash',
                  'describe_count']) c;

-- ===================================================================
-- looping and wrong LastEvaluatedKeys: an error at once, not pages
-- until statement_timeout (the endpoint gives up after 1,000 pages, so a
-- read that does not stop shows as "ok" and as many requests)
-- ===================================================================
SELECT count(hostile_table(c)) FROM unnest(ARRAY[
  'loop_same', 'loop_cycle', 'loop_escaped', 'loop_spaces', 'n_loop_number', 'r_loop_same',
  'r_loop_order', 'wrong_name', 'wrong_type', 'wrong_extra', 'wrong_empty',
  'wrong_not_object', 'wrong_twice', 'r_wrong_missing']) c;
-- try, and whether it took fewer than 50 requests
CREATE FUNCTION try_counted(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  PERFORM hostile('reset');
  result := try(query);
  RETURN result || (SELECT CASE WHEN n::int < 50 THEN ' (fewer than 50 requests)'
                                ELSE ' (' || n || ' requests)' END FROM hostile('count') n);
END $$;
SELECT c AS "case", try_counted(format('SELECT * FROM %I', 'h_' || c)) AS scan
FROM unnest(ARRAY['loop_same', 'loop_cycle', 'loop_escaped', 'loop_spaces', 'n_loop_number',
                  'wrong_name', 'wrong_type', 'wrong_extra', 'wrong_empty',
                  'wrong_not_object', 'wrong_twice']) c;
-- a Query of one partition (a sort key), and its key
SELECT c AS "case", try_counted(format('SELECT * FROM %I WHERE id = %L', 'h_' || c, 'a')) AS query
FROM unnest(ARRAY['r_loop_same', 'r_loop_order', 'r_wrong_missing']) c;
-- the paging functions, ANALYZE and segments read pages too
SELECT try_counted('SELECT * FROM dynomite_pages(''h_loop_same'')');
SELECT try_counted('SELECT * FROM dynomite_raw_pages(''h_loop_cycle'')');
-- without the key schema (pushdown off), a key of any shape, but not again
ALTER FOREIGN TABLE h_loop_cycle OPTIONS (ADD pushdown 'false');
SELECT try_counted('SELECT * FROM h_loop_cycle');
SELECT try_counted('ANALYZE h_loop_cycle');
ALTER FOREIGN TABLE h_loop_same OPTIONS (ADD segments '4');
SELECT try_counted('SELECT * FROM h_loop_same');
-- IMPORT FOREIGN SCHEMA: a listing that goes round in a circle
CREATE SCHEMA imported;
SELECT try_counted('IMPORT FOREIGN SCHEMA dynamodb FROM SERVER hostile INTO imported');
SELECT count(*) FROM h_good;

-- ===================================================================
-- oversized and endless answers: cut off at the limit, quickly, with
-- memory that stays bounded (the backend's peak resident size)
-- ===================================================================
CREATE FUNCTION peak_mb() RETURNS int LANGUAGE sql AS $$
  SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'),
                       'VmHWM:\s+(\d+)'))[1]::int / 1024
$$;
SELECT count(hostile_table(c)) FROM unnest(ARRAY['huge', 'endless', 'drip', 'endless_error',
                                          'error_html']) c;
CREATE FOREIGN TABLE h_endless_segments (id text) SERVER hostile
  OPTIONS (table 'endless', segments '8');
SELECT set_config('hostile.peak', peak_mb()::text, false) IS NOT NULL AS measured;
SELECT try('SELECT * FROM h_huge') AS huge_scan;
SELECT try('SELECT * FROM h_huge WHERE id IN (''a'', ''b'')') AS huge_batch;
SELECT try('SELECT * FROM h_endless') AS endless_scan;
SELECT try('SELECT * FROM h_endless WHERE id = ''a''') AS endless_getitem;
SELECT try('SELECT * FROM h_endless WHERE id IN (''a'', ''b'')') AS endless_batch;
SELECT try('SELECT * FROM h_endless_segments') AS endless_segments;
SELECT try('SELECT * FROM dynomite_pages(''h_endless'')') AS endless_pages;
SELECT try('SELECT * FROM h_endless_error') AS endless_error;
-- a body that comes a byte at a time ends at request_timeout (1 s)
SELECT try('SELECT * FROM h_drip', 5, false) AS drip;
SELECT peak_mb() - current_setting('hostile.peak')::int < 150 AS memory_bounded;
-- a failure after retries says how often it was tried, and what came last
ALTER SERVER hostile OPTIONS (SET max_retries '2');
\set VERBOSITY default
SELECT * FROM h_error_html;
\set VERBOSITY sqlstate
ALTER SERVER hostile OPTIONS (SET max_retries '0');
SELECT count(*) FROM h_good;

-- ===================================================================
-- while a request is on its way, pg_stat_activity shows the extension's
-- wait event ("DynamoDBRequest" from PostgreSQL 17 on, "Extension" before)
-- ===================================================================
CREATE EXTENSION dblink;
SELECT dblink_connect('other', format('dbname=%s port=%s host=%s', current_database(),
       current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_send_query('other', 'SELECT left(try(''SELECT * FROM h_drip''), 5)');
SELECT pg_sleep(0.5);
SELECT wait_event_type, wait_event IN ('Extension', 'DynamoDBRequest') AS dynamodb_wait
FROM pg_stat_activity WHERE query LIKE '%h_drip%' AND pid <> pg_backend_pid();
SELECT * FROM dblink_get_result('other') AS r(state text);
SELECT dblink_disconnect('other');

-- ===================================================================
-- secrets: token_secret lives in the user mapping, which only its user
-- and superusers can read
-- ===================================================================
SELECT current_user AS superuser \gset
CREATE ROLE hostile_user;
ALTER USER MAPPING FOR CURRENT_USER SERVER hostile OPTIONS (ADD token_secret 'do not tell');
CREATE USER MAPPING FOR PUBLIC SERVER hostile OPTIONS (token_secret 'do not tell either');
ALTER SERVER hostile OPTIONS (ADD token_secret 'do not tell');
SET ROLE hostile_user;
SELECT count(*) AS secrets_shown FROM pg_foreign_server, unnest(srvoptions) o
WHERE o LIKE '%do not tell%';
SELECT count(*) AS secrets_shown FROM pg_user_mappings, unnest(umoptions) o
WHERE o LIKE '%do not tell%';
RESET ROLE;
DROP USER MAPPING FOR PUBLIC SERVER hostile;

-- ===================================================================
-- the server process's credentials go only to servers a superuser owns
-- ===================================================================
-- a non-superuser makes a server with an endpoint of their choosing, a
-- mapping without keys for the superuser, and a table to read
GRANT USAGE ON FOREIGN DATA WRAPPER dynomite_fdw TO hostile_user;
CREATE SCHEMA bait AUTHORIZATION hostile_user;
SET ROLE hostile_user;
CREATE SERVER bait FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'hostile_endpoint', max_retries '0');
CREATE USER MAPPING FOR :"superuser" SERVER bait;
CREATE FOREIGN TABLE bait.bait_table (id text) SERVER bait OPTIONS (table 'good');
CREATE FOREIGN TABLE bait.bait_scan (id text) SERVER bait OPTIONS (table 'good', pushdown 'false');
RESET ROLE;
SELECT count(*) FROM hostile('reset');
-- the superuser's query is refused, and nothing was sent with the key
\set VERBOSITY default
SELECT * FROM bait.bait_table;
\set VERBOSITY sqlstate
SELECT * FROM bait.bait_scan;
SELECT * FROM dynomite_pages('bait.bait_table');
SELECT try('IMPORT FOREIGN SCHEMA dynamodb FROM SERVER bait INTO imported', 5, false);
SELECT count(*) AS requests, count(*) FILTER (WHERE k = :'machine_key') AS with_machine_key
FROM hostile('keys') k;
-- so too for a server a superuser owns but gave away
ALTER SERVER hostile OWNER TO hostile_user;
ALTER USER MAPPING FOR CURRENT_USER SERVER hostile OPTIONS (DROP access_key_id, DROP secret_access_key);
SELECT * FROM h_good;
SELECT count(*) AS requests, count(*) FILTER (WHERE k = :'machine_key') AS with_machine_key
FROM hostile('keys') k;
-- a server a superuser owns still signs with them
ALTER SERVER hostile OWNER TO :"superuser";
SELECT * FROM h_good ORDER BY id;
SELECT count(*) > 0 AS requests, count(*) = count(*) FILTER (WHERE k = :'machine_key') AS all_with_machine_key
FROM hostile('keys') k;
-- and a token signed with the mapping's token_secret still resumes
SELECT next_token LIKE '%.%' AS signed FROM dynomite_page('h_progress', NULL, 1);
SELECT jsonb_array_length(items) FROM dynomite_page('h_progress',
  (SELECT next_token FROM dynomite_page('h_progress', NULL, 1)), 1);

DROP SCHEMA bait CASCADE;
DROP SERVER bait CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER dynomite_fdw FROM hostile_user;
DROP ROLE hostile_user;
DROP SERVER hostile CASCADE;
DROP SCHEMA imported CASCADE;
