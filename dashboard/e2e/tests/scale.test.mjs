// 10,000 jobs: only one page of rows is in the DOM, and filtering stays quick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { serve, launch, pageAt, publishFleet, screenshot, tempDir } from "../lib.mjs";

test("10,000 jobs render one page at a time and filter quickly", async () => {
  const now = Date.UTC(2027, 0, 15, 8);
  const dir = tempDir("fjc-dash-scale-");
  const snap = await publishFleet(dir, 10_000, now);
  const server = await serve(dir);
  const browser = await launch();
  try {
    const { page, errors, close } = await pageAt(browser, now + 5_000);
    const started = Date.now();
    await page.goto(server.url);
    await page.waitForSelector("#jobs tbody tr");
    const firstRender = Date.now() - started;
    assert.match(await page.textContent("#jobs-summary"), /Showing 1–100 of 10,000 matching jobs \(10,000 in total\)/);
    assert.equal(await page.$$eval("#jobs tbody tr", (r) => r.length), 100);
    await page.click("#page-next");
    assert.match(await page.textContent("#page-label"), /Page 2 of 100/);
    // Sorted by job id.
    const byId = snap.jobs.map((j) => j.job_id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.equal(await page.$eval("#jobs tbody tr", (r) => r.dataset.jobId), byId[100]);
    // The overview's cards add up, and the attention list shows its first rows only.
    const cards = await page.$$eval("#lifecycle-cards [data-lifecycle]", (els) => els.map((e) => Number(e.textContent.replace(/,/g, ""))));
    assert.equal(cards.reduce((a, b) => a + b, 0), 10_000);
    assert.equal(await page.$$eval("#attention tbody tr", (r) => r.length), 25);
    const failed = snap.jobs.filter((j) => j.lifecycle === "FAILED");
    const t0 = Date.now();
    await page.selectOption("#f-state", "FAILED");
    await page.waitForFunction((n) => document.querySelector("#jobs-summary").textContent.includes(`of ${n} matching`),
      failed.length.toLocaleString("en"));
    const filterMs = Date.now() - t0;
    // A job found by its id among the failed ones.
    const one = failed[Math.floor(failed.length / 2)];
    await page.fill("#f-text", one.job_id);
    await page.waitForFunction(() => /of 1 matching/.test(document.querySelector("#jobs-summary").textContent));
    await screenshot(page, "scale-10k-filtered");
    console.log(`# 10,000 jobs: first render ${firstRender} ms (wall, incl. load), filter ${filterMs} ms`);
    assert.ok(filterMs < 5_000, `filtering took ${filterMs} ms`);
    assert.deepEqual(errors, []);
    await close();
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
