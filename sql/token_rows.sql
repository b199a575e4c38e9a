--
-- token_rows: a row's next_token resumes right after that row, wherever
-- the row sits in its page, with or without a LIMIT sent to DynamoDB
--
-- the extension exists whichever suite runs first: server.inc's notice is the same
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
RESET client_min_messages;
\i sql/server.inc
\i sql/proxy.inc

-- pages of 10: most rows are in the middle of a page, where the row's key
-- and the page's LastEvaluatedKey differ
CREATE FOREIGN TABLE wide_tok (pk text, n integer, v integer,
                               tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Wide', page_size '10');
CREATE FOREIGN TABLE paging_tok (pk text, n integer, tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Paging', page_size '7');
CREATE FOREIGN TABLE users_tok (user_id text, grp text, tok text OPTIONS (meta 'next_token'))
  SERVER dynamo OPTIONS (table 'Users', page_size '10');

-- ===================================================================
-- a Query of one partition, read whole: no LIMIT reaches DynamoDB
-- ===================================================================
CREATE TEMP TABLE p5 AS SELECT row_number() OVER () AS pos, n, tok FROM wide_tok WHERE pk = 'p005';
SELECT count(*), count(DISTINCT tok), bool_and(pos = n) AS in_order FROM p5;
EXPLAIN (COSTS OFF) SELECT n, tok FROM wide_tok WHERE pk = 'p005';
-- resumed from the token of the row at pos: exactly the rows after it
SELECT p.pos,
       (SELECT coalesce(array_agg(w.n), '{}') FROM wide_tok w WHERE w.pk = 'p005' AND w.tok > p.tok)
         = (SELECT coalesce(array_agg(q.n ORDER BY q.pos), '{}') FROM p5 q WHERE q.pos > p.pos)
         AS rows_after
  FROM p5 p WHERE p.pos IN (1, 3, 9, 10, 11, 55, 99, 100) ORDER BY p.pos;
SELECT n FROM wide_tok WHERE pk = 'p005' AND tok > (SELECT tok FROM p5 WHERE pos = 3) LIMIT 3;
SELECT n FROM wide_tok WHERE pk = 'p005' AND tok > (SELECT tok FROM p5 WHERE pos = 97);

-- ===================================================================
-- a LIMIT that stays local (a condition PostgreSQL checks): tokens of rows
-- in the middle of the pages read
-- ===================================================================
CREATE TEMP TABLE odd AS
  SELECT row_number() OVER () AS pos, n, tok FROM wide_tok WHERE pk = 'p006' AND v % 2 = 1 LIMIT 6;
EXPLAIN (COSTS OFF) SELECT n, tok FROM wide_tok WHERE pk = 'p006' AND v % 2 = 1 LIMIT 6;
SELECT pos, n FROM odd ORDER BY pos;
SELECT n FROM wide_tok WHERE pk = 'p006' AND v % 2 = 1 AND tok > (SELECT tok FROM odd WHERE pos = 2)
 LIMIT 4;

-- ===================================================================
-- a Scan: the rows after a row, in the order the server scans in (the
-- same on every read of an unchanged table)
-- ===================================================================
CREATE TEMP TABLE scanned AS SELECT row_number() OVER () AS pos, pk, tok FROM paging_tok;
SELECT count(*), count(DISTINCT pk), count(DISTINCT tok) FROM scanned;
SELECT s.pos,
       (SELECT coalesce(array_agg(t.pk), '{}') FROM paging_tok t WHERE t.tok > s.tok)
         = (SELECT coalesce(array_agg(q.pk ORDER BY q.pos), '{}') FROM scanned q WHERE q.pos > s.pos)
         AS rows_after
  FROM scanned s WHERE s.pos IN (1, 2, 7, 8, 12, 30, 49, 50) ORDER BY s.pos;

-- ===================================================================
-- a list of partitions: a token resumes in its own partition
-- ===================================================================
CREATE TEMP TABLE two AS
  SELECT row_number() OVER () AS pos, pk, n, tok FROM wide_tok WHERE pk IN ('p001', 'p002');
SELECT pk, count(*), min(pos), max(pos) FROM two GROUP BY pk ORDER BY pk;
SELECT t.pos,
       (SELECT coalesce(array_agg(w.pk || '/' || w.n), '{}') FROM wide_tok w
         WHERE w.pk IN ('p001', 'p002') AND w.tok > t.tok)
         = (SELECT coalesce(array_agg(q.pk || '/' || q.n ORDER BY q.pos), '{}') FROM two q
             WHERE q.pos > t.pos) AS rows_after
  FROM two t WHERE t.pos IN (4, 100, 101, 150, 200) ORDER BY t.pos;

-- ===================================================================
-- a global index: the token holds the index's keys and the table's
-- ===================================================================
CREATE TEMP TABLE g7 AS
  SELECT row_number() OVER () AS pos, user_id, tok FROM users_tok WHERE grp = 'g7';
SELECT count(*), min(user_id), max(user_id) FROM g7;
EXPLAIN (COSTS OFF) SELECT user_id, tok FROM users_tok WHERE grp = 'g7';
SELECT g.pos,
       (SELECT coalesce(array_agg(u.user_id), '{}') FROM users_tok u
         WHERE u.grp = 'g7' AND u.tok > g.tok)
         = (SELECT coalesce(array_agg(q.user_id ORDER BY q.pos), '{}') FROM g7 q WHERE q.pos > g.pos)
         AS rows_after
  FROM g7 g WHERE g.pos IN (1, 5, 10, 11, 64, 100) ORDER BY g.pos;

-- ===================================================================
-- a token's request starts right after its row: one page's worth of items
-- ===================================================================
SELECT proxy_reset();
SELECT count(*) FROM wide_tok WHERE pk = 'p005' AND tok > (SELECT tok FROM p5 WHERE pos = 95);
SELECT * FROM proxy_requests('Query');

DROP SERVER dynamo CASCADE;
