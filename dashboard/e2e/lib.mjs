// Shared helpers of the browser tests and the benchmark: start `fjc dashboard serve`,
// launch Debian's headless Chromium through playwright-core, make snapshots.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, copyFileSync, cpSync, existsSync, writeFileSync, readFileSync, statSync } from "node:fs";
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

/** Puts a published snapshot into `dir`: a directory as the controller publishes it
 *  (`snapshot.json` and `jobs/`), copied whole, or a `snapshot.json` path or object. */
export function putSnapshot(dir, snapshot) {
  mkdirSync(dir, { recursive: true });
  if (typeof snapshot === "string" && statSync(snapshot).isDirectory()) cpSync(snapshot, dir, { recursive: true });
  else if (typeof snapshot === "string") copyFileSync(snapshot, join(dir, "snapshot.json"));
  else writeFileSync(join(dir, "snapshot.json"), JSON.stringify(snapshot));
}

/** Where a job's detail document is, relative to the snapshot (the rule of
 *  `fjc_snapshot::job_document_key`: `jobs/<namespace>/<job>.json`, bytes other than
 *  letters, digits, `-` and `_` as `~xx`). */
export function jobDocumentKey(namespace, jobId) {
  const safe = (b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f;
  const segment = (text) => [...Buffer.from(text, "utf8")].map((b) => (safe(b) ? String.fromCharCode(b) : `~${b.toString(16).padStart(2, "0")}`)).join("");
  return `jobs/${segment(namespace)}/${segment(jobId)}.json`;
}

/** The snapshot published in `dir`, each job with its detail document as `detail`
 *  (what the job page shows). */
export function readPublished(dir) {
  const file = join(dir, "snapshot.json");
  if (!existsSync(file)) return { jobs: [] };
  const snap = JSON.parse(readFileSync(file, "utf8"));
  for (const j of snap.jobs) {
    const doc = join(dir, jobDocumentKey(j.namespace ?? "default", j.job_id));
    if (j.detail_version && existsSync(doc)) j.detail = JSON.parse(readFileSync(doc, "utf8")).detail;
  }
  return snap;
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

/** The `fjc dashboard sample` snapshot at `nowMs` (the real snapshot builder's
 *  output, every job with its `detail`), published into `dir` as the controller
 *  does when `dir` is given. */
export async function sampleSnapshot(nowMs, dir) {
  const args = ["dashboard", "sample", "--now", String(nowMs)];
  if (dir) args.push("--out", dir);
  const { stdout } = await run(fjcBin, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** Publishes a fleet of `jobs` jobs at `nowMs` into `dir` (`fjc dashboard sample
 *  --jobs`: the sample's jobs again and again, built by the real builder) and
 *  returns the overview. */
export async function publishFleet(dir, jobs, nowMs) {
  await run(fjcBin, ["dashboard", "sample", "--now", String(nowMs), "--jobs", String(jobs), "--out", dir, "--quiet"]);
  return JSON.parse(readFileSync(join(dir, "snapshot.json"), "utf8"));
}
