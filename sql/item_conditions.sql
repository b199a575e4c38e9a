--
-- item_conditions: conditions on the members of a whole-item column (the
-- `item` column IMPORT FOREIGN SCHEMA makes) go to DynamoDB as conditions
-- on those attributes: item->>'name' as a string, cast to a number or a
-- boolean as one.  A member may hold any type in any item, so the filter
-- keeps the items of another type and PostgreSQL decides those; a key
-- attribute's member of the key's type is taken by the keys.
--
-- (whether the extension is there already depends on the suites before)
SET client_min_messages = warning;
\i sql/server.inc
RESET client_min_messages;
\i sql/proxy.inc

-- Mixed: each attribute of another DynamoDB type in each item
CREATE FOREIGN TABLE mixed (id text, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Mixed');
CREATE FOREIGN TABLE mixed_nopush (id text, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Mixed', pushdown 'false');
-- Events: partition key device (S), sort key ts (N)
CREATE FOREIGN TABLE events (item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Events');
CREATE FOREIGN TABLE events_nopush (item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'Events', pushdown 'false');

\i sql/compare.inc

-- ===================================================================
-- the same rows as PostgreSQL alone finds, for every type an item holds
-- ===================================================================
SELECT q, same_rows_of(q, 'mixed', 'mixed_nopush') FROM (VALUES
  ('SELECT id FROM %s WHERE item->>''t'' = ''5'''),
  ('SELECT id FROM %s WHERE item->>''t'' = ''12'''),
  ('SELECT id FROM %s WHERE item->>''t'' = ''true'''),
  ('SELECT id FROM %s WHERE item->>''t'' = ''abc'''),
  ('SELECT id FROM %s WHERE ''abc'' = item->>''t'''),
  ('SELECT id FROM %s WHERE item->>''t'' <> ''5'''),
  ('SELECT id FROM %s WHERE item->>''t'' > ''1'' COLLATE "C"'),
  ('SELECT id FROM %s WHERE item->>''t'' < ''b'' COLLATE "C"'),
  ('SELECT id FROM %s WHERE item->>''t'' LIKE ''1%%'''),
  ('SELECT id FROM %s WHERE item->>''t'' IN (''5'', ''abc'', ''true'')'),
  ('SELECT id FROM %s WHERE item->>''t'' IS NULL'),
  ('SELECT id FROM %s WHERE item->>''t'' IS NOT NULL'),
  ('SELECT id FROM %s WHERE item->>''m'' IS NOT NULL'),
  ('SELECT id FROM %s WHERE item->>''t'' = ''5'' OR item->>''i'' = ''5'''),
  ('SELECT id FROM %s WHERE (item->>''i'')::numeric = 5'),
  ('SELECT id FROM %s WHERE (item->>''i'')::numeric > 0'),
  ('SELECT id FROM %s WHERE (item->>''i'')::numeric <= -3'),
  ('SELECT id FROM %s WHERE (item->>''i'')::numeric <> 12'),
  ('SELECT id FROM %s WHERE (item->>''i'')::numeric IN (5, 7, -12)'),
  ('SELECT id FROM %s WHERE (item->>''i'')::int = 7'),
  ('SELECT id FROM %s WHERE (item->>''d'')::numeric = 1.5'),
  ('SELECT id FROM %s WHERE (item->>''d'')::numeric BETWEEN -1 AND 2'),
  ('SELECT id FROM %s WHERE (item->>''b'')::boolean = true'),
  ('SELECT id FROM %s WHERE (item->>''b'')::boolean <> true'),
  ('SELECT id FROM %s WHERE NOT (item->>''b'')::boolean'),
  ('SELECT id FROM %s WHERE item->>''b'' = ''true'''),
  ('SELECT id FROM %s WHERE item->>''id'' = ''f03'''),
  ('SELECT id FROM %s WHERE item->>''id'' IN (''f01'', ''f09'', ''zz'')'),
  ('SELECT id FROM %s WHERE item->>''id'' = '''''),
  ('SELECT id FROM %s WHERE item->>''nothing'' = ''x'''),
  ('SELECT id FROM %s WHERE item->>'''' = ''x'''),
  ('SELECT id FROM %s WHERE item ? ''t'''),
  ('SELECT id FROM %s WHERE NOT item ? ''t'''),
  ('SELECT id FROM %s WHERE item ? ''m'' OR item ? ''b'''),
  ('SELECT id FROM %s WHERE item ? ''nothing'''),
  ('SELECT id FROM %s WHERE item @> ''{"t": "5"}'''),
  ('SELECT id FROM %s WHERE item @> ''{"t": 5}'''),
  ('SELECT id FROM %s WHERE item @> ''{"d": 1.5}'''),
  ('SELECT id FROM %s WHERE item @> ''{"d": 1.50}'''),
  ('SELECT id FROM %s WHERE item @> ''{"b": true}'''),
  ('SELECT id FROM %s WHERE item @> ''{"b": false}'''),
  ('SELECT id FROM %s WHERE ''{"i": -3}'' <@ item'),
  ('SELECT id FROM %s WHERE item @> ''{"t": null}'''),
  ('SELECT id FROM %s WHERE item @> ''{"t": "5", "i": 5}'''),
  ('SELECT id FROM %s WHERE item @> ''{"ns": ["1"]}'''),
  ('SELECT id FROM %s WHERE item @> ''{"id": "f03"}'''),
  ('SELECT id FROM %s WHERE item @> ''{"id": "f03"}'' OR item @> ''{"t": true}''')
) t(q);

-- what goes where: the filter keeps the items of another type
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE item->>'t' = '5';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE (item->>'i')::numeric > 0;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE (item->>'b')::boolean = true;
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE NOT (item->>'b')::boolean;
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item->>'t' IS NULL;
-- a member of no name, or compared as jsonb, stays with PostgreSQL
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item->>'' = 'x';
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item->'t' = '"5"';
-- whether the item has an attribute; a one-member document it contains
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE item ? 't' OR NOT item ? 'b';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE item @> '{"d": 1.5}';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mixed WHERE item @> '{"b": true}';
-- a document of two members, or of a null or a container, stays with PostgreSQL
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item @> '{"t": "5", "i": 5}';
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item @> '{"t": null}';
-- fewer items come back: only those that have the attribute
SELECT proxy_reset();
SELECT count(*) FROM mixed WHERE item ? 'm';
SELECT sent();

-- ===================================================================
-- key attributes: the keys take them
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT item->>'t' FROM mixed WHERE item->>'id' = 'f03';
SELECT proxy_reset();
SELECT item->>'t' FROM mixed WHERE item->>'id' = 'f03';
SELECT sent();
-- a key member the item contains: GetItem
EXPLAIN (COSTS OFF) SELECT item->>'t' FROM mixed WHERE item @> '{"id": "f03"}';
SELECT proxy_reset();
SELECT item->>'t' FROM mixed WHERE item @> '{"id": "f03"}';
SELECT sent();
EXPLAIN (COSTS OFF) SELECT id FROM mixed WHERE item->>'id' IN ('f01', 'f09', 'zz');
-- an empty key value matches nothing: nothing is sent
SELECT id FROM mixed WHERE item->>'id' = '';
SELECT sent();

SELECT q, same_rows_of(q, 'events', 'events_nopush') FROM (VALUES
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'''),
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'' AND (item->>''ts'')::numeric BETWEEN 120 AND 200'),
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'' AND (item->>''ts'')::numeric > 400'),
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'' AND (item->>''ts'')::numeric = 250'),
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'' AND item->>''ts'' = ''250'''),
  ('SELECT item FROM %s WHERE item->>''device'' IN (''d05'', ''d06'') AND (item->>''ts'')::numeric = 250'),
  ('SELECT item FROM %s WHERE item->>''device'' = ''d05'' AND item->>''kind'' = ''ping'''),
  ('SELECT item FROM %s WHERE item->>''kind'' = ''ping'' AND (item->>''amount'')::numeric > 5'),
  ('SELECT item FROM %s WHERE item @> ''{"device": "d05"}'' AND item @> ''{"ts": 250}'''),
  ('SELECT item FROM %s WHERE item @> ''{"device": "d05"}'' AND item @> ''{"ts": 250.0}''')
) t(q);
-- a whole key the item contains, the number in another spelling: GetItem
EXPLAIN (COSTS OFF)
SELECT item FROM events WHERE item @> '{"device": "d05"}' AND item @> '{"ts": 2.5e2}';
-- a Query of one partition, its sort key in the key condition
EXPLAIN (COSTS OFF)
SELECT item FROM events WHERE item->>'device' = 'd05' AND (item->>'ts')::numeric BETWEEN 120 AND 200;
SELECT proxy_reset();
SELECT item->>'ts' AS ts FROM events
 WHERE item->>'device' = 'd05' AND (item->>'ts')::numeric BETWEEN 120 AND 200 ORDER BY 1;
SELECT sent();
-- the sort key (a number) compared as text: never the key; a Query's
-- filter may not name a key attribute, so PostgreSQL checks it
EXPLAIN (COSTS OFF)
SELECT item FROM events WHERE item->>'device' = 'd05' AND item->>'ts' = '250';
-- a whole key: GetItem
EXPLAIN (COSTS OFF)
SELECT item FROM events WHERE item->>'device' = 'd05' AND (item->>'ts')::numeric = 250;
-- fewer items come back than a Scan without the filter reads
SELECT proxy_reset();
SELECT count(*) FROM events WHERE item->>'kind' = 'ping';
SELECT sent();
-- ordered by the sort key's member as a number: the Query's order, both
-- ways, with the LIMIT on the request; as text it is PostgreSQL's sort
EXPLAIN (COSTS OFF)
SELECT item->>'ts' FROM events WHERE item->>'device' = 'd05'
 ORDER BY (item->>'ts')::numeric DESC LIMIT 3;
SELECT proxy_reset();
SELECT item->>'ts' FROM events WHERE item->>'device' = 'd05'
 ORDER BY (item->>'ts')::numeric DESC LIMIT 3;
SELECT sent();
SELECT item->>'ts' FROM events_nopush WHERE item->>'device' = 'd05'
 ORDER BY (item->>'ts')::numeric DESC LIMIT 3;
SELECT item->>'ts' FROM events WHERE item->>'device' = 'd05'
 ORDER BY (item->>'ts')::int LIMIT 3;
EXPLAIN (COSTS OFF)
SELECT item->>'ts' FROM events WHERE item->>'device' = 'd05' ORDER BY item->>'ts' LIMIT 3;
-- a string sort key's member, in bytes' order: the local index's order
EXPLAIN (COSTS OFF)
SELECT item->>'kind' FROM events WHERE item->>'device' = 'd01' AND item->>'kind' >= 'p'
 ORDER BY item->>'kind' COLLATE "C" DESC;
-- another member as a number is no sort key: PostgreSQL sorts
SELECT (item->>'amount')::numeric AS amount FROM events WHERE item->>'device' = 'd05'
 ORDER BY (item->>'amount')::numeric LIMIT 3;
SELECT (item->>'amount')::numeric AS amount FROM events_nopush WHERE item->>'device' = 'd05'
 ORDER BY (item->>'amount')::numeric LIMIT 3;

-- a jsonb column that holds one attribute is no whole item: its members
-- are that attribute's, never the item's
CREATE FOREIGN TABLE posts (id text, body jsonb) SERVER dynamo OPTIONS (table 'Posts');
CREATE FOREIGN TABLE posts_nopush (id text, body jsonb)
  SERVER dynamo OPTIONS (table 'Posts', pushdown 'false');
EXPLAIN (COSTS OFF) SELECT id FROM posts WHERE body->>'id' = 'post-1';
SELECT q, same_rows_of(q, 'posts', 'posts_nopush') FROM (VALUES
  ('SELECT id FROM %s WHERE body->>''id'' = ''post-1'''),
  ('SELECT id FROM %s WHERE (body->>''words'')::int > 4000')
) t(q);

DROP SERVER dynamo CASCADE;
