// Shared helpers of the browser tests and the benchmark: start `fjc dashboard serve`,
// launch Debian's headless Chromium through playwright-core, make snapshots.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../..");
const cache = process.env.FJC_CACHE_DIR || join(process.env.HOME || "/root", ".cache/fjc");
const targetDir = process.env.CARGO_TARGET_DIR || join(cache, "target");

/** The `fjc` binary (FJC_BIN, else the debug build in CARGO_TARGET_DIR). */
export const fjcBin = process.env.FJC_BIN || join(targetDir, "debug/fjc");
/** The built dashboard (FJC_DASHBOARD_DIST, else dashboard/dist). */
export const dist = process.env.FJC_DASHBOARD_DIST || join(repo, "dashboard/dist");
/** Where screenshots go (test artifacts). */
export const shots = process.env.FJC_SCREENSHOT_DIR || join(targetDir, "fjc-screenshots");
mkdirSync(shots, { recursive: true });

export const run = promisify(execFile);

/** A fresh temporary directory. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `snapshot` (object or fixture path) as `<dir>/snapshot.json`. */
export function putSnapshot(dir, snapshot) {
  mkdirSync(dir, { recursive: true });
  if (typeof snapshot === "string") copyFileSync(snapshot, join(dir, "snapshot.json"));
  else writeFileSync(join(dir, "snapshot.json"), JSON.stringify(snapshot));
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Starts `fjc dashboard serve` on a free loopback port; resolves to { url, stop }. */
export async function serve(snapshotDir) {
  const child = spawn(fjcBin, ["dashboard", "serve", "--dir", dist,
    "--snapshot-dir", snapshotDir, "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let errText = "";
  child.stderr.on("data", (d) => { errText += d; });
  const url = await new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`fjc dashboard serve did not start: ${errText}`)), 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/dashboard: (http:\/\/[0-9.:]+\/)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`fjc dashboard serve exited ${code}: ${errText}`)); });
  });
  return {
    url,
    stop: () => new Promise((ok) => { child.once("exit", ok); child.kill("SIGTERM"); }),
  };
}

/** Headless Debian Chromium (flags that work as root on a closed network). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.FJC_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page with the clock fixed at `nowMs` (timers still run), sized for screenshots. */
export async function pageAt(browser, nowMs) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  if (nowMs !== undefined) await page.clock.setFixedTime(new Date(nowMs));
  return { page, errors, close: () => context.close() };
}

export async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A screenshot of one element (the attention list, the timeline). */
export async function screenshotOf(page, selector, name) {
  const path = join(shots, `${name}.png`);
  await page.locator(selector).first().screenshot({ path });
  return path;
}

/** The `fjc dashboard sample` snapshot at `nowMs` (the real snapshot builder's output). */
export async function sampleSnapshot(nowMs) {
  const { stdout } = await run(fjcBin, ["dashboard", "sample", "--now", String(nowMs)],
    { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

// Weighted like a real fleet: mostly STABLE, every value present.
const LIFECYCLES = ["STABLE", "STABLE", "STABLE", "STABLE", "STABLE", "RUNNING", "RUNNING", "DEPLOYING",
  "UPGRADING", "FAILED", "SCHEDULED", "FINISHED", "PENDING", "CREATED", "SUSPENDING", "SUSPENDED",
  "RECOVERING", "ROLLING_BACK", "ROLLED_BACK", "DELETING"];
const MIN = 60_000;
const ACTORS = ["arn:aws:iam::123456789012:user/ana", "arn:aws:iam::123456789012:role/ci-deployer",
  "local:ops@bastion"];

/** A synthetic snapshot of `n` jobs (benchmarks and the 10,000-job test): every
 *  lifecycle value, stream jobs with revisions, savepoints, recoveries and audit
 *  entries, batch jobs with runs, some with stored Flink states or refused artifacts. */
export function bigSnapshot(n, now) {
  const jobs = [];
  const hex = (i, c) => i.toString(16).padStart(8, "0") + c.repeat(56);
  for (let i = 0; i < n; i++) {
    const lifecycle = LIFECYCLES[i % LIFECYCLES.length];
    const batch = lifecycle === "SCHEDULED" || lifecycle === "FINISHED" || i % 11 === 0;
    const id = `job-${String(i).padStart(5, "0")}`;
    const deployed = !["PENDING", "CREATED"].includes(lifecycle);
    const fid = i.toString(16).padStart(32, "0");
    const t0 = now - 86_400_000 + (i * 7919) % 43_200_000;
    const nrev = batch || !deployed ? 0 : i % 10 === 1 ? 3 : i % 10 === 2 || lifecycle === "ROLLED_BACK" ? 2 : 1;
    const revisions = [];
    for (let r = nrev; r >= 1; r--) {
      const rolled = lifecycle === "ROLLED_BACK" && r === nrev && r > 1;
      revisions.push({ number: r, fingerprint: hex(i * 10 + r, "a"), deployed_at: t0 + r * 30 * MIN,
        outcome: rolled ? "rolled-back" : r === nrev ? "deployed" : "stable",
        reason: rolled ? "not running with all tasks within readiness_timeout (5m)" : null,
        restored_from: r > 1 ? `s3://fjc-savepoints/${id}/savepoint-${r - 1}` : null });
    }
    const savepoints = batch || !deployed || i % 3 !== 0 ? [] : [0, 1].slice(0, 1 + (i % 2)).map((k) => ({
      location: `s3://fjc-savepoints/${id}/savepoint-${2 - k}`, at: now - (k + 1) * 40 * MIN,
      kind: "savepoint", from_flink_job_id: fid }));
    const audit = (i % 10 === 1 ? [0, 1, 2] : [2]).map((k) => ({
      at: t0 + (2 - k) * 30 * MIN - MIN, actor: ACTORS[(i + k) % ACTORS.length],
      action: k === 2 ? "create" : k === 1 ? "savepoint" : "update",
      from: k === 2 ? null : hex(i * 10 + 1, "a"), to: hex(i * 10 + 2, "a"), detail: null }));
    const runs = batch && deployed ? [0, 1, 2].map((k) => ({
      run_id: `${now - (k + 1) * 3_600_000}-schedule`, flink_job_id: fid,
      started_at: now - (k + 1) * 3_600_000, ended_at: now - (k + 1) * 3_600_000 + 5 * MIN,
      outcome: k === 1 && i % 4 === 0 ? "failed" : "finished",
      error: k === 1 && i % 4 === 0 ? "java.io.IOException: input missing" : null })) : [];
    const stored = i % 50 === 7;
    jobs.push({
      job_id: id, namespace: ["default", "analytics", "web", "payments"][i % 4],
      job_type: batch ? "batch" : "stream", cluster: i % 3 === 0 ? "east" : "default",
      lifecycle,
      flink_state: deployed ? (lifecycle === "FAILED" ? "FAILED" : "RUNNING") : null,
      flink_state_seen: deployed ? (stored ? { source: "recorded", at: now - 12 * MIN } : { source: "observed" }) : null,
      flink_job_id: deployed ? fid : null, has_spec: lifecycle !== "DELETING",
      spec_fingerprint: hex(i * 10 + nrev, "a"), deployed_fingerprint: i % 17 === 0 ? "b".repeat(64) : hex(i * 10 + nrev, "a"),
      drift: i % 17 === 0, failed_attempts: i % 17 === 0 && i % 2 === 0 ? 2 : 0, next_attempt_at: null,
      revision: nrev || null, stable_revision: nrev > 1 ? nrev - 1 : null, revisions,
      last_savepoint: savepoints[0] || null, savepoints,
      restored_from: revisions[0]?.restored_from || null, deployed_at: revisions[0]?.deployed_at || null,
      recoveries: lifecycle === "RECOVERING" ? [now - 10 * MIN, now - 30 * MIN] : [],
      recovery_budget: batch ? null : { allowed: 3, window_seconds: 3600 },
      rollback: lifecycle === "ROLLED_BACK" && nrev > 1 ? { from_revision: nrev, to_revision: nrev - 1,
        reason: "not running with all tasks within readiness_timeout (5m)", at: now - 20 * MIN } : null,
      next_fire_at: batch ? now + 3_600_000 : null, runs,
      last_error: lifecycle === "FAILED" ? { message: `java.lang.IllegalStateException: job ${i} failed`, at: now - i * 1000, retryable: false } : null,
      operation: lifecycle === "DEPLOYING" ? { kind: "deploy", started_at: now - 5000, flink_job_id: fid, restore_from: null } : null,
      artifact_refused: i % 97 === 0 ? { at: now - 3 * MIN, digest: `sha256:${"e".repeat(64)}`, reason: "signature does not verify with any trusted key" } : null,
      held_by_policy: null,
      deployed_artifact: deployed ? { digest: `sha256:${"d".repeat(64)}`, version: null } : null,
      signed_by: i % 5 === 0 ? "release-key-2026" : null,
      audit,
      updated_at: now - (i * 7919) % 86_400_000,
      spec: { artifact_path: `s3://fjc-artifacts/${id}.jar`, artifact_digest: `sha256:${"d".repeat(64)}`, entry_class: "com.example.Main",
        parallelism: 1 + (i % 4), checkpoint_interval: batch ? null : "30s", restart_strategy: null,
        cron: batch ? "0 * * * *" : null, timezone: null, savepoint_trigger_interval: batch ? null : "1h",
        arg_count: 2, env_var_count: 1, applied_at: t0 },
    });
  }
  return {
    schema_version: 1, generated_at: now,
    controller: { heartbeat_at: now, cycle_started_at: now - 4000, cycle_duration_ms: 4000,
      interval_seconds: 30, heartbeat_refresh_seconds: 60, actions: 0, failed_actions: 0, waiting: 0 },
    clusters: [
      { name: "default", health: "healthy", jobs_seen: n, slots: { total: 512, available: 40 }, taskmanagers: 64, flink_version: "2.3.0" },
      { name: "east", health: "healthy", jobs_seen: n, slots: { total: 256, available: 12 }, taskmanagers: 32, flink_version: "2.3.0",
        breaker: { state: "closed", since: now - 3_600_000, reason: null } },
    ],
    jobs, orphans: [],
  };
}
