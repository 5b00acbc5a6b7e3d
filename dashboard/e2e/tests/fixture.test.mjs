// The dashboard against the sample snapshot printed by `fjc dashboard sample`: the
// real snapshot builder's output, with one job in every lifecycle value (generated
// from the controller's enum, so a new value is in it by itself), a stream job with
// its whole history (clicks-enrich), batch runs, drift, errors, a refused artifact,
// a policy hold, an unreachable cluster with an open breaker, and an orphan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { jobDocumentKey, serve, launch, pageAt, putSnapshot, sampleSnapshot, screenshot, screenshotOf, tempDir } from "../lib.mjs";

const NOW = Date.UTC(2027, 0, 15, 8);
let snap, fixture, server, browser, snapDir, fixtureDir;
let fresh;

before(async () => {
  // The fixture as the controller publishes it: snapshot.json and jobs/<namespace>/*.json.
  fixtureDir = tempDir("fjc-dash-sample-");
  snap = await sampleSnapshot(NOW, fixtureDir);
  fixture = fixtureDir;
  fresh = snap.controller.heartbeat_at + 10_000;
  snapDir = tempDir("fjc-dash-fixture-");
  putSnapshot(snapDir, fixture);
  server = await serve(snapDir);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const d of [snapDir, fixtureDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function open(now, hash = "") {
  const p = await pageAt(browser, now);
  await p.page.goto(`${server.url}?refresh=1${hash}`);
  await p.page.waitForSelector("main[data-loaded=true]");
  return p;
}

const rowIds = (page) => page.$$eval("#jobs tbody tr", (rs) => rs.map((r) => r.dataset.jobId));
const job = (id) => snap.jobs.find((j) => j.job_id === id);
const idsWhere = (pred) => snap.jobs.filter(pred).map((j) => j.job_id).sort();
const noUnknown = async (page, where) => {
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!text.includes("UNKNOWN"), `${where} renders UNKNOWN`);
  assert.equal(await page.$("[data-lifecycle=UNKNOWN], .lc-unknown"), null, `${where} has an UNKNOWN element`);
};

// The rules of fjc_snapshot::query::attention, restated to check the page against.
function attentionOf(j, down) {
  const why = [];
  if (j.lifecycle === "FAILED") why.push("failed");
  if (j.lifecycle === "ROLLED_BACK") why.push("rolled back");
  const b = j.recovery_budget;
  if (b && b.allowed > 0 && (j.recoveries || []).length >= b.allowed) why.push("recovery budget exhausted");
  if (j.drift && j.has_spec && !j.operation && j.failed_attempts > 0) why.push("drift not converging");
  if (j.held_by_policy) why.push("held by policy");
  if (j.artifact_refused) why.push("artifact refused");
  if (down.has(j.cluster)) why.push("cluster unreachable");
  return why;
}

test("the sample is generated from the enum: every value once at least, none UNKNOWN", () => {
  const values = new Set(snap.jobs.map((j) => j.lifecycle));
  assert.ok(!values.has("UNKNOWN"));
  for (const v of ["PENDING", "CREATED", "STABLE", "ROLLED_BACK", "ROLLING_BACK", "RECOVERING", "SUSPENDING"]) {
    assert.ok(values.has(v), `sample has no ${v} job`);
  }
});

test("overview: a card per lifecycle value whose counts add up, clusters, orphans, no UNKNOWN", async () => {
  const { page, errors, close } = await open(fresh);
  assert.equal(await page.textContent("#total-jobs"), String(snap.jobs.length));
  const cards = await page.$$eval("#lifecycle-cards [data-lifecycle]",
    (els) => els.map((e) => [e.dataset.lifecycle, Number(e.textContent.replace(/,/g, ""))]));
  const values = [...new Set(snap.jobs.map((j) => j.lifecycle))];
  // A card for exactly the values the sample has: the dashboard and the sample
  // both come from the controller's enum.
  assert.deepEqual(cards.map(([v]) => v).sort(), values.sort());
  for (const [value, n] of cards) {
    assert.equal(n, snap.jobs.filter((j) => j.lifecycle === value).length, value);
  }
  assert.equal(cards.reduce((sum, [, n]) => sum + n, 0), snap.jobs.length, "cards add up to the total");
  // Every card says what its value means.
  const titles = await page.$$eval("#lifecycle-cards button", (bs) => bs.map((b) => b.title));
  assert.ok(titles.every((t) => t.length > 10), "every card has a hint");
  const batch = snap.jobs.filter((j) => j.job_type === "batch").length;
  assert.equal(await page.textContent("[data-type=batch]"), String(batch));

  const clusters = await page.$$eval("#clusters tbody tr", (rs) => rs.map((r) => r.innerText));
  const def = clusters.find((c) => c.startsWith("default"));
  const east = clusters.find((c) => c.startsWith("east"));
  assert.match(def, /default\s+healthy/);
  assert.match(def, /5 free of 16/);
  assert.match(east, /east\s+UNREACHABLE.*connection refused/);
  assert.match(east, /OPEN since \d+m \d+s ago/);
  assert.match(await page.textContent("#orphans"), /adhoc-sql-session/);
  assert.equal(await page.$("#stale-warning"), null, "no stale warning for a fresh heartbeat");
  assert.match(await page.textContent("#heartbeat-age"), /10s ago/);
  assert.ok((await page.$$eval("#transitions rect", (r) => r.length)) > 0);
  await noUnknown(page, "the overview");
  await screenshot(page, "fixture-overview");
  assert.deepEqual(errors, []);
  await close();
});

test("needs attention lists each job with its reasons and links to it", async () => {
  const { page, errors, close } = await open(fresh);
  const down = new Set(snap.clusters.filter((c) => c.health === "unreachable").map((c) => c.name));
  const expected = Object.fromEntries(snap.jobs.map((j) => [j.job_id, attentionOf(j, down)])
    .filter(([, why]) => why.length > 0));
  const shown = Object.fromEntries(await page.$$eval("#attention tbody tr", (rs) => rs.map((r) =>
    [r.dataset.jobId, [...r.querySelectorAll("[data-reason]")].map((b) => b.dataset.reason)])));
  assert.deepEqual(shown, expected);
  // The sample has every reason, on the jobs made for them.
  assert.deepEqual(shown["failed-job"], ["failed"]);
  assert.deepEqual(shown["clicks-enrich"], ["rolled back", "recovery budget exhausted", "artifact refused"]);
  assert.deepEqual(shown["payments-v2"], ["drift not converging"]);
  assert.deepEqual(shown["fresh-spec"], ["held by policy"]);
  assert.ok(shown["east-ingest"].includes("cluster unreachable"));
  const clicks = await page.textContent("#attention tr[data-job-id=clicks-enrich]");
  assert.match(clicks, /revision 2 → 1: not running with all tasks within readiness_timeout \(5m\)/);
  assert.match(clicks, /3 of 3 in 1h — budget exhausted/);
  assert.match(clicks, /signature does not verify/);
  assert.match(await page.textContent("#attention tr[data-job-id=east-ingest]"), /east: connection refused/);
  assert.match(await page.textContent(".totals"), new RegExp(`${Object.keys(expected).length} need attention`));
  await screenshotOf(page, "#attention", "fixture-attention");
  await page.click("#attention tr[data-job-id=clicks-enrich] a");
  await page.waitForSelector("#job-h");
  assert.equal(new URL(page.url()).hash, "#/job/web/clicks-enrich");
  assert.deepEqual(errors, []);
  await close();
});

test("clicking a lifecycle card filters the table by it; the State list has every value", async () => {
  const { page, close } = await open(fresh);
  const options = await page.$$eval("#f-state option", (os) => os.map((o) => o.value).filter(Boolean));
  assert.deepEqual([...options].sort(), [...new Set(snap.jobs.map((j) => j.lifecycle))].sort());
  for (const value of options) {
    await page.click(`#lifecycle-cards [data-lifecycle=${value}]`);
    assert.deepEqual(await rowIds(page), idsWhere((j) => j.lifecycle === value), value);
    assert.equal(await page.$eval("#f-state", (s) => s.value), value);
    assert.equal(await page.getAttribute(`#lifecycle-cards li:has([data-lifecycle=${value}]) button`, "aria-pressed"), "true");
  }
  await page.click("#lifecycle-cards [data-lifecycle=ROLLED_BACK]");
  await screenshot(page, "fixture-filtered-rolled-back");
  await page.selectOption("#f-state", "STABLE");
  assert.deepEqual(await rowIds(page), idsWhere((j) => j.lifecycle === "STABLE"));
  await page.selectOption("#f-state", "");
  assert.equal((await rowIds(page)).length, snap.jobs.length);
  await close();
});

test("the jobs table says where each Flink state comes from; badges; filters and sort", async () => {
  const { page, close } = await open(fresh);
  const ids = await rowIds(page);
  assert.deepEqual(ids, idsWhere(() => true), "every job, sorted by id");
  const state = (id) => page.textContent(`tr[data-job-id=${id}] td.flink-state`);
  assert.equal(await state("clicks-enrich"), "RUNNING", "observed: the plain value");
  assert.match(await state("east-ingest"), /^RUNNING · stored \d+m \d+s ago \(cluster not asked\)$/);
  assert.match(await state("failed-job"), /^not on cluster · stored RUNNING \d+m \d+s ago$/);
  assert.equal(await page.$eval("tr[data-job-id=east-ingest] td.flink-state", (td) => td.classList.contains("stored")), true);
  assert.match(await page.textContent("tr[data-job-id=payments-v2]"), /drift/);
  const err = await page.$("tr[data-job-id=failed-job] .badge.err");
  assert.match(await err.getAttribute("title"), /ClassNotFoundException/);
  assert.equal(await page.$$eval("#jobs thead th[scope=col]", (t) => t.length), 8);
  const unlabeled = await page.$$eval(".filters input, .filters select", (els) =>
    els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id));
  assert.deepEqual(unlabeled, []);

  await page.selectOption("#f-type", "batch");
  assert.deepEqual(await rowIds(page), idsWhere((j) => j.job_type === "batch"));
  await page.selectOption("#f-type", "");
  await page.selectOption("#f-ns", "web");
  assert.deepEqual(await rowIds(page), ["clicks-enrich"]);
  await page.selectOption("#f-ns", "");
  await page.fill("#f-text", "CLASSNOTFOUND");
  assert.deepEqual(await rowIds(page), idsWhere((j) => /ClassNotFound/i.test(j.last_error?.message || "")));
  await page.fill("#f-text", "");
  await page.check("#f-drift");
  assert.deepEqual(await rowIds(page), idsWhere((j) => j.drift));
  await page.uncheck("#f-drift");
  await page.check("#f-errors");
  assert.deepEqual(await rowIds(page), idsWhere((j) => j.last_error));
  await page.uncheck("#f-errors");
  await page.fill("#f-text", "no-such-job");
  assert.match(await page.textContent("#jobs-summary"), /No job matches/);
  await page.fill("#f-text", "");
  const lifecycleHeader = page.locator("#jobs thead th", { hasText: "Lifecycle" });
  await lifecycleHeader.locator("button").click();
  await lifecycleHeader.locator("button").click();
  assert.equal(await lifecycleHeader.getAttribute("aria-sort"), "descending");
  assert.equal((await rowIds(page))[0], "deleting-job", "DELETING is the last value");
  // Every page of the table, 50 rows a page: no UNKNOWN.
  await page.selectOption("#f-size", "50");
  for (;;) {
    await noUnknown(page, "a table page");
    if (await page.$eval("#page-next", (b) => b.disabled)) break;
    await page.click("#page-next");
  }
  await close();
});

test("clicks-enrich's page: revisions, rollback, savepoints, recoveries, refusal, audit, timeline", async () => {
  const j = { ...job("clicks-enrich"), ...job("clicks-enrich").detail };
  const { page, errors, close } = await open(fresh, "#/job/web/clicks-enrich");
  await page.waitForSelector("#job-h");
  assert.match(await page.textContent("#job-h"), /clicks-enrich\s+ROLLED_BACK/);
  assert.match(await page.textContent("#lifecycle-hint"), /rolled-back revision/);
  assert.equal(await page.textContent("#namespace"), "web");
  assert.equal(await page.textContent("#flink-state"), "RUNNING");
  assert.match(await page.textContent("#revision"), /^3 · last stable: 1$/);
  assert.match(await page.textContent("#restored-from"), /savepoint-f1c000-2/);
  // Health signals: the line `fjc status` prints.
  assert.match(
    await page.textContent("#health"),
    /^last checkpoint 5s ago · 1 restart · 2 failed checkpoints \(1 new\) · backpressure 86%, over threshold since \d+m ago · as of \d+(s|m) ago$/,
  );
  // Revisions, newest first; revision 2 rolled back with the reason.
  const revs = await page.$$eval("#revisions tbody tr", (rs) => rs.map((r) => r.innerText));
  assert.equal(revs.length, j.revisions.length);
  assert.match(revs[0], /^3 \(deployed now\)/);
  assert.match(revs[1], /^2\s.*rolled-back\s+not running with all tasks within readiness_timeout \(5m\)/);
  assert.match(revs[2], /^1 \(last stable\).*stable.*empty state/);
  assert.match(await page.textContent("#rollback"), /Rolled back from revision 2 to 1 at .*: not running with all tasks within readiness_timeout \(5m\)/);
  // Savepoints kept, the newest restore point, recoveries against the budget.
  assert.equal(await page.$$eval("#savepoints tbody tr", (r) => r.length), j.savepoints.length);
  assert.match(await page.textContent("#restore-point"), /Newest restore point: file:\/flink\/savepoints\/savepoint-f1c000-2/);
  assert.match(await page.textContent("#recoveries"), /^3 of 3 in 1h — budget exhausted$/);
  assert.match(await page.textContent("#artifact-refused"), /Artifact upload refused at .*signature does not verify with any trusted key/);
  // Audit: who, what, when.
  const audit = await page.$$eval("#audit tbody tr", (rs) => rs.map((r) => r.innerText));
  assert.equal(audit.length, j.audit.length);
  assert.match(audit[0], /arn:aws:iam::123456789012:user\/ana\s+update\s+aaaaaaaaaaaa → bbbbbbbbbbbb/);
  assert.match(audit.at(-1), /create/);
  assert.match(await page.textContent("#job-attention"), /rolled back.*recovery budget exhausted.*artifact refused/s);

  // Timeline: one labelled lane per kind, a mark per event, what went wrong in red.
  const lanes = await page.$$eval("#job-timeline g.lane", (gs) => gs.map((g) => [g.dataset.lane, g.querySelector(".lane-label").textContent]));
  assert.deepEqual(lanes.map(([l]) => l), ["spec", "command", "deploy", "savepoint", "recovery", "rollback", "run", "error"]);
  assert.ok(lanes.every(([l, label]) => l === label));
  const marks = await page.$$eval("#job-timeline .mark", (ms) => ms.map((m) => [m.dataset.kind, m.classList.contains("bad"), m.querySelector("title")?.textContent || ""]));
  const per = (kind) => marks.filter(([k]) => k === kind).length;
  const commands = j.audit.filter((a) => ["suspend", "resume", "restart", "savepoint", "rollback"].includes(a.action)).length;
  assert.equal(per("spec"), j.audit.length - commands);
  assert.equal(per("command"), commands);
  assert.equal(per("deploy"), j.revisions.length);
  assert.equal(per("savepoint"), j.savepoints.length);
  assert.equal(per("recovery"), j.recoveries.length);
  assert.equal(per("rollback"), 1);
  assert.equal(marks.filter(([, bad]) => bad).length, 2, "the rolled-back revision and the rollback");
  assert.ok(marks.every(([, , title]) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/.test(title)), "every mark has a tooltip");
  assert.ok(marks.some(([k, , t]) => k === "rollback" && /rolled back from revision 2 to 1: not running/.test(t)));
  assert.equal(await page.$$eval("#events tbody tr", (r) => r.length), marks.length);
  await noUnknown(page, "clicks-enrich's page");
  await screenshot(page, "fixture-job-clicks-enrich");
  await screenshotOf(page, "#job-timeline", "fixture-timeline-clicks-enrich");
  assert.deepEqual(errors, []);
  await close();
});

test("east-ingest's Flink state is a stored value with its age; orders-nightly's runs", async () => {
  const { page, errors, close } = await open(fresh, "#/job/default/east-ingest");
  await page.waitForSelector("#job-h");
  assert.match(await page.textContent("#flink-state"), /^RUNNING · stored \d+m \d+s ago \(cluster not asked\)$/);
  assert.match(await page.textContent("#job-attention"), /cluster unreachable/);
  assert.match(await page.textContent("#operation"), /^deploy since /);
  await screenshot(page, "fixture-job-east-ingest");

  await page.goto(`${server.url}?refresh=1#/job/default/orders-nightly`);
  await page.waitForSelector("#runs");
  const runs = job("orders-nightly").detail.runs;
  assert.equal(await page.$$eval("#runs tbody tr", (r) => r.length), runs.length);
  assert.equal(await page.$$eval("#job-timeline rect.mark[data-kind=run]", (r) => r.length), runs.length);
  assert.equal(await page.$$eval("#job-timeline rect.mark.bad", (r) => r.length), runs.filter((r) => r.outcome === "failed").length);
  assert.match(await page.textContent("#spec-summary"), /Environment variables\s*1 \(values not shown\)/);
  assert.ok(!(await page.content()).includes("never-shown"), "no secret on the page");
  await screenshot(page, "fixture-job-orders-nightly");
  await screenshotOf(page, "#job-timeline", "fixture-timeline-orders-nightly");
  assert.deepEqual(errors, []);
  await close();
});

test("no job page renders UNKNOWN; every page has a timeline or says there is nothing yet", async () => {
  const { page, errors, close } = await open(fresh);
  for (const j of snap.jobs) {
    await page.evaluate((h) => { location.hash = h; }, `#/job/${j.namespace}/${j.job_id}`);
    await page.waitForFunction((id) => document.querySelector("#job-h")?.textContent.startsWith(id), j.job_id);
    // The timeline is drawn once the job's own document has arrived.
    await page.waitForSelector("#job-timeline, #job-timeline-empty", { timeout: 10_000 });
    assert.equal(await page.$("#history-status"), null, `${j.job_id}: history not shown`);
    await noUnknown(page, `${j.job_id}'s page`);
  }
  await page.click("#back");
  await page.waitForSelector("#jobs");
  // Deep link to a job not in the snapshot: said so, not blank.
  await page.goto(`${server.url}#/job/default/gone`);
  await page.waitForSelector("#not-found");
  assert.deepEqual(errors, []);
  await close();
});

test("a job whose own document is missing says so; the rest of its page stays", async () => {
  const dir = tempDir("fjc-dash-nodoc-");
  putSnapshot(dir, fixture);
  rmSync(join(dir, jobDocumentKey("web", "clicks-enrich")));
  const lonely = await serve(dir);
  const { page, errors, close } = await pageAt(browser, fresh);
  await page.goto(`${lonely.url}?refresh=1#/job/web/clicks-enrich`);
  await page.waitForSelector("#history-status[role=alert]");
  assert.match(await page.textContent("#history-status"), /History unavailable.*jobs\/web\/clicks-enrich\.json\?v=[0-9a-f]{16} answered HTTP 404/);
  assert.match(await page.textContent("#job-h"), /clicks-enrich\s+ROLLED_BACK/);
  assert.match(await page.textContent("#rollback"), /Rolled back from revision 2 to 1/);
  await screenshot(page, "fixture-job-document-missing");
  assert.ok(errors.every((e) => /404/.test(e)), errors.join("\n"));
  await close();
  await lonely.stop();
  rmSync(dir, { recursive: true, force: true });
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
