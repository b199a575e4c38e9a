--
-- type_guards: a filter DynamoDB evaluates drops only items PostgreSQL would
-- drop, also where an item's attribute is of another type than its column
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc

-- Mixed holds, in f01 to f12, an attribute for each kind of column: t read
-- as text, i as integer, b as boolean, d as numeric; each of them is S in
-- some items, N in others, BOOL, NULL, M or L in others, or missing.
-- PostgreSQL reads an N into a text column and an S into an integer one,
-- so the same condition holds for items of either type.
CREATE FOREIGN TABLE mixed_t (id text, t text) SERVER dynamo OPTIONS (table 'Mixed');
CREATE FOREIGN TABLE mixed_i (id text, i integer) SERVER dynamo OPTIONS (table 'Mixed');
CREATE FOREIGN TABLE mixed_b (id text, b boolean) SERVER dynamo OPTIONS (table 'Mixed');
CREATE FOREIGN TABLE mixed_d (id text, d numeric) SERVER dynamo OPTIONS (table 'Mixed');
CREATE FOREIGN TABLE mixed_t_local (id text, t text)
  SERVER dynamo OPTIONS (table 'Mixed', pushdown 'false');
CREATE FOREIGN TABLE mixed_i_local (id text, i integer)
  SERVER dynamo OPTIONS (table 'Mixed', pushdown 'false');
CREATE FOREIGN TABLE mixed_b_local (id text, b boolean)
  SERVER dynamo OPTIONS (table 'Mixed', pushdown 'false');
CREATE FOREIGN TABLE mixed_d_local (id text, d numeric)
  SERVER dynamo OPTIONS (table 'Mixed', pushdown 'false');

-- the ids a query gives with pushdown (%s is mixed_X) and without
-- (mixed_X_local), side by side; "same" when they agree
CREATE FUNCTION pushed_and_local(q text, tbl text, OUT pushed text, OUT local text, OUT agree text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(id, '','' ORDER BY id), '''') FROM (%s) r',
                 format(q, tbl)) INTO pushed;
  EXECUTE format('SELECT coalesce(string_agg(id, '','' ORDER BY id), '''') FROM (%s) r',
                 format(q, tbl || '_local')) INTO local;
  agree := CASE WHEN pushed = local THEN 'same' ELSE 'DIFFERENT' END;
END $$;

-- what each column reads from each item
SELECT t.id, t.t, i.i, b.b, d.d
  FROM mixed_t_local t JOIN mixed_i_local i USING (id) JOIN mixed_b_local b USING (id)
       JOIN mixed_d_local d USING (id)
 WHERE t.id LIKE 'f%' ORDER BY 1;

-- ===================================================================
-- every operator, on a text column
-- ===================================================================
-- the filters travel (under the database's "C" collation, ordering too)
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed_t WHERE t = '5';
EXPLAIN (COSTS OFF) SELECT id FROM mixed_t WHERE t < '5' AND t IS NOT NULL AND t LIKE '1%';
SELECT q, r.* FROM (VALUES
  ('SELECT id FROM %s WHERE t = ''5'''),
  ('SELECT id FROM %s WHERE t = ''true'''),
  ('SELECT id FROM %s WHERE t = ''{"k":"v"}'''),
  ('SELECT id FROM %s WHERE t = ''[1]'''),
  ('SELECT id FROM %s WHERE t <> ''5'''),
  ('SELECT id FROM %s WHERE t < ''5'''),
  ('SELECT id FROM %s WHERE t <= ''5'''),
  ('SELECT id FROM %s WHERE t > ''12'''),
  ('SELECT id FROM %s WHERE t >= ''12'''),
  ('SELECT id FROM %s WHERE t IS NULL'),
  ('SELECT id FROM %s WHERE t IS NOT NULL'),
  ('SELECT id FROM %s WHERE t IN (''5'', ''12'', ''true'')'),
  ('SELECT id FROM %s WHERE t LIKE ''1%%'''),
  ('SELECT id FROM %s WHERE t LIKE ''t%%'''),
  ('SELECT id FROM %s WHERE t = ''5'' OR t LIKE ''-%%''')
) v(q), pushed_and_local(q, 'mixed_t') r;

-- ===================================================================
-- every operator, on an integer column
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed_i WHERE i > 5;
SELECT q, r.* FROM (VALUES
  ('SELECT id FROM %s WHERE i = 5'),
  ('SELECT id FROM %s WHERE i = 7'),
  ('SELECT id FROM %s WHERE i <> 5'),
  ('SELECT id FROM %s WHERE i < 5'),
  ('SELECT id FROM %s WHERE i <= 5'),
  ('SELECT id FROM %s WHERE i > 5'),
  ('SELECT id FROM %s WHERE i >= 7'),
  ('SELECT id FROM %s WHERE i BETWEEN -3 AND 7'),
  ('SELECT id FROM %s WHERE i IS NULL'),
  ('SELECT id FROM %s WHERE i IS NOT NULL'),
  ('SELECT id FROM %s WHERE i IN (5, 7, 12)'),
  ('SELECT id FROM %s WHERE i = -3 OR i = 12')
) v(q), pushed_and_local(q, 'mixed_i') r;

-- ===================================================================
-- a boolean column: BOOL, and S or N that PostgreSQL reads as boolean
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed_b WHERE b;
SELECT q, r.* FROM (VALUES
  ('SELECT id FROM %s WHERE b'),
  ('SELECT id FROM %s WHERE NOT b'),
  ('SELECT id FROM %s WHERE b = true'),
  ('SELECT id FROM %s WHERE b = false'),
  ('SELECT id FROM %s WHERE b <> true'),
  ('SELECT id FROM %s WHERE b IS NULL'),
  ('SELECT id FROM %s WHERE b IS NOT NULL'),
  ('SELECT id FROM %s WHERE b OR b IS NULL')
) v(q), pushed_and_local(q, 'mixed_b') r;

-- ===================================================================
-- a numeric column: 38 digits, and S that PostgreSQL reads as a number
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM mixed_d WHERE d = 12345678901234567890123456789012345678;
SELECT q, r.* FROM (VALUES
  ('SELECT id FROM %s WHERE d = 1.5'),
  ('SELECT id FROM %s WHERE d = 12345678901234567890123456789012345678'),
  ('SELECT id FROM %s WHERE d <> 1.5'),
  ('SELECT id FROM %s WHERE d < 0'),
  ('SELECT id FROM %s WHERE d <= 1.5'),
  ('SELECT id FROM %s WHERE d > 12'),
  ('SELECT id FROM %s WHERE d >= 12'),
  ('SELECT id FROM %s WHERE d IN (1.5, 12345678901234567890123456789012345678)'),
  ('SELECT id FROM %s WHERE d IS NULL'),
  ('SELECT id FROM %s WHERE d IS NOT NULL')
) v(q), pushed_and_local(q, 'mixed_d') r;

DROP SERVER dynamo CASCADE;
