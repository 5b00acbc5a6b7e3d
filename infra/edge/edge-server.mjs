// A local stand-in for the dashboard's CloudFront distribution, for tests and
// local runs (a fake of CloudFront, named as such: CloudFront cannot run here).
// What it does is what the template wires up:
//   - every request runs the real viewer-auth.js (harness.mjs) as the
//     viewer-request function, against a KeyValueStore read from a JSON file
//     on every request (so a test can rotate the key);
//   - /auth/* goes to the sign-in origin (the sign-in function's URL, e.g.
//     under `cargo lambda watch`), with the viewer's cookies, query and body;
//   - everything else comes from the origin directories, first match wins
//     (the dashboard build, then the published snapshots: one S3 bucket).
// Usage: node edge-server.mjs --kvs FILE --auth-origin URL --origin DIR
//        [--origin DIR ...] [--port N]       prints "edge: http://localhost:N/"

import http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { loadViewerAuth } from './harness.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

function args(argv) {
  const out = { origin: [], port: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${k}: missing value`);
    if (k === '--origin') out.origin.push(v);
    else if (k === '--kvs') out.kvs = v;
    else if (k === '--auth-origin') out.auth = v.replace(/\/$/, '');
    else if (k === '--port') out.port = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  if (!out.kvs || !out.auth || out.origin.length === 0) {
    throw new Error('usage: edge-server.mjs --kvs FILE --auth-origin URL --origin DIR [--origin DIR ...] [--port N]');
  }
  return out;
}

/** The viewer-request event CloudFront would build for `req`. */
function toEvent(req, url) {
  const querystring = {};
  for (const [k, v] of url.searchParams) querystring[k] = { value: v };
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k !== 'cookie') headers[k] = { value: Array.isArray(v) ? v.join(',') : v };
  }
  const cookies = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) cookies[part.slice(0, i).trim()] = { value: part.slice(i + 1).trim() };
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'LOCALEDGE' },
    viewer: { ip: req.socket.remoteAddress },
    request: { method: req.method, uri: url.pathname, querystring, headers, cookies },
  };
}

function queryOf(qs) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(qs || {})) p.append(k, v.value);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Sends a response the function generated. */
function sendGenerated(res, r) {
  const headers = {};
  for (const [k, v] of Object.entries(r.headers || {})) headers[k] = v.value;
  const cookies = Object.entries(r.cookies || {}).map(([k, v]) => `${k}=${v.value}${v.attributes ? `; ${v.attributes}` : ''}`);
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(r.statusCode, r.statusDescription, headers);
  res.end(r.body ? r.body.data : undefined);
}

async function toSignIn(res, forwarded, body, authOrigin) {
  const headers = {};
  for (const [k, v] of Object.entries(forwarded.headers)) {
    if (!['host', 'connection', 'content-length'].includes(k)) headers[k] = v.value;
  }
  const cookies = Object.entries(forwarded.cookies || {}).map(([k, v]) => `${k}=${v.value}`);
  if (cookies.length) headers.cookie = cookies.join('; ');
  const answer = await fetch(`${authOrigin}${forwarded.uri}${queryOf(forwarded.querystring)}`, {
    method: forwarded.method, headers, body: body.length ? body : undefined, redirect: 'manual',
  });
  const out = {};
  answer.headers.forEach((v, k) => { if (k !== 'set-cookie' && k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding') out[k] = v; });
  const setCookies = answer.headers.getSetCookie();
  if (setCookies.length) out['set-cookie'] = setCookies;
  res.writeHead(answer.status, out);
  res.end(Buffer.from(await answer.arrayBuffer()));
}

function fromOrigin(res, forwarded, dirs) {
  let path = decodeURIComponent(forwarded.uri);
  if (path.endsWith('/')) path += 'index.html';
  for (const dir of dirs) {
    const file = normalize(join(dir, path));
    if (!file.startsWith(normalize(dir))) break;
    try {
      if (statSync(file).isFile()) {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(readFileSync(file));
        return;
      }
    } catch { /* next origin */ }
  }
  // S3 behind origin access control answers 403 for a missing key.
  res.writeHead(403, { 'content-type': 'application/xml' });
  res.end('<Error><Code>AccessDenied</Code></Error>');
}

/** Starts the edge; resolves to { url, close }. */
export async function startEdge({ kvs, auth, origin, port = 0 }) {
  const handler = loadViewerAuth(() => JSON.parse(readFileSync(kvs, 'utf8')));
  const server = http.createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://edge.invalid');
      const out = await handler(toEvent(req, url));
      if (out.statusCode !== undefined) return sendGenerated(res, out);
      if (out.uri.startsWith('/auth/')) return await toSignIn(res, out, body, auth);
      return fromOrigin(res, out, origin);
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`edge: ${e && e.message}`);
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const url = `http://localhost:${server.address().port}/`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const edge = await startEdge(args(process.argv.slice(2)));
  console.log(`edge: ${edge.url}`);
}
