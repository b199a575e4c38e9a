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
CREATE FOREIGN TABLE nums_direct (id text,
  e01 numeric,
  e02 numeric,
  e03 numeric,
  e04 numeric,
  e05 numeric,
  e06 numeric,
  e07 numeric,
  e08 numeric,
  e09 numeric,
  e10 numeric,
  e11 numeric,
  e12 numeric,
  e13 numeric,
  e14 numeric,
  e15 numeric,
  e16 numeric,
  e17 numeric,
  e18 numeric,
  e19 numeric,
  e20 numeric,
  e21 numeric,
  e22 numeric,
  e23 numeric,
  e24 numeric,
  e25 numeric,
  e26 numeric,
  e27 numeric,
  e28 numeric,
  e29 numeric,
  e30 numeric,
  e31 numeric,
  e32 numeric,
  e33 numeric,
  e34 numeric,
  e35 numeric,
  e36 numeric,
  t01 text OPTIONS (attribute 'e01'),
  t02 text OPTIONS (attribute 'e02'),
  t03 text OPTIONS (attribute 'e03'),
  t04 text OPTIONS (attribute 'e04'),
  t05 text OPTIONS (attribute 'e05'),
  t06 text OPTIONS (attribute 'e06'),
  t07 text OPTIONS (attribute 'e07'),
  t08 text OPTIONS (attribute 'e08'),
  t09 text OPTIONS (attribute 'e09'),
  t10 text OPTIONS (attribute 'e10'),
  t11 text OPTIONS (attribute 'e11'),
  t12 text OPTIONS (attribute 'e12'),
  t13 text OPTIONS (attribute 'e13'),
  t14 text OPTIONS (attribute 'e14'),
  t15 text OPTIONS (attribute 'e15'),
  t16 text OPTIONS (attribute 'e16'),
  t17 text OPTIONS (attribute 'e17'),
  t18 text OPTIONS (attribute 'e18'),
  t19 text OPTIONS (attribute 'e19'),
  t20 text OPTIONS (attribute 'e20'),
  t21 text OPTIONS (attribute 'e21'),
  t22 text OPTIONS (attribute 'e22'),
  t23 text OPTIONS (attribute 'e23'),
  t24 text OPTIONS (attribute 'e24'),
  t25 text OPTIONS (attribute 'e25'),
  t26 text OPTIONS (attribute 'e26'),
  t27 text OPTIONS (attribute 'e27'),
  t28 text OPTIONS (attribute 'e28'),
  t29 text OPTIONS (attribute 'e29'),
  t30 text OPTIONS (attribute 'e30'),
  t31 text OPTIONS (attribute 'e31'),
  t32 text OPTIONS (attribute 'e32'),
  t33 text OPTIONS (attribute 'e33'),
  t34 text OPTIONS (attribute 'e34'),
  t35 text OPTIONS (attribute 'e35'),
  t36 text OPTIONS (attribute 'e36'))
  SERVER forms OPTIONS (table 'number_forms');
CREATE FOREIGN TABLE nums_direct_item (id text,
  e01 numeric,
  e02 numeric,
  e03 numeric,
  e04 numeric,
  e05 numeric,
  e06 numeric,
  e07 numeric,
  e08 numeric,
  e09 numeric,
  e10 numeric,
  e11 numeric,
  e12 numeric,
  e13 numeric,
  e14 numeric,
  e15 numeric,
  e16 numeric,
  e17 numeric,
  e18 numeric,
  e19 numeric,
  e20 numeric,
  e21 numeric,
  e22 numeric,
  e23 numeric,
  e24 numeric,
  e25 numeric,
  e26 numeric,
  e27 numeric,
  e28 numeric,
  e29 numeric,
  e30 numeric,
  e31 numeric,
  e32 numeric,
  e33 numeric,
  e34 numeric,
  e35 numeric,
  e36 numeric,
  t01 text OPTIONS (attribute 'e01'),
  t02 text OPTIONS (attribute 'e02'),
  t03 text OPTIONS (attribute 'e03'),
  t04 text OPTIONS (attribute 'e04'),
  t05 text OPTIONS (attribute 'e05'),
  t06 text OPTIONS (attribute 'e06'),
  t07 text OPTIONS (attribute 'e07'),
  t08 text OPTIONS (attribute 'e08'),
  t09 text OPTIONS (attribute 'e09'),
  t10 text OPTIONS (attribute 'e10'),
  t11 text OPTIONS (attribute 'e11'),
  t12 text OPTIONS (attribute 'e12'),
  t13 text OPTIONS (attribute 'e13'),
  t14 text OPTIONS (attribute 'e14'),
  t15 text OPTIONS (attribute 'e15'),
  t16 text OPTIONS (attribute 'e16'),
  t17 text OPTIONS (attribute 'e17'),
  t18 text OPTIONS (attribute 'e18'),
  t19 text OPTIONS (attribute 'e19'),
  t20 text OPTIONS (attribute 'e20'),
  t21 text OPTIONS (attribute 'e21'),
  t22 text OPTIONS (attribute 'e22'),
  t23 text OPTIONS (attribute 'e23'),
  t24 text OPTIONS (attribute 'e24'),
  t25 text OPTIONS (attribute 'e25'),
  t26 text OPTIONS (attribute 'e26'),
  t27 text OPTIONS (attribute 'e27'),
  t28 text OPTIONS (attribute 'e28'),
  t29 text OPTIONS (attribute 'e29'),
  t30 text OPTIONS (attribute 'e30'),
  t31 text OPTIONS (attribute 'e31'),
  t32 text OPTIONS (attribute 'e32'),
  t33 text OPTIONS (attribute 'e33'),
  t34 text OPTIONS (attribute 'e34'),
  t35 text OPTIONS (attribute 'e35'),
  t36 text OPTIONS (attribute 'e36'),
  whole jsonb OPTIONS (meta 'item'))
  SERVER forms OPTIONS (table 'number_forms');
-- stored, so that both sides' headers are stored alike: a numeric of the
-- long format takes two bytes more than one of the short
CREATE TEMP TABLE direct_read AS
  SELECT 'text' AS path, a.attr, a.num, a.txt::numeric AS parsed
    FROM nums_direct n, LATERAL (VALUES
         ('e01', n.e01, n.t01),
         ('e02', n.e02, n.t02),
         ('e03', n.e03, n.t03),
         ('e04', n.e04, n.t04),
         ('e05', n.e05, n.t05),
         ('e06', n.e06, n.t06),
         ('e07', n.e07, n.t07),
         ('e08', n.e08, n.t08),
         ('e09', n.e09, n.t09),
         ('e10', n.e10, n.t10),
         ('e11', n.e11, n.t11),
         ('e12', n.e12, n.t12),
         ('e13', n.e13, n.t13),
         ('e14', n.e14, n.t14),
         ('e15', n.e15, n.t15),
         ('e16', n.e16, n.t16),
         ('e17', n.e17, n.t17),
         ('e18', n.e18, n.t18),
         ('e19', n.e19, n.t19),
         ('e20', n.e20, n.t20),
         ('e21', n.e21, n.t21),
         ('e22', n.e22, n.t22),
         ('e23', n.e23, n.t23),
         ('e24', n.e24, n.t24),
         ('e25', n.e25, n.t25),
         ('e26', n.e26, n.t26),
         ('e27', n.e27, n.t27),
         ('e28', n.e28, n.t28),
         ('e29', n.e29, n.t29),
         ('e30', n.e30, n.t30),
         ('e31', n.e31, n.t31),
         ('e32', n.e32, n.t32),
         ('e33', n.e33, n.t33),
         ('e34', n.e34, n.t34),
         ('e35', n.e35, n.t35),
         ('e36', n.e36, n.t36)) a(attr, num, txt)
  UNION ALL
  SELECT 'item' AS path, a.attr, a.num, a.txt::numeric AS parsed
    FROM nums_direct_item n, LATERAL (VALUES
         ('e01', n.e01, n.t01),
         ('e02', n.e02, n.t02),
         ('e03', n.e03, n.t03),
         ('e04', n.e04, n.t04),
         ('e05', n.e05, n.t05),
         ('e06', n.e06, n.t06),
         ('e07', n.e07, n.t07),
         ('e08', n.e08, n.t08),
         ('e09', n.e09, n.t09),
         ('e10', n.e10, n.t10),
         ('e11', n.e11, n.t11),
         ('e12', n.e12, n.t12),
         ('e13', n.e13, n.t13),
         ('e14', n.e14, n.t14),
         ('e15', n.e15, n.t15),
         ('e16', n.e16, n.t16),
         ('e17', n.e17, n.t17),
         ('e18', n.e18, n.t18),
         ('e19', n.e19, n.t19),
         ('e20', n.e20, n.t20),
         ('e21', n.e21, n.t21),
         ('e22', n.e22, n.t22),
         ('e23', n.e23, n.t23),
         ('e24', n.e24, n.t24),
         ('e25', n.e25, n.t25),
         ('e26', n.e26, n.t26),
         ('e27', n.e27, n.t27),
         ('e28', n.e28, n.t28),
         ('e29', n.e29, n.t29),
         ('e30', n.e30, n.t30),
         ('e31', n.e31, n.t31),
         ('e32', n.e32, n.t32),
         ('e33', n.e33, n.t33),
         ('e34', n.e34, n.t34),
         ('e35', n.e35, n.t35),
         ('e36', n.e36, n.t36)) a(attr, num, txt);
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
