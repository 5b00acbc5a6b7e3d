//! The write-ahead log under fire: for each operation (first deploy, savepoint
//! upgrade, last-state upgrade, delete, suspend, resume, manual savepoint, manual
//! rollback, recovery of a failed job, a recovery whose newest restore point is
//! lost on the way and falls back to the next, `fjc restart --from`) the
//! reconciler "dies" right after each of
//! its side effects in turn (store write, lease write, Flink write; see
//! `tests/src/crash.rs`), and a fresh reconciler takes over. Against the real
//! Flink cluster and moto, every crash point must end with exactly one running
//! job for the spec (none after a delete), no lost state (the keyed counter never
//! restarts at 1, and an upgraded job is restored from a savepoint or
//! checkpoint), and convergence within two cycles once the dead reconciler's
//! lease has expired.

use std::io::Write;
use std::time::{Duration, Instant};

use fjc_core::cycle::{LeaseReport, Scope, reconcile};
use fjc_core::revisions::{Command, RestartFrom};
use fjc_core::state::{JobState, Lifecycle};
use fjc_flink::FlinkJobState;
use fjc_integration_tests::counter;
use fjc_integration_tests::crash::{CrashPlan, faulty_reconciler};
use fjc_integration_tests::harness::{World, on_disk, unique};
use fjc_spec::{DesiredState, JobSpec, UpgradeMode};

const WAIT: Duration = Duration::from_secs(120);
/// Lease time to live of the reconciler that dies (the next one waits it out).
const CRASH_LEASE_TTL: u64 = 10;
/// Crash points tried at once (each with its own table and job).
const PARALLEL: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Deploy,
    Upgrade(UpgradeMode),
    Delete,
    Suspend,
    Resume,
    Savepoint,
    Rollback,
    Recover,
    /// A recovery whose chosen restore point is gone when Flink gets the
    /// submission (injected: `CrashPlan::lose_first_restore_point`): Flink refuses
    /// it, and the next candidate is used under a new Flink job id.
    RecoverFallback,
    /// `fjc restart --from PATH` on a running job (an operator's savepoint).
    RestartFrom,
}

fn recovers(op: Op) -> bool {
    matches!(op, Op::Recover | Op::RecoverFallback)
}

fn spec(w: &World, op: Op) -> JobSpec {
    let mut s = w.stream_spec(&unique("crash"));
    s.deployment.upgrade_mode = Some(mode(op));
    s.deployment.checkpoint_interval = Some("1s".into());
    if recovers(op) {
        let marker = w.out_dir.join(&s.job_id).join("fail-once");
        s.args
            .extend(["--fail-once-marker".into(), marker.display().to_string()]);
        s.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    }
    s
}

fn mode(op: Op) -> UpgradeMode {
    match op {
        Op::Upgrade(m) => m,
        _ => UpgradeMode::Savepoint,
    }
}

/// Whether the operation is complete in `state` (None: no state).
fn done(op: Op, target: &str, state: Option<&JobState>) -> bool {
    let deployed =
        |s: &JobState| s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(target);
    match (op, state) {
        (Op::Delete, s) => s.is_none(),
        (_, Some(s)) if s.operation.is_some() => false,
        (Op::Suspend, Some(s)) => s.lifecycle == Lifecycle::Suspended,
        (Op::Resume, Some(s)) => {
            s.lifecycle != Lifecycle::Suspended && s.flink_job_id.is_some() && deployed(s)
        }
        (Op::Savepoint, Some(s)) => s.handled.contains_key("savepoint") && !s.savepoints.is_empty(),
        (Op::Rollback, Some(s)) => s.revision == 1 && deployed(s),
        (Op::Recover | Op::RecoverFallback, Some(s)) => {
            s.recoveries.len() == 1 && deployed(s) && s.lifecycle != Lifecycle::Failed
        }
        (Op::RestartFrom, Some(s)) => {
            s.handled.contains_key("restart") && deployed(s) && s.lifecycle != Lifecycle::Failed
        }
        (_, Some(s)) => {
            s.operation.is_none()
                && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(target)
        }
        (_, None) => false,
    }
}

/// Runs cycles of a reconciler that dies after side effect `at`; returns whether it
/// died, and the side effects it made.
async fn doomed_cycles(
    w: &World,
    job: &str,
    op: Op,
    target: &str,
    at: usize,
) -> (bool, Vec<String>) {
    let plan = CrashPlan::new(at);
    if op == Op::RecoverFallback {
        plan.lose_first_restore_point();
    }
    let ctx = faulty_reconciler(w, &plan, CRASH_LEASE_TTL).await;
    let start = Instant::now();
    loop {
        let cycle = reconcile(&ctx, &Scope::All);
        let watch = async {
            while !plan.crashed() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            r = cycle => { r.expect("cycle"); }
            () = watch => return (true, plan.steps()),
        }
        if done(op, target, w.state(job).await.as_ref()) {
            return (false, plan.steps());
        }
        assert!(
            start.elapsed() < WAIT,
            "{op:?} did not complete: {:?}",
            plan.steps()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// One crash point: set up, apply the change, die after side effect `at`, recover.
/// `None` when `at` is past the operation's last side effect.
async fn crash_point(op: Op, at: usize) -> Option<(String, usize)> {
    let w = World::new("crash").await;
    let mut s = spec(&w, op);
    let id = s.job_id.clone();
    let out = w.out_dir.join(&id);
    let mut target = String::new();
    let mut restart_from = None;
    if op != Op::Deploy {
        w.apply(vec![s.clone()]).await;
        let st = w
            .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
            .await;
        w.wait_flink_state(
            st.flink_job_id.as_ref().unwrap(),
            FlinkJobState::Running,
            WAIT,
        )
        .await;
        counter::counted(&out, 4, 10, WAIT).await;
        // A retained checkpoint for last-state.
        tokio::time::sleep(Duration::from_secs(2)).await;
        if op == Op::RecoverFallback {
            // The older candidate the recovery falls back to: a savepoint.
            w.request(&id, Command::Savepoint).await;
            w.cycle_until(&id, WAIT, |s| !s.savepoints.is_empty()).await;
        }
        if recovers(op) {
            // The restore point a recovery finds in storage: a completed checkpoint.
            let job = st.flink_job_id.clone().expect("deployed");
            w.wait_newer_checkpoint(&job, WAIT).await;
        }
    }
    match op {
        Op::Delete => w.delete(&id).await.expect("delete"),
        Op::Suspend => {
            s.desired_state = DesiredState::Suspended;
            w.apply(vec![s.clone()]).await;
        }
        Op::Resume => {
            s.desired_state = DesiredState::Suspended;
            w.apply(vec![s.clone()]).await;
            w.cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Suspended)
                .await;
            s.desired_state = DesiredState::Running;
            target = w.apply(vec![s.clone()]).await[0].fingerprint.clone();
        }
        Op::RestartFrom => {
            // An operator's savepoint, outside the controller's records.
            let job = w
                .state(&id)
                .await
                .and_then(|s| s.flink_job_id)
                .expect("job");
            let trigger = fjc_flink::rest::new_trigger_id();
            let dir = format!("file://{}", out.join("operator-savepoints").display());
            fjc_flink::FlinkApi::trigger_savepoint(&w.flink, &job, Some(&dir), &trigger)
                .await
                .expect("trigger savepoint");
            let path =
                fjc_integration_tests::flink::wait_for_savepoint(&w.flink, &job, &trigger, WAIT)
                    .await;
            target = w.deployed_fingerprint(&id).await;
            restart_from = Some(path.clone());
            w.request(&id, Command::Restart(RestartFrom::Path(path)))
                .await;
        }
        Op::Recover | Op::RecoverFallback => {
            // One injected failure (Flink does not restart it): FAILED, recovered.
            target = w.deployed_fingerprint(&id).await;
            std::fs::write(out.join("fail-once"), b"").expect("marker");
        }
        Op::Savepoint => {
            w.request(&id, Command::Savepoint).await;
        }
        Op::Rollback => {
            target = w.deployed_fingerprint(&id).await;
            s.args.extend(["--note".to_string(), "v2".to_string()]);
            w.apply(vec![s.clone()]).await;
            w.cycle_until(&id, WAIT, |s| {
                s.revision == 2 && s.lifecycle == Lifecycle::Running
            })
            .await;
            counter::counted(&out, 4, 15, WAIT).await;
            w.request(&id, Command::Rollback(Some(1))).await;
        }
        _ => {
            if op != Op::Deploy {
                s.args.extend(["--note".to_string(), format!("crash-{at}")]);
            }
            target = w.apply(vec![s.clone()]).await[0].fingerprint.clone();
        }
    }
    let (crashed, steps) = doomed_cycles(&w, &id, op, &target, at).await;
    if !crashed {
        w.cleanup().await;
        return None;
    }
    let step = steps.last().cloned().unwrap_or_default();

    // A new reconciler takes over; cycles refused by the dead one's lease don't count.
    let start = Instant::now();
    let mut cycles = 0;
    loop {
        let report = w.cycle().await;
        if !matches!(report.lease, LeaseReport::Held { .. }) {
            cycles += 1;
        }
        let now = w.state(&id).await;
        if done(op, &target, now.as_ref()) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "{op:?} crash after {step:?} (steps {steps:?}): no convergence; {:?}",
            now.map(|s| (s.lifecycle, s.operation, s.last_error))
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        cycles <= 2,
        "{op:?} crash after {step:?}: {cycles} cycles to converge"
    );

    let live = w.live_jobs(&id).await;
    if op == Op::Delete || op == Op::Suspend {
        assert!(
            live.is_empty(),
            "{op:?} crash after {step:?}: left running {live:?}"
        );
        if op == Op::Suspend {
            let sp = w
                .state(&id)
                .await
                .and_then(|s| s.last_savepoint)
                .expect("savepoint");
            assert_eq!(sp.kind, "savepoint", "{op:?} after {step:?}");
            assert!(
                on_disk(&sp.location).exists(),
                "{op:?} after {step:?}: {sp:?}"
            );
        }
        return Some((step, cycles));
    }
    let state = w.state(&id).await.expect("state");
    assert_eq!(
        live.len(),
        1,
        "{op:?} crash after {step:?} (steps {steps:?}): jobs {live:?}; {} {:?}",
        state.lifecycle.as_str(),
        state.last_error
    );
    assert_eq!(
        state.flink_job_id.as_ref(),
        Some(&live[0].id),
        "{op:?} after {step:?}"
    );
    w.wait_flink_state(&live[0].id, FlinkJobState::Running, WAIT)
        .await;
    if op == Op::Savepoint {
        let sp = &state.savepoints[0];
        assert!(
            on_disk(&sp.location).exists(),
            "{op:?} after {step:?}: {sp:?}"
        );
        assert_eq!(
            Some(&sp.from_job),
            state.flink_job_id.as_ref(),
            "the job kept running"
        );
    }
    if op == Op::RestartFrom {
        assert_eq!(state.restored_from, restart_from, "{op:?} after {step:?}");
    }
    if op == Op::RecoverFallback {
        let lost = steps.iter().find_map(|s| {
            s.strip_prefix("(restore point ")
                .and_then(|s| s.strip_suffix(" lost)"))
        });
        if let Some(lost) = lost {
            assert_ne!(
                state.restored_from.as_deref(),
                Some(lost),
                "{op:?} after {step:?}: restored from the lost one"
            );
        }
    }
    if matches!(
        op,
        Op::Upgrade(_)
            | Op::Resume
            | Op::Rollback
            | Op::Recover
            | Op::RecoverFallback
            | Op::RestartFrom
    ) {
        let restored = w
            .flink
            .checkpoints(&live[0].id)
            .await
            .expect("checkpoints")
            .latest_restored;
        let restored = restored.and_then(|r| r.external_path);
        assert!(
            restored.is_some(),
            "{op:?} after {step:?}: new job started empty"
        );
        assert_eq!(restored, state.restored_from, "{op:?} after {step:?}");
        let c = counter::counted(&out, 4, 25, WAIT).await;
        assert!(
            counter::resets(&c).is_empty(),
            "{op:?} after {step:?}: state lost {c:?}"
        );
    }
    w.cleanup().await;
    Some((step, cycles))
}

/// Every crash point of one operation; prints and returns how many.
async fn every_crash_point(op: Op) -> usize {
    let mut covered = Vec::new();
    let mut at = 1;
    loop {
        let results =
            futures::future::join_all((at..at + PARALLEL).map(|k| crash_point(op, k))).await;
        let past_end = results.iter().any(Option::is_none);
        covered.extend(results.into_iter().flatten());
        if past_end {
            break;
        }
        at += PARALLEL;
    }
    let _ = writeln!(
        std::io::stderr(),
        "crash points {op:?}: {} covered, max {} cycles to converge: {:?}",
        covered.len(),
        covered.iter().map(|(_, c)| *c).max().unwrap_or(0),
        covered.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>()
    );
    assert!(
        covered.len() >= 3,
        "{op:?}: too few side effects seen: {covered:?}"
    );
    covered.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_first_deploy() {
    every_crash_point(Op::Deploy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_savepoint_upgrade() {
    every_crash_point(Op::Upgrade(UpgradeMode::Savepoint)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_last_state_upgrade() {
    every_crash_point(Op::Upgrade(UpgradeMode::LastState)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_delete() {
    every_crash_point(Op::Delete).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_suspend() {
    every_crash_point(Op::Suspend).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_resume() {
    every_crash_point(Op::Resume).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_manual_savepoint() {
    every_crash_point(Op::Savepoint).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_manual_rollback() {
    every_crash_point(Op::Rollback).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_recovery() {
    every_crash_point(Op::Recover).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_recovery_falling_back_to_an_older_restore_point() {
    every_crash_point(Op::RecoverFallback).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_after_every_step_of_a_restart_from_a_savepoint() {
    every_crash_point(Op::RestartFrom).await;
}
