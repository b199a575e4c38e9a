#!/usr/bin/env node
// Loopback stand-ins for the endpoints AWS credentials come from, for the
// "credentials" suite: STS (AssumeRole, signed, and AssumeRoleWithWebIdentity,
// unsigned; XML answers), EC2 instance metadata IMDSv2 (PUT
// /latest/api/token, then GET /latest/meta-data/iam/security-credentials/ and
// .../ROLE with the token) and a container credentials endpoint (GET with an
// Authorization header).  The keys it issues are the temporary keys
// test/proxy.js accepts (proxy.js issueCredential): a key past its expiry
// is refused there, so a scan that does not refresh its keys fails.
//
// Usage: node test/credstub.js PORT   (listens on 127.0.0.1 only)
//
// Environment:
//   STUB_CREDENTIALS  "AKID:secret[,...]": the long-term keys AssumeRole
//                     requests may be signed with (issued keys always may)
//
// The first segment of a request's path is its mode, so that every source
// can be pointed at a behaviour by its endpoint option alone:
//   /ok/...          credentials valid for an hour
//   /expire-N/...    credentials that expire N seconds from now
//   /once-expire-N/... as expire-N the first time, then 503 (until /__reset)
//   /fail-S/...      HTTP status S (an STS-style XML error)
//   /garbage/...     a 200 answer that is not what the endpoint sends
//   /nokey/...       a 200 answer without an AccessKeyId
//   /twice/...       (STS) a 200 answer with two AccessKeyIds
//   /inject/...      a 200 answer whose token would add a header
//   /huge/...        a 200 answer of 8 MB
//   /hang/...        no answer at all
// STS:        POST /MODE/ with Action=AssumeRole or AssumeRoleWithWebIdentity
//             (the role "arn:aws:iam::123456789012:role/denied" is refused;
//             the web identity token must be "stub-web-identity-token")
// IMDSv2:     /MODE/latest/api/token (PUT), /MODE/latest/meta-data/iam/
//             security-credentials/[stub-role] (GET, with the token)
// container:  GET /MODE/container, Authorization "stub-container-token"
//
// Admin endpoints:
//   /__count   {"assume_role": n, "web_identity": n, "imds_token": n,
//              "imds_role": n, "imds_credentials": n, "container": n,
//              "rejected": n} since the last reset
//   /__reset   zero them

'use strict';

const http = require('node:http');
const { verifyRequest, parseCredentials, issueCredential } = require('./proxy.js');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node test/credstub.js PORT');
  process.exit(2);
}
const longTerm = parseCredentials(process.env.STUB_CREDENTIALS || '');
const ROLE = 'stub-role';
const WEB_TOKEN = 'stub-web-identity-token';
const CONTAINER_TOKEN = 'stub-container-token';
const MAX_BODY = 1024 * 1024;

let counts = {};
let serial = 0;
const issuedOnce = new Set();   // once-expire-N modes that issued their keys
const counted = (what) => { counts[what] = (counts[what] || 0) + 1; };

function issue(mode) {
  const m = /^(?:once-)?expire-(\d+)$/.exec(mode);
  const seconds = m ? Number(m[1]) : 3600;
  if (mode.startsWith('once-')) issuedOnce.add(mode);
  serial += 1;
  return issueCredential(Math.floor(Date.now() / 1000) + seconds, serial);
}

const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function stsError(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>stub</RequestId></ErrorResponse>`);
}

// what every mode but ok/expire answers; true when it answered
function misbehave(res, mode, json) {
  let m;
  if (issuedOnce.has(mode)) {
    counted('rejected');
    stsError(res, 503, 'ServiceUnavailable', 'the stub issued its keys once');
    return true;
  }
  if ((m = /^fail-(\d{3})$/.exec(mode))) {
    counted('rejected');
    stsError(res, Number(m[1]), 'StubFailure', `the stub fails with ${m[1]}`);
    return true;
  }
  if (mode === 'garbage') {
    res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'text/xml' });
    res.end(json ? '{"AccessKeyId": "ASIA' : '<Credentials><AccessKeyId>x</AccessKeyId></Credentials');
    return true;
  }
  if (mode === 'huge') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const piece = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 128; i++) res.write(piece);
    res.end();
    return true;
  }
  if (mode === 'hang') {
    // never answers; the client's timeout ends it
    res.on('close', () => {});
    return true;
  }
  return false;
}

function credentialsJson(c, tokenName, mode) {
  const body = {
    Code: 'Success',
    Type: 'AWS-HMAC',
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    [tokenName]: c.sessionToken,
    Expiration: iso(c.expires),
  };
  if (mode === 'nokey') delete body.AccessKeyId;
  if (mode === 'inject') body[tokenName] = `${c.sessionToken}\r\nX-Injected: yes`;
  return JSON.stringify(body);
}

function credentialsXml(action, c, mode) {
  let key = mode === 'nokey' ? '' : `<AccessKeyId>${c.accessKeyId}</AccessKeyId>`;
  if (mode === 'twice') key += '<AccessKeyId>ASIAOTHERKEY00000000</AccessKeyId>';
  const token = mode === 'inject' ? `${c.sessionToken}&#13;&#10;X-Injected: yes` : c.sessionToken;
  return `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>` +
    `<Credentials>${key}<SecretAccessKey>${c.secretAccessKey}</SecretAccessKey>` +
    `<SessionToken>${token}</SessionToken><Expiration>${iso(c.expires)}</Expiration></Credentials>` +
    `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/y</Arn></AssumedRoleUser>` +
    `</${action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></${action}Response>`;
}

async function sts(req, res, mode, body) {
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  if (form.get('Version') !== '2011-06-15') return stsError(res, 400, 'InvalidParameterValue', 'bad Version');
  if (action === 'AssumeRole') {
    counted('assume_role');
    const verdict = await verifyRequest({
      method: req.method,
      url: req.url,
      headerPairs: pairsOf(req.rawHeaders),
      body,
    }, { credentials: longTerm, service: 'sts' });
    if (!verdict.ok) {
      counted('rejected');
      process.stderr.write(`credstub: AssumeRole refused: ${verdict.reason}\n`);
      return stsError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match');
    }
    if (!/^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/.test(form.get('RoleArn') || '')) {
      return stsError(res, 400, 'ValidationError', 'bad RoleArn');
    }
    if (form.get('RoleArn').endsWith('/denied')) {
      counted('rejected');
      return stsError(res, 403, 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole');
    }
    if (form.get('RoleArn').endsWith('/external') && form.get('ExternalId') !== 'stub-external-id') {
      counted('rejected');
      return stsError(res, 403, 'AccessDenied', 'wrong external id');
    }
  } else if (action === 'AssumeRoleWithWebIdentity') {
    counted('web_identity');
    if (req.headers.authorization) return stsError(res, 400, 'InvalidParameterValue', 'signed');
    if (form.get('WebIdentityToken') !== WEB_TOKEN) {
      counted('rejected');
      return stsError(res, 400, 'InvalidIdentityToken', 'The web identity token is not valid');
    }
  } else {
    return stsError(res, 400, 'InvalidAction', 'unknown action');
  }
  if (misbehave(res, mode, false)) return undefined;
  res.writeHead(200, { 'Content-Type': 'text/xml' });
  return res.end(credentialsXml(action, issue(mode), mode));
}

function imds(req, res, mode, rest) {
  if (rest === '/latest/api/token') {
    counted('imds_token');
    if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      res.writeHead(400);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end('stub-imds-session-token');
  }
  if (req.headers['x-aws-ec2-metadata-token'] !== 'stub-imds-session-token') {
    counted('rejected');
    res.writeHead(401);
    return res.end();
  }
  if (rest === '/latest/meta-data/iam/security-credentials/') {
    counted('imds_role');
    if (mode === 'fail-404') {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(`${ROLE}\n`);
  }
  if (rest === `/latest/meta-data/iam/security-credentials/${ROLE}`) {
    counted('imds_credentials');
    if (misbehave(res, mode, true)) return undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(credentialsJson(issue(mode), 'Token', mode));
  }
  res.writeHead(404);
  return res.end();
}

function container(req, res, mode) {
  counted('container');
  if (req.headers.authorization !== CONTAINER_TOKEN) {
    counted('rejected');
    res.writeHead(401, { 'Content-Type': 'application/json' });
    return res.end('{"message": "bad authorization"}');
  }
  if (misbehave(res, mode, true)) return undefined;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  return res.end(credentialsJson(issue(mode), 'Token', mode));
}

function pairsOf(raw) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = req.url;
    if (url.startsWith('/__count')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(counts));
    }
    if (url.startsWith('/__reset')) {
      counts = {};
      issuedOnce.clear();
      res.writeHead(200);
      return res.end('{"reset":true}');
    }
    const m = /^\/([a-z0-9-]+)(\/.*)?$/.exec(url);
    if (!m) {
      res.writeHead(404);
      return res.end();
    }
    const mode = m[1];
    const rest = m[2] || '/';
    if (rest.startsWith('/latest/')) return imds(req, res, mode, rest);
    if (rest === '/container') return container(req, res, mode);
    if (rest === '/' && req.method === 'POST') {
      return sts(req, res, mode, body).catch((err) => {
        process.stderr.write(`credstub: ${err.stack}\n`);
        if (!res.headersSent) stsError(res, 500, 'InternalFailure', 'stub error');
      });
    }
    res.writeHead(404);
    return res.end();
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
