//! Health-gated rollouts against the real Flink cluster (issue 19): a new version
//! that Flink keeps restarting, and one whose checkpoints never complete, are
//! rolled back naming their gate, a version
//! saturated by backpressure is rolled back naming its share, and a healthy one
//! is promoted only after a probe saw what its gates need. The signals come from
//! Flink's own answers (`/jobs/:id/metrics`, `/jobs/:id`), read within the
//! cycle's probe budget.

use std::time::Duration;

use fjc_core::events::{AlertKind, EventKind, JobEvent};
use fjc_core::revisions::RevisionOutcome;
use fjc_core::signals::Health;
use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::HistoryStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::bus::Bus;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, unique};
use fjc_spec::JobSpec;

const WAIT: Duration = Duration::from_secs(150);

/// A stream job that becomes STABLE 3 s after its gates hold, and must pass
/// them within 40 s.
fn gated(w: &World, name: &str) -> JobSpec {
    let mut spec = w.stream_spec(&unique(name));
    spec.deployment.checkpoint_interval = Some("1s".into());
    spec.deployment.stable_after = Some("3s".into());
    spec.deployment.readiness_timeout = Some("40s".into());
    spec
}

/// Promoted: STABLE, with the kept signals of its own Flink job.
async fn promoted(w: &World, id: &str) -> (JobState, Health) {
    let s = w
        .cycle_until(id, WAIT, |s| {
            s.lifecycle == Lifecycle::Stable && s.operation.is_none()
        })
        .await;
    let health = Health::of(&s).cloned().expect("signals kept for the job");
    (s, health)
}

/// The job of `s` runs, and every key counts on with no reset and no gap.
async fn counts_go_on(w: &World, s: &JobState) {
    w.wait_flink_state(
        s.flink_job_id.as_ref().expect("flink job"),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    let dir = w.out_dir.join(&s.job_id);
    let top = counter::latest(&counter::counts(&dir))
        .values()
        .max()
        .copied()
        .unwrap_or(0);
    let c = counter::counted(&dir, 4, top + 5, WAIT).await;
    assert!(
        counter::resets(&c).is_empty() && counter::gaps(&c).is_empty(),
        "{c:?}"
    );
}

/// Rolled back from revision `from` to 1; the reason.
async fn rolled_back(w: &World, id: &str, from: u64) -> (JobState, String) {
    let s = w
        .cycle_until(id, WAIT, |s| {
            s.lifecycle == Lifecycle::RolledBack
                && s.operation.is_none()
                && s.rollback.as_ref().is_some_and(|r| r.from_revision == from)
        })
        .await;
    assert_eq!(s.revision, 1, "{s:?}");
    let rb = s.rollback.clone().expect("rollback recorded");
    assert_eq!(rb.to_revision, 1);
    let revisions = w.ctx.store.list_revisions(id).await.expect("revisions");
    let outcome = revisions
        .iter()
        .find(|r| r.number == from)
        .map(|r| r.outcome);
    assert_eq!(outcome, Some(RevisionOutcome::RolledBack));
    let first = revisions.iter().find(|r| r.number == 1).map(|r| r.outcome);
    assert_eq!(first, Some(RevisionOutcome::Stable));
    (s, rb.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_that_restart_or_never_checkpoint_are_rolled_back_naming_the_gate() {
    let w = World::new("gate-ckpt").await;
    let v1 = gated(&w, "gate-ckpt");
    let id = v1.job_id.clone();
    w.apply(vec![v1.clone()]).await;
    let (s1, health) = promoted(&w, &id).await;
    // Promoted on a probe that saw a completed checkpoint and no restart.
    let first = health.first_checkpoint_at.expect("a checkpoint was seen");
    assert_eq!(health.restarts, 0);
    assert!(
        s1.running_since.is_some_and(|t| first >= t),
        "the checkpoint gate held after the version ran: {s1:?}"
    );
    assert_eq!(s1.stable_revision, Some(1));

    // v2's sink takes 2 minutes per snapshot and checkpoints time out after
    // 10 s. Flink tolerates no failed checkpoint by default: each timeout fails
    // the job and Flink restarts it. Rolled back for the restarts.
    let mut v2 = v1.clone();
    v2.args
        .extend(["--snapshot-delay-ms".into(), "120000".into()]);
    v2.stream_config.get_or_insert_default().checkpoint_timeout = Some("10s".into());
    w.apply(vec![v2.clone()]).await;
    let (s, reason) = rolled_back(&w, &id, 2).await;
    assert!(
        reason.contains("restarted") && reason.contains("since it started"),
        "the reason names the gate: {reason}"
    );
    assert!(reason.contains("readiness_timeout (40s)"), "{reason}");
    counts_go_on(&w, &s).await;

    // v3: the same slow sink, but checkpoints may take 10 minutes: the job
    // runs with all tasks and never restarts, and no checkpoint completes.
    let mut v3 = v2.clone();
    v3.stream_config.get_or_insert_default().checkpoint_timeout = Some("10m".into());
    w.apply(vec![v3]).await;
    let running = w
        .cycle_until(&id, WAIT, |s| {
            s.revision == 3 && s.lifecycle == Lifecycle::Running && s.running_since.is_some()
        })
        .await;
    assert_ne!(running.flink_job_id, s1.flink_job_id);
    let (s, reason) = rolled_back(&w, &id, 3).await;
    assert!(
        reason.contains("no completed checkpoint in"),
        "the reason names the gate: {reason}"
    );
    counts_go_on(&w, &s).await;
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backpressure_is_measured_alerted_and_a_saturated_version_is_rolled_back() {
    let bus = Bus::new("gate-bp").await;
    let mut w = World::new("gate-bp").await;
    w.ctx.events = Some(std::sync::Arc::new(bus.sink()));
    let mut v1 = gated(&w, "gate-bp");
    // No checkpoints: backpressure is the gate under test.
    v1.deployment.checkpoint_interval = None;
    v1.deployment.max_backpressure = Some(0.5);
    v1.monitoring.alert_on_backpressure = true;
    // Sustained after 10 s over the threshold (two probes apart), well within
    // the 40 s the saturated version runs before its rollback.
    v1.monitoring.backpressure_alert_after = Some("10s".into());
    let id = v1.job_id.clone();
    w.apply(vec![v1.clone()]).await;
    let (s1, health) = promoted(&w, &id).await;
    let idle = health.backpressure_percent.expect("backpressure measured");
    assert!(
        idle <= 50,
        "a job at 10 events/s is not backpressured: {idle}%"
    );
    assert_eq!(health.backpressured_since, None);

    // v2 produces 20,000 events/s into a sink that takes 1 ms per line: its
    // source is backpressured nearly all the time.
    let mut v2 = v1.clone();
    for a in v2.args.iter_mut() {
        if a == "10" {
            *a = "20000".into();
        }
    }
    v2.args.extend(["--sink-delay-ms".into(), "1".into()]);
    w.apply(vec![v2]).await;
    let saturated = w
        .cycle_until(&id, WAIT, |s| {
            s.revision == 2 && Health::of(s).is_some_and(|h| h.backpressured_since.is_some())
                || s.lifecycle == Lifecycle::RolledBack
        })
        .await;
    if let Some(h) = Health::of(&saturated) {
        println!("v2 signals: {h:?}");
        assert!(h.backpressure_percent.is_some_and(|p| p > 50), "{h:?}");
    }
    let (s, reason) = rolled_back(&w, &id, 2).await;
    assert!(
        reason.contains("backpressured") && reason.contains("over max_backpressure 50%"),
        "the reason names the gate and the share: {reason}"
    );
    assert_ne!(s.flink_job_id, s1.flink_job_id);
    counts_go_on(&w, &s).await;

    // The alerts on the bus: the sustained backpressure of v2, then its rollback.
    let start = std::time::Instant::now();
    let alerts = loop {
        let alerts: Vec<JobEvent> = bus
            .of(&id)
            .await
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind == EventKind::Alert)
            .collect();
        if alerts.len() >= 2 || start.elapsed() > Duration::from_secs(30) {
            break alerts;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut alerts = alerts;
    alerts.sort_by_key(|e| e.at);
    let kinds: Vec<_> = alerts.iter().map(|e| e.alert).collect();
    assert_eq!(
        kinds,
        vec![Some(AlertKind::Backpressure), Some(AlertKind::RolledBack)],
        "{alerts:?}"
    );
    let sustained = alerts[0].reason.clone().unwrap_or_default();
    assert!(sustained.contains("backpressured"), "{sustained}");
    w.cleanup().await;
}
