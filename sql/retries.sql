--
-- retries: every error DynamoDB asks to retry is retried, on every path a
-- request takes; the rows are those of an answer that never failed
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

CREATE FOREIGN TABLE paging (pk text, n integer) SERVER dynamo OPTIONS (table 'Paging');
CREATE FOREIGN TABLE paging_p20 (pk text, n integer)
  SERVER dynamo OPTIONS (table 'Paging', page_size '20');
-- plan once: the table's description is cached from now on
SELECT count(pk) FROM paging;
SELECT count(*) FROM paging_p20;

-- The rows of q after the proxy failed the next n requests with HTTP status
-- and error type (or dropped the connection, type "close"): "same rows" if
-- they are those of an unfailed read (else the error), how many failures
-- the proxy injected, and the retries EXPLAIN ANALYZE counts
CREATE FUNCTION after_failures(q text, n int, status int, type text,
                               OUT outcome text, OUT injected bigint, OUT retries int)
LANGUAGE plpgsql AS $$
DECLARE
  want text;
  got text;
  line text;
BEGIN
  EXECUTE format('SELECT string_agg(r::text, '','' ORDER BY r::text) FROM (%s) r', q) INTO want;
  PERFORM proxy_reset();
  PERFORM proxy_fail(n, status, type);
  BEGIN
    EXECUTE format('SELECT string_agg(r::text, '','' ORDER BY r::text) FROM (%s) r', q) INTO got;
    outcome := CASE WHEN got = want THEN 'same rows' ELSE 'OTHER ROWS' END;
  EXCEPTION WHEN OTHERS THEN
    outcome := 'ERROR: ' || SQLERRM;
  END;
  PERFORM proxy_load_stats();
  SELECT coalesce(sum(s.requests), 0) INTO injected FROM proxy_stats s WHERE s.target = 'injected';
  retries := NULL;
  IF outcome = 'same rows' AND q NOT LIKE '%dynomite_pages%' THEN
    PERFORM proxy_reset();
    PERFORM proxy_fail(n, status, type);
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
      IF line ~ 'DynamoDB Retries: ' THEN
        retries := coalesce(retries, 0) + substring(line FROM 'Retries: ([0-9]+)')::int;
      END IF;
    END LOOP;
  END IF;
END $$;

-- ===================================================================
-- each error DynamoDB asks to retry, by its type alone (HTTP 400), or by
-- HTTP 5xx whatever its type, failing the first request of a scan
-- ===================================================================
SELECT type, status, r.*
  FROM (VALUES ('ProvisionedThroughputExceededException', 400),
               ('ThrottlingException', 400),
               ('RequestLimitExceeded', 400),
               ('InternalServerError', 400),
               ('ServiceUnavailable', 400),
               ('LimitExceededException', 400),
               ('InternalFailure', 500),
               ('ServiceUnavailableException', 503),
               ('SomethingElse', 502)) v(type, status),
       after_failures('SELECT pk, n FROM paging', 2, status, type) r;
SELECT type, status, r.*
  FROM (VALUES ('ThrottlingException', 400), ('InternalFailure', 500)) v(type, status),
       after_failures('SELECT pk, n FROM paging_p20', 3, status, type) r;
-- a later page's request: a cursor has read the first page when the
-- failures come
CREATE FUNCTION later_page_failures(failures int, status int, type text,
                                    OUT first_page int, OUT rest int, OUT injected bigint)
LANGUAGE plpgsql AS $$
DECLARE
  c refcursor;
BEGIN
  OPEN c FOR SELECT pk, n FROM paging_p20;
  MOVE FORWARD 20 IN c;
  GET DIAGNOSTICS first_page = ROW_COUNT;
  PERFORM proxy_reset();
  PERFORM proxy_fail(failures, status, type);
  MOVE FORWARD ALL IN c;
  GET DIAGNOSTICS rest = ROW_COUNT;
  CLOSE c;
  PERFORM proxy_load_stats();
  SELECT coalesce(sum(s.requests), 0) INTO injected FROM proxy_stats s WHERE s.target = 'injected';
END $$;
SELECT type, status, r.*
  FROM (VALUES ('ThrottlingException', 400), ('InternalFailure', 500), ('close', 400)) v(type, status),
       later_page_failures(3, status, type) r;

-- ===================================================================
-- connections dropped without an answer: four in a row (libcurl itself
-- may send a request again once on a new connection when a kept-alive one
-- died, so the retries the extension counts are left out)
-- ===================================================================
SELECT outcome, injected FROM after_failures('SELECT pk, n FROM paging', 4, 400, 'close');
SELECT outcome, injected FROM after_failures('SELECT pk, n FROM paging_p20', 4, 400, 'close');

-- ===================================================================
-- requests sent and waited for at once: GetItem, BatchGetItem, the pages
-- functions; max_retries (3) failures in a row, each retried
-- ===================================================================
SELECT type, status, r.*
  FROM (VALUES ('ProvisionedThroughputExceededException', 400),
               ('RequestLimitExceeded', 400),
               ('InternalFailure', 500),
               ('close', 400)) v(type, status),
       after_failures('SELECT count(*), sum(n) FROM dynomite_pages(''paging_p20'') p,
                              jsonb_to_recordset(p.items) AS i(pk text, n int)', 3, status, type) r;
SELECT r.* FROM after_failures('SELECT n FROM paging WHERE pk = ''item-007''', 3, 400,
                               'ThrottlingException') r;
SELECT r.* FROM after_failures('SELECT n FROM paging WHERE pk IN (''item-001'', ''item-002'')', 3,
                               503, 'ServiceUnavailable') r;
CREATE TEMP TABLE wanted (id text);
INSERT INTO wanted SELECT 'item-' || lpad(g::text, 3, '0') FROM generate_series(1, 30) g;
ANALYZE wanted;
-- the join in batches, whatever size the server says the table has
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT p.n FROM wanted w JOIN paging p ON p.pk = w.id;
SELECT r.* FROM after_failures('SELECT p.n FROM wanted w JOIN paging p ON p.pk = w.id', 3, 400,
                               'ThrottlingException') r;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- ===================================================================
-- one failure more than max_retries allows is an error
-- ===================================================================
ALTER SERVER dynamo OPTIONS (ADD max_retries '1');
SELECT count(*) FROM dynomite_pages('paging');
SELECT proxy_fail(2, 400, 'ThrottlingException');
SELECT count(*) FROM dynomite_pages('paging');
SELECT proxy_fail(1, 400, 'ThrottlingException');
SELECT count(*) FROM dynomite_pages('paging');
-- max_retries 0: nothing is retried after a pause, but a request whose
-- connection died without an answer (a kept-alive connection the server
-- closed) is sent again at once
ALTER SERVER dynamo OPTIONS (SET max_retries '0');
SELECT count(*) FROM paging;
SELECT outcome, injected FROM after_failures('SELECT pk, n FROM paging', 2, 400, 'close');
SELECT outcome, injected FROM after_failures('SELECT pk, n FROM paging', 1, 400, 'ThrottlingException');
ALTER SERVER dynamo OPTIONS (DROP max_retries);

DROP SERVER dynamo CASCADE;
