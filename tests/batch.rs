//! Batch scheduling against the real Flink batch test job, with the cycle's clock
//! jumped forward instead of waiting for wall-clock minutes.

use std::time::Duration;

use fjc_core::cycle::reconcile;
use fjc_core::runs::{Run, RunStatus};
use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::StateStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};
use fjc_spec::JobSpec;

const T: Duration = Duration::from_secs(90);
const MIN: i64 = 60_000;

fn batch(w: &World, id: &str, args: &[&str], config: serde_json::Value) -> JobSpec {
    let out = w.out_dir.join(format!("{id}.txt"));
    let mut all = vec!["--out".to_string(), out.display().to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    serde_json::from_value(serde_json::json!({
        "job_id": id,
        "job_type": "batch",
        "artifact_path": "batch-sum.jar",
        "entry_class": "fjc.testjobs.BatchSum",
        "args": all,
        "batch_config": config,
    }))
    .expect("batch spec")
}

async fn runs(w: &World, id: &str) -> Vec<Run> {
    w.ctx.store.list_runs(id).await.unwrap()
}

fn batch_of(s: &JobState) -> &fjc_core::runs::BatchState {
    s.batch.as_ref().expect("batch state")
}

/// Applies one batch spec.
async fn apply_batch(w: &World, id: &str, args: &[&str], config: serde_json::Value) {
    w.apply(vec![batch(w, id, args, config)]).await;
}

/// Anchors a `*/5` schedule, jumps to its first fire time, and returns the run it
/// started once Flink shows it running.
async fn first_scheduled_run(w: &World, id: &str) -> Run {
    w.cycle().await;
    to_next_five_minutes(w);
    w.cycle().await;
    let run = runs(w, id).await.remove(0);
    w.wait_flink_job_state(&run.flink_job_id, FlinkJobState::Running, T)
        .await;
    run
}

/// Jumps the clock to just past the next fire time of a `*/5` schedule.
fn to_next_five_minutes(w: &World) {
    let now = fjc_core::clock::Clock::now_ms(&w.clock);
    let next = (now / (5 * MIN) + 1) * (5 * MIN);
    w.clock.advance(next - now + 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_run_starts_finishes_and_is_recorded() {
    let w = World::new("cron").await;
    let id = unique("nightly");
    apply_batch(
        &w,
        &id,
        &["--n", "100"],
        serde_json::json!({"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}),
    )
    .await;
    // First sight anchors the schedule; nothing runs before the first fire time.
    w.cycle().await;
    let s = w.state(&id).await.unwrap();
    assert_eq!(s.lifecycle, Lifecycle::Scheduled);
    assert!(runs(&w, &id).await.is_empty());
    let steady = w.cycle().await;
    assert!(steady.actions.is_empty(), "{steady:?}");
    assert_eq!(steady.store.writes, 0);

    to_next_five_minutes(&w);
    let report = w.cycle().await;
    assert_eq!(report.actions.len(), 1, "{report:?}");
    let recorded = runs(&w, &id).await;
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].run_id.ends_with("-schedule"));
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Finished)
        .await;
    let run = &runs(&w, &id).await[0];
    assert_eq!(run.status, RunStatus::Finished);
    assert!(run.started_at.is_some() && run.ended_at.is_some());
    assert_eq!(
        w.flink_job(&run.flink_job_id).await.unwrap().state,
        FlinkJobState::Finished
    );
    assert_eq!(batch_of(&s).history[0].status, RunStatus::Finished);
    let out = std::fs::read_to_string(w.out_dir.join(format!("{id}.txt"))).unwrap();
    assert_eq!(out.trim(), "5050");
    // Status shows the next fire time and the last run.
    let rows = fjc_core::status::job_statuses(
        &[(id.clone(), w.spec_record(&id).await.unwrap())].into(),
        &[(id.clone(), s)].into(),
        &Default::default(),
        fjc_core::clock::Clock::now_ms(&w.clock),
    );
    assert!(
        rows[0].next_fire.as_deref().unwrap().starts_with("20"),
        "{rows:?}"
    );
    assert!(
        rows[0].last_run.as_deref().unwrap().contains("FINISHED"),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_cancels_a_long_run() {
    let w = World::new("ttl").await;
    let id = unique("slow");
    apply_batch(
        &w,
        &id,
        &["--n", "10", "--sleep-ms", "600000"],
        serde_json::json!({"ttl_seconds": 60}),
    )
    .await;
    w.cycle().await;
    let run = runs(&w, &id).await.remove(0);
    w.wait_flink_job_state(&run.flink_job_id, FlinkJobState::Running, T)
        .await;
    w.cycle().await;
    assert_eq!(runs(&w, &id).await[0].status, RunStatus::Running);
    w.clock.advance(61_000);
    w.cycle().await;
    let run = runs(&w, &id).await.remove(0);
    assert_eq!(run.status, RunStatus::TimedOut);
    assert!(run.reason.unwrap().contains("ttl_seconds"));
    w.wait_flink_state(&run.flink_job_id, FlinkJobState::Canceled, T)
        .await;
    assert_eq!(w.state(&id).await.unwrap().lifecycle, Lifecycle::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_skips_an_overlapping_run() {
    let w = World::new("forbid").await;
    let id = unique("overlap");
    apply_batch(
        &w,
        &id,
        &["--n", "10", "--sleep-ms", "600000"],
        serde_json::json!({"cron": "*/5 * * * *"}),
    )
    .await;
    let first = first_scheduled_run(&w, &id).await;
    to_next_five_minutes(&w);
    w.cycle().await;
    let s = w.state(&id).await.unwrap();
    let b = batch_of(&s);
    assert_eq!(b.skipped, 1);
    assert!(b.last_skip.as_deref().unwrap().contains("forbid"));
    let all = runs(&w, &id).await;
    assert_eq!(all.len(), 1, "no second run");
    assert_eq!(all[0].run_id, first.run_id);
    assert_eq!(all[0].status, RunStatus::Running, "the first run goes on");
    let live = w.live_jobs(&id).await.len();
    assert_eq!(live, 1);
    w.cleanup_runs(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_cancels_the_old_run() {
    let w = World::new("replace").await;
    let id = unique("replace");
    apply_batch(
        &w,
        &id,
        &["--n", "10", "--sleep-ms", "600000"],
        serde_json::json!({"cron": "*/5 * * * *", "concurrency_policy": "replace"}),
    )
    .await;
    let first = first_scheduled_run(&w, &id).await;
    to_next_five_minutes(&w);
    w.cycle().await;
    let all = runs(&w, &id).await;
    assert_eq!(all.len(), 2);
    let old = all.iter().find(|r| r.run_id == first.run_id).unwrap();
    assert_eq!(old.status, RunStatus::Canceled);
    assert!(old.reason.as_deref().unwrap().contains("replace"));
    w.wait_flink_state(&first.flink_job_id, FlinkJobState::Canceled, T)
        .await;
    let new = all.iter().find(|r| r.run_id != first.run_id).unwrap();
    assert_eq!(new.status, RunStatus::Running);
    w.cleanup_runs(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_runs_stops_the_schedule() {
    let w = World::new("maxruns").await;
    let id = unique("once");
    apply_batch(
        &w,
        &id,
        &["--n", "10"],
        serde_json::json!({"cron": "*/5 * * * *", "max_runs": 1}),
    )
    .await;
    w.cycle().await;
    to_next_five_minutes(&w);
    w.cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Finished)
        .await;
    to_next_five_minutes(&w);
    let report = w.cycle().await;
    assert!(report.actions.is_empty(), "{report:?}");
    assert_eq!(runs(&w, &id).await.len(), 1);
    let s = w.state(&id).await.unwrap();
    let rows = fjc_core::status::job_statuses(
        &[(id.clone(), w.spec_record(&id).await.unwrap())].into(),
        &[(id.clone(), s)].into(),
        &Default::default(),
        fjc_core::clock::Clock::now_ms(&w.clock),
    );
    assert!(
        rows[0]
            .next_fire
            .as_deref()
            .unwrap()
            .contains("max_runs (1) reached"),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_run_is_recorded_with_flinks_cause_line() {
    let w = World::new("fail").await;
    let id = unique("failing");
    apply_batch(&w, &id, &["--n", "10", "--fail"], serde_json::json!({})).await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Failed)
        .await;
    let run = runs(&w, &id).await.remove(0);
    assert_eq!(run.status, RunStatus::Failed);
    let reason = run.reason.unwrap();
    assert!(reason.contains("injected batch failure"), "{reason}");
    assert!(!reason.contains("\tat "), "one line, no stack: {reason}");
    assert!(
        s.last_error
            .unwrap()
            .message
            .contains("injected batch failure")
    );
    // The spec ran once for its fingerprint: no rerun.
    let again = w.cycle().await;
    assert!(again.actions.is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_run_and_cleanup_on_completion() {
    let w = World::new("manual").await;
    let id = unique("adhoc");
    apply_batch(
        &w,
        &id,
        &["--n", "10"],
        serde_json::json!({"cron": "0 0 1 1 *", "cleanup_on_completion": true}),
    )
    .await;
    w.cycle().await;
    assert!(runs(&w, &id).await.is_empty());
    w.ctx
        .store
        .request_run(&id, fjc_core::clock::Clock::now_ms(&w.clock))
        .await
        .unwrap();
    w.cycle().await;
    let run = runs(&w, &id).await.remove(0);
    assert!(run.run_id.ends_with("-manual"));
    let jar = run.jar.clone().expect("jar kept while the run is active");
    assert!(w.jar_exists(&jar.0).await);
    w.cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Finished)
        .await;
    assert!(
        !w.jar_exists(&jar.0).await,
        "cleanup_on_completion removes the jar"
    );
    // The request was consumed: no second run.
    let again = w.cycle().await;
    assert!(again.actions.is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reconcilers_never_start_the_same_fire_time_twice() {
    let w = World::new("dup").await;
    let id = unique("dup");
    apply_batch(
        &w,
        &id,
        &["--n", "10"],
        serde_json::json!({"cron": "*/5 * * * *"}),
    )
    .await;
    w.cycle().await;
    to_next_five_minutes(&w);
    let others = [
        w.another_reconciler().await,
        w.another_reconciler().await,
        w.another_reconciler().await,
    ];
    let (a, b, c, d) = tokio::join!(
        reconcile(&w.ctx, &fjc_core::cycle::Scope::All),
        reconcile(&others[0], &fjc_core::cycle::Scope::All),
        reconcile(&others[1], &fjc_core::cycle::Scope::All),
        reconcile(&others[2], &fjc_core::cycle::Scope::All),
    );
    for r in [a, b, c, d] {
        r.unwrap();
    }
    // Later cycles (possibly by any of them) never add a second run for that time.
    for ctx in &others {
        reconcile(ctx, &fjc_core::cycle::Scope::All).await.unwrap();
    }
    let all = runs(&w, &id).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(w.jobs_named(&format!("fjc:{id}")).await.len(), 1);
}
