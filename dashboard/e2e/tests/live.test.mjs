// A snapshot published by a real `fjc reconcile` against the real local Flink and
// moto (localstack/up.sh; `source .local/env.sh`). Fails loudly when they are missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fjcBin, repo, run, serve, launch, pageAt, screenshot, tempDir } from "../lib.mjs";

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
      if (existsSync(snapshotFile)) {
        const snap = JSON.parse(readFileSync(snapshotFile, "utf8"));
        job = snap.jobs.find((j) => j.job_id === jobId);
        envJob = snap.jobs.find((j) => j.job_id === envJobId);
        if (job?.lifecycle === "RUNNING" && envJob?.lifecycle === "RUNNING") break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(job?.lifecycle, "RUNNING", `job state: ${JSON.stringify(job)}`);
    assert.equal(envJob?.lifecycle, "RUNNING", `env job state: ${JSON.stringify(envJob)}`);
    const text = readFileSync(snapshotFile, "utf8");
    for (const secret of ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"]) {
      assert.ok(!text.includes(secret), `${secret} leaked into the snapshot`);
    }
    assert.equal(job.spec.arg_count, 6);
    assert.equal(envJob.spec.env_var_count, 1);

    const { page, errors, close } = await pageAt(browser);
    await page.goto(`${server.url}?refresh=1`);
    await page.waitForSelector(`tr[data-job-id=${jobId}]`);
    assert.match(await page.textContent(`tr[data-job-id=${jobId}]`), /RUNNING/);
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
      const snap = existsSync(snapshotFile) ? JSON.parse(readFileSync(snapshotFile, "utf8")) : { jobs: [] };
      if (!snap.jobs.some((j) => j.job_id === jobId || j.job_id === envJobId)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await browser.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
