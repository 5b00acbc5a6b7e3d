import cf from 'cloudfront';
import crypto from 'crypto';

/*
 * fjc dashboard guard: CloudFront Function, runtime cloudfront-js-2.0,
 * viewer-request event. The two imports above must stay the first lines:
 * the Node tests (viewer-auth.test.mjs) replace them with stand-ins.
 *
 * COOKIE CONTRACT (the Rust sign-in function mints cookies to match this):
 *   name   fjc_session
 *   value  v1.<kid>.<payload>.<sig>
 *   payload  base64url, no padding, of UTF-8 JSON
 *            {"sub": string, "ns": [string, ...], "exp": integer epoch seconds}
 *   sig      base64url, no padding, of HMAC-SHA256(key, "v1.<kid>.<payload>")
 *   key      the standard-base64 decoding of KVS `session-key` (32 bytes)
 * KeyValueStore keys:
 *   session-key-id  the current kid, e.g. "k3"
 *   session-key     standard base64 of the current 32-byte key
 *   Only the current kid is accepted: rotating the key ends older sessions.
 * ns: exactly ["*"] (admin, every namespace) or a non-empty list of names
 *   matching ^[a-z0-9][a-z0-9-]{0,62}$. Any other shape is refused.
 * Refused too when exp <= floor(Date.now() / 1000).
 *
 * REFUSED: page navigations ("/", "/index.html", a path whose last segment
 *   has no ".") get 302 to /auth/login?next=<encodeURIComponent(uri)>;
 *   anything else gets 401 {"error":"sign in required"}. Expired and
 *   old-kid cookies are also cleared. All generated responses: no-store.
 *
 * ROUTES (decisions are made on the percent-decoded path, as S3 decodes it):
 *   any ".." or "//" (raw or decoded, incl. %2e%2e) -> 403, before all else
 *   /auth/...        passed through, no cookie needed; x-forwarded-host is
 *                    set to the viewer's Host (the sign-in function builds
 *                    its redirect URI from it: its origin sees its own host)
 *   /snapshot.json   admin -> itself (all namespaces); others -> ?ns=<own ns>
 *                    or first ns -> /snapshots/ns/<ns>.json; a ?ns= the
 *                    viewer lacks -> 403. The ns parameter is removed.
 *   /snapshots...    403 (reachable only through /snapshot.json)
 *   /jobs/<ns>/<f>   own ns or admin; else 403 (also without an ns segment)
 *   anything else    static app files, passed through
 * Forwarded requests never carry fjc_session.
 */

const kvs = cf.kvs();
const COOKIE = 'fjc_session';
const NS_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
const CLEAR = 'Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax';
const BAD = { ok: false, clear: false };   // malformed, tampered, ...
const STALE = { ok: false, clear: true };  // expired or signed by an old key

function respond(statusCode, statusDescription, headers, error, clear) {
  headers['cache-control'] = { value: 'no-store' };
  const r = {
    statusCode: statusCode,
    statusDescription: statusDescription,
    headers: headers,
  };
  if (error) {
    headers['content-type'] = { value: 'application/json' };
    r.body = { encoding: 'text', data: JSON.stringify({ error: error }) };
  }
  if (clear) r.cookies = { fjc_session: { value: '', attributes: CLEAR } };
  return r;
}

const forbidden = (error) => respond(403, 'Forbidden', {}, error || 'forbidden');

// Constant-time string comparison: length check, then XOR-accumulate.
function safeEqual(a, b) {
  if (a.length !== b.length) return false;
  let x = 0;
  for (let i = 0; i < a.length; i++) x |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return x === 0;
}

// KVS get() rejects when the key is missing; treat that as "no value".
async function kvsGet(name) {
  try {
    return await kvs.get(name);
  } catch (e) {
    return null;
  }
}

function validNs(ns) {
  if (!Array.isArray(ns) || ns.length === 0) return false;
  if (ns.length === 1 && ns[0] === '*') return true;
  for (let i = 0; i < ns.length; i++) {
    if (typeof ns[i] !== 'string' || !NS_RE.test(ns[i])) return false;
  }
  return true;
}

// -> { ok: true, ns } or BAD / STALE.
async function verify(value) {
  const p = typeof value === 'string' ? value.split('.') : [];
  if (p.length !== 4 || p[0] !== 'v1' || !p[1] ||
      !B64URL_RE.test(p[2]) || !B64URL_RE.test(p[3])) return BAD;
  const kid = await kvsGet('session-key-id');
  const keyB64 = await kvsGet('session-key');
  if (!kid || !keyB64) return BAD;  // store not set up: fail closed
  if (p[1] !== kid) return STALE;
  const key = Buffer.from(keyB64, 'base64');
  if (key.length < 32) return BAD;
  const want = crypto.createHmac('sha256', key)
    .update(`v1.${kid}.${p[2]}`).digest('base64url');
  if (!safeEqual(p[3], want)) return BAD;
  let c;
  try {
    c = JSON.parse(Buffer.from(p[2], 'base64url').toString('utf8'));
  } catch (e) {
    return BAD;
  }
  // Requiring exp % 1 === 0 rejects non-integers, NaN and Infinity.
  if (!c || typeof c.sub !== 'string' || typeof c.exp !== 'number' ||
      c.exp % 1 !== 0 || !validNs(c.ns)) return BAD;
  if (c.exp <= Math.floor(Date.now() / 1000)) return STALE;
  return { ok: true, ns: c.ns };
}

async function handler(event) {
  const req = event.request;
  const uri = req.uri;

  // Decode once, as S3 does, so encoded names cannot dodge the checks below.
  let path;
  try {
    path = decodeURIComponent(uri);
  } catch (e) {
    return forbidden();
  }
  if (/\.\.|\/\/|%2e%2e/i.test(uri) || /\.\.|\/\//.test(path)) return forbidden();

  // Sign-in origin (raw prefix, so "/%61uth/" does not qualify): told the
  // viewer's host, which its own origin request does not carry.
  if (uri.indexOf('/auth/') === 0) {
    const host = req.headers.host;
    if (host) req.headers['x-forwarded-host'] = { value: host.value };
    else delete req.headers['x-forwarded-host'];
    return req;
  }

  const cookie = req.cookies && req.cookies[COOKIE];
  const v = await verify(cookie && cookie.value);
  if (!v.ok) {
    if (path === '/index.html' || /\/[^\/.]*$/.test(path)) {
      return respond(302, 'Found', {
        location: { value: '/auth/login?next=' + encodeURIComponent(uri) },
      }, null, v.clear);
    }
    return respond(401, 'Unauthorized', {}, 'sign in required', v.clear);
  }
  delete req.cookies[COOKIE];  // the origin never sees the session

  const admin = v.ns[0] === '*';
  const mine = (ns) => admin || v.ns.indexOf(ns) !== -1;

  if (path === '/snapshot.json') {
    const qs = req.querystring || {};
    let ns = v.ns[0];
    if (qs.ns) {
      try {
        ns = decodeURIComponent(qs.ns.value);
      } catch (e) {
        ns = '';
      }
      if (!mine(ns)) return forbidden('not your namespace');
      delete qs.ns;
    }
    req.uri = admin ? '/snapshot.json' : `/snapshots/ns/${ns}.json`;
    return req;
  }

  if (/^\/snapshots(\/|$)/.test(path)) return forbidden();

  if (/^\/jobs(\/|$)/.test(path)) {
    const m = /^\/jobs\/([^\/]+)\/./.exec(path);
    if (!m || !NS_RE.test(m[1])) return forbidden();
    return mine(m[1]) ? req : forbidden('not your namespace');
  }

  return req;
}
