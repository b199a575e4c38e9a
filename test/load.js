#!/usr/bin/env node
// Load test fixtures into the local DynamoDB stack with the AWS SDK for
// JavaScript v3, through the signature-checking proxy.
//
// Usage: node test/load.js [fixture ...]     (no arguments: all fixtures)
//
// Needs the variables written by `test/stack.sh start DIR` (source DIR/env):
// DYNAMO_ENDPOINT, DYNAMO_ACCESS_KEY_ID, DYNAMO_SECRET_ACCESS_KEY, AWS_REGION.
// Each table is deleted (if present), created, and filled with
// BatchWriteItem, 25 items per request, retrying UnprocessedItems.

'use strict';

// The SDK warns on every run that future releases will need a newer node.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  BatchWriteItemCommand,
} = require('@aws-sdk/client-dynamodb');
const { marshall } = require('@aws-sdk/util-dynamodb');
const fixtures = require('./fixtures');

const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 10;
const TABLE_WAIT_MS = 30000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run "test/stack.sh start DIR" and source DIR/env first`);
  }
  return value;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function makeClient() {
  return new DynamoDBClient({
    endpoint: env('DYNAMO_ENDPOINT'),
    region: env('AWS_REGION'),
    credentials: {
      accessKeyId: env('DYNAMO_ACCESS_KEY_ID'),
      secretAccessKey: env('DYNAMO_SECRET_ACCESS_KEY'),
    },
    maxAttempts: 3,
  });
}

async function describe(client, name) {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    return out.Table;
  } catch (err) {
    if (err.name === 'ResourceNotFoundException') return null;
    throw err;
  }
}

async function waitFor(client, name, wanted) {
  const deadline = Date.now() + TABLE_WAIT_MS;
  for (;;) {
    const table = await describe(client, name);
    const status = table ? table.TableStatus : 'GONE';
    if (status === wanted) return;
    if (Date.now() > deadline) throw new Error(`table ${name} still ${status}, wanted ${wanted}`);
    await sleep(50);
  }
}

async function recreateTable(client, name, spec) {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
  await waitFor(client, name, 'GONE');
  const input = { BillingMode: 'PAY_PER_REQUEST', ...spec.table, TableName: name };
  await client.send(new CreateTableCommand(input));
  await waitFor(client, name, 'ACTIVE');
}

function toItems(spec) {
  const items = spec.items();
  if (!Array.isArray(items)) throw new Error('items() must return an array');
  if (spec.format === 'typed') return items;
  if (spec.format && spec.format !== 'plain') throw new Error(`unknown format '${spec.format}'`);
  return items.map((item) => marshall(item, { removeUndefinedValues: true }));
}

async function writeItems(client, name, items) {
  for (let i = 0; i < items.length; i += BATCH_SIZE) {
    let requests = items.slice(i, i + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        throw new Error(`${requests.length} items still unprocessed after ${MAX_BATCH_ATTEMPTS} attempts`);
      }
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [name]: requests } }));
      requests = (out.UnprocessedItems && out.UnprocessedItems[name]) || [];
      if (requests.length > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

async function main() {
  const names = process.argv.slice(2);
  const wanted = names.length ? names : Object.keys(fixtures);
  const unknown = wanted.filter((n) => !Object.prototype.hasOwnProperty.call(fixtures, n));
  if (unknown.length) {
    throw new Error(`unknown fixture(s): ${unknown.join(', ')} (known: ${Object.keys(fixtures).join(', ')})`);
  }
  const client = makeClient();
  try {
    for (const name of wanted) {
      const spec = fixtures[name];
      const items = toItems(spec);
      await recreateTable(client, name, spec);
      await writeItems(client, name, items);
      process.stdout.write(`${name}: ${items.length} items\n`);
    }
  } finally {
    client.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`load.js: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}\n`);
  process.exit(1);
});
