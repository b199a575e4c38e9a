--
-- types: every DynamoDB type into the PostgreSQL types that can hold it
--
-- (whether a suite before this one made the extension already is no
-- matter here: its notice is not shown)
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;

CREATE FOREIGN TABLE types (
    id          text,
    s           text,
    s_varchar   varchar(20) OPTIONS (attribute 's'),
    s_char      char(14)    OPTIONS (attribute 's'),
    n_int       integer,
    n_small     smallint    OPTIONS (attribute 'n_int'),
    n_big       bigint,
    n_dec       numeric,
    n_dec_text  text        OPTIONS (attribute 'n_dec'),
    n_float     double precision,
    n_real      real        OPTIONS (attribute 'n_float'),
    n_neg       integer,
    b           bytea,
    yes         boolean,
    yes_text    text        OPTIONS (attribute 'yes'),
    nul         text,
    nul_jsonb   jsonb       OPTIONS (attribute 'nul'),
    m           jsonb,
    m_json      json        OPTIONS (attribute 'm'),
    m_text      text        OPTIONS (attribute 'm'),
    l           jsonb,
    l_text      text[]      OPTIONS (attribute 'l'),
    ss          text[],
    ss_jsonb    jsonb       OPTIONS (attribute 'ss'),
    ns          numeric[],
    ns_int      integer[],
    ns_jsonb    jsonb       OPTIONS (attribute 'ns'),
    bs          bytea[],
    bs_jsonb    jsonb       OPTIONS (attribute 'bs'),
    s_jsonb     jsonb       OPTIONS (attribute 's'),
    n_jsonb     jsonb       OPTIONS (attribute 'n_dec'),
    d           date,
    ts          timestamptz,
    u           uuid,
    ip          inet,
    missing     text,
    missing_b   bytea       OPTIONS (attribute 'missing')
) SERVER dynamo OPTIONS (table 'Types');

SET timezone = 'UTC';

-- The members of a set come in no particular order (dynalite returns them
-- as they were written, DynamoDB Local in an order of its own): sets are
-- shown with their members sorted.
CREATE OR REPLACE FUNCTION sorted(anyarray) RETURNS anyarray LANGUAGE sql
  AS 'SELECT array_agg(x ORDER BY x) FROM unnest($1) x';
CREATE OR REPLACE FUNCTION sorted(jsonb) RETURNS jsonb LANGUAGE sql
  AS 'SELECT jsonb_agg(x ORDER BY x) FROM jsonb_array_elements($1) x';

-- ===================================================================
-- one item with every type
-- ===================================================================
SELECT id, s, s_varchar, s_char, n_int, n_small, n_big, n_dec, n_dec_text, n_float, n_real,
       n_neg, b, yes, yes_text, nul, nul_jsonb, l, l_text,
       sorted(ss) AS ss, sorted(ss_jsonb) AS ss_jsonb, sorted(ns) AS ns,
       sorted(ns_int) AS ns_int, sorted(ns_jsonb) AS ns_jsonb,
       sorted(bs) AS bs, sorted(bs_jsonb) AS bs_jsonb,
       s_jsonb, n_jsonb, d, ts, u, ip, missing, missing_b
  FROM types WHERE id = 't1' \gx
-- a map's keys come in no particular order either, and DynamoDB trims the
-- zero of the 1.50 written where DynamoDB Local keeps it: the map is
-- compared as a value; json keeps the text as it came, without spaces
SELECT m = '{"a": 1.5, "b": ["x", false, null], "c": "AAH/", "q": "say \"hi\"\n\ttab"}' AS m,
       m_json::jsonb = m AS m_json, m_text::jsonb = m AS m_text, m_text = m_json::text AS same_text,
       m_json -> 'b' AS m_json_b, m_json -> 'q' AS m_json_q, m_text::json -> 'c' AS m_text_c
  FROM types WHERE id = 't1';

-- the values keep their types and every digit
SELECT pg_typeof(n_dec), n_dec = 12345678901234567890.123456789012345678 AS exact,
       n_big = 9223372036854775807 AS big, n_float * 2 AS doubled,
       octet_length(b) AS b_len, get_byte(b, 2) AS b_last,
       m -> 'a' = '1.5' AS m_a, jsonb_typeof(m -> 'b') AS m_b_type, m #>> '{b,0}' AS m_b0,
       m -> 'c' AS m_c_base64, m ->> 'q' AS m_q,
       array_length(ss, 1) AS ss_len, (sorted(ns))[3] AS ns_3, (sorted(ns_int))[3] + 1 AS ns_int_3,
       convert_from((sorted(bs))[2], 'UTF8') AS bs_2, d + 1 AS next_day,
       ts AT TIME ZONE 'UTC' AS ts_utc, u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS u_eq,
       host(ip) AS host
  FROM types WHERE id = 't1';

-- ===================================================================
-- NULL and missing attributes are SQL NULL
-- ===================================================================
SELECT id, s IS NULL AS s, n_int IS NULL AS n_int, nul IS NULL AS nul,
       nul_jsonb IS NULL AS nul_jsonb, m IS NULL AS m, ss IS NULL AS ss,
       missing IS NULL AS missing, missing_b IS NULL AS missing_b
  FROM types ORDER BY id;

-- escapes in strings: read straight from the text or through the parsed
-- item, the same characters
CREATE FOREIGN TABLE types_esc (id text, esc text, esc_json jsonb OPTIONS (attribute 'esc'))
  SERVER dynamo OPTIONS (table 'Types');
SELECT esc, esc = esc_json #>> '{}' AS same, length(esc), octet_length(esc),
       position(E'\n' IN esc) > 0 AS has_newline, position(E'\u0001' IN esc) > 0 AS has_ctl
  FROM types_esc WHERE id = 't1';
-- a NUL cannot be stored: an error, never a string cut short
CREATE FOREIGN TABLE types_zero (id text, zero text, zero_json jsonb OPTIONS (attribute 'zero'))
  SERVER dynamo OPTIONS (table 'Types');
SELECT zero FROM types_zero WHERE id = 't4';
SELECT zero_json FROM types_zero WHERE id = 't4';

-- empty and nested containers
SELECT id, m, l, l_text FROM types WHERE id = 't3';

-- ===================================================================
-- values that cannot become the column's type: an error with context
-- ===================================================================
CREATE FOREIGN TABLE types_bad (
    id          text,
    s_as_int    integer  OPTIONS (attribute 's'),
    s_as_bytea  bytea    OPTIONS (attribute 's'),
    dec_as_int  integer  OPTIONS (attribute 'n_float'),
    big_as_small smallint OPTIONS (attribute 'n_big'),
    m_as_bool   boolean  OPTIONS (attribute 'm'),
    ns_as_ints  integer[] OPTIONS (attribute 'ns'),
    b_as_text   text     OPTIONS (attribute 'b'),
    s_as_date   date     OPTIONS (attribute 's'),
    m_as_array  text[]   OPTIONS (attribute 'm'),
    long_as_int integer  OPTIONS (attribute 'long')
) SERVER dynamo OPTIONS (table 'Types');
SELECT s_as_int FROM types_bad WHERE id = 't1';
SELECT s_as_bytea FROM types_bad WHERE id = 't1';
SELECT dec_as_int FROM types_bad WHERE id = 't1';
SELECT big_as_small FROM types_bad WHERE id = 't1';
-- the error of a set or a map, its context checked here: a set's members
-- are shown sorted; a map cut short is shown as what it must be, the
-- start of its typed JSON (its keys in the order they came), 80 bytes and
-- "..."
CREATE FUNCTION show_conversion_error(query text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
  hint text;
  context text;
  val text;
BEGIN
  EXECUTE query;
  RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    hint = PG_EXCEPTION_HINT, context = PG_EXCEPTION_CONTEXT;
  context := split_part(context, E'\n', 1);
  val := substring(context FROM
    '^converting DynamoDB attribute "[^"]*" \(type [A-Z]+, value "(.*)"\) to column "[^"]*" of foreign table "[^"]*"$');
  IF context ~ '\(type [NSB]S, ' THEN
    context := replace(context, val,
      (SELECT '[' || string_agg(x::text, ',' ORDER BY x) || ']'
         FROM jsonb_array_elements(val::jsonb) x) || ' (members sorted)');
  ELSIF context ~ '\(type M, ' AND octet_length(val) = 83 AND val ~ '^\{"[a-z]+":\{"[A-Z]+":.*[^.]\.\.\.$' THEN
    context := replace(context, val, '{"<key>":{"<type>":... (80 bytes, then "...")');
  END IF;
  RAISE NOTICE E'%: %\nhint: %\ncontext: %', state, msg, hint, context;
END $$;
SELECT show_conversion_error('SELECT m_as_bool FROM types_bad WHERE id = ''t1''');
SELECT show_conversion_error('SELECT ns_as_ints FROM types_bad WHERE id = ''t1''');
SELECT b_as_text FROM types_bad WHERE id = 't1';
SELECT s_as_date FROM types_bad WHERE id = 't1';
SELECT show_conversion_error('SELECT m_as_array FROM types_bad WHERE id = ''t1''');
-- a long value is cut short in the context
SELECT long_as_int FROM types_bad WHERE id = 't1';

-- ===================================================================
-- items that list their attributes in other orders and sets: each value
-- in its own column, however the one before it was laid out (the
-- hostile endpoint's attribute_orders; a column reads b twice)
-- ===================================================================
\getenv hostile_endpoint HOSTILE_ENDPOINT
CREATE SERVER orders FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'hostile_endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER orders
  OPTIONS (access_key_id 'AKIDHOSTILE', secret_access_key 'hostile-secret');
CREATE FOREIGN TABLE attribute_orders (id text, a text, b integer, c boolean,
                                       b_text text OPTIONS (attribute 'b'))
  SERVER orders OPTIONS (table 'attribute_orders');
SELECT * FROM attribute_orders;
DROP SERVER orders CASCADE;

DROP SERVER dynamo CASCADE;
