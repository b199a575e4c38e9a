--
-- key_conditions: every sort-key condition a Query sends gives the rows the
-- same condition checked locally gives
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc

-- Events: key (device, ts), ts a number; local index by_kind (device, kind)
CREATE FOREIGN TABLE events (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_local (device text, ts bigint, kind text)
  SERVER dynamo OPTIONS (table 'Events', pushdown 'false');
-- Wide: key (pk, n), read with n as numeric
CREATE FOREIGN TABLE wide (pk text, n numeric, v integer)
  SERVER dynamo OPTIONS (table 'Wide');
CREATE FOREIGN TABLE wide_local (pk text, n numeric, v integer)
  SERVER dynamo OPTIONS (table 'Wide', pushdown 'false');

-- the operation q (%s the table) is sent as, how many rows it gives, and
-- whether they are the rows of the same query checked locally
CREATE FUNCTION keyed_and_local(q text, tbl text, OUT operation text, OUT rows int,
                                OUT agree text)
LANGUAGE plpgsql AS $$
DECLARE
  keyed text[];
  local text[];
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, tbl) LOOP
    IF line ~ 'DynamoDB Operation: ' THEN
      operation := substring(line FROM 'Operation: (.*)$');
    END IF;
  END LOOP;
  EXECUTE format('SELECT coalesce(array_agg(r::text ORDER BY r::text), ''{}'') FROM (%s) r',
                 format(q, tbl)) INTO keyed;
  EXECUTE format('SELECT coalesce(array_agg(r::text ORDER BY r::text), ''{}'') FROM (%s) r',
                 format(q, tbl || '_local')) INTO local;
  rows := cardinality(keyed);
  agree := CASE WHEN keyed = local THEN 'same'
                ELSE 'DIFFERENT: ' || keyed::text || ' locally ' || local::text END;
END $$;

-- ===================================================================
-- each operator on the sort key
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND ts BETWEEN 100 AND 130;
EXPLAIN (VERBOSE, COSTS OFF) SELECT ts FROM events WHERE device = 'd03' AND kind LIKE 'u%';
SELECT q, r.* FROM (VALUES
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts = 40'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts < 40'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts <= 40'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts > 470'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts >= 470'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts BETWEEN 100 AND 130'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts > 100 AND ts <= 130'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND ts >= 100 AND ts < 130'),
  ('SELECT ts FROM %s WHERE device = ''d03'' AND 40 > ts'),
  ('SELECT ts, kind FROM %s WHERE device = ''d03'' AND kind = ''ping'''),
  ('SELECT ts, kind FROM %s WHERE device = ''d03'' AND kind LIKE ''u%%'''),
  ('SELECT ts, kind FROM %s WHERE device = ''d03'' AND kind < ''e'''),
  ('SELECT ts, kind FROM %s WHERE device = ''d03'' AND kind >= ''p'' AND kind <= ''q'''),
  ('SELECT device, ts FROM %s WHERE device IN (''d01'', ''d02'') AND ts <= 20'),
  ('SELECT device, ts FROM %s WHERE device IN (''d01'', ''d02'') AND ts BETWEEN 480 AND 490'),
  ('SELECT kind FROM %s WHERE device = ''d04'' AND ts = 70')
) v(q), keyed_and_local(q, 'events') r;
SELECT q, r.* FROM (VALUES
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n < 3'),
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n <= 2.5'),
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n > 98.5'),
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n >= 99'),
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n BETWEEN 49.5 AND 51'),
  ('SELECT n FROM %s WHERE pk = ''p010'' AND n = 42.0')
) v(q), keyed_and_local(q, 'wide') r;

-- ===================================================================
-- lists of whole keys: a list of sort-key values with one or more
-- partition-key values, and ORs of whole keys ((a, b) IN ((..), (..)))
-- ===================================================================
SELECT q, r.* FROM (VALUES
  ('SELECT device, ts FROM %s WHERE device = ''d05'' AND ts IN (250, 260, 999)'),
  ('SELECT device, ts FROM %s WHERE device IN (''d05'', ''d06'', '''') AND ts IN (250, 260)'),
  ('SELECT device, ts FROM %s WHERE device IN (''d05'', ''d05'') AND ts IN (250, 250, NULL)'),
  ('SELECT device, ts FROM %s WHERE device = ''d05'' AND ts IN (250, 260) AND kind <> ''ping'''),
  ('SELECT device, ts FROM %s WHERE (device, ts) IN ((''d05'', 250), (''d06'', 260))'),
  ('SELECT device, ts FROM %s WHERE (device, ts) IN ((''d05'', 250), (''d06'', 260), (''d05'', 260))'),
  ('SELECT device, ts FROM %s WHERE (device = ''d05'' AND ts = 250) OR (device = ''d06'' AND ts = 260 AND kind = ''x'')'),
  ('SELECT device, ts FROM %s WHERE device = ''d05'' OR device = ''d06'''),
  ('SELECT device, ts FROM %s WHERE (device = ''d05'' AND ts > 480) OR (device = ''d06'' AND ts < 30)'),
  ('SELECT device, ts FROM %s WHERE (device = ''d05'' AND ts > 480) OR ts < 30'),
  ('SELECT device, ts FROM %s WHERE (device = ''d05'' AND ts = 250) OR (kind = ''ping'' AND ts = 10)')
) v(q), keyed_and_local(q, 'events') r;
-- with parameters, under a generic plan
PREPARE pairs(text, bigint, text, bigint) AS
  SELECT device, ts FROM events WHERE (device, ts) IN (($1, $2), ($3, $4)) ORDER BY 1, 2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE pairs('d05', 250, 'd06', 260);
EXECUTE pairs('d05', 250, 'd06', 260);
EXECUTE pairs('d05', 250, 'd05', 250);
EXECUTE pairs('d05', NULL, '', 260);
RESET plan_cache_mode;
DEALLOCATE pairs;

DROP SERVER dynamo CASCADE;
