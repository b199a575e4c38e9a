#!/usr/bin/env node
// A broken or hostile DynamoDB endpoint for the "hostile" suite: it answers
// every request, signed or not, with what the table named in the request
// asks for, so that one server serves every case:
//
//   malformed   bodies that are not what DynamoDB sends (raw or escaped NUL
//               in names, members or attributes given twice, values of two
//               types, numbers that are not numbers, bad UTF-8, lone
//               surrogates, unknown types, bad base64, deep nesting, text
//               after the object, ...)
//   oversized   bodies far larger than DynamoDB's pages, sent fast
//   endless     bodies that never end: fast (endless_*) or a byte at a time
//               (drip)
//   looping     LastEvaluatedKeys that repeat (the same one, a cycle, one
//               number or string written in ever new ways) or that are not
//               a key of the table (wrong_*, lek_*)
//
// DescribeTable describes any table with partition key "id" (S; N for tables
// whose name starts with "n_") and, for names starting with "r_", sort key
// "sk" (S); tables named describe_* get broken descriptions instead.
// ListTables answers a listing that goes round in a circle.
//
// Usage: node test/hostile.js PORT   (listens on 127.0.0.1 only)
//
// Admin endpoints (GET or POST):
//   /__keys   the access key ids of the requests since the last reset, one
//             a line, read from their Authorization headers
//   /__count  how many DynamoDB requests came since the last reset
//   /__reset  forget both
//
// So that an extension that does not stop them fails its test rather than
// hang it, a looping table ends its read after 1,000 pages and an endless
// body ends after 256 MB or 30 seconds.

'use strict';

const http = require('node:http');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node test/hostile.js PORT');
  process.exit(2);
}

let keys = [];
let requests = 0;
let loopPages = 0;
const MAX_LOOP_PAGES = 1000;
const MAX_ENDLESS_BYTES = 256 * 1024 * 1024;
const MAX_ENDLESS_MS = 30000;

const item = (id) => `{"id":{"S":"${id}"},"n":{"N":"1"}}`;
const page = (items, extra) => `{"Items":[${items.join(',')}],"Count":${items.length},` +
  `"ScannedCount":${items.length}${extra || ''}}`;
const one = (attrs) => page([`{"id":{"S":"a"},${attrs}}`]);
const lek = (key) => (++loopPages > MAX_LOOP_PAGES ? page([item('z')]) :
  page([item('a')], `,"LastEvaluatedKey":${key}`));

// pages of an ever-growing number of ways to write one key
let variant = 0;
const zeros = () => '0'.repeat(variant++ % 1000);

// Numbers in every way DynamoDB's syntax allows, written exactly so (real
// servers write them their own way), for the exact_numbers suite: rows
// built straight from item text must read them as numeric_in and int8in
// do.  Item "a" holds them as e01, e02, ...
const NUMBER_FORMS = [
  '0', '-0', '0.000', '1E+2', '1e2', '1E-2', '0.000001', '1.50', '-1.50', '100',
  '10000', '99990000', '123456789012345678901234567890.12345678', '1E-100',
  '-1.2345678901234567890123456789012345678E-90', '9223372036854775807',
  '-9223372036854775808', '123456789012345678', '-32768', '2147483648', '5E+125',
  '0.1E-5', '12.345E+1', '-0.0E+5', '1.0000', '10000.00010000', '1E-130',
  '9.9999999999999999999999999999999999999E+125', '-12345678901234567890123456789012345678',
  '0.00012345678901234567890123456789012345678', '1.000000000000000000000000000000000000E+3',
  '7E0', '7E-0', '12E+10', '-0.5e-3', '99999999999999999999999999999999999999E-63',
];

// the body for a table's Scan, Query or GetItem
const answers = {
  // items whose attributes come in other orders and sets, for the types
  // suite: each value must land in its own column wherever it stands
  attribute_orders: () => page([
    '{"id":{"S":"r1"},"a":{"S":"a1"},"b":{"N":"1"},"c":{"BOOL":true}}',
    '{"b":{"N":"2"},"id":{"S":"r2"},"c":{"BOOL":false},"a":{"S":"a2"}}',
    '{"id":{"S":"r3"},"x":{"S":"x3"},"c":{"NULL":true},"b":{"N":"3"}}',
    '{"c":{"BOOL":true},"b":{"N":"4"},"a":{"S":"a4"},"id":{"S":"r4"}}',
    '{"id":{"S":"r5"},"a":{"S":"a5"},"b":{"N":"5"},"c":{"BOOL":false}}',
  ]),
  number_forms: () => one(NUMBER_FORMS.map((v, i) => `"e${String(i + 1).padStart(2, '0')}":{"N":"${v}"}`).join(',')),
  good: () => page([item('a'), item('b')]),
  // a read that pages on properly: four pages, then the end
  progress: (req) => {
    const at = req.ExclusiveStartKey ? Number(req.ExclusiveStartKey.id.S.slice(1)) : 0;
    return at < 3 ? lek(`{"id":{"S":"k${at + 1}"}}`) : page([item('z')]);
  },

  // malformed
  nul_name: () => Buffer.concat([Buffer.from('{"Items":[{"id":{"S":"a"},"x'), Buffer.from([0]),
    Buffer.from('y":{"S":"z"}}],"Count":1}')]),
  nul_name_escaped: () => one('"x\\u0000y":{"S":"z"}'),
  items_twice: () => `{"Items":[${item('a')}],"Count":1,"Items":[` +
    Array.from({ length: 300 }, (_, i) => item(`i${i}`)).join(',') + ']}',
  attr_twice: () => page(['{"id":{"S":"a"},"n":{"N":"1"},"n":{"N":"2"}}']),
  attr_twice_escaped: () => page(['{"id":{"S":"a"},"n":{"N":"1"},"\\u006e":{"N":"2"}}']),
  map_key_twice: () => one('"m":{"M":{"k":{"N":"1"},"k":{"N":"2"}}}'),
  type_twice: () => one('"n":{"N":"1","S":"x"}'),
  type_twice_same: () => one('"n":{"N":"1","N":"2"}'),
  number_json: () => one('"m":{"M":{"k":{"N":"1,\\"x\\":true"}}}'),
  number_word: () => one('"n":{"N":"abc"}'),
  number_list: () => one('"m":{"L":[{"N":"1"},{"N":"1e"}]}'),
  number_set: () => one('"m":{"NS":["1","--2"]}'),
  number_digits: () => one(`"n":{"N":"${'1'.repeat(39)}"}`),
  number_range: () => one('"n":{"N":"1e200"}'),
  number_escaped: () => one('"n":{"N":"\\u0031"}'),
  bad_utf8: () => Buffer.concat([Buffer.from('{"Items":[{"id":{"S":"a"},"s":{"S":"x'),
    Buffer.from([0xff, 0xfe]), Buffer.from('"}}],"Count":1}')]),
  overlong_utf8: () => Buffer.concat([Buffer.from('{"Items":[{"id":{"S":"a"},"s":{"S":"x'),
    Buffer.from([0xc0, 0xaf]), Buffer.from('"}}],"Count":1}')]),
  bad_utf8_name: () => Buffer.concat([Buffer.from('{"Items":[{"id":{"S":"a"},"'),
    Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('":{"S":"x"}}],"Count":1}')]),
  lone_surrogate: () => one('"s":{"S":"x\\ud800y"}'),
  lone_low_surrogate: () => one('"s":{"S":"\\udc00"}'),
  raw_control: () => one('"s":{"S":"x\u0001y"}'),
  bad_escape: () => one('"s":{"S":"x\\qy"}'),
  unknown_type: () => one('"s":{"X":"1"}'),
  empty_type: () => one('"s":{}'),
  bad_base64: () => one('"b":{"B":"!!!!"}'),
  bool_string: () => one('"s":{"BOOL":"true"}'),
  deep: () => one(`"m":${'{"L":['.repeat(100)}${']}'.repeat(100)}`),
  count_twice: () => `{"Items":[${item('a')}],"Count":1,"Count":1}`,
  count_negative: () => `{"Items":[${item('a')}],"Count":-1}`,
  text_after: () => page([item('a')]) + 'x',
  not_json: () => '<html><body>hello</body></html>',
  items_not_array: () => '{"Items":{"id":{"S":"a"}},"Count":1}',
  item_not_object: () => '{"Items":[[1,2]],"Count":1}',
  items_and_item: () => `{"Items":[${item('a')}],"Item":${item('b')}}`,
  capacity_word: () => page([item('a')], ',"ConsumedCapacity":{"CapacityUnits":"lots"}'),

  // looping and wrong LastEvaluatedKeys
  loop_same: () => lek('{"id":{"S":"k"}}'),
  loop_cycle: () => lek(`{"id":{"S":"k${variant++ % 3}"}}`),
  loop_escaped: () => lek(variant++ % 2 ? '{"id":{"S":"k"}}' : '{"id":{"S":"\\u006b"}}'),
  loop_spaces: () => lek(`{ ${' '.repeat(variant++ % 1000)}"id" : {"S":"k"}}`),
  n_loop_number: () => lek(`{"id":{"N":"1.0${zeros()}"}}`),
  r_loop_same: () => lek('{"id":{"S":"a"},"sk":{"S":"k"}}'),
  r_loop_order: () => lek(variant++ % 2 ? '{"id":{"S":"a"},"sk":{"S":"k"}}' :
    '{"sk":{"S":"k"},"id":{"S":"a"}}'),
  wrong_name: () => lek('{"other":{"S":"x"}}'),
  wrong_type: () => lek('{"id":{"N":"1"}}'),
  wrong_extra: () => lek('{"id":{"S":"k"},"x":{"S":"y"}}'),
  wrong_empty: () => lek('{"id":{"S":""}}'),
  wrong_not_object: () => lek('"k"'),
  wrong_twice: () => lek('{"id":{"S":"k"},"id":{"S":"l"}}'),
  r_wrong_missing: () => lek('{"id":{"S":"a"}}'),
};

// the body for BatchGetItem of a table
const batchAnswers = {
  good: (table) => `{"Responses":{"${table}":[${item('a')},${item('b')}]},"UnprocessedKeys":{}}`,
  responses_twice: (table) => `{"Responses":{"${table}":[${item('a')}],"${table}":[${item('b')}]}}`,
  unprocessed_other: (table) =>
    `{"Responses":{"${table}":[]},"UnprocessedKeys":{"Other":{"Keys":[{"id":{"S":"a"}}]}}}`,
  unprocessed_shape: (table) =>
    `{"Responses":{"${table}":[]},"UnprocessedKeys":{"${table}":{"Keys":[{"x":{"S":"a"}}]}}}`,
};

const descriptions = {
  describe_twice: (t) => `{"Table":${describe(t)},"Table":${describe(t)}}`,
  describe_type: (t) => `{"Table":${describe(t).replace('"AttributeType":"S"', '"AttributeType":"X"')}}`,
  describe_nul: (t) => `{"Table":${describe(t).replace(/"id"/g, '"i\\u0000d"')}}`,
  describe_two_hash: (t) => `{"Table":${describe(t).replace('"KeyType":"RANGE"', '"KeyType":"HASH"')}}`,
  describe_count: (t) => `{"Table":${describe(t).replace('"ItemCount":2', '"ItemCount":-5')}}`,
};

function describe(table) {
  const range = table.startsWith('r_') || table.startsWith('describe_two');
  const type = table.startsWith('n_') ? 'N' : 'S';
  return JSON.stringify({
    TableName: table,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }]
      .concat(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' }] : []),
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: type }]
      .concat(range ? [{ AttributeName: 'sk', AttributeType: 'S' }] : []),
    ItemCount: 2,
    TableSizeBytes: 100,
    TableStatus: 'ACTIVE',
  });
}

// an answer that goes on until the client hangs up: items as fast as the
// socket takes them, or one byte at a time
function endless(res, prefix, slow) {
  res.writeHead(res.statusCode || 200, { 'Content-Type': 'application/x-amz-json-1.0' });
  res.write(prefix);
  const chunk = Buffer.from(Array.from({ length: 200 }, (_, i) => item(`e${i}`) + ',').join(''));
  let timer = null;
  let sent = 0;
  const started = Date.now();
  const more = () => {
    if (res.destroyed) return;
    if (sent > MAX_ENDLESS_BYTES || Date.now() - started > MAX_ENDLESS_MS) {
      res.end();
      return;
    }
    if (slow) {
      res.write(' ');
      sent++;
      timer = setTimeout(more, 200);
    } else {
      let room = true;
      while (room && sent <= MAX_ENDLESS_BYTES) {
        room = res.write(chunk);
        sent += chunk.length;
      }
      if (room) setImmediate(more);
      else res.once('drain', more);
    }
  };
  res.on('close', () => clearTimeout(timer));
  more();
}

function send(res, status, body) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': buf.length });
  res.end(buf);
}

function answer(req, res, op, body) {
  const table = body.TableName || Object.keys(body.RequestItems || {})[0] || '';
  if (op === 'DescribeTable') {
    return send(res, 200, descriptions[table] ? descriptions[table](table) : `{"Table":${describe(table)}}`);
  }
  if (op === 'ListTables') {
    // a listing that goes round: t1, t2, t1, t2, ...
    const next = body.ExclusiveStartTableName === 't1' ? 't2' : 't1';
    return send(res, 200, JSON.stringify(++loopPages > MAX_LOOP_PAGES ? { TableNames: [] } :
      { TableNames: [next], LastEvaluatedTableName: next }));
  }
  switch (table) {
    case 'huge': {
      // a valid answer of 60 MB, sent at once
      const big = Array.from({ length: 600 }, (_, i) =>
        `{"id":{"S":"h${i}"},"s":{"S":"${'x'.repeat(100000)}"}}`);
      return send(res, 200, op === 'BatchGetItem' ? `{"Responses":{"${table}":[${big.join(',')}]}}` : page(big));
    }
    case 'endless':
      return endless(res, op === 'BatchGetItem' ? `{"Responses":{"${table}":[` :
        op === 'GetItem' ? '{"Item":{"id":{"S":"a"},"l":{"L":[' : '{"Items":[');
    case 'endless_error':
      res.statusCode = 500;
      return endless(res, '{"__type":"InternalServerError","message":"');
    case 'drip':
      return endless(res, '{"Items":[', true);
    case 'error_html':
      res.writeHead(500, { 'Content-Type': 'text/html' });
      return res.end('<html><body>500 Internal Server Error</body></html>');
    default:
      break;
  }
  if (op === 'BatchGetItem') {
    const fn = batchAnswers[table] || batchAnswers.good;
    return send(res, 200, fn(table));
  }
  const fn = answers[table] || answers.good;
  let out = fn(body);
  if (op === 'GetItem' && !Buffer.isBuffer(out) && out.startsWith('{"Items":[{')) {
    // the first item as GetItem's "Item", whatever else the case breaks
    const parsed = out.match(/^\{"Items":\[(.*)\],"Count"/s);
    out = parsed ? `{"Item":${parsed[1]}}` : out;
  }
  return send(res, 200, out);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__keys') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(keys.map((k) => `${k}\n`).join(''));
  }
  if (url.pathname === '/__count') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(`${requests}\n`);
  }
  if (url.pathname === '/__reset') {
    keys = [];
    requests = 0;
    variant = 0;
    loopPages = 0;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end('reset\n');
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const auth = req.headers.authorization || '';
    const m = auth.match(/Credential=([^/]+)\//);
    keys.push(m ? m[1] : '(unsigned)');
    const op = String(req.headers['x-amz-target'] || '').replace(/^DynamoDB_20120810\./, '');
    let body = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch (e) {
      return send(res, 400, '{"__type":"SerializationException","message":"not JSON"}');
    }
    try {
      return answer(req, res, op, body);
    } catch (e) {
      return send(res, 500, JSON.stringify({ __type: 'InternalServerError', message: String(e) }));
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1');
