// Sign-in in a real browser: headless Chromium signs in through the stack's sign-in
// function (the real `lambda_http` binary under `cargo lambda watch`, against a Cognito
// user pool in moto) and the real viewer function (infra/edge/viewer-auth.js) in the local
// edge, a stand-in for CloudFront (fake, named as such) serving the built dashboard and a
// snapshot published by the real publisher (`fjc dashboard sample --out`: namespaces
// default, payments, web). Needs moto (localstack/up.sh; `source .local/env.sh`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { dist, launch, repo, sampleSnapshot, screenshot, tempDir } from "../lib.mjs";
import { startEdge } from "../../../infra/edge/edge-server.mjs";

const endpoint = process.env.AWS_ENDPOINT_URL;

/** A call to moto's JSON APIs. Cognito routes unsigned calls by target, as AWS does for
 *  InitiateAuth; Secrets Manager is named in the credential scope, as a signed call would. */
async function aws(service, target, body) {
  const headers = { "x-amz-target": target, "content-type": "application/x-amz-json-1.1" };
  if (service !== "cognito-idp") {
    headers.authorization = `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  }
  const r = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${target}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}
const cognito = (action, body) => aws("cognito-idp", `AWSCognitoIdentityProviderService.${action}`, body);

async function pool() {
  const suffix = randomBytes(4).toString("hex");
  const { UserPool } = await cognito("CreateUserPool", { PoolName: `fjc-e2e-${suffix}` });
  const { UserPoolClient } = await cognito("CreateUserPoolClient", {
    UserPoolId: UserPool.Id, ClientName: "dashboard", ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
  });
  const user = async (name, password, groups) => {
    await cognito("AdminCreateUser", { UserPoolId: UserPool.Id, Username: name, MessageAction: "SUPPRESS" });
    await cognito("AdminSetUserPassword", { UserPoolId: UserPool.Id, Username: name, Password: password, Permanent: true });
    for (const g of groups) {
      await cognito("CreateGroup", { UserPoolId: UserPool.Id, GroupName: g }).catch(() => {});
      await cognito("AdminAddUserToGroup", { UserPoolId: UserPool.Id, Username: name, GroupName: g });
    }
  };
  return { id: UserPool.Id, clientId: UserPoolClient.ClientId, user, suffix };
}

const cache = process.env.FJC_CACHE_DIR || join(process.env.HOME || "/root", ".cache/fjc");
/** `cargo run` under the watch reuses the build's artifacts (scripts/test.sh built them). */
const targetDir = process.env.CARGO_TARGET_DIR || join(cache, "target");

function cargoLambda() {
  if (process.env.FJC_CARGO_LAMBDA) return process.env.FJC_CARGO_LAMBDA;
  const venv = join(cache, "venv-cargo-lambda/bin/cargo-lambda");
  return existsSync(venv) ? venv : "cargo-lambda";
}

const listening = (port) => new Promise((ok) => {
  const s = createConnection({ port, host: "127.0.0.1" }, () => { s.end(); ok(true); });
  s.on("error", () => ok(false));
});

/** `cargo lambda watch` running the sign-in function with `env`; resolves to { port, stop }. */
async function watchSignIn(env) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const log = [];
  const child = spawn(cargoLambda(), ["lambda", "watch", "--ignore-changes", "--invoke-address", "127.0.0.1",
    "--invoke-port", String(port), "--manifest-path", join(repo, "Cargo.toml")],
  { cwd: repo, env: { ...process.env, NO_COLOR: "1", CARGO_TERM_COLOR: "never", CARGO_TARGET_DIR: targetDir, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => log.push(String(d)));
  child.stderr.on("data", (d) => log.push(String(d)));
  const stop = () => { try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ } };
  for (let i = 0; i < 600 && !(await listening(port)); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(await listening(port), `cargo lambda watch did not start: ${log.join("")}`);
  return { port, stop, log };
}

const rows = (page) => page.$$eval("#jobs tr[data-job-id]", (trs) => trs.map((tr) => tr.getAttribute("data-job-id")).sort());

test("a viewer signs in and sees only their namespaces' jobs; anonymous gets no job data", { timeout: 900_000 }, async () => {
  assert.ok(endpoint, "AWS_ENDPOINT_URL is not set: start localstack/up.sh and source .local/env.sh");
  const p = await pool();
  await p.user("pat", "Pay-ments-2026", ["payments-team"]);
  await p.user("wes", "Web-and-pay-2026", ["payments-team", "web-team"]);

  const key = randomBytes(32).toString("base64");
  const secretId = `fjc-e2e-session-${p.suffix}`;
  await aws("secretsmanager", "secretsmanager.CreateSecret", { Name: secretId, SecretString: JSON.stringify({ kid: "k1", key }) });
  const work = tempDir("fjc-signin-");
  const kvs = join(work, "kvs.json");
  writeFileSync(kvs, JSON.stringify({ "session-key-id": "k1", "session-key": key }));
  const published = join(work, "published");
  mkdirSync(published);
  const sample = await sampleSnapshot(Date.now(), published);
  const byNs = (ns) => sample.jobs.filter((j) => (j.namespace ?? "default") === ns).map((j) => j.job_id).sort();
  assert.ok(byNs("payments").length > 0 && byNs("web").length > 0 && byNs("default").length > 0);

  const watch = await watchSignIn({
    FJC_AUTH_FLOW: "password",
    FJC_AUTH_ISSUER: `https://cognito-idp.us-east-1.amazonaws.com/${p.id}`,
    FJC_AUTH_CLIENT_ID: p.clientId,
    FJC_AUTH_JWKS_URL: `${endpoint.replace(/\/$/, "")}/${p.id}/.well-known/jwks.json`,
    FJC_AUTH_GROUPS: "payments-team=payments;web-team=web",
    FJC_AUTH_SESSION_KEY_ARN: secretId,
  });
  const edge = await startEdge({ kvs, auth: `http://127.0.0.1:${watch.port}/lambda-url/sign-in`, origin: [dist, published] });
  const browser = await launch();
  try {
    // Anonymous: no job data, whatever the path.
    for (const path of ["snapshot.json", "snapshot.json?ns=payments", "snapshots/ns/payments.json", `jobs/payments/${byNs("payments")[0]}.json`]) {
      const r = await fetch(`${edge.url}${path}`, { redirect: "manual" });
      const body = await r.text();
      assert.ok([401, 403].includes(r.status), `${path}: ${r.status}`);
      for (const id of sample.jobs.map((j) => j.job_id)) assert.ok(!body.includes(id), `${path} leaks ${id}`);
    }

    // Pat signs in from the dashboard's address and lands on it, seeing payments only.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(edge.url, { timeout: 600_000 }); // the first request may wait for `cargo run`
    assert.match(page.url(), /\/auth\/login\?next=%2F$/);
    await page.fill("#username", "pat");
    await page.fill("#password", "wrong-password");
    await page.click("button[type=submit]");
    await page.waitForSelector("[role=alert]");
    assert.match(await page.textContent("[role=alert]"), /Wrong user name or password/);
    await page.fill("#username", "pat");
    await page.fill("#password", "Pay-ments-2026");
    await page.click("button[type=submit]");
    await page.waitForSelector("main[data-loaded=true]");
    assert.equal(new URL(page.url()).pathname, "/");
    assert.deepEqual(await rows(page), byNs("payments"));
    assert.equal(await page.textContent("#namespace-name strong"), "payments");
    assert.equal(await page.$("#namespace-picker"), null, "one namespace: no picker");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "fjc_session");
    assert.ok(session && session.httpOnly, "the session cookie is HttpOnly");
    await screenshot(page, "signin-payments");
    // A job of another namespace: not readable with this session.
    const other = await page.evaluate(async (u) => (await fetch(u)).status, `/jobs/web/${byNs("web")[0]}.json`);
    assert.equal(other, 403);

    // Sign-out ends it: the dashboard sends the browser back to sign-in.
    await page.click("#sign-out");
    await page.waitForSelector("text=You are signed out");
    assert.equal((await context.cookies()).find((c) => c.name === "fjc_session"), undefined);
    await page.goto(edge.url);
    assert.match(page.url(), /\/auth\/login/);
    await context.close();

    // Wes has two namespaces: the picker switches between their overviews.
    const c2 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p2 = await c2.newPage();
    await p2.goto(`${edge.url}?refresh=3600`);
    await p2.fill("#username", "wes");
    await p2.fill("#password", "Web-and-pay-2026");
    await p2.click("button[type=submit]");
    await p2.waitForSelector("main[data-loaded=true]");
    assert.deepEqual(await rows(p2), byNs("payments"));
    await p2.selectOption("#namespace-picker", "web");
    await p2.waitForURL(/ns=web/);
    await p2.waitForSelector("main[data-loaded=true]");
    assert.deepEqual(await rows(p2), byNs("web"));
    await screenshot(p2, "signin-picker-web");
    await c2.close();
  } finally {
    await browser.close();
    await edge.close();
    watch.stop();
  }
});
