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
