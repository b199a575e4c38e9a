--
-- types: every DynamoDB type into the PostgreSQL types that can hold it
--
\i sql/server.inc

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

-- ===================================================================
-- one item with every type
-- ===================================================================
SELECT * FROM types WHERE id = 't1' \gx

-- the values keep their types and every digit
SELECT pg_typeof(n_dec), n_dec = 12345678901234567890.123456789012345678 AS exact,
       n_big = 9223372036854775807 AS big, n_float * 2 AS doubled,
       octet_length(b) AS b_len, get_byte(b, 2) AS b_last,
       m -> 'a' AS m_a, jsonb_typeof(m -> 'b') AS m_b_type, m #>> '{b,0}' AS m_b0,
       m -> 'c' AS m_c_base64, m ->> 'q' AS m_q,
       array_length(ss, 1) AS ss_len, ns[2] AS ns_2, ns_int[3] + 1 AS ns_int_3,
       convert_from(bs[2], 'UTF8') AS bs_2, d + 1 AS next_day,
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
SELECT m_as_bool FROM types_bad WHERE id = 't1';
SELECT ns_as_ints FROM types_bad WHERE id = 't1';
SELECT b_as_text FROM types_bad WHERE id = 't1';
SELECT s_as_date FROM types_bad WHERE id = 't1';
SELECT m_as_array FROM types_bad WHERE id = 't1';
-- a long value is cut short in the context
SELECT long_as_int FROM types_bad WHERE id = 't1';

DROP SERVER dynamo CASCADE;
