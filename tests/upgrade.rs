//! Stream upgrades against the real Flink cluster, read through the keyed counter
//! the test job writes (`epochMillis key count` lines): a savepoint upgrade
//! continues every key's count with no reset and no gap; `last-state` restores
//! from the retained checkpoint (no reset); `stateless` starts empty; a
//! monitoring-only change restarts nothing; a failing savepoint leaves the old
//! job running with the reason recorded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::HistoryStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, unique};
use fjc_spec::{JobSpec, UpgradeMode};

const WAIT: Duration = Duration::from_secs(120);

fn counts(w: &World, id: &str) -> BTreeMap<u64, Vec<u64>> {
    counter::counts(&w.out_dir.join(id))
}

async fn counted(w: &World, id: &str, n: u64) -> BTreeMap<u64, Vec<u64>> {
    counter::counted(&w.out_dir.join(id), 4, n, WAIT).await
}

async fn deploy(w: &World, spec: JobSpec) -> JobState {
    let id = spec.job_id.clone();
    let fingerprint = w.apply(vec![spec]).await[0].fingerprint.clone();
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str())
                    == Some(fingerprint.as_str())
        })
        .await;
    w.wait_flink_state(
        s.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    s
}

fn stream(w: &World, name: &str, mode: UpgradeMode) -> JobSpec {
    let mut spec = w.stream_spec(&unique(name));
    spec.deployment.upgrade_mode = Some(mode);
    spec.deployment.checkpoint_interval = Some("1s".into());
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoint_upgrade_continues_every_count_and_monitoring_changes_restart_nothing() {
    let w = World::new("upg-sp").await;
    let mut spec = stream(&w, "upg-sp", UpgradeMode::Savepoint);
    let id = spec.job_id.clone();
    let v1 = deploy(&w, spec.clone()).await;
    counted(&w, &id, 15).await;

    // Monitoring only: adopted, same Flink job.
    spec.monitoring.alert_on_backpressure = true;
    let adopted = deploy(&w, spec.clone()).await;
    assert_eq!(
        adopted.flink_job_id, v1.flink_job_id,
        "no restart for a monitoring change"
    );

    // A real change: stop with a savepoint, start the new version from it.
    spec.args.extend(["--note".to_string(), "v2".to_string()]);
    let v2 = deploy(&w, spec.clone()).await;
    assert_ne!(v2.flink_job_id, v1.flink_job_id);
    let sp = v2.last_savepoint.clone().expect("savepoint recorded");
    assert_eq!(sp.kind, "savepoint");
    assert_eq!(sp.from_job, v1.flink_job_id.clone().unwrap());
    let old = w
        .flink_job(v1.flink_job_id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        old.state,
        FlinkJobState::Finished,
        "stop-with-savepoint ends the old job"
    );
    let stats = w
        .flink
        .checkpoints(v2.flink_job_id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        stats.latest_restored.and_then(|r| r.external_path),
        Some(sp.location.clone())
    );

    // Each key continues: 1, 2, 3, ... across the upgrade, no reset, no gap.
    let before: BTreeMap<u64, u64> = counts(&w, &id)
        .iter()
        .map(|(k, v)| (*k, *v.last().unwrap()))
        .collect();
    let after = counted(&w, &id, before.values().max().copied().unwrap() + 10).await;
    for (key, seq) in &after {
        let expected: Vec<u64> = (1..=seq.len() as u64).collect();
        assert_eq!(
            seq, &expected,
            "key {key}: counts must run on without reset or gap"
        );
    }
    let history = w.ctx.store.list_audit(&id).await.unwrap();
    assert_eq!(history.len(), 3, "create + 2 updates: {history:?}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_state_restores_from_the_retained_checkpoint_and_stateless_starts_empty() {
    let w = World::new("upg-ls").await;
    let mut ls = stream(&w, "upg-ls", UpgradeMode::LastState);
    let mut sl = stream(&w, "upg-sl", UpgradeMode::Stateless);
    let (ls_id, sl_id) = (ls.job_id.clone(), sl.job_id.clone());
    let ls1 = deploy(&w, ls.clone()).await;
    deploy(&w, sl.clone()).await;
    counted(&w, &ls_id, 15).await;
    counted(&w, &sl_id, 15).await;
    // A completed, retained checkpoint exists before the upgrade.
    let start = Instant::now();
    while w
        .flink
        .checkpoints(ls1.flink_job_id.as_ref().unwrap())
        .await
        .unwrap()
        .latest_completed
        .is_none()
    {
        assert!(start.elapsed() < WAIT, "no checkpoint completed");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    ls.args.extend(["--note".to_string(), "v2".to_string()]);
    sl.args.extend(["--note".to_string(), "v2".to_string()]);
    let ls2 = deploy(&w, ls).await;
    deploy(&w, sl).await;
    let sp = ls2.last_savepoint.expect("checkpoint recorded");
    assert_eq!(sp.kind, "checkpoint");
    assert!(sp.location.contains("chk-"), "{}", sp.location);

    let ls_before = counts(&w, &ls_id).values().map(|v| v.len()).sum::<usize>();
    counted(&w, &ls_id, 40).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // last-state: counts resume from the checkpoint (some replayed), never from 1.
    let ls_after = counts(&w, &ls_id);
    assert!(ls_after.values().map(|v| v.len()).sum::<usize>() > ls_before);
    for (key, seq) in &ls_after {
        assert_eq!(
            seq.iter().filter(|c| **c == 1).count(),
            1,
            "key {key} was reset: {seq:?}"
        );
        for pair in seq.windows(2) {
            assert!(pair[1] <= pair[0] + 1, "key {key} has a gap: {seq:?}");
        }
    }
    // stateless: every key starts again at 1 after the upgrade (exactly one reset).
    let sl = counts(&w, &sl_id);
    assert_eq!(
        counter::resets(&sl).len(),
        4,
        "every key starts empty: {sl:?}"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_savepoint_leaves_the_old_job_running_with_the_reason() {
    let w = World::new("upg-fail").await;
    let mut spec = stream(&w, "upg-fail", UpgradeMode::Savepoint);
    let id = spec.job_id.clone();
    let v1 = deploy(&w, spec.clone()).await;
    counted(&w, &id, 5).await;

    // The savepoint target cannot be written.
    spec.deployment.savepoint_path = Some("file:///proc/fjc-not-writable/savepoints".into());
    let fingerprint = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.last_error.is_some() && s.operation.is_none()
        })
        .await;
    let error = &s.last_error.as_ref().unwrap().message;
    assert!(
        error.contains("savepoint failed") || error.contains("savepoint did not complete"),
        "{error}"
    );
    assert!(error.contains("keeps running"), "{error}");
    assert_eq!(s.flink_job_id, v1.flink_job_id);
    assert_eq!(s.lifecycle, Lifecycle::Running);
    assert_ne!(
        s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()),
        Some(fingerprint.as_str())
    );
    assert!(s.next_attempt_at.is_some(), "retried later");
    w.wait_flink_state(
        v1.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    // The next cycles wait for the retry time instead of hammering Flink.
    let report = w.cycle().await;
    assert!(report.actions.is_empty(), "{:?}", report.actions);

    // Fixing the spec (and changing it) upgrades for real, from a savepoint.
    spec.deployment.savepoint_path = None;
    spec.args.extend(["--note".to_string(), "v3".to_string()]);
    let fixed = deploy(&w, spec).await;
    assert_ne!(fixed.flink_job_id, v1.flink_job_id);
    assert_eq!(fixed.last_savepoint.unwrap().kind, "savepoint");
    w.cleanup().await;
}

/// "Look again at" as a requeue, with the settings users run (checkpoints every
/// 5 s, ticks a minute apart): a tick follows a savepoint upgrade with cycles of
/// the requeued job, none of which waits; a tick with no time left leaves the
/// upgrade paused, and minute-spaced ticks go on from its saved state. Either
/// way one savepoint is taken and every count continues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_savepoint_upgrade_is_followed_by_requeued_cycles_and_across_minute_spaced_ticks() {
    use fjc_core::clock::Clock;
    use fjc_core::cycle::Scope;
    use fjc_core::executor::Outcome;
    use fjc_core::tick::{TickPlan, TickReport, tick};

    let w = World::new("upg-rq").await;
    let mut spec = stream(&w, "upg-rq", UpgradeMode::Savepoint);
    spec.deployment.checkpoint_interval = Some("5s".into());
    // Each snapshot takes 2 s, so the upgrade's savepoint is still in progress
    // at its first look (a small state's savepoint may otherwise complete in
    // milliseconds, and the first cycle would have nothing to pause for: seen
    // in CI).
    spec.args
        .extend(["--snapshot-delay-ms".to_string(), "2000".to_string()]);
    let id = spec.job_id.clone();
    let v1 = deploy(&w, spec.clone()).await;
    counted(&w, &id, 10).await;
    let scopes = [Scope::All];
    let run_tick = |deadline: Option<i64>| {
        let plan = TickPlan {
            scopes: &scopes,
            view: false,
            publish: false,
            correlation_id: None,
            deadline,
            stop: None,
        };
        tick::<_, fjc_aws::dashboard::Publisher>(&w.ctx, None, plan, |_, _| {})
    };
    let fingerprint = |s: &JobState| s.deployed_fingerprint.clone().map(|f| f.0);

    // 1. One tick with time to follow: the first cycle's deploy pauses at its
    //    first look (the savepoint in progress), requeued cycles go on with it.
    spec.args.extend(["--note".to_string(), "v2".to_string()]);
    let f2 = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    let done: TickReport = run_tick(None).await.expect("tick");
    let first = &done.cycles[0];
    assert_eq!(first.actions.len(), 1, "{:?}", first.actions);
    assert!(
        matches!(first.actions[0].outcome, Outcome::InProgress(_))
            && first.actions[0].look_again_at.is_some(),
        "the first cycle paused instead of waiting: {:?}",
        first.actions[0]
    );
    assert!(done.requeued >= 1, "requeued cycles: {}", done.requeued);
    eprintln!(
        "one tick: {} cycles ({} requeued), {} ms in all",
        done.cycles.len(),
        done.requeued,
        done.combined().map_or(0, |c| c.duration_ms)
    );
    for later in &done.cycles[1..] {
        assert!(
            later
                .actions
                .iter()
                .all(|a| a.job_id == id && a.action == "resume"),
            "a requeued cycle goes on with the operation: {:?}",
            later.actions
        );
    }
    let v2 = w.state(&id).await.expect("state");
    assert_eq!(fingerprint(&v2).as_deref(), Some(f2.as_str()), "{v2:?}");
    assert!(v2.operation.is_none(), "{v2:?}");
    assert!(done.left_waiting.is_empty(), "{:?}", done.left_waiting);
    assert_ne!(v2.flink_job_id, v1.flink_job_id);
    w.wait_flink_state(
        v2.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;

    // 2. Ticks with no time left to follow (a Lambda near its deadline): the
    //    upgrade pauses at each look, and the next tick, a minute later, goes
    //    on from its saved state.
    spec.args.extend(["--note".to_string(), "v3".to_string()]);
    let f3 = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    let mut ticks = 0;
    let v3 = loop {
        ticks += 1;
        assert!(ticks <= 30, "the upgrade did not finish in {ticks} ticks");
        let deadline = w.clock.now_ms() + fjc_core::tick::REQUEUE_MARGIN_MS;
        let done = run_tick(Some(deadline)).await.expect("tick");
        assert_eq!(done.requeued, 0, "no time left: no requeued cycle");
        let s = w.state(&id).await.expect("state");
        if fingerprint(&s).as_deref() == Some(f3.as_str()) && s.operation.is_none() {
            break s;
        }
        assert!(
            !done.left_waiting.is_empty() || s.operation.is_some(),
            "tick {ticks}: neither done nor waiting: {s:?}"
        );
        // Flink works in real time; the controller's clock moves a minute.
        tokio::time::sleep(Duration::from_millis(500)).await;
        w.clock.advance(60_000);
    };
    assert!(ticks >= 2, "the upgrade spanned ticks ({ticks})");
    eprintln!("with no time left to follow: {ticks} minute-spaced ticks");
    assert_eq!(
        v3.last_savepoint.as_ref().map(|s| s.kind.as_str()),
        Some("savepoint")
    );
    assert_eq!(
        v3.last_savepoint.as_ref().map(|s| &s.from_job),
        v2.flink_job_id.as_ref()
    );
    let live = w.live_jobs(&id).await;
    assert_eq!(live.len(), 1, "exactly one job runs: {live:?}");
    w.wait_flink_state(
        v3.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    let before = counter::latest(&counts(&w, &id));
    let c = counted(&w, &id, before.values().max().copied().unwrap_or(0) + 3).await;
    assert!(counter::resets(&c).is_empty(), "no count restarted: {c:?}");
    assert!(counter::gaps(&c).is_empty(), "no count skipped: {c:?}");
    w.cleanup().await;
}
