-- writes held until COMMIT and sent as one TransactWriteItems (DynamoDB Local only)
SET client_min_messages = warning;
\i sql/server.inc
\i sql/proxy.inc
RESET client_min_messages;
CREATE FOREIGN TABLE wt (pk text, v text, n int)
  SERVER dynamo OPTIONS (table 'WriteTx', consistent_read 'true', transactional 'true');
CREATE FOREIGN TABLE wt_now (pk text, v text, n int)
  SERVER dynamo OPTIONS (table 'WriteTx', consistent_read 'true');
DELETE FROM wt_now;

-- ===================================================================
-- COMMIT sends one request; nothing goes before it
-- ===================================================================
SELECT proxy_reset();
BEGIN;
INSERT INTO wt VALUES ('a', 'one', 1), ('b', 'two', 2);
-- (a held write is not seen by reads before COMMIT: this updates nothing)
UPDATE wt SET v = 'ONE' WHERE pk = 'a';
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{TransactWriteItems,PutItem,UpdateItem}'::text[]) op ORDER BY op;
SELECT * FROM wt_now ORDER BY pk;
COMMIT;
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{TransactWriteItems,PutItem,UpdateItem}'::text[]) op ORDER BY op;
SELECT * FROM wt_now ORDER BY pk;
-- a write outside a transaction block commits at once
INSERT INTO wt VALUES ('c', 'three', 3);
SELECT * FROM wt_now ORDER BY pk;

-- ===================================================================
-- ROLLBACK sends nothing; nor does a savepoint rolled back
-- ===================================================================
SELECT proxy_reset();
BEGIN;
INSERT INTO wt VALUES ('d', 'four', 4);
DELETE FROM wt WHERE pk = 'a';
ROLLBACK;
SELECT * FROM proxy_requests('TransactWriteItems');
BEGIN;
INSERT INTO wt VALUES ('e', 'five', 5);
SAVEPOINT s;
INSERT INTO wt VALUES ('f', 'six', 6);
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM wt_now ORDER BY pk;

-- ===================================================================
-- a cancelled transaction is a serialization failure; nothing is written
-- ===================================================================
BEGIN;
INSERT INTO wt VALUES ('g', 'seven', 7);
INSERT INTO wt VALUES ('a', 'conflict', 0);
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
SELECT * FROM wt_now ORDER BY pk;

-- ===================================================================
-- more than 100 writes: an error at COMMIT, with a hint
-- ===================================================================
BEGIN;
INSERT INTO wt SELECT 'many' || g, 'x', g FROM generate_series(1, 101) g;
COMMIT;
SELECT count(*) FROM wt_now;

-- ===================================================================
-- the whole-item column: its PutItem held as well, condition and all
-- ===================================================================
CREATE FOREIGN TABLE wt_item (pk text, item jsonb OPTIONS (meta 'item'))
  SERVER dynamo OPTIONS (table 'WriteTx', consistent_read 'true', transactional 'true');
BEGIN;
INSERT INTO wt_item VALUES ('i', '{"v": "held", "n": 1}');
SELECT count(*) FROM wt_now WHERE pk = 'i';
COMMIT;
SELECT * FROM wt_now WHERE pk = 'i';
SELECT proxy_reset();
BEGIN;
UPDATE wt_item SET item = '{"v": "replaced"}' WHERE pk = 'i';
SELECT * FROM wt_now WHERE pk = 'i';
COMMIT;
SELECT op, (proxy_requests(op)).requests
  FROM unnest('{TransactWriteItems,PutItem,UpdateItem}'::text[]) op ORDER BY op;
SELECT * FROM wt_now WHERE pk = 'i';
-- an item deleted before COMMIT: its condition cancels the transaction
BEGIN;
UPDATE wt_item SET item = '{"v": "late"}' WHERE pk = 'i';
DELETE FROM wt_now WHERE pk = 'i';
\set VERBOSITY sqlstate
COMMIT;
\set VERBOSITY default
SELECT count(*) FROM wt_now WHERE pk = 'i';

-- leave the table as it was
BEGIN;
DELETE FROM wt;
COMMIT;
SELECT count(*) FROM wt_now;
DROP SERVER dynamo CASCADE;
