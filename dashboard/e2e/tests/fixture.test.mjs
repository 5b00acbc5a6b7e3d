// The dashboard against tests/fixtures/dashboard-snapshot.json (every lifecycle state,
// both job types, drift, errors, runs, an unreachable cluster, an orphan).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { repo, serve, launch, pageAt, putSnapshot, readJson, screenshot, tempDir } from "../lib.mjs";

const fixture = join(repo, "tests/fixtures/dashboard-snapshot.json");
const snap = readJson(fixture);
const fresh = snap.controller.heartbeat_at + 10_000;
let server, browser, snapDir;

before(async () => {
  snapDir = tempDir("fjc-dash-fixture-");
  putSnapshot(snapDir, fixture);
  server = await serve(snapDir);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (snapDir) rmSync(snapDir, { recursive: true, force: true });
});

async function open(now, hash = "") {
  const p = await pageAt(browser, now);
  await p.page.goto(`${server.url}?refresh=1${hash}`);
  await p.page.waitForSelector("main[data-loaded=true]");
  return p;
}

const rowIds = (page) => page.$$eval("#jobs tbody tr", (rs) => rs.map((r) => r.dataset.jobId));

test("overview counts every state and shows cluster health", async () => {
  const { page, errors, close } = await open(fresh);
  assert.equal(await page.textContent("#total-jobs"), String(snap.jobs.length));
  for (const state of ["PENDING", "CREATED", "DEPLOYING", "UPGRADING", "RUNNING", "SCHEDULED",
    "SUSPENDED", "FINISHED", "FAILED", "DELETING"]) {
    const expected = snap.jobs.filter((j) => j.lifecycle === state).length;
    assert.equal(await page.textContent(`[data-lifecycle=${state}]`), String(expected), state);
  }
  assert.equal(await page.textContent("[data-type=batch]"), "4");
  const clusters = await page.$$eval("#clusters tbody tr", (rs) => rs.map((r) => r.innerText));
  assert.match(clusters[0], /default\s+healthy/);
  assert.match(clusters[0], /5 free of 16/);
  assert.match(clusters[1], /east\s+UNREACHABLE.*connection refused/);
  assert.match(clusters[1], /OPEN/);
  assert.match(await page.textContent("#orphans"), /adhoc-sql-session/);
  assert.equal(await page.$("#stale-warning"), null, "no stale warning for a fresh heartbeat");
  assert.match(await page.textContent("#heartbeat-age"), /10s ago/);
  assert.equal(await page.$$eval("#transitions rect", (r) => r.length) > 0, true);
  await screenshot(page, "fixture-overview");
  assert.deepEqual(errors, []);
  await close();
});

test("jobs table lists every job with drift and error badges", async () => {
  const { page, close } = await open(fresh);
  const ids = await rowIds(page);
  assert.equal(ids.length, snap.jobs.length);
  assert.deepEqual(ids, [...ids].sort(), "sorted by job id");
  const fraud = await page.textContent("tr[data-job-id=fraud-scorer]");
  assert.match(fraud, /drift/);
  assert.match(fraud, /deploy/);
  const orders = await page.$("tr[data-job-id=orders-etl] .badge.err");
  assert.match(await orders.getAttribute("title"), /ClassNotFoundException/);
  // Accessible markup: column headers, and a label for every control.
  assert.equal(await page.$$eval("#jobs thead th[scope=col]", (t) => t.length), 8);
  const unlabeled = await page.$$eval(".filters input, .filters select", (els) =>
    els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id));
  assert.deepEqual(unlabeled, []);
  await close();
});

test("filters, search and sort narrow and order the rows", async () => {
  const { page, close } = await open(fresh);
  await page.selectOption("#f-state", "FAILED");
  assert.deepEqual(await rowIds(page), ["orders-etl"]);
  await page.selectOption("#f-state", "");
  await page.selectOption("#f-type", "batch");
  assert.deepEqual(await rowIds(page), ["backfill-2026", "daily-report", "monthly-close", "orders-etl"]);
  await page.selectOption("#f-ns", "analytics");
  await page.fill("#f-text", "CLASSNOTFOUND");
  assert.deepEqual(await rowIds(page), ["orders-etl"]);
  await screenshot(page, "fixture-filtered");
  await page.selectOption("#f-type", "");
  await page.selectOption("#f-ns", "");
  await page.fill("#f-text", "");
  await page.check("#f-drift");
  assert.deepEqual(await rowIds(page), ["fraud-scorer"]);
  await page.uncheck("#f-drift");
  await page.check("#f-errors");
  assert.deepEqual(await rowIds(page), ["inventory-sync", "orders-etl"]);
  await page.uncheck("#f-errors");
  await page.fill("#f-text", "no-such-job");
  assert.match(await page.textContent("#jobs-summary"), /No job matches/);
  await page.fill("#f-text", "");
  // Sort by lifecycle, descending: DELETING first.
  const lifecycleHeader = page.locator("#jobs thead th", { hasText: "Lifecycle" });
  await lifecycleHeader.locator("button").click();
  await lifecycleHeader.locator("button").click();
  assert.equal(await lifecycleHeader.getAttribute("aria-sort"), "descending");
  assert.equal((await rowIds(page))[0], "legacy-export");
  // A lifecycle card filters the table.
  await page.click("[data-lifecycle=SCHEDULED]");
  assert.deepEqual(await rowIds(page), ["daily-report"]);
  await close();
});

test("a row links to the job's detail page and back", async () => {
  const { page, errors, close } = await open(fresh);
  await page.click("tr[data-job-id=orders-etl] a");
  await page.waitForSelector("#job-h");
  assert.equal(new URL(page.url()).hash, "#/job/analytics/orders-etl");
  assert.match(await page.textContent("#job-h"), /orders-etl\s+FAILED/);
  assert.match(await page.textContent("#last-error"), /ClassNotFoundException: com.example.OrdersEtl/);
  assert.equal(await page.$$eval("#runs tbody tr", (r) => r.length), 2);
  assert.match(await page.textContent("#next-fire"), /2027-01-15 12:00:00Z/);
  assert.match(await page.textContent("#spec-summary"), /Environment variables\s*1 \(values not shown\)/);
  assert.equal(await page.$$eval("#job-timeline rect.run", (r) => r.length), 2);
  await screenshot(page, "fixture-detail");
  await page.click("#back");
  await page.waitForSelector("#jobs");
  assert.equal((await rowIds(page)).length, snap.jobs.length);
  // Deep link to a job not in the snapshot: said so, not blank.
  await page.goto(`${server.url}#/job/default/gone`);
  await page.waitForSelector("#not-found");
  assert.deepEqual(errors, []);
  await close();
});

test("an old heartbeat shows the stale warning", async () => {
  const { page, close } = await open(snap.controller.heartbeat_at + 60 * 60_000);
  await page.waitForSelector("#stale-warning");
  assert.match(await page.textContent("#stale-warning"), /Stale data.*1h 0m ago/);
  assert.equal((await rowIds(page)).length, snap.jobs.length, "data still shown");
  await screenshot(page, "fixture-stale");
  await close();
});

test("an unreachable snapshot shows a banner instead of a blank page", async () => {
  const empty = tempDir("fjc-dash-empty-");
  const lonely = await serve(empty);
  const { page, close } = await pageAt(browser, fresh);
  await page.goto(`${lonely.url}?refresh=1`);
  await page.waitForSelector("#unreachable-warning");
  assert.match(await page.textContent("#unreachable-warning"), /answered HTTP 404.*No data loaded yet/);
  await screenshot(page, "unreachable-no-data");
  // Data first, then the server goes away: the data stays, with a banner.
  putSnapshot(empty, fixture);
  await page.waitForSelector("main[data-loaded=true]");
  assert.equal(await page.$("#unreachable-warning"), null);
  await lonely.stop();
  await page.waitForSelector("#unreachable-warning", { timeout: 10_000 });
  assert.match(await page.textContent("#unreachable-warning"), /cannot reach.*Showing the data loaded/);
  assert.equal((await rowIds(page)).length, snap.jobs.length);
  await screenshot(page, "unreachable-with-data");
  await close();
  rmSync(empty, { recursive: true, force: true });
});

test("the server answers 304 to a matching If-None-Match", async () => {
  const first = await fetch(`${server.url}snapshot.json`);
  assert.equal(first.status, 200);
  const etag = first.headers.get("etag");
  assert.ok(etag);
  assert.equal(first.headers.get("cache-control"), "no-cache");
  const again = await fetch(`${server.url}snapshot.json`, { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
  const wasm = await fetch(`${server.url}fjc_dashboard_bg.wasm`, { method: "HEAD" });
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
});
