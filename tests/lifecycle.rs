//! The stream lifecycle against the real Flink cluster, read through the keyed
//! counter of the test job: suspend/resume and manual savepoints (with disposal
//! of expired ones) keep every count exact; a new version that fails is rolled
//! back to the stable revision and the counts go on; a manual rollback carries
//! the running job's state; an incompatible new version ends clearly (old version
//! back); a missing restore point is skipped for the next newest, and with none
//! left the job is FAILED naming the paths tried;
//! a job that keeps failing stops at its recovery budget until `fjc restart`.

use std::time::Duration;

use fjc_core::revisions::{Command, RestartFrom, RevisionOutcome};
use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::HistoryStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, on_disk, unique};
use fjc_spec::{DesiredState, JobSpec};

const WAIT: Duration = Duration::from_secs(150);

fn counts(w: &World, id: &str) -> std::collections::BTreeMap<u64, Vec<u64>> {
    counter::counts(&w.out_dir.join(id))
}

/// Waits until every key counted past its current newest count by `more`.
async fn counts_grow(w: &World, id: &str, more: u64) -> std::collections::BTreeMap<u64, Vec<u64>> {
    let top = counter::latest(&counts(w, id))
        .values()
        .max()
        .copied()
        .unwrap_or(0);
    counter::counted(&w.out_dir.join(id), 4, top + more, WAIT).await
}

/// The job of `s` runs, and every key counts on with no reset and no gap.
async fn counts_go_on(w: &World, s: &JobState) {
    w.wait_flink_state(
        s.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    let c = counts_grow(w, &s.job_id, 5).await;
    assert!(
        counter::resets(&c).is_empty() && counter::gaps(&c).is_empty(),
        "{c:?}"
    );
}

fn stream(w: &World, name: &str) -> JobSpec {
    let mut spec = w.stream_spec(&unique(name));
    spec.deployment.checkpoint_interval = Some("1s".into());
    spec.deployment.stable_after = Some("1s".into());
    spec
}

async fn running(w: &World, id: &str, want: Lifecycle) -> JobState {
    let s = w
        .cycle_until(id, WAIT, |s| s.lifecycle == want && s.operation.is_none())
        .await;
    w.wait_flink_state(
        s.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_resume_and_savepoints_keep_every_count_and_missing_restore_points_are_skipped() {
    let w = World::new("lc-suspend").await;
    let mut spec = stream(&w, "lc-suspend");
    spec.stream_config
        .get_or_insert_default()
        .savepoint_history_max_count = Some(1);
    let id = spec.job_id.clone();
    w.apply(vec![spec.clone()]).await;
    let v1 = running(&w, &id, Lifecycle::Running).await;
    counter::counted(&w.out_dir.join(&id), 4, 8, WAIT).await;

    // Manual savepoint, twice: history keeps 1, the older one is disposed of by Flink.
    w.request(&id, Command::Savepoint).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.savepoints.len() == 1 && s.operation.is_none()
        })
        .await;
    let first = s.savepoints[0].location.clone();
    assert!(on_disk(&first).exists(), "{first} written");
    w.clock.advance(1_000);
    w.request(&id, Command::Savepoint).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.savepoints.len() == 1 && s.savepoints[0].location != first
        })
        .await;
    assert!(!on_disk(&first).exists(), "{first} disposed of");
    assert!(on_disk(&s.savepoints[0].location).exists());
    assert_eq!(
        s.flink_job_id, v1.flink_job_id,
        "savepoints do not stop the job"
    );

    // Suspend: stop with a savepoint; nothing runs; counts stop.
    spec.desired_state = DesiredState::Suspended;
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Suspended)
        .await;
    let old = w
        .flink_job(v1.flink_job_id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(old.state, FlinkJobState::Finished);
    let suspended_at = s.last_savepoint.clone().unwrap();
    assert_eq!(suspended_at.kind, "savepoint");
    let before = counter::latest(&counts(&w, &id));
    assert!(
        w.cycle().await.actions.is_empty(),
        "suspended: nothing to do"
    );

    // Resume from that savepoint: every key goes on exactly (1, 2, 3, ...).
    spec.desired_state = DesiredState::Running;
    w.apply(vec![spec.clone()]).await;
    let v2 = running(&w, &id, Lifecycle::Running).await;
    assert_ne!(v2.flink_job_id, v1.flink_job_id);
    assert_eq!(
        v2.restored_from.as_deref(),
        Some(suspended_at.location.as_str())
    );
    let after = counts_grow(&w, &id, 5).await;
    assert!(
        counter::inexact(&after).is_empty(),
        "exact counts: {after:?}"
    );
    for (k, n) in &before {
        assert!(after[k].contains(&(n + 1)), "key {k} went on after {n}");
    }

    // Suspend again and lose the newest restore point (the suspend savepoint):
    // resuming starts from the next newest that exists, and says so.
    spec.desired_state = DesiredState::Suspended;
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Suspended)
        .await;
    let lost = s.last_savepoint.unwrap().location;
    std::fs::remove_dir_all(on_disk(&lost)).unwrap();
    spec.desired_state = DesiredState::Running;
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.operation.is_none() && matches!(s.lifecycle, Lifecycle::Running | Lifecycle::Stable)
        })
        .await;
    let from = s.restored_from.clone().expect("restored");
    assert_ne!(from, lost, "{s:?}");
    assert!(on_disk(&from).join("_metadata").is_file(), "{from}");
    let after = counts_grow(&w, &id, 3).await;
    assert!(
        counter::resets(&after).is_empty(),
        "no key starts over: {after:?}"
    );

    // Every restore point gone: FAILED, naming what it tried; nothing runs.
    spec.desired_state = DesiredState::Suspended;
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Suspended)
        .await;
    let dirs = w.storage_dirs().await;
    let jobs: std::collections::BTreeSet<String> = s
        .savepoints
        .iter()
        .chain(&s.last_savepoint)
        .map(|p| p.from_job.to_string())
        .collect();
    // An operator's copy of the newest savepoint, for `fjc restart --from` below.
    let newest = on_disk(&s.last_savepoint.clone().unwrap().location);
    let backup = w.out_dir.join(format!("{id}-backup-savepoint"));
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(&newest)
        .arg(&backup)
        .status()
        .unwrap();
    assert!(copied.success());
    let mut gone = Vec::new();
    for job in &jobs {
        let _ = std::fs::remove_dir_all(dirs.checkpoints.join(job));
        for e in std::fs::read_dir(&dirs.savepoints).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("savepoint-{}-", &job[..6])) {
                gone.push(name);
                std::fs::remove_dir_all(e.path()).unwrap();
            }
        }
    }
    assert!(!gone.is_empty());
    spec.desired_state = DesiredState::Running;
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Failed)
        .await;
    let error = s.last_error.unwrap().message;
    assert!(error.contains("no restore point left: tried"), "{error}");
    assert!(
        s.savepoints.iter().all(|p| error.contains(&p.location)),
        "every recorded path is listed: {error}"
    );
    assert!(
        error.contains("not starting it with empty state"),
        "{error}"
    );
    let live: Vec<_> = w
        .jobs_named(&id)
        .await
        .into_iter()
        .filter(|j| !j.state.is_globally_terminal())
        .collect();
    assert!(
        live.is_empty(),
        "nothing runs after a failed restore: {live:?}"
    );
    // `fjc restart --from` a copy of the savepoint brings the job back.
    let from = format!("file:{}", backup.display());
    w.request(&id, Command::Restart(RestartFrom::Path(from.clone())))
        .await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.operation.is_none() && matches!(s.lifecycle, Lifecycle::Running | Lifecycle::Stable)
        })
        .await;
    assert_eq!(s.restored_from.as_deref(), Some(from.as_str()), "{s:?}");
    let after = counts_grow(&w, &id, 3).await;
    assert!(
        counter::resets(&after).is_empty(),
        "no key starts over: {after:?}"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_incompatible_versions_roll_back_and_manual_rollback_carries_state() {
    let w = World::new("lc-rollback").await;
    let v1 = stream(&w, "lc-rb");
    let id = v1.job_id.clone();
    let fp1 = w.apply(vec![v1.clone()]).await[0].fingerprint.clone();
    w.cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    counter::counted(&w.out_dir.join(&id), 4, 5, WAIT).await;
    let stable = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Stable)
        .await;
    assert_eq!((stable.revision, stable.stable_revision), (1, Some(1)));

    // v2 fails on its first event (and Flink does not restart it): rolled back.
    let mut v2 = v1.clone();
    v2.args.extend(["--fail-after-events".into(), "1".into()]);
    v2.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    let fp2 = w.apply(vec![v2.clone()]).await[0].fingerprint.clone();
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::RolledBack)
        .await;
    assert_eq!(s.revision, 1);
    assert_eq!(
        s.deployed_fingerprint.as_ref().map(|f| f.0.clone()),
        Some(fp1.clone())
    );
    let rb = s.rollback.clone().unwrap();
    assert_eq!((rb.from_revision, rb.to_revision), (2, 1));
    assert!(rb.reason.contains("failed"), "{}", rb.reason);
    assert_eq!(
        w.spec_record(&id).await.unwrap().fingerprint.0,
        fp2,
        "the user's spec is never rewritten"
    );
    let revisions = w.ctx.store.list_revisions(&id).await.unwrap();
    let outcomes: Vec<_> = revisions.iter().map(|r| (r.number, r.outcome)).collect();
    assert_eq!(
        outcomes,
        vec![
            (1, RevisionOutcome::Stable),
            (2, RevisionOutcome::RolledBack)
        ]
    );
    counts_go_on(&w, &s).await;
    for _ in 0..3 {
        let r = w.cycle().await;
        assert!(
            r.actions.iter().all(|a| a.action == "record"),
            "v2 is not deployed again: {:?}",
            r.actions
        );
    }

    // v3 drops the counter's state (another uid): Flink refuses the savepoint,
    // the controller rolls back to revision 1 again; nothing is lost.
    let mut v3 = v1.clone();
    v3.args
        .extend(["--counter-uid".into(), "counter-v3".into()]);
    w.apply(vec![v3.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::RolledBack
                && s.rollback.as_ref().is_some_and(|r| r.from_revision != 2)
        })
        .await;
    assert_eq!(s.revision, 1);
    let error = s.rollback.clone().unwrap().reason;
    assert!(
        error.contains("could not be started") || error.contains("failed before it was stable"),
        "{error}"
    );
    counts_go_on(&w, &s).await;

    // v4 is healthy; then `fjc rollback --to 1` carries its state back by savepoint.
    let mut v4 = v1.clone();
    v4.args.extend(["--note".into(), "v4".into()]);
    w.apply(vec![v4]).await;
    let s4 = running(&w, &id, Lifecycle::Running).await;
    assert!(s4.revision > 2 && s4.rollback.is_none());
    counts_grow(&w, &id, 3).await;
    w.request(&id, Command::Rollback(Some(1))).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::RolledBack && s.flink_job_id != s4.flink_job_id
        })
        .await;
    assert_eq!(s.revision, 1);
    let old = w
        .flink_job(s4.flink_job_id.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        old.state,
        FlinkJobState::Finished,
        "stopped with a savepoint"
    );
    counts_go_on(&w, &s).await;
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_keeps_failing_stops_at_its_recovery_budget_until_restart() {
    let w = World::new("lc-budget").await;
    let mut spec = stream(&w, "lc-budget");
    spec.args.extend(["--fail-after-events".into(), "3".into()]);
    spec.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    spec.deployment.recovery_attempts = Some(2);
    spec.deployment.recovery_backoff = Some("1s".into());
    let id = spec.job_id.clone();
    w.apply(vec![spec]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::Failed && s.operation.is_none() && s.recoveries.len() == 2
        })
        .await;
    let error = s.last_error.unwrap().message;
    assert!(error.contains("recovery budget exhausted"), "{error}");
    assert!(
        error.contains("injected failure"),
        "Flink's cause is kept: {error}"
    );
    // It stays down.
    w.clock.advance(60_000);
    let r = w.cycle().await;
    assert!(r.actions.is_empty(), "{:?}", r.actions);

    // `fjc restart` (through the CLI) starts it again with a fresh budget.
    let out = w.fjc(&["restart", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restarted = w
        .cycle_until(&id, WAIT, |s| s.handled.contains_key("restart"))
        .await;
    assert!(restarted.recoveries.len() <= 1, "{restarted:?}");
    assert_ne!(restarted.flink_job_id, s.flink_job_id);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_savepoints_rotate_and_an_overrun_savepoint_is_reported_never_lost() {
    let w = World::new("lc-periodic").await;
    let mut spec = stream(&w, "lc-periodic");
    let config = spec.stream_config.get_or_insert_default();
    config.savepoint_trigger_interval = Some("2s".into());
    config.savepoint_history_max_count = Some(2);
    // Each snapshot takes 800 ms: the upgrade's savepoint below is still in
    // progress when first asked about, whatever the machine's speed.
    spec.args
        .extend(["--snapshot-delay-ms".into(), "800".into()]);
    let id = spec.job_id.clone();
    w.apply(vec![spec.clone()]).await;
    running(&w, &id, Lifecycle::Running).await;

    // Every 2 s a savepoint; only the 2 newest are kept, the others disposed of.
    let mut seen = std::collections::BTreeSet::new();
    let s = w
        .cycle_until(&id, WAIT, |s| {
            seen.extend(s.savepoints.iter().map(|p| p.location.clone()));
            seen.len() >= 4 && s.operation.is_none()
        })
        .await;
    assert_eq!(s.savepoints.len(), 2, "{:?}", s.savepoints);
    let kept: Vec<&String> = s.savepoints.iter().map(|p| &p.location).collect();
    for location in &seen {
        assert_eq!(
            on_disk(location).exists(),
            kept.contains(&location),
            "{location}: kept ones exist, expired ones are disposed of"
        );
    }

    // An upgrade whose savepoint overruns savepoint_timeout: reported, then the
    // upgrade goes on once Flink completes it; every count goes on exactly.
    let config = spec.stream_config.get_or_insert_default();
    config.savepoint_trigger_interval = None;
    spec.deployment.savepoint_timeout = Some("1ms".into());
    spec.args.extend(["--note".into(), "v2".into()]);
    let fp = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    let mut overrun = false;
    let s = w
        .cycle_until(&id, WAIT, |s| {
            overrun |= s
                .last_error
                .as_ref()
                .is_some_and(|e| e.message.contains("exceeded savepoint_timeout"));
            s.operation.is_none()
                && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(fp.as_str())
        })
        .await;
    assert!(overrun, "the overrun was reported");
    counts_go_on(&w, &s).await;
    let c = counts(&w, &id);
    assert!(
        counter::inexact(&c).is_empty(),
        "stop-with-savepoint: exact counts {c:?}"
    );
    w.cleanup().await;
}
