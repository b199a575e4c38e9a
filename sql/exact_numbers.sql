--
-- exact_numbers: every digit of a DynamoDB number, on every path a value
-- takes: straight from the item text, through the parsed item, inside
-- jsonb of M, L and sets, in numeric arrays of NS, and in requests
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc

-- Mixed's item n1: numbers of 38 significant digits, and DynamoDB's
-- smallest and largest magnitudes; m, a map, holds x (big) and l, a list
-- (frac, neg); ns holds big, frac, neg and 1
CREATE TEMP TABLE exact (big numeric, neg numeric, frac numeric, tiny numeric, huge numeric);
INSERT INTO exact VALUES (12345678901234567890123456789012345678,
                          -98765432109876543210987654321098765432,
                          0.12345678901234567890123456789012345678,
                          1e-130,
                          9.9999999999999999999999999999999999999e125);

-- ===================================================================
-- straight from the item text: the columns want S and N attributes only
-- ===================================================================
CREATE FOREIGN TABLE nums_text (id text, big numeric, neg numeric, frac numeric,
                                tiny numeric, huge numeric,
                                big_text text OPTIONS (attribute 'big'),
                                frac_text text OPTIONS (attribute 'frac'))
  SERVER dynamo OPTIONS (table 'Mixed');
SELECT n.big = e.big AS big, n.neg = e.neg AS neg, n.frac = e.frac AS frac,
       n.tiny = e.tiny AS tiny, n.huge = e.huge AS huge, n.big_text, n.frac_text
  FROM nums_text n, exact e WHERE n.id = 'n1';
-- a Scan's page, not a GetItem's item
SELECT n.big = e.big AS big, n.frac = e.frac AS frac, n.huge = e.huge AS huge
  FROM nums_text n, exact e WHERE n.id LIKE 'n%';

-- ===================================================================
-- through the parsed item: a column wants a map (or a next_token)
-- ===================================================================
CREATE FOREIGN TABLE nums_item (id text, big numeric, neg numeric, frac numeric,
                                tiny numeric, huge numeric,
                                big_text text OPTIONS (attribute 'big'),
                                m jsonb)
  SERVER dynamo OPTIONS (table 'Mixed');
SELECT n.big = e.big AS big, n.neg = e.neg AS neg, n.frac = e.frac AS frac,
       n.tiny = e.tiny AS tiny, n.huge = e.huge AS huge, n.big_text
  FROM nums_item n, exact e WHERE n.id = 'n1';
CREATE FOREIGN TABLE nums_token (id text, big numeric, frac numeric,
                                 tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Mixed');
SELECT n.big = e.big AS big, n.frac = e.frac AS frac, n.tok IS NOT NULL AS has_token
  FROM nums_token n, exact e WHERE n.id = 'n1';

-- ===================================================================
-- jsonb of M, L and N, and of NS; numeric arrays of NS
-- ===================================================================
CREATE FOREIGN TABLE nums_json (id text, m jsonb, big jsonb, huge jsonb, ns jsonb,
                                ns_num numeric[] OPTIONS (attribute 'ns'),
                                ns_text text[] OPTIONS (attribute 'ns'),
                                whole jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Mixed');
SELECT (n.m->>'x')::numeric = e.big AS m_x, (n.m#>>'{l,0}')::numeric = e.frac AS m_l0,
       (n.m#>>'{l,1}')::numeric = e.neg AS m_l1, n.big::numeric = e.big AS big,
       n.huge::numeric = e.huge AS huge, n.m->'x' AS m_x_json
  FROM nums_json n, exact e WHERE n.id = 'n1';
SELECT (SELECT array_agg(x::numeric ORDER BY x::numeric) FROM jsonb_array_elements_text(n.ns) x)
         = ARRAY[e.neg, e.frac, 1, e.big] AS ns_jsonb,
       (SELECT array_agg(x ORDER BY x) FROM unnest(n.ns_num) x)
         = ARRAY[e.neg, e.frac, 1, e.big] AS ns_numeric,
       (SELECT array_agg(x::numeric ORDER BY x::numeric) FROM unnest(n.ns_text) x)
         = ARRAY[e.neg, e.frac, 1, e.big] AS ns_text,
       (n.whole->>'big')::numeric = e.big AS item_big,
       (n.whole#>>'{m,l,0}')::numeric = e.frac AS item_m_l0
  FROM nums_json n, exact e WHERE n.id = 'n1';

-- ===================================================================
-- built without the input functions: numeric, bigint, integer and
-- smallint straight from N text are, to the bit, what numeric_in and
-- int8in (int4in, int2in) make of the same text, as are those of the
-- parsed item.  Real servers write numbers their own way: the hostile
-- endpoint (test/hostile.js, number_forms) writes them in every way
-- DynamoDB's syntax allows: zeros, exponents, scales, numerics of the
-- long format, integer limits
-- ===================================================================
\getenv hostile_endpoint HOSTILE_ENDPOINT
CREATE SERVER forms FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'hostile_endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER forms
  OPTIONS (access_key_id 'AKIDHOSTILE', secret_access_key 'hostile-secret');
-- nums_direct: e01, e02, ... as numeric, and again as text (t01, t02, ...);
-- nums_direct_item: the same and the whole item, so rows come from the
-- parsed item
DO $$
DECLARE
  cols text := (SELECT string_agg(format('e%1$s numeric, t%1$s text OPTIONS (attribute %2$L)',
                                         lpad(i::text, 2, '0'), 'e' || lpad(i::text, 2, '0')), ', ')
                  FROM generate_series(1, 36) i);
BEGIN
  EXECUTE format('CREATE FOREIGN TABLE nums_direct (id text, %s)
                    SERVER forms OPTIONS (table %L)', cols, 'number_forms');
  EXECUTE format('CREATE FOREIGN TABLE nums_direct_item (id text, %s, whole jsonb OPTIONS (meta %L))
                    SERVER forms OPTIONS (table %L)', cols, 'item', 'number_forms');
END $$;
-- each attribute of a row of tbl: its name, the numeric read, its text read
CREATE FUNCTION direct_pairs(tbl regclass) RETURNS TABLE (attr text, num numeric, txt text)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT a.attr, a.num, a.txt FROM %s n, LATERAL (VALUES %s) a(attr, num, txt)',
    tbl, (SELECT string_agg(format('(%L, n.e%s, n.t%s)', 'e' || lpad(i::text, 2, '0'),
                                   lpad(i::text, 2, '0'), lpad(i::text, 2, '0')), ', ')
            FROM generate_series(1, 36) i));
END $$;
-- stored, so that both sides' headers are stored alike: a numeric of the
-- long format takes two bytes more than one of the short
CREATE TEMP TABLE direct_read AS
  SELECT 'text' AS path, attr, num, txt::numeric AS parsed FROM direct_pairs('nums_direct')
  UNION ALL
  SELECT 'item', attr, num, txt::numeric FROM direct_pairs('nums_direct_item');
SELECT path, count(*) AS compared,
       string_agg(attr, ',') FILTER (WHERE numeric_send(num) IS DISTINCT FROM numeric_send(parsed)) AS other_digits,
       string_agg(attr, ',') FILTER (WHERE pg_column_size(num) IS DISTINCT FROM pg_column_size(parsed)) AS other_size,
       string_agg(attr, ',') FILTER (WHERE num::text IS DISTINCT FROM parsed::text) AS other_text
  FROM direct_read GROUP BY path ORDER BY path;
-- the long format is among them
SELECT count(*) FILTER (WHERE pg_column_size(parsed) - 1 > 2 + 2 * ((length(numeric_send(parsed)) - 8) / 2)) AS long_format
  FROM direct_read WHERE path = 'text';
CREATE FOREIGN TABLE ints_direct (id text,
  b01 bigint OPTIONS (attribute 'e01'),
  b02 bigint OPTIONS (attribute 'e02'),
  b10 bigint OPTIONS (attribute 'e10'),
  b11 bigint OPTIONS (attribute 'e11'),
  b12 bigint OPTIONS (attribute 'e12'),
  b16 bigint OPTIONS (attribute 'e16'),
  b17 bigint OPTIONS (attribute 'e17'),
  b18 bigint OPTIONS (attribute 'e18'),
  b19 bigint OPTIONS (attribute 'e19'),
  b20 bigint OPTIONS (attribute 'e20'),
  i01 integer OPTIONS (attribute 'e01'),
  i02 integer OPTIONS (attribute 'e02'),
  i10 integer OPTIONS (attribute 'e10'),
  i11 integer OPTIONS (attribute 'e11'),
  i12 integer OPTIONS (attribute 'e12'),
  i19 integer OPTIONS (attribute 'e19'),
  s01 smallint OPTIONS (attribute 'e01'),
  s02 smallint OPTIONS (attribute 'e02'),
  s10 smallint OPTIONS (attribute 'e10'),
  s11 smallint OPTIONS (attribute 'e11'),
  s19 smallint OPTIONS (attribute 'e19'),
  t01 text OPTIONS (attribute 'e01'),
  t02 text OPTIONS (attribute 'e02'),
  t10 text OPTIONS (attribute 'e10'),
  t11 text OPTIONS (attribute 'e11'),
  t12 text OPTIONS (attribute 'e12'),
  t16 text OPTIONS (attribute 'e16'),
  t17 text OPTIONS (attribute 'e17'),
  t18 text OPTIONS (attribute 'e18'),
  t19 text OPTIONS (attribute 'e19'),
  t20 text OPTIONS (attribute 'e20'))
  SERVER forms OPTIONS (table 'number_forms');
SELECT n.b01 = n.t01::bigint AND
       n.b02 = n.t02::bigint AND
       n.b10 = n.t10::bigint AND
       n.b11 = n.t11::bigint AND
       n.b12 = n.t12::bigint AND
       n.b16 = n.t16::bigint AND
       n.b17 = n.t17::bigint AND
       n.b18 = n.t18::bigint AND
       n.b19 = n.t19::bigint AND
       n.b20 = n.t20::bigint AND
       n.i01 = n.t01::integer AND
       n.i02 = n.t02::integer AND
       n.i10 = n.t10::integer AND
       n.i11 = n.t11::integer AND
       n.i12 = n.t12::integer AND
       n.i19 = n.t19::integer AND
       n.s01 = n.t01::smallint AND
       n.s02 = n.t02::smallint AND
       n.s10 = n.t10::smallint AND
       n.s11 = n.t11::smallint AND
       n.s19 = n.t19::smallint AS same
  FROM ints_direct n;
-- out of its type's range, or not an integer: the input function's
-- error, in the context of the attribute
CREATE FOREIGN TABLE int4_over (id text, v integer OPTIONS (attribute 'e20'))
  SERVER forms OPTIONS (table 'number_forms');
SELECT v FROM int4_over;
CREATE FOREIGN TABLE int2_over (id text, v smallint OPTIONS (attribute 'e12'))
  SERVER forms OPTIONS (table 'number_forms');
SELECT v FROM int2_over;
CREATE FOREIGN TABLE int8_exp (id text, v bigint OPTIONS (attribute 'e04'))
  SERVER forms OPTIONS (table 'number_forms');
SELECT v FROM int8_exp;
DROP SERVER forms CASCADE;
DROP FUNCTION direct_pairs(regclass);

-- ===================================================================
-- in requests: values of filters and of key conditions keep every digit
-- ===================================================================
SELECT id FROM nums_text WHERE big = 12345678901234567890123456789012345678;
SELECT id FROM nums_text WHERE frac = 0.12345678901234567890123456789012345678;
SELECT id FROM nums_text WHERE neg = -98765432109876543210987654321098765432 AND big > 1;
SELECT id FROM nums_text WHERE big IN (12345678901234567890123456789012345678, 1);
-- one digit off matches nothing
SELECT count(*) FROM nums_text WHERE big = 12345678901234567890123456789012345677;
SELECT count(*) FROM nums_text WHERE frac = 0.12345678901234567890123456789012345679;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM nums_text WHERE big = 12345678901234567890123456789012345678;
-- Wide's sort key n is a number: 1 and 100 are items, these are not
CREATE FOREIGN TABLE wide_num (pk text, n numeric, v integer)
  SERVER dynamo OPTIONS (table 'Wide');
SELECT v FROM wide_num WHERE pk = 'p001' AND n = 1.0000000000000000000000000000000000001;
SELECT v FROM wide_num WHERE pk = 'p001' AND n = 1;
SELECT v FROM wide_num WHERE pk = 'p001' AND n > 99.999999999999999999999999999999999999;
SELECT v FROM wide_num WHERE pk = 'p001' AND n < 1.0000000000000000000000000000000000001;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT v FROM wide_num WHERE pk = 'p001' AND n > 99.999999999999999999999999999999999999;

DROP SERVER dynamo CASCADE;
