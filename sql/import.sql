--
-- IMPORT FOREIGN SCHEMA: a foreign table per DynamoDB table
--
\i sql/server.inc

-- DynamoDB has no schemas: any remote schema name will do
CREATE SCHEMA everything;
IMPORT FOREIGN SCHEMA dynamodb FROM SERVER dynamo INTO everything;
SELECT c.relname, ft.ftoptions,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
                          coalesce(' ' || array_to_string(a.attfdwoptions, ','), ''), ', '
                          ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0) AS columns
  FROM pg_class c JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
 WHERE c.relnamespace = 'everything'::regnamespace ORDER BY 1;

-- the keys are typed columns, the rest is in the item
SELECT device, ts, item->>'kind' AS kind, item->'amount' AS amount, item ? 'status' AS has_status
  FROM everything."Events" WHERE device = 'd01' AND ts <= 30 ORDER BY ts;
SELECT pk, n, item FROM everything."Wide" WHERE pk = 'p001' AND n = 2;
SELECT id, item FROM everything."Types" WHERE id = 't3';
EXPLAIN (COSTS OFF) SELECT item FROM everything."Users" WHERE user_id = 'u0001';

CREATE SCHEMA picked;
IMPORT FOREIGN SCHEMA anything LIMIT TO ("Users", "Posts", "NoSuchTable")
  FROM SERVER dynamo INTO picked;
SELECT relname FROM pg_class WHERE relnamespace = 'picked'::regnamespace ORDER BY 1;
CREATE SCHEMA rest;
IMPORT FOREIGN SCHEMA anything EXCEPT ("Users", "Posts") FROM SERVER dynamo INTO rest;
SELECT relname FROM pg_class WHERE relnamespace = 'rest'::regnamespace ORDER BY 1;
IMPORT FOREIGN SCHEMA anything FROM SERVER dynamo INTO rest OPTIONS (prefix 'x');

DROP SCHEMA everything, picked, rest CASCADE;
DROP SERVER dynamo CASCADE;
