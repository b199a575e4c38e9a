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
CREATE FOREIGN TABLE posts (
    id text, title text, category text, views bigint, tags text[], body jsonb,
    page_number int OPTIONS (meta 'page_number'),
    next_token text OPTIONS (meta 'next_token')
) SERVER dynamo OPTIONS (table 'Posts', page_size '10');

-- Post.each: every post, one DynamoDB page at a time
SELECT id, title, category FROM posts LIMIT 12;

-- Post.each_page.with_index: the page each row came from
SELECT page_number, count(*), min(id), max(id) FROM posts GROUP BY 1 ORDER BY 1;

-- Post.each_page: one row per DynamoDB page
SELECT page_number, jsonb_array_length(items) AS items, count, scanned_count,
       last_evaluated_key FROM dynomite_pages('posts');

-- Post.where(category: "Cloud").each_page
SELECT page_number, count, scanned_count, items->0->>'title' AS first
  FROM dynomite_pages('posts', '{"category": "Cloud"}');

-- raw_pages: the response as DynamoDB sent it, beside the items
SELECT page_number, response->'Count' AS count, response->'LastEvaluatedKey' AS lek,
       items->0 AS first_item
  FROM dynomite_raw_pages('posts') LIMIT 2;

-- start_at: resume after a key
SELECT items->0->>'id' AS first FROM dynomite_pages('posts', start_at => '{"id": "post-10"}') LIMIT 1;

-- the controller: a page for a web client, and the next with its token
SELECT jsonb_array_length(items) AS items, next_token FROM dynomite_page('posts', NULL, 5) \gset first_
SELECT jsonb_path_query_array(items, '$[*].id') AS ids, next_token IS NOT NULL AS more
  FROM dynomite_page('posts', :'first_next_token', 5);

-- the same in plain SQL, with the next_token column
SELECT id, next_token FROM posts WHERE next_token > '' LIMIT 3;

-- Post.limit(12): paging stops once twelve rows are read
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM posts LIMIT 12;

-- where the key is given, DynamoDB is asked for just that
EXPLAIN (COSTS OFF) SELECT title FROM posts WHERE id = 'post-7';

-- nested maps read as jsonb
SELECT body->>'words' AS words, count(*) FROM posts
 WHERE (body->>'draft')::boolean GROUP BY 1 ORDER BY (body->>'words')::int;

-- count(*) asks DynamoDB for counts only
SELECT count(*) FROM posts;
