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

const LIFECYCLES = ["RUNNING", "RUNNING", "RUNNING", "RUNNING", "DEPLOYING", "FAILED",
  "SCHEDULED", "FINISHED", "PENDING", "UPGRADING", "CREATED", "SUSPENDED", "DELETING"];

/** A synthetic snapshot of `n` jobs (benchmarks and the 10,000-job test). */
export function bigSnapshot(n, now) {
  const jobs = [];
  for (let i = 0; i < n; i++) {
    const lifecycle = LIFECYCLES[i % LIFECYCLES.length];
    const batch = i % 5 === 0;
    const id = `job-${String(i).padStart(5, "0")}`;
    jobs.push({
      job_id: id, namespace: ["default", "analytics", "web", "payments"][i % 4],
      job_type: batch ? "batch" : "stream", cluster: i % 3 === 0 ? "east" : "default",
      lifecycle, flink_state: lifecycle === "RUNNING" ? "RUNNING" : null,
      flink_job_id: i.toString(16).padStart(32, "0"), has_spec: lifecycle !== "DELETING",
      spec_fingerprint: "a".repeat(64), deployed_fingerprint: i % 17 === 0 ? "b".repeat(64) : "a".repeat(64),
      drift: i % 17 === 0, revision: null, revisions: [], last_savepoint: null, next_fire_at: null, runs: [],
      last_error: lifecycle === "FAILED" ? { message: `java.lang.IllegalStateException: job ${i} failed`, at: now - i * 1000, retryable: false } : null,
      operation: lifecycle === "DEPLOYING" ? { kind: "deploy", started_at: now - 5000 } : null,
      updated_at: now - (i * 7919) % 86_400_000,
      spec: { artifact_path: `s3://fjc-artifacts/${id}.jar`, artifact_digest: null, entry_class: "com.example.Main",
        parallelism: 1 + (i % 4), checkpoint_interval: batch ? null : "30s", restart_strategy: null,
        cron: batch ? "0 * * * *" : null, timezone: null, savepoint_trigger_interval: null,
        arg_count: 2, env_var_count: 1, applied_at: now - 86_400_000 },
    });
  }
  return {
    schema_version: 1, generated_at: now,
    controller: { heartbeat_at: now, cycle_started_at: now - 4000, cycle_duration_ms: 4000,
      interval_seconds: 30, heartbeat_refresh_seconds: 60, actions: 0, failed_actions: 0, waiting: 0 },
    clusters: [
      { name: "default", health: "healthy", jobs_seen: n, slots: { total: 512, available: 40 }, taskmanagers: 64, flink_version: "2.3.0" },
      { name: "east", health: "healthy", jobs_seen: n, slots: { total: 256, available: 12 }, taskmanagers: 32, flink_version: "2.3.0" },
    ],
    jobs, orphans: [],
  };
}
