//! The walking skeleton end to end, against the real local Flink and moto:
//! apply → reconcile → running; steady state writes nothing; change → redeploy;
//! delete → cancel; batch → FINISHED; digest mismatch → not deployed; Flink down →
//! no state change; two reconcilers → one lease.

use std::time::Duration;

use fjc_core::cycle::{LeaseReport, Scope, reconcile};
use fjc_core::executor::Outcome;
use fjc_core::state::Lifecycle;
use fjc_core::store::ControlStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};

const T: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reconcile_runs_job_under_persisted_id_then_steady_state_writes_nothing() {
    let w = World::new("run").await;
    let id = unique("counter");
    let mut spec = w.stream_spec(&id);
    spec.deployment.stable_after = Some("2s".into());
    let applied = w.apply(vec![spec]).await;
    assert_eq!(applied[0].outcome.as_str(), "created");

    let first = w.cycle().await;
    assert_eq!(first.actions.len(), 1, "{first:?}");
    assert!(
        matches!(first.actions[0].outcome, Outcome::Done(_)),
        "{first:?}"
    );
    let state = w.state(&id).await.expect("state recorded");
    let flink_id = state.flink_job_id.clone().expect("flink job id recorded");
    assert_eq!(
        state.deployed_fingerprint,
        Some(w.spec_record(&id).await.unwrap().fingerprint)
    );

    // The job really runs in Flink under the id the controller recorded, named by spec.
    w.wait_flink_state(&flink_id, FlinkJobState::Running, T)
        .await;
    let job = w.flink_job(&flink_id).await.unwrap();
    assert_eq!(job.name, format!("fjc:{id}"));

    // The next cycles record RUNNING (with all tasks), then STABLE once its
    // gates held for stable_after (a health probe saw a completed checkpoint and
    // no restart); after that a cycle has nothing to do: restore points are
    // found in storage when they are needed, never polled, and healthy signals
    // are not written.
    let state = w
        .cycle_until(&id, T, |s| {
            s.lifecycle == Lifecycle::Stable && s.health.is_some()
        })
        .await;
    let version = state.version;
    let steady = w.cycle().await;
    assert!(steady.actions.is_empty(), "{steady:?}");
    assert_eq!(steady.lease, LeaseReport::NotNeeded);
    assert_eq!(steady.store.writes, 0, "steady state wrote to DynamoDB");
    assert_eq!(steady.flink.writes, 0, "steady state wrote to Flink");
    assert_eq!(
        steady.flink.reads, 3,
        "one /jobs/overview per cluster, and the checkpointing job's health probe (its \
         metrics and its checkpoint statistics; budget 20)"
    );
    assert_eq!(w.state(&id).await.unwrap().version, version);

    // Only one Flink job exists for the spec.
    let copies = w.live_jobs(&id).await.len();
    assert_eq!(copies, 1);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_spec_is_redeployed_and_deleted_spec_is_cancelled() {
    let w = World::new("change").await;
    let id = unique("counter");
    w.apply(vec![w.stream_spec(&id)]).await;
    let s1 = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let old = s1.flink_job_id.clone().unwrap();

    let mut changed = w.stream_spec(&id);
    changed.args.extend(["--keys".to_string(), "3".to_string()]);
    let applied = w.apply(vec![changed]).await;
    assert_eq!(applied[0].outcome.as_str(), "updated");
    let s2 = w
        .cycle_until(&id, T, |s| {
            s.lifecycle == Lifecycle::Running && s.flink_job_id.as_ref() != Some(&old)
        })
        .await;
    let new = s2.flink_job_id.clone().unwrap();
    assert_ne!(s1.deployed_fingerprint, s2.deployed_fingerprint);
    // The old job was stopped (with a savepoint, the default upgrade mode), not left
    // running beside the new one.
    let old_job = w.flink_job(&old).await.expect("old job still listed");
    assert_eq!(old_job.state, FlinkJobState::Finished);
    assert!(s2.last_savepoint.is_some(), "upgraded from a savepoint");
    w.wait_flink_state(&new, FlinkJobState::Running, T).await;

    w.delete(&id).await.unwrap();
    let report = w.cycle().await;
    assert_eq!(report.actions.len(), 1, "{report:?}");
    assert!(
        matches!(report.actions[0].outcome, Outcome::Done(_)),
        "{report:?}"
    );
    assert_eq!(
        w.flink_job(&new).await.unwrap().state,
        FlinkJobState::Canceled
    );
    assert!(w.state(&id).await.is_none(), "state removed after delete");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_job_finishes_and_is_recorded() {
    let w = World::new("batch").await;
    let id = unique("sum");
    w.apply(vec![w.batch_spec(&id, 1000)]).await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Finished)
        .await;
    assert_eq!(s.flink_state.as_deref(), Some("FINISHED"));
    let out = std::fs::read_to_string(w.out_dir.join(format!("{id}.txt"))).unwrap();
    assert_eq!(out.trim(), "500500");
    // A finished batch job is not run again.
    let again = w.cycle().await;
    assert!(again.actions.is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifact_digest_mismatch_is_not_deployed_and_reason_is_in_state() {
    let w = World::new("digest").await;
    let id = unique("counter");
    w.apply(vec![w.stream_spec(&id)]).await;
    // The jar changes after apply: the bytes no longer match what was fingerprinted.
    std::fs::copy(
        w.artifact("batch-sum.jar"),
        w.artifact("stream-counter.jar"),
    )
    .unwrap();
    let report = w.cycle().await;
    assert!(
        matches!(report.actions[0].outcome, Outcome::Failed(_)),
        "{report:?}"
    );
    assert_eq!(report.flink.writes, 0, "nothing uploaded or run");
    let s = w.state(&id).await.unwrap();
    assert_eq!(s.lifecycle, Lifecycle::Failed);
    assert!(s.flink_job_id.is_none());
    let err = s.last_error.unwrap();
    assert!(err.message.contains("digest mismatch"), "{}", err.message);
    assert!(err.retryable);
    assert!(
        w.jobs_named(&format!("fjc:{id}")).await.is_empty(),
        "no Flink job for the spec"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flink_down_reports_the_error_and_changes_no_state() {
    // A port nothing listens on.
    let w = World::with_flink_url("down", Some("http://127.0.0.1:9")).await;
    let id = unique("counter");
    w.apply(vec![w.stream_spec(&id)]).await;
    let report = w.cycle().await;
    assert!(report.has_errors());
    let err = report.clusters["default"].as_ref().unwrap_err();
    assert!(err.contains("connection refused"), "{err}");
    assert!(report.actions.is_empty());
    // Only the controller's own bookkeeping: the cluster's breaker (one failure)
    // and the heartbeat saying the cluster is down.
    assert_eq!(report.store.writes, 2);
    let control = w.ctx.store.control().await.expect("control");
    assert_eq!(control.breakers["default"].failures, 1);
    let beat = control.heartbeat.expect("heartbeat");
    assert!(!beat.clusters["default"].reachable, "{beat:?}");
    assert!(w.state(&id).await.is_none(), "no state written");
    assert!(report.plan.skipped[0].reason.contains("unreachable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reconcilers_started_together_only_one_holds_the_lease() {
    let w = World::new("lease").await;
    let id = unique("counter");
    w.apply(vec![w.stream_spec(&id)]).await;
    let other = w.another_reconciler().await;
    let (a, b) = tokio::join!(
        reconcile(&w.ctx, &Scope::All),
        reconcile(&other, &Scope::All)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // At any moment only one holds the lease: the other saw it held, took it after
    // the first released it (and then had nothing left to do), or lost it to a
    // newer token. Either way the deploy happened exactly once.
    assert!(
        [&a, &b]
            .iter()
            .any(|r| matches!(r.lease, LeaseReport::Acquired { .. })),
        "a: {:?}\nb: {:?}",
        a.lease,
        b.lease
    );
    let deploys = a
        .actions
        .iter()
        .chain(&b.actions)
        .filter(|r| r.action == "deploy" && matches!(r.outcome, Outcome::Done(_)))
        .count();
    assert_eq!(deploys, 1, "a: {a:?}\nb: {b:?}");
    // Exactly one Flink job exists for the spec.
    let jobs = w.jobs_named(&format!("fjc:{id}")).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    w.cleanup().await;
}

/// Per-job observation (`reconcile.observe: per-job`, the comparison mode of the
/// scale benchmark) reads each known job with `GET /jobs/:id` and reaches the same
/// steady state: RUNNING with every task, nothing more to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_job_observation_reaches_the_same_steady_state() {
    let mut w = World::new("perjob").await;
    w.ctx.settings.observe = fjc_core::config::ObserveMode::PerJob;
    let id = unique("perjob");
    let mut spec = w.stream_spec(&id);
    // No checkpoints to record: once STABLE (its rollout gates passed), a steady
    // cycle makes only the observation call.
    spec.deployment.checkpoint_interval = None;
    spec.deployment.stable_after = Some("1s".into());
    w.apply(vec![spec]).await;
    let st = w
        .cycle_until(&id, Duration::from_secs(120), |s| {
            s.lifecycle == Lifecycle::Stable
        })
        .await;
    let job = st.flink_job_id.clone().expect("job");
    let r = w.cycle().await;
    assert!(r.actions.is_empty(), "{:?}", r.actions);
    assert_eq!(r.clusters["default"], Ok(1), "only the known job is seen");
    assert_eq!(r.flink.reads, 1, "one GET /jobs/:id");
    assert_eq!(w.live_jobs(&id).await[0].id, job);
    w.cleanup().await;
}
