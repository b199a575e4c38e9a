-- The Dynomite paging examples, in SQL, against a local DynamoDB
\getenv endpoint DYNAMO_ENDPOINT
\getenv access_key DYNAMO_ACCESS_KEY_ID
\getenv secret_key DYNAMO_SECRET_ACCESS_KEY
\pset pager off

CREATE EXTENSION IF NOT EXISTS dynomite_fdw;
CREATE SERVER dynamo FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo
  OPTIONS (access_key_id :'access_key', secret_access_key :'secret_key');
CREATE FOREIGN TABLE posts (id text, title text, category text, views bigint,
                            tags text[], body jsonb, published date)
  SERVER dynamo OPTIONS (table 'Posts');

-- Post.each: every post, one DynamoDB page at a time
SELECT id, title, category FROM posts ORDER BY views LIMIT 10;

-- Post.each_page with pages of 10 items: the scan pages lazily
ALTER FOREIGN TABLE posts OPTIONS (ADD page_size '10');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM posts;

-- Post.where(category: "Cloud")
SELECT id, title, views, tags FROM posts WHERE category = 'Cloud' ORDER BY views;

-- Post.limit(12): paging stops once twelve rows are read
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM posts LIMIT 12;

-- nested maps read as jsonb
SELECT body->>'words' AS words, count(*) FROM posts
 WHERE (body->>'draft')::boolean GROUP BY 1 ORDER BY (body->>'words')::int;

-- count(*) asks DynamoDB for counts only
SELECT count(*) FROM posts;
