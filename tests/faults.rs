//! Fault injection against the real Flink and moto: a fault proxy
//! ([`FaultProxy`]) in front of them injects 5xx answers, connection resets,
//! outages and hangs, and a faulty client ([`CrashPlan`]) makes a savepoint look
//! slower than it is. Each test states what it injects and what must hold.
//! (Killing and restarting the real JobManager is in `disruptive.rs`.)

use std::time::{Duration, Instant};

use fjc_core::breaker::{BreakerConfig, BreakerState};
use fjc_core::cycle::{Scope, reconcile};
use fjc_core::state::Lifecycle;
use fjc_core::store::ControlStore;
use fjc_flink::rest::{FlinkAuth, RestClient, RestClientConfig, RetryPolicy};
use fjc_flink::{FlinkApi, FlinkError, FlinkJobState, JarId, RunRequest};
use fjc_integration_tests::counter;
use fjc_integration_tests::crash::{CrashPlan, faulty_reconciler};
use fjc_integration_tests::fault_proxy::{Fault, FaultProxy};
use fjc_integration_tests::harness::{World, unique};

const WAIT: Duration = Duration::from_secs(120);

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string()
}

fn client(url: &str, retry: RetryPolicy) -> RestClient {
    RestClient::new(RestClientConfig {
        request_timeout: Duration::from_secs(10),
        auth: FlinkAuth::None,
        retry,
        ..RestClientConfig::new(url)
    })
    .expect("client")
}

/// Injected: 503s, resets, a long 503 burst and a hang between the client and
/// the real Flink. Holds: reads ride out short bursts; a long burst fails after
/// exactly the configured tries; a hang ends at the per-call deadline; a
/// submission is never sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_ride_out_short_bursts_and_stop_at_the_deadline() {
    let env = fjc_integration_tests::LocalEnv::from_env();
    let proxy = FaultProxy::start(&host_port(&env.flink_url)).await;
    client(&proxy.url, RetryPolicy::default())
        .list_jobs()
        .await
        .expect("plain call");

    for (fault, name) in [
        (Fault::StatusNext(503, 2), "two 503 answers"),
        (Fault::ResetNext(2), "two connection resets"),
        (Fault::StatusNext(429, 1), "one 429 answer"),
    ] {
        proxy.set(fault);
        // A fresh client each time: no pooled connection from before the fault.
        let flink = client(&proxy.url, RetryPolicy::default());
        let before = proxy.connections();
        let started = Instant::now();
        flink.list_jobs().await.unwrap_or_else(|e| {
            panic!(
                "{name}: {e} after {} connections",
                proxy.connections() - before
            )
        });
        println!(
            "{name}: answered after {} connections in {} ms",
            proxy.connections() - before,
            started.elapsed().as_millis()
        );
        assert!(proxy.connections() - before >= 2, "{name}: retried");
    }

    // A burst longer than the tries: exactly 3 calls, then Flink's status.
    proxy.set(Fault::StatusNext(503, 10));
    let flink = client(&proxy.url, RetryPolicy::default());
    let before = proxy.connections();
    let err = flink.list_jobs().await.expect_err("burst outlasts retries");
    assert!(
        matches!(err, FlinkError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(proxy.connections() - before, 3, "max_attempts tries");

    // A hang ends at the per-call deadline, not at the 10 s request timeout x 3.
    proxy.set(Fault::Hang);
    let deadline = Duration::from_secs(3);
    let bounded = client(
        &proxy.url,
        RetryPolicy {
            deadline,
            ..RetryPolicy::default()
        },
    );
    let started = Instant::now();
    let err = bounded.list_jobs().await.expect_err("hang");
    let took = started.elapsed();
    println!(
        "hang: {err} after {} ms (deadline 3000 ms)",
        took.as_millis()
    );
    assert!(matches!(err, FlinkError::Timeout { .. }), "{err:?}");
    assert!(took < deadline + Duration::from_millis(1500), "{took:?}");

    // A submission whose connection is reset is not repeated: one connection,
    // and the error says the outcome is unknown.
    proxy.set(Fault::ResetNext(1));
    let flink = client(&proxy.url, RetryPolicy::default());
    let before = proxy.connections();
    let err = flink
        .run_jar(
            &JarId("missing.jar".into()),
            &RunRequest {
                job_id: Some(fjc_flink::JobId::random()),
                ..Default::default()
            },
        )
        .await
        .expect_err("reset");
    assert_eq!(proxy.connections() - before, 1, "not retried: {err:?}");
    assert!(err.is_ambiguous(), "{err:?}");
    proxy.set(Fault::None);
}

/// Injected: the Flink endpoint goes down for several cycles while a stream job
/// runs, and a spec change arrives meanwhile. Holds: the breaker opens after
/// the threshold and then no call reaches the cluster; the job stays RUNNING
/// in the state (unknown, not failed); status and `fjc health` say the cluster
/// is unavailable; the spec change is accepted and waits; once the endpoint is
/// back a probe closes the breaker and the change is carried out with exactly
/// one job and no lost counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaker_opens_in_an_outage_and_a_probe_closes_it() {
    let env = fjc_integration_tests::LocalEnv::from_env();
    let proxy = FaultProxy::start(&host_port(&env.flink_url)).await;
    let mut w = World::with_flink_url("faults", Some(&proxy.url)).await;
    w.ctx.settings.breaker = BreakerConfig {
        failure_threshold: 2,
        open_seconds: 30,
        max_open_seconds: 120,
    };
    let mut spec = w.stream_spec(&unique("outage"));
    spec.deployment.checkpoint_interval = Some("1s".into());
    spec.monitoring.canary = true;
    let id = spec.job_id.clone();
    let out = w.out_dir.join(&id);
    w.apply(vec![spec.clone()]).await;
    let st = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let first = st.flink_job_id.clone().expect("job");
    w.wait_flink_state(&first, FlinkJobState::Running, WAIT)
        .await;
    counter::counted(&out, 4, 5, WAIT).await;
    // The canary is converged: healthy.
    w.cycle().await;
    let health = w.fjc(&["health"]);
    let said = String::from_utf8_lossy(&health.stdout);
    assert_eq!(health.status.code(), Some(0), "{health:?}");
    assert!(said.contains(&format!("canary {id}: converged")), "{said}");

    proxy.set(Fault::Down);
    for n in 1..=2 {
        let r = w.cycle().await;
        assert!(
            r.clusters["default"].is_err(),
            "cycle {n}: {:?}",
            r.clusters
        );
    }
    let control = w.ctx.store.control().await.expect("control");
    let b = &control.breakers["default"];
    assert!(matches!(b.state, BreakerState::Open { .. }), "{b:?}");
    assert_eq!(b.failures, 2);

    // Open: no call reaches the cluster, the job is unknown (not failed).
    let calls = proxy.connections();
    let r = w.cycle().await;
    assert_eq!(proxy.connections(), calls, "no call while open");
    let why = r.clusters["default"].as_ref().expect_err("open");
    assert!(why.starts_with("cluster unavailable since "), "{why}");
    let st = w.state(&id).await.expect("state");
    assert_eq!(st.lifecycle, Lifecycle::Running, "not failed: {st:?}");
    assert_eq!(st.flink_job_id.as_ref(), Some(&first));

    let status = w.fjc(&["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("cluster unavailable since"), "{text}");
    assert!(text.contains("UNKNOWN"), "{text}");
    let health = w.fjc(&["health"]);
    assert_eq!(health.status.code(), Some(3), "{health:?}");
    let said = String::from_utf8_lossy(&health.stderr);
    assert!(said.contains("cluster default down"), "{said}");

    // A change during the outage is accepted and waits.
    spec.args.extend(["--note".into(), "v2".into()]);
    let target = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    w.cycle().await;
    assert_eq!(proxy.connections(), calls, "still no call");
    let st = w.state(&id).await.expect("state");
    assert_ne!(
        st.deployed_fingerprint.as_ref().map(|f| f.0.clone()),
        Some(target.clone())
    );

    // Back: once the open time has passed, the probe closes the breaker.
    proxy.set(Fault::None);
    w.clock.advance(31_000);
    let r = w.cycle().await;
    assert!(r.clusters["default"].is_ok(), "{:?}", r.clusters);
    let control = w.ctx.store.control().await.expect("control");
    assert_eq!(control.breakers["default"].state, BreakerState::Closed);
    let st = w
        .cycle_until(&id, WAIT, |s| {
            s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(target.as_str())
                && s.operation.is_none()
                && s.lifecycle == Lifecycle::Running
        })
        .await;
    let second = st.flink_job_id.clone().expect("job");
    w.wait_flink_state(&second, FlinkJobState::Running, WAIT)
        .await;
    let live = w.live_jobs(&id).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let before = counter::latest(&counter::counts(&out));
    let c = counter::counted(
        &out,
        4,
        before.values().max().copied().unwrap_or(0) + 3,
        WAIT,
    )
    .await;
    assert!(counter::resets(&c).is_empty(), "no reset");
    assert!(counter::gaps(&c).is_empty(), "no gap");
    // The heartbeat describes the jobs as a cycle found them: one more cycle.
    w.cycle().await;
    let health = w.fjc(&["health"]);
    assert_eq!(health.status.code(), Some(0), "{health:?}");
    w.cleanup().await;
}

/// Injected: DynamoDB (moto) unreachable, then one 500 answer. Holds: with the
/// store unreadable a cycle fails before any Flink call (nothing is done
/// without recorded intent); the SDK retries the 500; once the store is back
/// the job is deployed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outage_means_no_flink_action() {
    let w = World::new("faults-store").await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (moto)");
    let proxy = FaultProxy::start(&host_port(&endpoint)).await;
    let sdk = fjc_aws::wiring::aws_config().await;
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&proxy.url)
            .build(),
    );
    let secrets = fjc_aws::wiring::secrets(&sdk, &fjc_core::config::Config::default());
    let ctx = fjc_core::context::Context::new(
        fjc_aws::dynamo::DynamoStore::new(dynamo, &w.table),
        std::collections::BTreeMap::from([(
            "default".to_string(),
            fjc_integration_tests::harness::authed_client(&w.env.flink_url, None, &secrets),
        )]),
        fjc_aws::artifacts::Artifacts::new(
            fjc_core::artifacts::ArtifactRoots::new([w.artifact_root.path().to_path_buf()]),
            None,
            std::env::temp_dir().join("fjc-it"),
        ),
        w.clock.clone(),
        secrets,
        fjc_core::config::ReconcileConfig::default(),
        fjc_core::context::owner_id("faulty-store"),
    );
    let spec = w.stream_spec(&unique("nostore"));
    let id = spec.job_id.clone();
    w.apply(vec![spec]).await;

    proxy.set(Fault::Down);
    let err = reconcile(&ctx, &Scope::All).await.expect_err("store down");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(ctx.flink_stats().writes, 0, "no Flink action: {err}");
    assert!(w.jobs_named(&format!("fjc:{id}")).await.is_empty());
    assert!(w.state(&id).await.is_none(), "nothing recorded");

    proxy.set(Fault::StatusNext(500, 1));
    let r = reconcile(&ctx, &Scope::All)
        .await
        .expect("500 retried by the SDK");
    assert_eq!(r.actions.len(), 1, "{:?}", r.actions);
    let st = w.state(&id).await.expect("state");
    let job = st.flink_job_id.clone().expect("deployed");
    w.wait_flink_state(&job, FlinkJobState::Running, WAIT).await;
    assert_eq!(w.jobs_named(&format!("fjc:{id}")).await.len(), 1);
    w.cleanup().await;
}

/// Injected: every savepoint status answers "in progress" (a slow savepoint), so the
/// step gives up at `savepoint_timeout` while Flink completes the savepoint anyway.
/// Holds: the next savepoint step finds it in the savepoint directory and records
/// it, so no complete savepoint of the job is left on disk that the controller does
/// not know (and retention can dispose of it in turn).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_savepoint_completed_after_its_timeout_is_found_and_recorded() {
    use fjc_core::revisions::Command;
    let w = World::new("late-savepoint").await;
    let id = unique("late-sp");
    let mut spec = w.stream_spec(&id);
    spec.deployment.savepoint_timeout = Some("3s".into());
    w.apply(vec![spec]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let job = s.flink_job_id.clone().expect("deployed");
    w.wait_flink_state(&job, FlinkJobState::Running, WAIT).await;

    let plan = CrashPlan::new(0);
    plan.slow_savepoints(true);
    let slow = faulty_reconciler(&w, &plan, 30).await;
    w.request(&id, Command::Savepoint).await;
    let start = Instant::now();
    let gave_up = loop {
        reconcile(&slow, &Scope::All).await.expect("cycle");
        let s = w.state(&id).await.expect("state");
        let error = s
            .last_error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        if s.operation.is_none() && error.contains("did not complete within") {
            break s;
        }
        assert!(start.elapsed() < WAIT, "no timeout: {error}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(gave_up.savepoints.is_empty(), "{:?}", gave_up.savepoints);

    // Flink completed it all the same.
    let dir = w.storage_dirs().await.savepoints;
    let complete_on_disk = || -> Vec<String> {
        let prefix = format!("savepoint-{}-", &job.as_str()[..6]);
        std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                    .filter(|e| e.path().join("_metadata").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let start = Instant::now();
    while complete_on_disk().is_empty() {
        assert!(start.elapsed() < WAIT, "the savepoint never completed");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let late = complete_on_disk();

    // The next savepoint (after the failure's backoff) records the late one too.
    plan.slow_savepoints(false);
    w.clock.advance(10 * 60 * 1_000);
    w.request(&id, Command::Savepoint).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.operation.is_none() && s.savepoints.len() > late.len()
        })
        .await;
    for name in complete_on_disk() {
        assert!(
            s.savepoints.iter().any(|p| p.location.ends_with(&name)),
            "{name} is on disk and unknown to the controller: {:?}",
            s.savepoints
        );
    }
    for name in &late {
        assert!(
            s.savepoints
                .iter()
                .any(|p| p.location.ends_with(name.as_str())),
            "late savepoint {name} recorded: {:?}",
            s.savepoints
        );
    }
    w.cleanup().await;
}
