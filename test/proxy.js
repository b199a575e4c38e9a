#!/usr/bin/env node
// Loopback proxy for the dynomite_fdw test stack.
//
// Sits in front of dynalite (which does not check signatures) and verifies
// every request's AWS Signature Version 4 by re-signing it with the AWS SDK's
// own signer (@smithy/signature-v4) and comparing the results.  Verified
// requests are forwarded to dynalite and the answer is streamed back as is;
// rejected requests get a DynamoDB-style JSON error.  Per X-Amz-Target it
// counts requests, items returned, response bytes and requests that carried
// a ProjectionExpression, for tests that assert how many round trips the FDW
// made and what it asked for.
//
// Usage: node test/proxy.js --port P --upstream http://127.0.0.1:Q
//
// Environment:
//   PROXY_CREDENTIALS  "AKID1:secret1,AKID2:secret2[:token2]"  (required)
//                      An optional third field pins the session token that
//                      requests with that key id must carry.
//   PROXY_DELAY_MS     fixed delay before forwarding each request (default 0)
//   PROXY_SERVICE      service the credential scope must name (default
//                      "dynamodb"; empty accepts any)
//   PROXY_REGION       region the credential scope must name (default: any)
//
// Besides those keys it accepts the temporary ones test/credstub.js issues:
// their secret and session token follow from the key id by a rule both
// share (issuedCredential), and a key past the expiry it names is refused
// with ExpiredTokenException, as AWS refuses an expired session.
//
// Admin endpoints (unsigned, loopback only, not counted):
//   GET  /__stats             {"<target>": {"requests", "items", "bytes",
//                             "projected"}}
//   GET  /__stats?format=tsv  "target\trequests\titems\tbytes\tprojected"
//                             lines, sorted
//   GET  /__times?format=tsv  "n\ttarget\tstart_ms\tend_ms\tcapacity" per
//                             forwarded request since the last reset: when it
//                             came in and its answer ended, in ms from the
//                             first, and its ConsumedCapacity ("" if none)
//   POST /__reset (or GET)    zero all counters
//   GET  /__peak              the most DynamoDB requests that were in the
//                             proxy at once since the last reset
//   (/__stats, /__peak and /__reset answer once every request taken in has
//   been counted, also those whose client has gone)
//   POST /__fail?count=N&status=S&type=T
//                             the next N signed DynamoDB requests get HTTP S
//                             with error type T instead of an answer (type
//                             "close" drops the connection instead,
//                             "truncated" sends a body cut short); they
//                             are counted under target "injected"
//   POST /__chunk?count=N&size=S
//                             the next N answers from upstream are sent on
//                             S bytes at a time, each piece in an event
//                             loop turn of its own, so that the client
//                             reads them cut at every kind of place
//   POST /__hold?count=N&ms=M the next N requests wait M ms before they
//                             are forwarded
//   POST /__unprocessed?count=N&keep=K
//                             the next N BatchGetItem requests are sent on
//                             with their first K keys only, and their
//                             answers carry the other keys (with the
//                             request's projection and names) in
//                             UnprocessedKeys, as DynamoDB does when it
//                             runs short of capacity; K=0 answers with no
//                             item at all.  Counted under target
//                             "unprocessed": requests = answers cut short,
//                             items = keys left out
//   POST /__unprocessed?count=N&keep=K&op=BatchWriteItem
//                             the same for the next N BatchWriteItem
//                             requests: only their first K put or delete
//                             requests are sent on, the others come back
//                             in UnprocessedItems (K=0: nothing is
//                             written); counted under "unprocessed" too,
//                             items = writes left out

'use strict';

const http = require('node:http');
const crypto = require('node:crypto');
const {
  SignatureV4,
  prepareRequest,
  getCanonicalHeaders,
  getPayloadHash,
} = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

const Sha256 = Hash.bind(null, 'sha256');

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const CORAL = 'com.amazon.coral.service#';
const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. ' +
  'Consult the service documentation for details.';
const BAD_TOKEN_MESSAGE = 'The security token included in the request is invalid.';

// Hop-by-hop headers: never forwarded in either direction.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
  'upgrade', 'te', 'trailer',
]);

// Operations whose responses carry items worth counting.
const ITEM_OPERATIONS = new Set([
  'Scan', 'Query', 'GetItem', 'BatchGetItem',
  'ExecuteStatement', 'BatchExecuteStatement', 'TransactGetItems',
]);

// ---------------------------------------------------------------------------
// Credentials

function parseCredentials(spec) {
  const table = new Map();
  for (const entry of String(spec || '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const parts = trimmed.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
      throw new Error(`bad PROXY_CREDENTIALS entry '${trimmed}' (want AKID:secret[:token])`);
    }
    table.set(parts[0], { secret: parts[1], token: parts[2] || null });
  }
  return table;
}

// The temporary keys of test/credstub.js: "ASIASTUB", the expiry in Unix
// seconds (10 digits), a serial (6 hex digits); secret and token derived
// from the key id, so that the stub and the proxy need not talk.
const ISSUED_KEY = /^ASIASTUB([0-9]{10})[0-9A-F]{6}$/;
const ISSUER_SECRET = 'dynomite-credstub';

function issuedCredential(accessKeyId) {
  const m = ISSUED_KEY.exec(accessKeyId);
  if (!m) return null;
  const mac = (what) => crypto.createHmac('sha256', ISSUER_SECRET).update(`${what}:${accessKeyId}`);
  return {
    secret: mac('secret').digest('base64').slice(0, 40),
    token: `stubtoken${mac('token').digest('hex')}`,
    expires: Number(m[1]),
  };
}

function issueCredential(expiresAt, serial) {
  const accessKeyId = `ASIASTUB${String(expiresAt).padStart(10, '0')}` +
    serial.toString(16).toUpperCase().padStart(6, '0').slice(-6);
  const c = issuedCredential(accessKeyId);
  return { accessKeyId, secretAccessKey: c.secret, sessionToken: c.token, expires: expiresAt };
}

// ---------------------------------------------------------------------------
// Signature verification

function reject(type, message, reason, extra) {
  return { ok: false, type: CORAL + type, message, reason: reason || message, ...extra };
}

// "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=x;y, Signature=hex"
function parseAuthorization(value) {
  const text = value.trim();
  const space = text.indexOf(' ');
  const algorithm = space < 0 ? text : text.slice(0, space);
  const params = {};
  if (space >= 0) {
    for (const piece of text.slice(space + 1).split(',')) {
      const item = piece.trim();
      if (!item) continue;
      const eq = item.indexOf('=');
      if (eq < 0) return { algorithm, params, malformed: item };
      params[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
  }
  return { algorithm, params };
}

// 20240102T030405Z -> Date (or null)
function parseAmzDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const date = new Date(ms);
  // Reject roll-overs such as month 13 or second 61.
  if (date.getUTCFullYear() !== +m[1] || date.getUTCMonth() !== +m[2] - 1 ||
      date.getUTCDate() !== +m[3] || date.getUTCHours() !== +m[4] ||
      date.getUTCMinutes() !== +m[5] || date.getUTCSeconds() !== +m[6]) {
    return null;
  }
  return date;
}

function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

// Query string -> object with decoded keys/values (repeated keys -> arrays),
// the shape the signer expects.  '+' is kept literally, as SigV4 does.
function parseQuery(raw) {
  const query = {};
  if (!raw) return query;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(query, key)) query[key] = value;
    else if (Array.isArray(query[key])) query[key].push(value);
    else query[key] = [query[key], value];
  }
  return query;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// [[name, value], ...] -> {lowercase name: "v1,v2"} (repeated headers joined
// with commas, each value trimmed, as the SigV4 canonical form wants).
function collectHeaders(pairs) {
  const headers = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const v = String(value).trim();
    headers[key] = Object.prototype.hasOwnProperty.call(headers, key) ? `${headers[key]},${v}` : v;
  }
  return headers;
}

function sameHex(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Verify one request's SigV4 Authorization header.
 *
 * @param {object} req  {method, url (raw path + query), headerPairs: [[name, value]...], body: Buffer}
 * @param {object} opts {credentials: Map, service?: string, region?: string,
 *                       now?: Date, maxSkewMs?: number}
 * @returns {Promise<object>} {ok: true, accessKeyId} or
 *          {ok: false, type, message, reason, accessKeyId?}
 */
async function verifyRequest(req, opts) {
  const headers = collectHeaders(req.headerPairs);
  const body = req.body || Buffer.alloc(0);
  const qpos = req.url.indexOf('?');
  const path = qpos < 0 ? req.url : req.url.slice(0, qpos);
  const query = parseQuery(qpos < 0 ? '' : req.url.slice(qpos + 1));

  const authorization = headers.authorization;
  if (!authorization) {
    const why = 'X-Amz-Algorithm' in query
      ? 'query-string (presigned) authentication is not supported by the test proxy'
      : 'no Authorization header';
    return reject('MissingAuthenticationTokenException', 'Request is missing Authentication Token', why);
  }
  if (!authorization.trim().startsWith('AWS4-')) {
    return reject('MissingAuthenticationTokenException', 'Request is missing Authentication Token',
      'Authorization header does not start with AWS4-');
  }

  const auth = parseAuthorization(authorization);
  if (auth.malformed !== undefined) {
    return reject('IncompleteSignatureException',
      `'${auth.malformed}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`);
  }
  let missing = '';
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!auth.params[p]) missing += `Authorization header requires '${p}' parameter. `;
  }
  if (!headers['x-amz-date']) {
    missing += "Authorization header requires existence of an 'X-Amz-Date' header " +
      "(the test proxy does not accept 'Date'). ";
  }
  if (missing) return reject('IncompleteSignatureException', `${missing}Authorization=${authorization}`);

  const xAmzDate = headers['x-amz-date'];
  const signingDate = parseAmzDate(xAmzDate);
  if (!signingDate) {
    return reject('IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${xAmzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const now = opts.now || new Date();
  const skew = opts.maxSkewMs === undefined ? MAX_SKEW_MS : opts.maxSkewMs;
  if (signingDate.getTime() < now.getTime() - skew) {
    const limit = new Date(now.getTime() - skew);
    return reject('InvalidSignatureException',
      `Signature expired: ${xAmzDate} is now earlier than ${amzDate(limit)} (${amzDate(now)} - 15 min.)`);
  }
  if (signingDate.getTime() > now.getTime() + skew) {
    const limit = new Date(now.getTime() + skew);
    return reject('InvalidSignatureException',
      `Signature not yet current: ${xAmzDate} is still later than ${amzDate(limit)} (${amzDate(now)} + 15 min.)`);
  }

  const signedHeaders = auth.params.SignedHeaders.split(';');
  const signedSet = new Set(signedHeaders);
  if (!signedSet.has('host')) {
    return reject('InvalidSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }

  if (auth.algorithm !== ALGORITHM) {
    return reject('IncompleteSignatureException',
      `Unsupported AWS 'algorithm': '${auth.algorithm}' (only ${ALGORITHM} for now). `);
  }

  const credential = auth.params.Credential.replace(/\/+$/, '');
  const scope = credential.split('/');
  if (scope.length !== 5) {
    return reject('IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scope;
  let scopeProblems = '';
  if (opts.region && scopeRegion !== opts.region) {
    scopeProblems += `Credential should be scoped to a valid region, not '${scopeRegion}'. `;
  } else if (!/^[a-z0-9-]+$/.test(scopeRegion)) {
    scopeProblems += `Credential should be scoped to a valid region, not '${scopeRegion}'. `;
  }
  if (opts.service && scopeService !== opts.service) {
    scopeProblems += `Credential should be scoped to correct service: '${opts.service}'. `;
  }
  if (terminator !== 'aws4_request') {
    scopeProblems += `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `;
  }
  if (scopeDate !== xAmzDate.slice(0, 8)) {
    scopeProblems += 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
      `'${scopeDate}' != '${xAmzDate.slice(0, 8)}', from '${xAmzDate}'.`;
  }
  if (scopeProblems) return reject('InvalidSignatureException', scopeProblems.trim(), undefined, { accessKeyId });

  const entry = opts.credentials.get(accessKeyId) || issuedCredential(accessKeyId);
  if (!entry) {
    return reject('UnrecognizedClientException', BAD_TOKEN_MESSAGE,
      `unknown access key id '${accessKeyId}'`, { accessKeyId });
  }
  if (entry.expires && Date.now() / 1000 > entry.expires) {
    return reject('ExpiredTokenException', 'The security token included in the request is expired',
      `temporary key expired ${Math.round(Date.now() / 1000 - entry.expires)} s ago`, { accessKeyId });
  }

  const token = headers['x-amz-security-token'];
  if (token !== undefined && !signedSet.has('x-amz-security-token')) {
    return reject('InvalidSignatureException',
      `${MISMATCH_MESSAGE} (X-Amz-Security-Token is present but not among SignedHeaders.)`,
      'X-Amz-Security-Token present but not signed', { accessKeyId });
  }
  if (entry.token && token !== entry.token) {
    return reject('UnrecognizedClientException', BAD_TOKEN_MESSAGE,
      token === undefined ? 'session token required for this key id but absent' : 'wrong session token',
      { accessKeyId });
  }

  // The SDK signer regenerates these itself (x-amz-date from signingDate),
  // and always drops 'date' and 'authorization'.
  if (signedSet.has('date') || signedSet.has('authorization')) {
    return reject('InvalidSignatureException', MISMATCH_MESSAGE,
      "signing 'date' or 'authorization' is not supported (sign x-amz-date instead)", { accessKeyId });
  }
  if (!signedSet.has('x-amz-date')) {
    return reject('InvalidSignatureException', MISMATCH_MESSAGE,
      'x-amz-date is not among SignedHeaders', { accessKeyId });
  }
  const absent = signedHeaders.filter((h) => !Object.prototype.hasOwnProperty.call(headers, h));
  if (absent.length) {
    return reject('InvalidSignatureException', MISMATCH_MESSAGE,
      `signed header(s) missing from request: ${absent.join(',')}`, { accessKeyId });
  }

  const contentSha = headers['x-amz-content-sha256'];
  if (contentSha !== undefined) {
    const actual = crypto.createHash('sha256').update(body).digest('hex');
    if (contentSha !== actual) {
      return reject('InvalidSignatureException',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        `x-amz-content-sha256 ${contentSha} != body hash ${actual}`, { accessKeyId });
    }
  }

  // Re-sign exactly the signed headers with the SDK signer.
  const toSign = {
    method: req.method,
    protocol: 'http:',
    hostname: headers.host,
    path,
    query,
    headers: {},
    body: body.length ? body : undefined,
  };
  for (const h of signedHeaders) toSign.headers[h] = headers[h];

  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: entry.secret },
    region: scopeRegion,
    service: scopeService,
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const signed = await signer.sign(toSign, {
    signingDate,
    signingRegion: scopeRegion,
    signingService: scopeService,
    signableHeaders: signedSet,
  });
  const expected = parseAuthorization(signed.headers.authorization).params;

  if (expected.SignedHeaders === auth.params.SignedHeaders && sameHex(expected.Signature, auth.params.Signature)) {
    return { ok: true, accessKeyId };
  }

  // Mismatch: tell the client what we signed, as DynamoDB does.
  const prepared = prepareRequest(toSign);
  prepared.headers['x-amz-date'] = xAmzDate;
  const canonicalHeaders = getCanonicalHeaders(prepared, undefined, signedSet);
  const canonicalRequest = signer.createCanonicalRequest(prepared, canonicalHeaders,
    await getPayloadHash(prepared, Sha256));
  const stringToSign = await signer.createStringToSign(xAmzDate,
    `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`, canonicalRequest, ALGORITHM);
  let why = 'signature mismatch';
  if (expected.SignedHeaders !== auth.params.SignedHeaders) {
    why = `SignedHeaders not in canonical form: got '${auth.params.SignedHeaders}', ` +
      `expected '${expected.SignedHeaders}'`;
  }
  return reject('InvalidSignatureException',
    `${MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
    `The String-to-Sign should have been\n'${stringToSign}'\n`,
    `${why}; canonical request ${JSON.stringify(canonicalRequest)}`,
    { accessKeyId, canonicalRequest, stringToSign });
}

// ---------------------------------------------------------------------------
// Counters

const counters = new Map();
// when each forwarded request came in and its answer ended (GET /__times)
const times = [];

function count(target, items, bytes, projected) {
  let c = counters.get(target);
  if (!c) {
    c = { requests: 0, items: 0, bytes: 0, projected: 0 };
    counters.set(target, c);
  }
  c.requests += 1;
  c.items += items;
  c.bytes += bytes;
  if (projected) c.projected += 1;
}

// whether a request body asks for a ProjectionExpression
function hasProjection(body) {
  try {
    const json = JSON.parse(body.toString('utf8'));
    return json !== null && typeof json === 'object' && 'ProjectionExpression' in json;
  } catch {
    return false;
  }
}

function statsObject() {
  const out = {};
  for (const key of [...counters.keys()].sort()) out[key] = { ...counters.get(key) };
  return out;
}

function statsTsv() {
  let text = '';
  for (const key of [...counters.keys()].sort()) {
    const c = counters.get(key);
    text += `${key}\t${c.requests}\t${c.items}\t${c.bytes}\t${c.projected}\n`;
  }
  return text;
}

// capacity units of a ConsumedCapacity member: an object, or a list of them
function consumedCapacity(cc) {
  if (cc === undefined || cc === null) return null;
  const list = Array.isArray(cc) ? cc : [cc];
  return list.reduce((sum, c) => sum + (Number(c && c.CapacityUnits) || 0), 0);
}

function countItems(operation, json) {
  if (!json || typeof json !== 'object') return 0;
  if (Array.isArray(json.Items)) return json.Items.length;
  if (operation === 'BatchGetItem') {
    let n = 0;
    if (json.Responses && typeof json.Responses === 'object') {
      for (const rows of Object.values(json.Responses)) if (Array.isArray(rows)) n += rows.length;
    }
    return n;
  }
  if (operation === 'GetItem') return json.Item ? 1 : 0;
  if (Array.isArray(json.Responses)) {
    // TransactGetItems / BatchExecuteStatement: [{Item: ...}, ...]
    return json.Responses.filter((r) => r && r.Item).length;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// HTTP server

function sendJson(res, status, obj, extraHeaders) {
  const body = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': body.length,
    'x-amzn-RequestId': crypto.randomUUID(),
    ...extraHeaders,
  });
  res.end(body);
  return body.length;
}

// answers to send on in small pieces (POST /__chunk)
const chunking = { count: 0, size: 0 };

// the next requests wait this long before they are forwarded (POST /__hold)
const holding = { count: 0, ms: 0 };

// failures to inject into the next requests (POST /__fail)
const injected = { count: 0, status: 400, type: '' };

// BatchGetItem or BatchWriteItem answers to cut short (POST /__unprocessed)
const unprocessing = { count: 0, keep: 0, op: 'BatchGetItem' };

/*
 * Split a BatchGetItem request: the first keep keys (over all its tables, in
 * order) stay in the request, the others go to UnprocessedKeys with
 * everything else the request said of their table.
 */
function splitBatch(json, keep) {
  const forwarded = {};
  const unprocessed = {};
  let left = keep;
  let withheld = 0;
  for (const [table, spec] of Object.entries(json.RequestItems || {})) {
    const keys = Array.isArray(spec.Keys) ? spec.Keys : [];
    const kept = keys.slice(0, Math.max(left, 0));
    const rest = keys.slice(kept.length);
    left -= kept.length;
    if (kept.length) forwarded[table] = { ...spec, Keys: kept };
    if (rest.length) unprocessed[table] = { ...spec, Keys: rest };
    withheld += rest.length;
  }
  return { forwarded, unprocessed, withheld };
}

/*
 * Split a BatchWriteItem request: the first keep writes (over all its
 * tables, in order) stay in the request, the others go to UnprocessedItems.
 */
function splitWriteBatch(json, keep) {
  const forwarded = {};
  const unprocessed = {};
  let left = keep;
  let withheld = 0;
  for (const [table, writes] of Object.entries(json.RequestItems || {})) {
    const all = Array.isArray(writes) ? writes : [];
    const kept = all.slice(0, Math.max(left, 0));
    const rest = all.slice(kept.length);
    left -= kept.length;
    if (kept.length) forwarded[table] = kept;
    if (rest.length) unprocessed[table] = rest;
    withheld += rest.length;
  }
  return { forwarded, unprocessed, withheld };
}

// UnprocessedItems of upstream's answer and of the proxy's own, together
function mergeUnprocessedItems(a, b) {
  const out = { ...(a || {}) };
  for (const [table, writes] of Object.entries(b)) {
    out[table] = out[table] ? [...out[table], ...writes] : writes;
  }
  return out;
}

// UnprocessedKeys of upstream's answer and of the proxy's own, together
function mergeUnprocessed(a, b) {
  const out = { ...(a || {}) };
  for (const [table, spec] of Object.entries(b)) {
    out[table] = out[table] ? { ...out[table], Keys: [...out[table].Keys, ...spec.Keys] } : spec;
  }
  return out;
}

function injectFailure(res) {
  if (injected.count <= 0) return false;
  injected.count--;
  if (injected.type === 'close') {
    count('injected', 0, 0);
    res.socket.destroy();
    return true;
  }
  if (injected.type === 'truncated') {
    // a successful answer whose body stops half way
    const body = '{"Count":2,"Items":[{"id":{"S":"post-1"}},{"id":{"S":"po';
    res.writeHead(injected.status, { 'Content-Type': 'application/x-amz-json-1.0' });
    res.end(body);
    count('injected', 0, body.length);
    return true;
  }
  const prefix = 'com.amazonaws.dynamodb.v20120810#';
  const n = sendJson(res, injected.status, {
    __type: prefix + injected.type,
    message: `injected by the test proxy (${injected.type})`,
  });
  count('injected', 0, n);
  return true;
}

// requests taken in and not yet counted: a client that gave up on one (a
// query that stopped with a page on its way) does not stop it here
let pending = 0;
// the most requests pending at once since the last reset (GET /__peak)
let peak = 0;

// run fn once no request is pending (or after 10 s), so that the counters
// it reads or clears hold every request sent before it was asked
function whenIdle(fn) {
  const deadline = Date.now() + 10000;
  const check = () => {
    if (pending === 0 || Date.now() > deadline) fn();
    else setTimeout(check, 2);
  };
  check();
}

function handleAdmin(req, res) {
  if (req.url.startsWith('/__stats') || req.url.startsWith('/__reset') ||
      req.url.startsWith('/__peak') || req.url.startsWith('/__times')) {
    whenIdle(() => handleAdminNow(req, res));
    return;
  }
  handleAdminNow(req, res);
}

function handleAdminNow(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__stats' && req.method === 'GET') {
    if (url.searchParams.get('format') === 'tsv') {
      const text = statsTsv();
      res.writeHead(200, { 'Content-Type': 'text/tab-separated-values; charset=utf-8' });
      res.end(text);
    } else {
      const text = JSON.stringify(statsObject());
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(text);
    }
    return;
  }
  if (url.pathname === '/__fail' && req.method === 'POST') {
    const n = Number(url.searchParams.get('count') || 1);
    const status = Number(url.searchParams.get('status') || 400);
    const type = url.searchParams.get('type') || 'ProvisionedThroughputExceededException';
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(status) || status < 100 || status > 599) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('bad count or status\n');
      return;
    }
    injected.count = n;
    injected.status = status;
    injected.type = type;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ fail: n, status, type }));
    return;
  }
  if (url.pathname === '/__times' && req.method === 'GET') {
    const t0 = times.length ? times[0].start : 0;
    const lines = times.map((t, i) => [i + 1, t.target, t.start - t0, t.end - t0,
      t.capacity === null ? '' : t.capacity].join('\t'));
    res.writeHead(200, { 'Content-Type': 'text/tab-separated-values; charset=utf-8' });
    res.end(lines.length ? `${lines.join('\n')}\n` : '');
    return;
  }
  if (url.pathname === '/__peak' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`${peak}\n`);
    return;
  }
  if (url.pathname === '/__hold' && req.method === 'POST') {
    const n = Number(url.searchParams.get('count') || 1);
    const ms = Number(url.searchParams.get('ms') || 0);
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(ms) || ms < 0 || ms > 60000) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('bad count or ms\n');
      return;
    }
    holding.count = n;
    holding.ms = ms;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ hold: n, ms }));
    return;
  }
  if (url.pathname === '/__unprocessed' && req.method === 'POST') {
    const n = Number(url.searchParams.get('count') || 1);
    const keep = Number(url.searchParams.get('keep') || 0);
    const op = url.searchParams.get('op') || 'BatchGetItem';
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(keep) || keep < 0 ||
        (op !== 'BatchGetItem' && op !== 'BatchWriteItem')) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('bad count, keep or op\n');
      return;
    }
    unprocessing.count = n;
    unprocessing.keep = keep;
    unprocessing.op = op;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ unprocessed: n, keep, op }));
    return;
  }
  if (url.pathname === '/__chunk' && req.method === 'POST') {
    const n = Number(url.searchParams.get('count') || 1);
    const size = Number(url.searchParams.get('size') || 1);
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(size) || size < 1) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('bad count or size\n');
      return;
    }
    chunking.count = n;
    chunking.size = size;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ chunk: n, size }));
    return;
  }
  if (url.pathname === '/__reset' && (req.method === 'POST' || req.method === 'GET')) {
    counters.clear();
    times.length = 0;
    injected.count = 0;
    unprocessing.count = 0;
    chunking.count = 0;
    holding.count = 0;
    peak = 0;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"reset":true}');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('unknown admin endpoint\n');
}

// body written piece bytes at a time, one piece per turn of the event loop
function sendInPieces(res, body, piece) {
  if (res.socket) res.socket.setNoDelay(true);
  let off = 0;
  const next = () => {
    if (res.destroyed) return;
    if (off >= body.length) {
      res.end();
      return;
    }
    res.write(body.subarray(off, off + piece));
    off += piece;
    setImmediate(next);
  };
  next();
}

function createProxy(options) {
  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const delayMs = options.delayMs || 0;
  const verifyOpts = {
    credentials: options.credentials,
    service: options.service,
    region: options.region,
  };
  const log = options.log || ((line) => process.stderr.write(`${line}\n`));

  // resolves once the request has been counted
  function forward(req, res, body, target) {
    return new Promise((resolve) => forwardThen(req, res, body, target, resolve));
  }

  function forwardThen(req, res, body, target, done) {
    const operation = target.split('.').pop();
    const projected = hasProjection(body);
    const start = Date.now();
    let piece = 0;
    if (chunking.count > 0) {
      chunking.count -= 1;
      piece = chunking.size;
    }
    const headers = upstreamHeaders(req, body.length);

    const up = http.request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    }, (upRes) => {
      const out = [];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
        const name = upRes.rawHeaders[i].toLowerCase();
        if (name === 'connection' || name === 'keep-alive') continue;
        out.push(upRes.rawHeaders[i], upRes.rawHeaders[i + 1]);
      }
      res.writeHead(upRes.statusCode, upRes.statusMessage, out);
      const wantItems = ITEM_OPERATIONS.has(operation) && upRes.statusCode === 200 &&
        !upRes.headers['content-encoding'];
      // the body is kept to count its items, or to send it on in pieces
      const chunks = wantItems || piece > 0 ? [] : null;
      let bytes = 0;
      upRes.on('data', (chunk) => {
        bytes += chunk.length;
        if (chunks) chunks.push(chunk);
        if (piece === 0) res.write(chunk);
      });
      upRes.on('end', () => {
        if (piece > 0) sendInPieces(res, Buffer.concat(chunks, bytes), piece);
        else res.end();
        let items = 0;
        let capacity = null;
        if (wantItems) {
          try {
            const answer = JSON.parse(Buffer.concat(chunks, bytes).toString('utf8'));
            items = countItems(operation, answer);
            capacity = consumedCapacity(answer.ConsumedCapacity);
          } catch {
            items = 0;
          }
        }
        times.push({ target, start, end: Date.now(), capacity });
        count(target, items, bytes, projected);
        done();
      });
      upRes.on('error', (err) => {
        log(`${new Date().toISOString()} upstream response error ${target}: ${err.message}`);
        count(target, 0, bytes, projected);
        done();
        res.destroy(err);
      });
    });
    up.on('error', (err) => {
      log(`${new Date().toISOString()} upstream error ${target}: ${err.message}`);
      if (res.headersSent) {
        done();
        res.destroy(err);
        return;
      }
      const n = sendJson(res, 502, {
        __type: 'com.amazon.coral.availability#ServiceUnavailableException',
        message: `test proxy could not reach upstream: ${err.message}`,
      });
      count(target, 0, n, projected);
      done();
    });
    up.end(body);
  }

  // the request headers to send upstream, for a body of length bytes
  function upstreamHeaders(req, length) {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i].toLowerCase();
      if (HOP_BY_HOP.has(name) || name === 'content-length') continue;
      headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    headers.push('Content-Length', String(length));
    return headers;
  }

  /*
   * A BatchGetItem sent on with only some of its keys (POST /__unprocessed):
   * upstream's answer, with the keys left out added to its UnprocessedKeys;
   * a BatchWriteItem likewise, its writes left out in UnprocessedItems.
   * The body sent on is not the one signed; neither server checks.
   */
  async function forwardPartialBatch(req, res, body, target, keep) {
    let json;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = null;
    }
    if (!json || typeof json !== 'object' || !json.RequestItems) {
      await forward(req, res, body, target);
      return;
    }
    const writing = target.split('.').pop() === 'BatchWriteItem';
    const { forwarded, unprocessed, withheld } =
      writing ? splitWriteBatch(json, keep) : splitBatch(json, keep);
    if (withheld === 0) {
      await forward(req, res, body, target);
      return;
    }
    count('unprocessed', withheld, 0);
    let status = 200;
    let answer;
    if (Object.keys(forwarded).length === 0 && writing) {
      // nothing written
      answer = { UnprocessedItems: {} };
    } else if (Object.keys(forwarded).length === 0) {
      // nothing left to ask for: an answer with no item at all
      const responses = {};
      for (const table of Object.keys(unprocessed)) responses[table] = [];
      answer = { Responses: responses };
    } else {
      const sent = Buffer.from(JSON.stringify({ ...json, RequestItems: forwarded }));
      const got = await new Promise((resolve) => {
        const up = http.request({
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: upstreamHeaders(req, sent.length),
          agent,
        }, (upRes) => {
          const chunks = [];
          upRes.on('data', (chunk) => chunks.push(chunk));
          upRes.on('end', () => resolve({ status: upRes.statusCode, body: Buffer.concat(chunks) }));
          upRes.on('error', (err) => resolve({ error: err }));
        });
        up.on('error', (err) => resolve({ error: err }));
        up.end(sent);
      });
      if (got.error) {
        const n = sendJson(res, 502, {
          __type: 'com.amazon.coral.availability#ServiceUnavailableException',
          message: `test proxy could not reach upstream: ${got.error.message}`,
        });
        count(target, 0, n);
        return;
      }
      status = got.status;
      try {
        answer = JSON.parse(got.body.toString('utf8'));
      } catch {
        answer = null;
      }
      if (status !== 200 || !answer || typeof answer !== 'object') {
        // an error: passed on as it came
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
        res.end(got.body);
        count(target, 0, got.body.length);
        return;
      }
    }
    if (writing) answer.UnprocessedItems = mergeUnprocessedItems(answer.UnprocessedItems, unprocessed);
    else answer.UnprocessedKeys = mergeUnprocessed(answer.UnprocessedKeys, unprocessed);
    const n = sendJson(res, status, answer);
    count(target, writing ? 0 : countItems('BatchGetItem', answer), n);
  }

  async function handle(req, res, body) {
    const target = req.headers['x-amz-target'] || '(none)';
    let verdict;
    try {
      verdict = await verifyRequest({
        method: req.method,
        url: req.url,
        headerPairs: pairs(req.rawHeaders),
        body,
      }, verifyOpts);
    } catch (err) {
      verdict = reject('InvalidSignatureException', MISMATCH_MESSAGE, `verifier error: ${err.message}`);
    }
    if (!verdict.ok) {
      const n = sendJson(res, 400, { __type: verdict.type, message: verdict.message });
      count('rejected', 0, n);
      if (!verdict.accessKeyId) {
        const m = /Credential=([^/,\s]+)/.exec(req.headers.authorization || '');
        if (m) verdict.accessKeyId = m[1];
      }
      log(`${new Date().toISOString()} rejected ${verdict.type.split('#').pop()} target=${target} ` +
        `key=${verdict.accessKeyId || '-'} ${req.method} ${req.url}: ${verdict.reason.replace(/\s+/g, ' ')}`);
      return;
    }
    if (injectFailure(res)) return;
    let wait = delayMs;
    if (holding.count > 0) {
      holding.count -= 1;
      wait += holding.ms;
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (unprocessing.count > 0 && target.split('.').pop() === unprocessing.op) {
      unprocessing.count -= 1;
      await forwardPartialBatch(req, res, body, target, unprocessing.keep);
      return;
    }
    await forward(req, res, body, target);
  }

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/__')) {
      req.resume();
      req.on('end', () => handleAdmin(req, res));
      return;
    }
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooBig = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooBig) {
        res.writeHead(413, { 'Content-Length': 0 });
        res.end();
        return;
      }
      pending += 1;
      peak = Math.max(peak, pending);
      handle(req, res, Buffer.concat(chunks, size)).catch((err) => {
        log(`${new Date().toISOString()} internal error: ${err.stack || err}`);
        if (!res.headersSent) sendJson(res, 500, { __type: 'com.amazon.coral.service#InternalFailure', message: String(err) });
        else res.destroy();
      }).finally(() => {
        pending -= 1;
      });
    });
    req.on('error', () => res.destroy());
  });
  // idle keep-alive connections close after 5 s, as dynalite's do
  server.keepAliveTimeout = 5000;
  server.on('close', () => agent.destroy());
  return server;
}

function pairs(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument '${a}'`);
    if (m[2] !== undefined) args[m[1]] = m[2];
    else if (i + 1 < argv.length) args[m[1]] = argv[++i];
    else throw new Error(`option --${m[1]} needs a value`);
  }
  return args;
}

function main() {
  let args;
  let credentials;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.port === undefined || !args.upstream) throw new Error('--port and --upstream are required');
    credentials = parseCredentials(process.env.PROXY_CREDENTIALS);
    if (credentials.size === 0) throw new Error('PROXY_CREDENTIALS is empty');
  } catch (err) {
    process.stderr.write(`proxy: ${err.message}\n` +
      'usage: PROXY_CREDENTIALS=AKID:secret[,...] node proxy.js --port P --upstream http://127.0.0.1:Q\n');
    process.exit(2);
  }
  const delayMs = Number(process.env.PROXY_DELAY_MS || 0);
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    process.stderr.write(`proxy: bad PROXY_DELAY_MS '${process.env.PROXY_DELAY_MS}'\n`);
    process.exit(2);
  }
  const service = process.env.PROXY_SERVICE === undefined ? 'dynamodb' : process.env.PROXY_SERVICE;
  const server = createProxy({
    upstream: args.upstream,
    credentials,
    delayMs,
    service: service || undefined,
    region: process.env.PROXY_REGION || undefined,
  });
  server.listen(Number(args.port), '127.0.0.1', () => {
    const { port } = server.address();
    process.stdout.write(`proxy listening on http://127.0.0.1:${port} -> ${args.upstream} ` +
      `(keys: ${[...credentials.keys()].join(',')}; delay ${delayMs} ms)\n`);
  });
  const shutdown = () => {
    server.close(() => process.exit(0));
    // Idle keep-alive sockets would hold close() open; drop them.
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

module.exports = {
  verifyRequest, parseCredentials, parseAuthorization, countItems, createProxy,
  issuedCredential, issueCredential,
};

if (require.main === module) main();
