/* dynomite_fdw--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dynomite_fdw UPDATE TO '0.2'" to load this file. \quit

-- What reading each foreign table has cost this backend since the last reset.
CREATE FUNCTION dynomite_stat_tables(
    OUT foreign_table regclass,
    OUT scan_requests bigint, OUT query_requests bigint,
    OUT getitem_requests bigint, OUT batchgetitem_requests bigint,
    OUT write_requests bigint,
    OUT items_read bigint, OUT capacity_units float8,
    OUT throttles bigint, OUT retries bigint, OUT errors bigint,
    OUT budget_waits bigint, OUT budget_wait_ms float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dynomite_stat_tables'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW dynomite_stat_tables AS
  SELECT * FROM dynomite_stat_tables();

-- Forget them: for one foreign table, or with NULL for all.
CREATE FUNCTION dynomite_stat_reset(foreign_table regclass DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dynomite_stat_reset'
LANGUAGE C VOLATILE;

COMMENT ON VIEW dynomite_stat_tables IS 'requests, items read, capacity consumed, throttles, retries, errors and read-budget waits of each foreign table in this backend since the last reset';
COMMENT ON FUNCTION dynomite_stat_reset(regclass) IS 'forgets the statistics of dynomite_stat_tables, of one foreign table or all';
