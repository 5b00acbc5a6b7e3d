//! Real authentication: the controller reads each cluster's credentials from a
//! Secrets Manager secret (moto) and deploys
//! - to a Flink cluster whose REST API requires mutual TLS (certificates made by
//!   `localstack/auth-up.sh`), and is refused without the client certificate or
//!   with one from another CA;
//! - through nginx in front of the real cluster with HTTP basic and bearer auth,
//!   where the credential is rotated mid-test: a cycle is refused while the
//!   secret is stale, and the next cycle after the secret is updated succeeds
//!   (the cached value is dropped on a 401, no restart needed).
//!
//! Needs `localstack/auth-up.sh` (scripts/test.sh starts it) and its env.sh.

use std::time::Duration;

use fjc_core::policy::Security;
use fjc_core::state::Lifecycle;
use fjc_flink::{FlinkApi, FlinkJobState};
use fjc_integration_tests::harness::{ClusterAccess, World, unique};
use fjc_integration_tests::lambda::repo_root;
use fjc_integration_tests::security::put_secret;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(120);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run localstack/auth-up.sh and source .local-auth/env.sh")
    })
}

fn file(var: &str) -> String {
    std::fs::read_to_string(env(var)).expect("auth file")
}

async fn world_behind(url: &str, secret_value: serde_json::Value, name: &str) -> World {
    let secret = put_secret(
        &unique(&format!("fjc-it/{name}")),
        &secret_value.to_string(),
    )
    .await;
    let access = ClusterAccess {
        url: Some(url.to_string()),
        credentials_secret: Some(secret),
    };
    World::with_access(name, access, Security::default()).await
}

fn rotate(args: &[&str]) {
    let status = std::process::Command::new(repo_root().join("localstack/auth-ctl.sh"))
        .args(args)
        .status()
        .expect("auth-ctl.sh");
    assert!(status.success(), "auth-ctl.sh {args:?}");
}

/// Runs cycles until the job is RUNNING on the cluster behind `w`'s own client.
async fn deployed(w: &World, id: &str) -> fjc_flink::JobId {
    let s = w
        .cycle_until(id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let flink_id = s.flink_job_id.expect("flink job id");
    let client = &w.ctx.clusters["default"];
    let start = std::time::Instant::now();
    loop {
        let job = client
            .job(&flink_id)
            .await
            .expect("job through the authenticated client");
        if job.state == FlinkJobState::Running {
            return flink_id;
        }
        assert!(start.elapsed() < WAIT, "{id} not RUNNING: {job:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_deploys_with_the_client_certificate_from_the_secret() {
    let url = env("FJC_MTLS_URL");
    let secret = json!({
        "type": "mtls",
        "client_cert": file("FJC_AUTH_CLIENT_CERT"),
        "client_key": file("FJC_AUTH_CLIENT_KEY"),
        "ca_bundle": file("FJC_AUTH_CA"),
    });
    let w = world_behind(&url, secret, "mtls").await;
    let id = unique("mtls");
    w.apply(vec![w.stream_spec(&id)]).await;
    let flink_id = deployed(&w, &id).await;
    w.ctx.clusters["default"].cancel(&flink_id).await.unwrap();

    // Without a client certificate, or with one from another CA: refused by TLS,
    // the cluster counts as unreachable and nothing is deployed.
    for (name, secret) in [
        (
            "mtls-none",
            json!({"type": "none", "ca_bundle": file("FJC_AUTH_CA")}),
        ),
        (
            "mtls-rogue",
            json!({
                "type": "mtls",
                "client_cert": file("FJC_AUTH_ROGUE_CERT"),
                "client_key": file("FJC_AUTH_ROGUE_KEY"),
                "ca_bundle": file("FJC_AUTH_CA"),
            }),
        ),
    ] {
        let w = world_behind(&url, secret, name).await;
        let id = unique(name);
        w.apply(vec![w.stream_spec(&id)]).await;
        let report = w.cycle().await;
        let seen = report.clusters["default"].as_ref().unwrap_err();
        assert!(
            seen.contains("TLS handshake with Flink failed"),
            "{name}: {seen}"
        );
        assert!(report.actions.is_empty(), "{name}: {:?}", report.actions);
        assert!(w.state(&id).await.is_none(), "{name}: nothing deployed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_through_a_proxy_survives_rotation() {
    let url = env("FJC_BASIC_URL");
    let user = env("FJC_AUTH_BASIC_USER");
    let first = unique("pw");
    rotate(&["set-basic", &user, &first]);
    let w = world_behind(
        &url,
        json!({"type": "basic", "username": user, "password": first}),
        "basic",
    )
    .await;
    rotation_round(
        &w,
        "basic",
        |new| json!({"type": "basic", "username": user, "password": new}),
        |new| rotate(&["set-basic", &user, new]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_through_a_proxy_survives_rotation() {
    let url = env("FJC_BEARER_URL");
    let first = unique("tok");
    rotate(&["set-bearer", &first]);
    let w = world_behind(&url, json!({"type": "bearer", "token": first}), "bearer").await;
    rotation_round(
        &w,
        "bearer",
        |new| json!({"type": "bearer", "token": new}),
        |new| rotate(&["set-bearer", new]),
    )
    .await;
}

/// Deploys through the proxy, rotates the proxy's credential (cycles refused,
/// nothing lost), updates the secret, and proves the next cycle redeploys.
async fn rotation_round(
    w: &World,
    name: &str,
    secret_for: impl Fn(&str) -> serde_json::Value,
    rotate_proxy: impl Fn(&str),
) {
    let id = unique(name);
    let mut spec = w.stream_spec(&id);
    w.apply(vec![spec.clone()]).await;
    let first_job = deployed(w, &id).await;

    // The proxy now wants a new credential; the secret still has the old one.
    let new = unique("rotated");
    rotate_proxy(&new);
    spec.args.push("--note".into());
    spec.args.push("v2".into());
    w.apply(vec![spec]).await;
    let refused = w.cycle().await;
    let seen = refused.clusters["default"].as_ref().unwrap_err();
    assert!(
        seen.contains("refused the credentials (HTTP 401)"),
        "{seen}"
    );
    assert!(refused.actions.is_empty());
    assert_eq!(
        w.state(&id).await.unwrap().flink_job_id.as_ref(),
        Some(&first_job)
    );

    // The secret is rotated: the very next cycle works, with no restart.
    put_secret(&secret_id_of(w), &secret_for(&new).to_string()).await;
    let ok = w.cycle().await;
    assert!(ok.clusters["default"].is_ok(), "{:?}", ok.clusters);
    assert!(!ok.actions.is_empty(), "the pending change is acted on");
    let second = deployed(w, &id).await;
    assert_ne!(second, first_job);
    w.flink.cancel(&second).await.ok();
}

fn secret_id_of(w: &World) -> String {
    w.secret_id
        .clone()
        .expect("world with a credentials secret")
}
