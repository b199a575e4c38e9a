--
-- rescan: the foreign table on the inner side of a nested loop
--
\i sql/server.inc
CREATE FOREIGN TABLE paging (pk text, n integer, label text)
  SERVER dynamo OPTIONS (table 'Paging', page_size '7');

CREATE TEMP TABLE wanted (n integer, note text);
INSERT INTO wanted VALUES (3, 'three'), (49, 'forty-nine'), (50, 'fifty'), (77, 'none');

SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;

-- every outer row rescans the foreign table from its first page
EXPLAIN (COSTS OFF)
SELECT w.note, p.pk FROM wanted w, LATERAL (SELECT pk FROM paging WHERE n = w.n OFFSET 0) p;
SELECT w.note, p.pk FROM wanted w, LATERAL (SELECT pk FROM paging WHERE n = w.n OFFSET 0) p
 ORDER BY w.n;
SELECT w.note, p.c
  FROM wanted w, LATERAL (SELECT count(pk) AS c FROM paging WHERE n <= w.n OFFSET 0) p
 ORDER BY w.n;

-- a rescan in the middle of a page starts over too
SELECT w.n, (SELECT p.pk FROM paging p WHERE p.n >= w.n ORDER BY p.n LIMIT 1)
  FROM wanted w ORDER BY w.n;

-- the requests: four outer rows, eight pages of seven items each
\i sql/explain.inc
SELECT * FROM explain_analyze($$
SELECT w.note, p.pk FROM wanted w, LATERAL (SELECT pk FROM paging WHERE n = w.n OFFSET 0) p$$);

RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
DROP SERVER dynamo CASCADE;
