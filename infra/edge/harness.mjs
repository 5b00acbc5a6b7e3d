// Runs viewer-auth.js outside CloudFront, for the tests and the local edge
// (edge-server.mjs). The function is written for cloudfront-js-2.0, where
// `cloudfront` and `crypto` are runtime modules: the loader removes the two
// import lines and evaluates the rest in a fresh vm context holding only what
// the runtime offers and the function uses (Buffer, console), plus two
// stand-ins: a fake KeyValueStore behind `cf.kvs()` and Node's real `crypto`.

import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

export const SRC_URL = new URL('./viewer-auth.js', import.meta.url);
const IMPORT_CF = "import cf from 'cloudfront';";
const IMPORT_CRYPTO = "import crypto from 'crypto';";

/** A fake CloudFront KeyValueStore over `data` (an object, or a function
 *  returning one per read): get() resolves to the stored string and rejects
 *  for a missing key, as the real helper does. */
export function fakeKvs(data) {
  return {
    async get(key) {
      const d = typeof data === 'function' ? data() : data;
      if (!Object.prototype.hasOwnProperty.call(d, key)) {
        throw new Error(`KVS key not found: ${key}`);
      }
      return d[key];
    },
  };
}

/** The function's `handler` against a fake KVS. With `nowSeconds`, its clock
 *  (Date.now) is frozen at that time. */
export function loadViewerAuth(kvsData, nowSeconds) {
  const src = readFileSync(SRC_URL, 'utf8');
  if (!src.includes(IMPORT_CF) || !src.includes(IMPORT_CRYPTO)) {
    throw new Error('viewer-auth.js lost its cloudfront or crypto import line');
  }
  const body = src.replace(IMPORT_CF, '').replace(IMPORT_CRYPTO, '');
  const kvs = fakeKvs(kvsData);
  const cf = { kvs: () => kvs };
  const context = vm.createContext({ Buffer, console });
  if (nowSeconds !== undefined) vm.runInContext('Date', context).now = () => nowSeconds * 1000;
  const factory = vm.runInContext(
    `(function (cf, crypto) { 'use strict';\n${body}\nreturn handler; })`,
    context,
    { filename: SRC_URL.pathname, lineOffset: -1 },
  );
  return factory(cf, crypto);
}
