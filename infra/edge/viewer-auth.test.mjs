// Tests for the CloudFront Function viewer-auth.js (node:test, no packages).
// harness.mjs runs it in a vm with a fake KeyValueStore (see there).
// Cookies are minted here with Node's crypto from the written contract,
// independently of the function's own code.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadViewerAuth, SRC_URL } from './harness.mjs';

const SRC = readFileSync(SRC_URL, 'utf8');
const IMPORT_CF = "import cf from 'cloudfront';";
const IMPORT_CRYPTO = "import crypto from 'crypto';";

const KEY_A = crypto.randomBytes(32).toString('base64');
const KEY_B = crypto.randomBytes(32).toString('base64');
const CLEAR_ATTRS = 'Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax';

const load = loadViewerAuth;

const CURRENT = { 'session-key-id': 'k3', 'session-key': KEY_A };
const ROTATED = { 'session-key-id': 'k4', 'session-key': KEY_B };

// Mint a cookie value exactly as the contract says.
function mint(kid, keyBase64, payloadObject) {
  const payload = Buffer.from(JSON.stringify(payloadObject), 'utf8').toString('base64url');
  const signed = `v1.${kid}.${payload}`;
  const sig = crypto
    .createHmac('sha256', Buffer.from(keyBase64, 'base64'))
    .update(signed)
    .digest('base64url');
  return `${signed}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (ns, extra) => ({ sub: 'alice', ns, exp: now() + 3600, ...extra });
const cookieFor = (ns, extra) => mint('k3', KEY_A, claims(ns, extra));

// A CloudFront viewer-request event. `query` is { name: value }.
function event(uri, { cookie, query = {}, otherCookies = {} } = {}) {
  const querystring = {};
  for (const [k, v] of Object.entries(query)) querystring[k] = { value: v };
  const cookies = {};
  for (const [k, v] of Object.entries(otherCookies)) cookies[k] = { value: v };
  if (cookie !== undefined) cookies.fjc_session = { value: cookie };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE' },
    viewer: { ip: '198.51.100.7' },
    request: {
      method: 'GET',
      uri,
      querystring,
      headers: { host: { value: 'dashboard.example.com' } },
      cookies,
    },
  };
}

// Responses are built in the vm's realm; compare them as plain data.
const plain = (x) => JSON.parse(JSON.stringify(x));

async function run(uri, opts, kvsData = CURRENT, nowSeconds = undefined) {
  const ev = event(uri, opts);
  const out = plain(await load(kvsData, nowSeconds)(ev));
  return { ev, out };
}

function isForwarded(out, uri) {
  assert.equal(out.statusCode, undefined, `expected a request, got ${JSON.stringify(out)}`);
  assert.equal(out.uri, uri);
  assert.equal(out.cookies.fjc_session, undefined, 'fjc_session forwarded to the origin');
}

function isRedirect(out, uri) {
  assert.equal(out.statusCode, 302);
  assert.equal(out.headers.location.value, `/auth/login?next=${encodeURIComponent(uri)}`);
  assert.equal(out.headers['cache-control'].value, 'no-store');
  assert.equal(out.body, undefined);
}

function isUnauthorized(out) {
  assert.equal(out.statusCode, 401);
  assert.equal(out.headers['cache-control'].value, 'no-store');
  assert.equal(out.headers['content-type'].value, 'application/json');
  assert.deepEqual(out.body, { encoding: 'text', data: '{"error":"sign in required"}' });
}

function isForbidden(out, error = 'forbidden') {
  assert.equal(out.statusCode, 403, `expected 403, got ${JSON.stringify(out)}`);
  assert.equal(out.headers['cache-control'].value, 'no-store');
  assert.equal(out.headers['content-type'].value, 'application/json');
  assert.deepEqual(JSON.parse(out.body.data), { error });
  assert.equal(out.body.encoding, 'text');
}

function clears(out) {
  assert.deepEqual(out.cookies, { fjc_session: { value: '', attributes: CLEAR_ATTRS } });
}

function keeps(out) {
  assert.equal(out.cookies, undefined, 'refusal should not clear the cookie');
}

// ---------------------------------------------------------------- source

test('source: valid module syntax, only the two runtime imports, under 10 KB', () => {
  const check = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: SRC });
  assert.equal(check.status, 0, check.stderr.toString());
  assert.ok(Buffer.byteLength(SRC) < 10240, `viewer-auth.js is ${Buffer.byteLength(SRC)} bytes`);
  const imports = SRC.split('\n').filter((l) => /^\s*import\b/.test(l));
  assert.deepEqual(imports, [IMPORT_CF, IMPORT_CRYPTO]);
  assert.ok(SRC.startsWith(`${IMPORT_CF}\n${IMPORT_CRYPTO}\n`), 'imports must be the first lines');
  assert.doesNotMatch(SRC, /\brequire\s*\(|\bexport\b|\bprocess\./);
  assert.match(SRC, /^async function handler\(event\)/m);
});

// ---------------------------------------------------------- valid cookie

test('valid cookie: a page passes through, without fjc_session, other cookies kept', async () => {
  const { out } = await run('/', { cookie: cookieFor(['team-a']), otherCookies: { theme: 'dark' } });
  isForwarded(out, '/');
  assert.deepEqual(out.cookies, { theme: { value: 'dark' } });
});

test('valid cookie: static files pass through unchanged', async () => {
  for (const uri of ['/index.html', '/app-3f2a.js', '/app_bg.wasm', '/style.css', '/icons/favicon.svg']) {
    const { out } = await run(uri, { cookie: cookieFor(['team-a']), query: { v: '7' } });
    isForwarded(out, uri);
    assert.deepEqual(out.querystring, { v: { value: '7' } });
  }
});

test('/snapshot.json: one namespace, no ?ns= -> that namespace', async () => {
  const { out } = await run('/snapshot.json', { cookie: cookieFor(['team-a']) });
  isForwarded(out, '/snapshots/ns/team-a.json');
});

test('/snapshot.json: no ?ns= -> the first of several namespaces', async () => {
  const { out } = await run('/snapshot.json', { cookie: cookieFor(['team-a', 'team-b']) });
  isForwarded(out, '/snapshots/ns/team-a.json');
});

test('/snapshot.json?ns= of a second own namespace -> that one; ns removed, other query kept', async () => {
  const { out } = await run('/snapshot.json', {
    cookie: cookieFor(['team-a', 'team-b']),
    query: { ns: 'team-b', t: '123' },
  });
  isForwarded(out, '/snapshots/ns/team-b.json');
  assert.deepEqual(out.querystring, { t: { value: '123' } });
});

test('/snapshot.json: admin -> the all-namespaces overview, with or without ?ns=, ns removed', async () => {
  for (const query of [{}, { ns: 'team-z' }]) {
    const { out } = await run('/snapshot.json', { cookie: cookieFor(['*']), query });
    isForwarded(out, '/snapshot.json');
    assert.deepEqual(out.querystring, {});
  }
});

test('job documents: own namespace and admin pass through', async () => {
  let r = await run('/jobs/team-a/orders-etl.json', { cookie: cookieFor(['team-a']) });
  isForwarded(r.out, '/jobs/team-a/orders-etl.json');
  r = await run('/jobs/team-b/x.json', { cookie: cookieFor(['team-a', 'team-b']) });
  isForwarded(r.out, '/jobs/team-b/x.json');
  r = await run('/jobs/anyone/x.json', { cookie: cookieFor(['*']) });
  isForwarded(r.out, '/jobs/anyone/x.json');
});

test('cookie minted after a rotation with the new kid/key is accepted', async () => {
  const cookie = mint('k4', KEY_B, claims(['team-a']));
  const { out } = await run('/snapshot.json', { cookie }, ROTATED);
  isForwarded(out, '/snapshots/ns/team-a.json');
});

test('sub is decoded as UTF-8 JSON', async () => {
  const { out } = await run('/', { cookie: cookieFor(['team-a'], { sub: 'zoë 测试' }) });
  isForwarded(out, '/');
});

// --------------------------------------------------------------- refusals

const good = cookieFor(['team-a']);
const [, , goodPayload, goodSig] = good.split('.');
const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

// name -> { cookie, kvs?, clear }
const REFUSED = {
  missing: { cookie: undefined, clear: false },
  empty: { cookie: '', clear: false },
  'not a token': { cookie: 'hello', clear: false },
  'three parts': { cookie: `v1.k3.${goodPayload}`, clear: false },
  'five parts': { cookie: `${good}.x`, clear: false },
  'wrong version': { cookie: good.replace(/^v1\./, 'v2.'), clear: false },
  'empty kid': { cookie: `v1..${goodPayload}.${goodSig}`, clear: false },
  'padded payload': { cookie: `v1.k3.${goodPayload}=.${goodSig}`, clear: false },
  'standard-base64 signature': {
    cookie: `v1.k3.${goodPayload}.${Buffer.from(goodSig, 'base64url').toString('base64')}x+/`,
    clear: false,
  },
  'tampered payload': {
    cookie: `v1.k3.${Buffer.from(JSON.stringify(claims(['*']))).toString('base64url')}.${goodSig}`,
    clear: false,
  },
  'payload one char changed': { cookie: `v1.k3.${flip(goodPayload, 5)}.${goodSig}`, clear: false },
  'tampered signature': { cookie: `v1.k3.${goodPayload}.${flip(goodSig, 3)}`, clear: false },
  'truncated signature': { cookie: `v1.k3.${goodPayload}.${goodSig.slice(0, -1)}`, clear: false },
  'signed with another key, same kid': { cookie: mint('k3', KEY_B, claims(['team-a'])), clear: false },
  expired: { cookie: cookieFor(['team-a'], { exp: now() - 60 }), clear: true },
  'old kid after rotation': { cookie: good, kvs: ROTATED, clear: true },
  'KVS not set up': { cookie: good, kvs: {}, clear: false },
  'KVS key too short': {
    cookie: mint('k3', Buffer.from('short').toString('base64'), claims(['team-a'])),
    kvs: { 'session-key-id': 'k3', 'session-key': Buffer.from('short').toString('base64') },
    clear: false,
  },
};

// Correctly signed cookies whose content breaks the contract.
const signedBad = (name, payload) => {
  REFUSED[name] = { cookie: mint('k3', KEY_A, payload), clear: false };
};
const exp = now() + 3600;
// mint() always writes JSON; this one signs arbitrary payload text.
const signText = (text) => {
  const p = Buffer.from(text, 'utf8').toString('base64url');
  const sig = crypto.createHmac('sha256', Buffer.from(KEY_A, 'base64')).update(`v1.k3.${p}`).digest('base64url');
  return `v1.k3.${p}.${sig}`;
};
REFUSED['payload not JSON'] = { cookie: signText('{"sub":"a",'), clear: false };
signedBad('payload is an array', [1, 2]);
signedBad('payload is null', null);
signedBad('sub missing', { ns: ['team-a'], exp });
signedBad('sub not a string', { sub: 7, ns: ['team-a'], exp });
signedBad('exp missing', { sub: 'a', ns: ['team-a'] });
signedBad('exp a string', { sub: 'a', ns: ['team-a'], exp: String(exp) });
signedBad('exp not an integer', { sub: 'a', ns: ['team-a'], exp: exp + 0.5 });
signedBad('ns missing', { sub: 'a', exp });
signedBad('ns a string', { sub: 'a', ns: 'team-a', exp });
signedBad('ns empty', { sub: 'a', ns: [], exp });
signedBad('ns star mixed', { sub: 'a', ns: ['*', 'team-a'], exp });
signedBad('ns upper case', { sub: 'a', ns: ['Team-a'], exp });
signedBad('ns leading dash', { sub: 'a', ns: ['-team'], exp });
signedBad('ns too long', { sub: 'a', ns: ['a'.repeat(64)], exp });
signedBad('ns with slash', { sub: 'a', ns: ['team-a/x'], exp });
signedBad('ns not strings', { sub: 'a', ns: [1], exp });

for (const [name, c] of Object.entries(REFUSED)) {
  test(`refused (${name}): 302 for pages, 401 for /snapshot.json${c.clear ? ', cookie cleared' : ''}`, async () => {
    const kvsData = c.kvs || CURRENT;
    for (const uri of ['/', '/index.html', '/jobs/team-a']) {
      const { out } = await run(uri, { cookie: c.cookie }, kvsData);
      isRedirect(out, uri);
      c.clear ? clears(out) : keeps(out);
    }
    for (const uri of ['/snapshot.json', '/jobs/team-a/x.json', '/app.js']) {
      const { out } = await run(uri, { cookie: c.cookie }, kvsData);
      isUnauthorized(out);
      c.clear ? clears(out) : keeps(out);
    }
  });
}

test('exp is compared with the clock in whole seconds: exp <= now is refused', async () => {
  const t = 1_900_000_000;
  const at = (exp) => mint('k3', KEY_A, { sub: 'alice', ns: ['team-a'], exp });
  let r = await run('/snapshot.json', { cookie: at(t) }, CURRENT, t + 0.999);
  isUnauthorized(r.out);
  clears(r.out);
  r = await run('/', { cookie: at(t) }, CURRENT, t);
  isRedirect(r.out, '/');
  clears(r.out);
  r = await run('/snapshot.json', { cookie: at(t + 1) }, CURRENT, t + 0.999);
  isForwarded(r.out, '/snapshots/ns/team-a.json');
});

test('a sanity check on the table: the untampered cookie is accepted', async () => {
  const { out } = await run('/snapshot.json', { cookie: good });
  isForwarded(out, '/snapshots/ns/team-a.json');
});

test('redirect next= is the URL-encoded original uri', async () => {
  const { out } = await run('/jobs/team a', {});
  isRedirect(out, '/jobs/team a');
  assert.equal(out.headers.location.value, '/auth/login?next=%2Fjobs%2Fteam%20a');
});

// -------------------------------------------------------------------- 403

test('403: ?ns= of a namespace the viewer does not have', async () => {
  for (const ns of ['team-b', '', 'TEAM-A', '../team-a', '*']) {
    const { out } = await run('/snapshot.json', { cookie: cookieFor(['team-a']), query: { ns } });
    isForbidden(out, 'not your namespace');
  }
});

test('403: job documents of another namespace', async () => {
  const { out } = await run('/jobs/other-ns/x.json', { cookie: cookieFor(['team-a']) });
  isForbidden(out, 'not your namespace');
});

test('403: /jobs without a namespace segment, even for admins', async () => {
  for (const ns of [['team-a'], ['*']]) {
    for (const uri of ['/jobs/x.json', '/jobs/', '/jobs', '/jobs/team-a/', '/jobs/Team-A/x.json']) {
      const { out } = await run(uri, { cookie: cookieFor(ns) });
      isForbidden(out);
    }
  }
});

test('403: /snapshots/ requested directly, even for admins', async () => {
  for (const ns of [['team-a'], ['*']]) {
    for (const uri of ['/snapshots/all.json', '/snapshots/ns/team-a.json', '/snapshots']) {
      const { out } = await run(uri, { cookie: cookieFor(ns) });
      isForbidden(out);
    }
  }
});

test('403: percent-encoded names cannot dodge the path rules', async () => {
  const cookie = cookieFor(['team-a']);
  for (const uri of ['/snapshots%2Fall.json', '/%73napshots/all.json', '/jobs%2fother-ns/x.json', '/%6Aobs/other-ns/x.json']) {
    const { out } = await run(uri, { cookie });
    assert.equal(out.statusCode, 403, uri);
  }
  // Own namespace, encoded, still passes (S3 decodes it the same way).
  const { out } = await run('/jobs/team-%61/x.json', { cookie });
  isForwarded(out, '/jobs/team-%61/x.json');
});

test('403: traversal and double slashes, before any other decision', async () => {
  const uris = [
    '/jobs/team-a/../other-ns/x.json',
    '/..',
    '/%2e%2e/snapshots/all.json',
    '/jobs/team-a/%2E%2E/other-ns/x.json',
    '/jobs/team-a/.%2e/other-ns/x.json',
    '/jobs/team-a/%2e./other-ns/x.json',
    '//snapshots/all.json',
    '/jobs//x.json',
    '/jobs/team-a%2f%2fx.json',
    '/auth/../snapshots/all.json',
    '/auth/%2e%2e/jobs/x/y.json',
    '/bad%E0%A4%A',
  ];
  for (const uri of uris) {
    for (const cookie of [undefined, cookieFor(['*'])]) {
      const { out } = await run(uri, { cookie });
      assert.equal(out.statusCode, 403, `${uri} (cookie: ${cookie !== undefined})`);
      isForbidden(out);
    }
  }
});

// ------------------------------------------------------------------- /auth

test('/auth/ passes through untouched without a cookie', async () => {
  const { ev, out } = await run('/auth/callback', { query: { code: 'x', state: 's' } });
  assert.deepEqual(out, plain(ev.request));
  assert.equal(out.uri, '/auth/callback');
  assert.deepEqual(out.querystring, { code: { value: 'x' }, state: { value: 's' } });
});

test('/auth/ passes through untouched with any cookie, even a bad one', async () => {
  for (const cookie of [good, 'garbage', cookieFor(['team-a'], { exp: 1 })]) {
    const { ev, out } = await run('/auth/logout', { cookie }, {});
    assert.deepEqual(out, plain(ev.request));
    assert.equal(out.cookies.fjc_session.value, cookie);
  }
});

test('/auth/ tells the sign-in function the viewer\'s host, never a forged one', async () => {
  const ev = event('/auth/login', {});
  ev.request.headers['x-forwarded-host'] = { value: 'evil.example.net' };
  const out = plain(await load(CURRENT)(ev));
  assert.equal(out.headers['x-forwarded-host'].value, 'dashboard.example.com');
  assert.equal(out.headers.host.value, 'dashboard.example.com');

  const bare = event('/auth/login', {});
  delete bare.request.headers.host;
  bare.request.headers['x-forwarded-host'] = { value: 'evil.example.net' };
  const stripped = plain(await load(CURRENT)(bare));
  assert.equal(stripped.headers['x-forwarded-host'], undefined);
});

test('/auth without the slash, or encoded, is not the sign-in origin', async () => {
  for (const uri of ['/auth', '/%61uth/callback', '/authx/y']) {
    const { out } = await run(uri, {});
    isRedirect(out, uri);
  }
});
