// Time to first render of a 10,000-job snapshot in headless Chromium: from navigation
// start to the `fjc-first-render` mark (set after the first snapshot was painted).
import { rmSync } from "node:fs";
import { serve, launch, pageAt, putSnapshot, bigSnapshot, tempDir } from "./lib.mjs";

const n = Number(process.env.FJC_BENCH_JOBS || 10_000);
const rounds = Number(process.env.FJC_BENCH_ROUNDS || 5);
const now = Date.now();
const dir = tempDir("fjc-dash-bench-");
const snap = bigSnapshot(n, now);
putSnapshot(dir, snap);
const bytes = JSON.stringify(snap).length;
const server = await serve(dir);
const browser = await launch();
const marks = [];
try {
  for (let i = 0; i < rounds; i++) {
    const { page, close } = await pageAt(browser);
    await page.goto(server.url);
    const handle = await page.waitForFunction(() => {
      const m = performance.getEntriesByName("fjc-first-render")[0];
      return m && document.querySelectorAll("#jobs tbody tr").length > 0 ? m.startTime : false;
    }, null, { timeout: 60_000, polling: 20 });
    marks.push(Math.round(await handle.jsonValue()));
    await close();
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
marks.sort((a, b) => a - b);
console.log(`first render of ${n.toLocaleString("en")} jobs (${(bytes / 1e6).toFixed(1)} MB snapshot), ` +
  `${rounds} cold page loads: median ${marks[Math.floor(marks.length / 2)]} ms, ` +
  `min ${marks[0]} ms, max ${marks[marks.length - 1]} ms`);
