// 10,000 jobs: only one page of rows is in the DOM, and filtering stays quick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { serve, launch, pageAt, putSnapshot, bigSnapshot, screenshot, tempDir } from "../lib.mjs";

test("10,000 jobs render one page at a time and filter quickly", async () => {
  const now = Date.UTC(2027, 0, 15, 8);
  const snap = bigSnapshot(10_000, now);
  const dir = tempDir("fjc-dash-scale-");
  putSnapshot(dir, snap);
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
    assert.equal(await page.$eval("#jobs tbody tr", (r) => r.dataset.jobId), "job-00100");
    const t0 = Date.now();
    await page.selectOption("#f-state", "FAILED");
    await page.waitForFunction(() => /of 769 matching/.test(document.querySelector("#jobs-summary").textContent));
    const filterMs = Date.now() - t0;
    await page.fill("#f-text", "job 1227 failed");
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
