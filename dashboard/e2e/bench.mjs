// Time to first render of a 10,000-job snapshot in headless Chromium: from navigation
// start to the `fjc-first-render` mark (set after the first snapshot was rendered),
// split by the app's other marks into download (`fjc-fetched`: the body is in
// memory), parse (`fjc-parsed`) and render.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { serve, launch, pageAt, publishFleet, tempDir } from "./lib.mjs";

const n = Number(process.env.FJC_BENCH_JOBS || 10_000);
const rounds = Number(process.env.FJC_BENCH_ROUNDS || 5);
const now = Date.now();
const dir = tempDir("fjc-dash-bench-");
// The fleet as the controller publishes it (`fjc dashboard sample --jobs`).
await publishFleet(dir, n, now);
const bytes = statSync(join(dir, "snapshot.json")).size;
const docs = readdirSync(join(dir, "jobs")).map((f) => statSync(join(dir, "jobs", f)).size);
const server = await serve(dir);
const browser = await launch();
const runs = [];
try {
  for (let i = 0; i < rounds; i++) {
    const { page, close } = await pageAt(browser);
    await page.goto(server.url);
    const handle = await page.waitForFunction(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
      const done = at("fjc-first-render");
      if (done === undefined || document.querySelectorAll("#jobs tbody tr").length === 0) return false;
      return { fetched: at("fjc-fetched"), parsed: at("fjc-parsed"), done };
    }, null, { timeout: 60_000, polling: 20 });
    runs.push(await handle.jsonValue());
    await close();
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
const stats = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).map(Math.round).sort((a, b) => a - b);
  return s.length ? `median ${s[Math.floor(s.length / 2)]} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms` : "n/a";
};
console.log(`published: snapshot.json ${(bytes / 1e6).toFixed(2)} MB; ${docs.length.toLocaleString("en")} job documents, ` +
  `${(docs.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB in all, largest ${(Math.max(...docs) / 1e3).toFixed(1)} kB`);
console.log(`first render of ${n.toLocaleString("en")} jobs (${(bytes / 1e6).toFixed(1)} MB snapshot), ` +
  `${rounds} cold page loads: ${stats(runs.map((r) => r.done))}`);
console.log(`  start → body downloaded: ${stats(runs.map((r) => r.fetched))}`);
console.log(`  JSON parse:              ${stats(runs.map((r) => r.parsed - r.fetched))}`);
console.log(`  parsed → rendered:       ${stats(runs.map((r) => r.done - r.parsed))}`);
