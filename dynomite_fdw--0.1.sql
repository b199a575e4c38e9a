/* dynomite_fdw--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dynomite_fdw" to load this file. \quit

CREATE FUNCTION dynomite_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION dynomite_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER dynomite_fdw
  HANDLER dynomite_fdw_handler
  VALIDATOR dynomite_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER dynomite_fdw IS 'reads Amazon DynamoDB tables';
