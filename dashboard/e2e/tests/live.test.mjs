// Snapshots published by a real `fjc reconcile` against the real local Flink and
// moto (localstack/up.sh; `source .local/env.sh`). Fails loudly when they are missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fjcBin, repo, run, serve, launch, pageAt, readPublished, screenshot, screenshotOf, tempDir } from "../lib.mjs";

/** Running in Flink (RUNNING, or STABLE once it ran for stable_after). */
const running = (j) => j?.lifecycle === "RUNNING" || j?.lifecycle === "STABLE";

function need(name) {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: start the local services (localstack/up.sh) and source .local/env.sh`);
  return v;
}

test("a real reconcile publishes a snapshot the dashboard shows, without secrets", async () => {
  need("FJC_FLINK_URL");
  need("AWS_ENDPOINT_URL");
  const jobs = need("FJC_TEST_JOBS_DIR");
  const work = tempDir("fjc-dash-live-");
  const artifacts = join(work, "artifacts");
  const specs = join(work, "specs");
  const snapDir = join(work, "snapshot");
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(specs, { recursive: true });
  copyFileSync(join(jobs, "stream-counter.jar"), join(artifacts, "stream-counter.jar"));
  const suffix = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  // Two jobs, both running: one with a secret in its args, one with a secret env var.
  const jobId = `dash-live-${suffix}`;
  const envJobId = `dash-live-env-${suffix}`;
  const spec = (id, extra) => [
    `job_id: ${id}`,
    "job_type: stream",
    "artifact_path: stream-counter.jar",
    "entry_class: fjc.testjobs.StreamCounter",
    `args: ["--out-dir", "${join(work, "out", id)}", "--rate", "5", "--password", "hunter2"]`,
    "deployment:",
    "  parallelism: 1",
    ...extra,
    "",
  ].join("\n");
  writeFileSync(join(specs, "job.yaml"), spec(jobId, []));
  writeFileSync(join(specs, "env-job.yaml"), spec(envJobId, ["env_vars:", "  SECRET_TOKEN: s3cr3t-value"]));
  const env = {
    ...process.env,
    FJC_TABLE: `fjc-e2e-dash-${suffix}`,
    FJC_ARTIFACT_ROOT: artifacts,
    FJC_DASHBOARD_DIR: snapDir,
    FJC_CONFIG_DIR: join(repo, "config"),
    FJC_LOG_LEVEL: "warn",
  };
  const fjc = (...args) => run(fjcBin, args, { env, cwd: repo });
  const snapshotFile = join(snapDir, "snapshot.json");
  const server = await serve(snapDir);
  const browser = await launch();
  try {
    await fjc("bootstrap");
    await fjc("apply", "-f", specs);
    let job, envJob;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      await fjc("reconcile", "--once").catch(() => {});
      const snap = readPublished(snapDir);
      job = snap.jobs.find((j) => j.job_id === jobId);
      envJob = snap.jobs.find((j) => j.job_id === envJobId);
      if (running(job) && running(envJob)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(running(job), `job state: ${JSON.stringify(job)}`);
    assert.ok(running(envJob), `env job state: ${JSON.stringify(envJob)}`);
    // Neither the overview, nor a namespace's overview, nor any job document holds a secret.
    const files = [snapshotFile, ...readdirSync(snapDir, { recursive: true })
      .filter((f) => f.endsWith(".json") && f !== "snapshot.json")
      .map((f) => join(snapDir, f))];
    assert.ok(files.length >= 4, files.join(", "));
    assert.ok(files.some((f) => f.endsWith(join("snapshots", "ns", "default.json"))), files.join(", "));
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const secret of ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"]) {
        assert.ok(!text.includes(secret), `${secret} leaked into ${f}`);
      }
    }
    assert.equal(job.detail.spec.arg_count, 6);
    assert.equal(envJob.detail.spec.env_var_count, 1);

    const { page, errors, close } = await pageAt(browser);
    await page.goto(`${server.url}?refresh=1`);
    await page.waitForSelector(`tr[data-job-id=${jobId}]`);
    assert.match(await page.textContent(`tr[data-job-id=${jobId}]`), /RUNNING|STABLE/);
    assert.ok(await page.$(`tr[data-job-id=${envJobId}]`), "the env-var job is listed");
    const cluster = await page.locator("#clusters tbody tr").first().innerText();
    assert.match(cluster, /default\s+healthy/);
    assert.match(cluster, /free of \d+/, "slots from /overview");
    assert.equal(await page.$("#stale-warning"), null);
    await page.fill("#f-text", jobId);
    assert.equal(await page.$$eval("#jobs tbody tr", (r) => r.length), 1);
    await page.click(`tr[data-job-id=${jobId}] a`);
    await page.waitForSelector("#job-h");
    assert.match(await page.textContent("#flink-state"), /RUNNING/);
    assert.ok(!(await page.content()).includes("hunter2"));
    await screenshot(page, "live-detail");
    await page.click("#back");
    await page.waitForSelector("#jobs");
    await screenshot(page, "live-overview");
    assert.deepEqual(errors, []);
    await close();
  } finally {
    // Leave nothing running on the shared cluster.
    await fjc("delete", jobId).catch(() => {});
    await fjc("delete", envJobId).catch(() => {});
    for (let i = 0; i < 10; i++) {
      await fjc("reconcile", "--once").catch(() => {});
      const snap = readPublished(snapDir);
      if (!snap.jobs.some((j) => j.job_id === jobId || j.job_id === envJobId)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await browser.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

/** A world of its own: a table, an artifact root, a spec dir and a snapshot dir. */
function world(prefix) {
  const work = tempDir(`fjc-dash-${prefix}-`);
  const artifacts = join(work, "artifacts");
  const specs = join(work, "specs");
  const snapDir = join(work, "snapshot");
  for (const d of [artifacts, specs, snapDir]) mkdirSync(d, { recursive: true });
  copyFileSync(join(need("FJC_TEST_JOBS_DIR"), "stream-counter.jar"), join(artifacts, "stream-counter.jar"));
  const suffix = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  const env = {
    ...process.env,
    FJC_TABLE: `fjc-e2e-${prefix}-${suffix}`,
    FJC_ARTIFACT_ROOT: artifacts,
    FJC_DASHBOARD_DIR: snapDir,
    FJC_CONFIG_DIR: join(repo, "config"),
    FJC_LOG_LEVEL: "warn",
  };
  const fjc = (...args) => run(fjcBin, args, { env, cwd: repo });
  const read = () => readPublished(snapDir);
  /** Reconciles (one cycle a second) until `pred` holds for the job's snapshot entry. */
  const until = async (id, what, pred, ms = 150_000) => {
    const deadline = Date.now() + ms;
    let j;
    while (Date.now() < deadline) {
      await fjc("reconcile", "--once").catch(() => {});
      j = read().jobs.find((x) => x.job_id === id);
      if (j && pred(j)) return j;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.fail(`${id} never ${what}: ${JSON.stringify(j)}`);
  };
  return { work, specs, snapDir, suffix, fjc, read, until };
}

test("a real job goes STABLE, gets a savepoint, and a failing version is rolled back: the page shows each step", async () => {
  need("FJC_FLINK_URL");
  need("AWS_ENDPOINT_URL");
  const w = world("dash-lc");
  const id = `dash-lc-${w.suffix}`;
  const spec = (extraArgs, extraDeployment) => [
    `job_id: ${id}`,
    "job_type: stream",
    "artifact_path: stream-counter.jar",
    "entry_class: fjc.testjobs.StreamCounter",
    `args: ${JSON.stringify(["--out-dir", join(w.work, "out", id), "--rate", "5", ...extraArgs])}`,
    "deployment:",
    "  parallelism: 1",
    "  checkpoint_interval: 1s",
    "  stable_after: 5s",
    "  readiness_timeout: 60s",
    ...extraDeployment,
    "",
  ].join("\n");
  const server = await serve(w.snapDir);
  const browser = await launch();
  const { page, errors, close } = await pageAt(browser);
  const text = (sel) => page.textContent(sel);
  try {
    await w.fjc("bootstrap");
    writeFileSync(join(w.specs, "job.yaml"), spec([], []));
    await w.fjc("apply", "-f", w.specs);

    // 1. Deployed and running for stable_after: STABLE, revision 1.
    const stable = await w.until(id, "became STABLE", (j) => j.lifecycle === "STABLE");
    assert.equal(stable.revision, 1);
    assert.equal(stable.stable_revision, 1);
    assert.equal(stable.flink_state_seen?.source, "observed");
    await page.goto(`${server.url}?refresh=1#/job/default/${id}`);
    await page.waitForFunction(() => /STABLE/.test(document.querySelector("#job-h")?.textContent || ""));
    assert.match(await text("#revision"), /^1 \(stable\)$/);
    // Promoted on a health probe: its signals, as the snapshot has them.
    assert.equal(stable.health?.restarts, 0);
    assert.match(await text("#health"), /0 restarts · (.* · )?as of /);
    assert.equal(await text("#flink-state"), "RUNNING");
    assert.match(await text("#revisions tbody tr[data-revision='1']"), /stable/);
    await screenshot(page, "live-lc-1-stable");

    // 2. A manual savepoint, recorded and shown as the newest restore point.
    await w.fjc("savepoint", id);
    const saved = await w.until(id, "recorded a savepoint", (j) => j.detail?.savepoints.length > 0 && !j.operation);
    const location = saved.detail.savepoints[0].location;
    await page.waitForFunction((loc) => document.querySelector("#savepoints")?.textContent.includes(loc), location);
    assert.ok((await text("#restore-point")).includes(`Newest restore point: ${location}`), "the newest restore point");
    assert.ok((await page.$$eval("#job-timeline .mark[data-kind=savepoint]", (m) => m.length)) >= 1);
    await screenshot(page, "live-lc-2-savepoint");

    // 3. A new version that fails on its first event (no Flink restarts): rolled
    //    back to revision 1, with the reason; revision 2 is listed as rolled back.
    writeFileSync(join(w.specs, "job.yaml"), spec(["--fail-after-events", "1"], ["  restart_strategy: none"]));
    await w.fjc("apply", "-f", w.specs);
    const rolled = await w.until(id, "was ROLLED_BACK", (j) => j.lifecycle === "ROLLED_BACK" && !j.operation);
    assert.equal(rolled.revision, 1);
    assert.deepEqual([rolled.rollback.from_revision, rolled.rollback.to_revision], [2, 1]);
    const reason = rolled.rollback.reason;
    await page.waitForFunction(() => /ROLLED_BACK/.test(document.querySelector("#job-h")?.textContent || ""));
    assert.ok((await text("#rollback")).includes(reason), "the page shows the rollback's reason");
    assert.match(await text("#rollback"), /Rolled back from revision 2 to 1/);
    const rev2 = await text("#revisions tbody tr[data-revision='2']");
    assert.match(rev2, /rolled-back/);
    assert.ok(rev2.includes(rolled.detail.revisions.find((r) => r.number === 2).reason), rev2);
    assert.match(await text("#revisions tbody tr[data-revision='1']"), /deployed now/);
    assert.match(await text("#job-attention"), /rolled back/);
    assert.ok((await page.$$eval("#job-timeline .mark.bad[data-kind=rollback]", (m) => m.length)) === 1);
    await screenshot(page, "live-lc-3-rolled-back");
    await screenshotOf(page, "#job-timeline", "live-lc-3-timeline");

    // The overview: the job in the ROLLED_BACK card and the attention list.
    await page.click("#back");
    await page.waitForSelector("#attention");
    assert.match(await text(`#attention tr[data-job-id=${id}]`), /rolled back/);
    assert.equal(await text("[data-lifecycle=ROLLED_BACK]"), "1");
    await screenshot(page, "live-lc-overview");
    await screenshotOf(page, "#attention", "live-lc-attention");
    assert.deepEqual(errors, []);
  } finally {
    await close();
    await w.fjc("delete", id).catch(() => {});
    for (let i = 0; i < 15; i++) {
      await w.fjc("reconcile", "--once").catch(() => {});
      if (!w.read().jobs.some((j) => j.job_id === id)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await browser.close();
    await server.stop();
    rmSync(w.work, { recursive: true, force: true });
  }
});
