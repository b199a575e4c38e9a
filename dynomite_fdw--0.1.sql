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

-- The paging API: one DynamoDB page per row, fetched when the row is wanted.
-- In FROM the functions are read lazily by a plan of the library's own; the
-- support function, called while the planner estimates their size, loads
-- the library in time for that plan, also in the first statement of a
-- session.
CREATE FUNCTION dynomite_paging_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION dynomite_pages(tbl regclass, filter jsonb DEFAULT NULL,
                               start_at jsonb DEFAULT NULL,
                               next_token text DEFAULT NULL,
                               page_size int DEFAULT NULL)
RETURNS TABLE (page_number int, items jsonb, count int, scanned_count int,
               last_evaluated_key jsonb, next_token text, consumed_capacity float8)
AS 'MODULE_PATHNAME', 'dynomite_pages'
LANGUAGE C VOLATILE ROWS 10
SUPPORT dynomite_paging_support;

CREATE FUNCTION dynomite_raw_pages(tbl regclass, filter jsonb DEFAULT NULL,
                                   start_at jsonb DEFAULT NULL,
                                   next_token text DEFAULT NULL,
                                   page_size int DEFAULT NULL)
RETURNS TABLE (page_number int, response jsonb, items jsonb)
AS 'MODULE_PATHNAME', 'dynomite_raw_pages'
LANGUAGE C VOLATILE ROWS 10
SUPPORT dynomite_paging_support;

CREATE FUNCTION dynomite_page(tbl regclass, next_token text DEFAULT NULL,
                              page_size int DEFAULT 25, filter jsonb DEFAULT NULL)
RETURNS TABLE (items jsonb, next_token text)
AS 'MODULE_PATHNAME', 'dynomite_page'
LANGUAGE C VOLATILE ROWS 1
SUPPORT dynomite_paging_support;

COMMENT ON FUNCTION dynomite_pages(regclass, jsonb, jsonb, text, int)
  IS 'the DynamoDB pages of a foreign table, one per row';
COMMENT ON FUNCTION dynomite_raw_pages(regclass, jsonb, jsonb, text, int)
  IS 'the DynamoDB responses of a foreign table as sent, one per row';
COMMENT ON FUNCTION dynomite_page(regclass, text, int, jsonb)
  IS 'one page of exactly page_size items and the token of the next';
