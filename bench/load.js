#!/usr/bin/env node
// Fill the benchmark table with the AWS SDK for JavaScript v3, fast:
// BatchWriteItem of 25 items, many requests in flight at once, retrying
// UnprocessedItems.  Items are generated here, deterministically, already in
// DynamoDB's typed JSON (no marshalling cost), and are about 200 bytes each
// by DynamoDB's item-size rule (attribute names plus values).
//
// Usage: node bench/load.js --endpoint URL --table NAME --items N [--concurrency C]
//
// Prints one line: items=N seconds=S items_per_s=R item_bytes=B

'use strict';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const path = require('node:path');
const http = require('node:http');

const modules = path.join(__dirname, '..', 'test', 'node_modules');
const {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  BatchWriteItemCommand,
} = require(path.join(modules, '@aws-sdk/client-dynamodb'));
const { NodeHttpHandler } = require(path.join(modules, '@smithy/node-http-handler'));

const BATCH = 25;
const CATEGORIES = ['books', 'garden', 'kitchen', 'outdoors', 'toys'];

function args() {
  const out = { concurrency: 16 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m || i + 1 >= argv.length) throw new Error(`bad argument '${argv[i]}'`);
    out[m[1]] = argv[i + 1];
  }
  if (!out.endpoint || !out.table || !out.items) {
    throw new Error('usage: load.js --endpoint URL --table NAME --items N [--concurrency C]');
  }
  out.items = Number(out.items);
  out.concurrency = Number(out.concurrency);
  return out;
}

// Deterministic text of a given length (no Math.random).
function text(n, length) {
  let state = (n * 2654435761) >>> 0;
  let s = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    s += String.fromCharCode(97 + ((state >>> 16) % 26));
  }
  return s;
}

// Item n (1-based).  Attribute names 29 bytes, id 12, payload 140, the
// rest about 20: about 200 bytes.
function item(n) {
  return {
    id: { S: `item-${String(n).padStart(7, '0')}` },
    n: { N: String(n) },
    price: { N: ((n * 37) % 100000 / 100).toFixed(2) },
    category: { S: CATEGORIES[n % CATEGORIES.length] },
    active: { BOOL: n % 3 === 0 },
    payload: { S: text(n, 140) },
  };
}

// DynamoDB's item size: names plus values (numbers: about 1 byte per 2 digits, plus 1).
function itemSize(it) {
  let size = 0;
  for (const [name, v] of Object.entries(it)) {
    size += Buffer.byteLength(name);
    if (v.S !== undefined) size += Buffer.byteLength(v.S);
    else if (v.N !== undefined) size += Math.ceil(v.N.replace(/[-.]/g, '').length / 2) + 1;
    else size += 1;
  }
  return size;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function tableStatus(client, name) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table.TableStatus;
  } catch (err) {
    if (err.name === 'ResourceNotFoundException') return 'GONE';
    throw err;
  }
}

async function waitStatus(client, name, wanted) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const status = await tableStatus(client, name);
    if (status === wanted) return;
    if (Date.now() > deadline) throw new Error(`table ${name} still ${status}, wanted ${wanted}`);
    await sleep(50);
  }
}

async function main() {
  const a = args();
  const client = new DynamoDBClient({
    endpoint: a.endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCHLOAD', secretAccessKey: 'bench-load-secret' },
    maxAttempts: 5,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: a.concurrency }),
    }),
  });
  try {
    try {
      await client.send(new DeleteTableCommand({ TableName: a.table }));
    } catch (err) {
      if (err.name !== 'ResourceNotFoundException') throw err;
    }
    await waitStatus(client, a.table, 'GONE');
    await client.send(new CreateTableCommand({
      TableName: a.table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    }));
    await waitStatus(client, a.table, 'ACTIVE');

    const t0 = process.hrtime.bigint();
    let next = 1;
    let done = 0;
    let lastReport = Date.now();
    async function worker() {
      while (next <= a.items) {
        const first = next;
        const last = Math.min(a.items, first + BATCH - 1);
        next = last + 1;
        let requests = [];
        for (let n = first; n <= last; n++) requests.push({ PutRequest: { Item: item(n) } });
        for (let attempt = 1; requests.length > 0; attempt++) {
          if (attempt > 10) throw new Error(`${requests.length} items still unprocessed after 10 attempts`);
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [a.table]: requests } }));
          requests = (out.UnprocessedItems && out.UnprocessedItems[a.table]) || [];
          if (requests.length > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        }
        done += last - first + 1;
        if (Date.now() - lastReport > 10000) {
          lastReport = Date.now();
          process.stderr.write(`load.js: ${done} of ${a.items} items\n`);
        }
      }
    }
    await Promise.all(Array.from({ length: a.concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let bytes = 0;
    for (let n = 1; n <= 1000; n++) bytes += itemSize(item(n));
    process.stdout.write(`items=${a.items} seconds=${seconds.toFixed(2)} ` +
      `items_per_s=${Math.round(a.items / seconds)} item_bytes=${(bytes / 1000).toFixed(1)}\n`);
  } finally {
    client.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`load.js: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}\n`);
  process.exit(1);
});
