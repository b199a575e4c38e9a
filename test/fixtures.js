// Test data for the dynomite_fdw regression and integration tests.
//
// Each entry maps a table name to:
//   table:  the CreateTable input (TableName is filled in from the entry's
//           name if omitted; BillingMode PAY_PER_REQUEST is the default)
//   items:  a function returning an array of items
//   format: 'plain' (default) - items are plain JS objects, marshalled with
//           @aws-sdk/util-dynamodb (JS Set of strings -> SS, Set of numbers
//           -> NS, nested objects -> M, arrays -> L, Uint8Array -> B);
//           'typed' - items are already DynamoDB typed JSON
//           ({"n": {"N": "1"}}), written as is.  Use 'typed' when exact
//           number strings, binary sets or NULL matter.
//
// All data is deterministic: the expected/ files depend on it.

'use strict';

const CATEGORIES = ['Cloud', 'Database', 'DevOps'];

function pad3(n) {
  return String(n).padStart(3, '0');
}

// Deterministic pseudo-random text (no Math.random): a small LCG seeded
// from n, mapped onto lowercase letters.
function payload(n, length) {
  let state = (n * 2654435761) >>> 0;
  const chars = new Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    chars[i] = String.fromCharCode(97 + ((state >>> 16) % 26));
  }
  return chars.join('');
}

const fixtures = {
  // 50 blog posts: scalar, set and map attributes.
  Posts: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let n = 1; n <= 50; n++) {
        out.push({
          id: `post-${n}`,
          title: `post ${n}`,
          category: CATEGORIES[(n - 1) % 3],
          views: n * 10,
          tags: n % 2 === 0 ? new Set(['aws', 'dynamodb']) : new Set(['sql']),
          body: { words: n * 100, draft: n % 5 === 0 },
          published: `2024-01-${String(((n - 1) % 31) + 1).padStart(2, '0')}`,
        });
      }
      return out;
    },
  },

  // 50 small items for Limit / pagination tests.
  Paging: {
    table: {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let n = 1; n <= 50; n++) {
        out.push({ pk: `item-${pad3(n)}`, n, label: `label ${pad3(n)}` });
      }
      return out;
    },
  },

  // 250 items of ~10 KB each (~2.5 MB): a Scan without Limit needs several
  // 1 MB pages.
  BigItems: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let n = 1; n <= 250; n++) {
        out.push({ id: `big-${pad3(n)}`, n, payload: payload(n, 10240) });
      }
      return out;
    },
  },

  // Every attribute type, in typed JSON so that number strings, binary
  // values and NULL are exactly as written.  t1 has everything, t2 almost
  // nothing, t3 empty and nested containers.
  Types: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    format: 'typed',
    items: () => [
      {
        id: { S: 't1' },
        s: { S: 'hello wörld' },
        n_int: { N: '42' },
        n_big: { N: '9223372036854775807' },
        n_dec: { N: '12345678901234567890.123456789012345678' },
        n_float: { N: '3.25' },
        n_neg: { N: '-17' },
        b: { B: Uint8Array.from([0, 1, 255]) },
        yes: { BOOL: true },
        nul: { NULL: true },
        m: {
          M: {
            a: { N: '1.50' },
            b: { L: [{ S: 'x' }, { BOOL: false }, { NULL: true }] },
            c: { B: Uint8Array.from([0, 1, 255]) },
            q: { S: 'say "hi"\n\ttab' },
          },
        },
        l: { L: [{ N: '1' }, { S: 'two' }, { M: { three: { N: '3' } } }] },
        ss: { SS: ['a', 'b', 'c'] },
        ns: { NS: ['1', '2.5', '-3'] },
        ns_int: { NS: ['1', '2', '3'] },
        bs: { BS: [Uint8Array.from([0, 1, 255]), Uint8Array.from([104, 105])] },
        d: { S: '2024-02-29' },
        ts: { S: '2024-02-29T12:34:56Z' },
        u: { S: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
        ip: { S: '127.0.0.1' },
        long: { S: 'x'.repeat(300) },
        esc: { S: 'quote " back \\ slash / nl \n tab \t ctl \u0001 é 😀 end' },
      },
      { id: { S: 't2' }, nul: { NULL: true } },
      {
        id: { S: 't3' },
        m: { M: {} },
        l: { L: [] },
      },
      { id: { S: 't4' }, zero: { S: 'a\u0000b' } },
    ],
  },

  // Device events for pushdown: partition key device, sort key ts; a local
  // index on kind (all attributes), a sparse global index on status (only
  // every third item has one) that projects amount only.
  Events: {
    table: {
      KeySchema: [
        { AttributeName: 'device', KeyType: 'HASH' },
        { AttributeName: 'ts', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'device', AttributeType: 'S' },
        { AttributeName: 'ts', AttributeType: 'N' },
        { AttributeName: 'kind', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
      ],
      LocalSecondaryIndexes: [{
        IndexName: 'by_kind',
        KeySchema: [
          { AttributeName: 'device', KeyType: 'HASH' },
          { AttributeName: 'kind', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }],
      GlobalSecondaryIndexes: [{
        IndexName: 'by_status',
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['amount'] },
      }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const kinds = ['boot', 'ping', 'error', 'update', 'Ping'];
      const out = [];
      for (let d = 1; d <= 20; d++) {
        for (let t = 1; t <= 50; t++) {
          const n = (d - 1) * 50 + t;
          const item = {
            device: `d${String(d).padStart(2, '0')}`,
            ts: t * 10,
            kind: kinds[n % kinds.length],
            amount: (n % 7) * 1.5,
            flag: n % 2 === 0,
          };
          if (n % 3 === 0) item.status = n % 2 === 0 ? 'open' : 'closed';
          if (n % 4 !== 0) item.note = `note ${n}`;
          if (n % 11 === 0) item.note = null;
          out.push(item);
        }
      }
      return out;
    },
  },

  // 10,000 items in 100 partitions of 100: a Query reads one partition.
  Wide: {
    table: {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'n', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'n', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let p = 0; p < 100; p++) {
        for (let n = 1; n <= 100; n++) {
          out.push({ pk: `p${String(p).padStart(3, '0')}`, n, v: p * 1000 + n });
        }
      }
      return out;
    },
  },

  // 1,000 users keyed by id alone: GetItem and BatchGetItem, joins, and
  // paging; a global index by_grp (grp, user_id) with every attribute.
  Users: {
    table: {
      KeySchema: [{ AttributeName: 'user_id', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'user_id', AttributeType: 'S' },
        { AttributeName: 'grp', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [{
        IndexName: 'by_grp',
        KeySchema: [
          { AttributeName: 'grp', KeyType: 'HASH' },
          { AttributeName: 'user_id', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let u = 1; u <= 1000; u++) {
        out.push({
          user_id: `u${String(u).padStart(4, '0')}`,
          name: `user ${u}`,
          score: u % 97,
          grp: `g${u % 10}`,
        });
      }
      return out;
    },
  },

  // 95 items: pages of 10 are numbered 1 to 10.
  Pages95: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let n = 1; n <= 95; n++) out.push({ id: `i${String(n).padStart(2, '0')}`, n });
      return out;
    },
  },

  // 40 items of id and n, and one, s21, with an attribute more.  A Scan
  // returns it 20th (dynalite orders by a hash of the key): past the first
  // 16 items of a page, which the projection tests need.
  Sparse: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let n = 1; n <= 40; n++) {
        const item = { id: `s${String(n).padStart(2, '0')}`, n };
        if (n === 21) item.extra = 'x'.repeat(20);
        out.push(item);
      }
      return out;
    },
  },

  // The requests suite: a numeric partition key (20 items, k 1 to 20).
  ReqNumbers: {
    table: {
      KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let k = 1; k <= 20; k++) out.push({ k, v: `v${k}` });
      return out;
    },
  },

  // The requests suite: a binary partition key.
  ReqBinary: {
    table: {
      KeySchema: [{ AttributeName: 'b', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'b', AttributeType: 'B' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [
      { b: Uint8Array.from([1]), v: 'one' },
      { b: Uint8Array.from([1, 2]), v: 'two' },
      { b: Uint8Array.from([255]), v: 'ff' },
    ],
  },

  // The requests suite: 5 customers of 10 orders (cust, seq); a global
  // index by_day that projects its keys only, and a global index by_state
  // that projects total besides.
  ReqOrders: {
    table: {
      KeySchema: [
        { AttributeName: 'cust', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'cust', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
        { AttributeName: 'day', AttributeType: 'S' },
        { AttributeName: 'state', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by_day',
          KeySchema: [
            { AttributeName: 'day', KeyType: 'HASH' },
            { AttributeName: 'seq', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'by_state',
          KeySchema: [{ AttributeName: 'state', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['total'] },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => {
      const out = [];
      for (let c = 1; c <= 5; c++) {
        for (let s = 1; s <= 10; s++) {
          out.push({
            cust: `c${c}`,
            seq: s,
            day: `2024-03-0${(s % 3) + 1}`,
            state: s % 2 === 0 ? 'paid' : 'open',
            total: c * 100 + s,
            note: `order ${c}-${s}`,
          });
        }
      }
      return out;
    },
  },

  // Attributes of another type than the column that reads them, for the
  // filters' type guards (t for a text column, i integer, b boolean, d
  // numeric; f01 to f12), and numbers of 38 digits and at DynamoDB's
  // limits on every conversion path (n1).  Typed JSON, so that every number
  // string is exactly as written.
  Mixed: {
    table: {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    format: 'typed',
    items: () => {
      const big = '12345678901234567890123456789012345678';
      const neg = '-98765432109876543210987654321098765432';
      const frac = '0.12345678901234567890123456789012345678';
      return [
        {
          id: { S: 'n1' },
          big: { N: big },
          neg: { N: neg },
          frac: { N: frac },
          tiny: { N: '1E-130' },
          huge: { N: '9.9999999999999999999999999999999999999E+125' },
          m: { M: { x: { N: big }, l: { L: [{ N: frac }, { N: neg }] } } },
          ns: { NS: [big, frac, neg, '1'] },
        },
        { id: { S: 'f01' }, t: { S: '5' }, i: { N: '5' }, b: { BOOL: true }, d: { N: '1.5' } },
        { id: { S: 'f02' }, t: { N: '5' }, i: { S: '5' }, b: { BOOL: false }, d: { S: '1.5' } },
        { id: { S: 'f03' }, t: { S: '12' }, i: { N: '12' }, b: { S: 'true' }, d: { N: big } },
        { id: { S: 'f04' }, t: { N: '12' }, i: { S: '12' }, b: { S: 'false' }, d: { S: big } },
        { id: { S: 'f05' }, t: { BOOL: true }, i: { S: '-3' }, b: { N: '1' }, d: { N: '-0.5' } },
        { id: { S: 'f06' }, t: { S: 'true' }, i: { N: '-3' }, b: { N: '0' }, d: { S: '-0.5' } },
        { id: { S: 'f07' }, t: { NULL: true }, i: { NULL: true }, b: { NULL: true }, d: { NULL: true } },
        { id: { S: 'f08' } },
        { id: { S: 'f09' }, t: { S: 'abc' }, i: { S: '007' }, b: { S: 'yes' }, d: { N: '1.50' } },
        { id: { S: 'f10' }, t: { N: '-3' }, i: { N: '7' }, b: { BOOL: true }, d: { S: '12' } },
        { id: { S: 'f11' }, t: { M: { k: { S: 'v' } } }, i: { S: '7' }, b: { S: 'f' }, d: { N: '12' } },
        { id: { S: 'f12' }, t: { L: [{ N: '1' }] }, i: { N: '-12' }, b: { BOOL: false }, d: { N: '0' } },
      ];
    },
  },

  // Tables the writes suites write to and empty again: a partition key
  // alone, a partition and a sort key, and one for held writes.
  WriteHash: {
    table: {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [],
  },
  WriteRange: {
    table: {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [],
  },
  // Tables the writes suite fills with the same 10,000 items on every run
  // (overwriting puts) and never empties: a partition key alone, and a
  // partition and a sort key.
  WriteBig: {
    table: {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [],
  },
  WriteBigRange: {
    table: {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [],
  },
  WriteTx: {
    table: {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
    items: () => [],
  },
};

module.exports = fixtures;
