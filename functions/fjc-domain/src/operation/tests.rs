//! The operations walked through every crash point with no service: a scripted
//! Flink (a fake, for this purpose: it answers as Flink's REST API documents)
//! answers the effects, the "store" keeps the last saved state, and a crash
//! after the n-th effect throws the machine away and rebuilds it from what was
//! saved.

use std::collections::BTreeMap;

use fjc_flink::{DisposalStatus, FlinkError, FlinkJobState, JobId, SavepointStatus};

use super::carry::{Carry, CarryOver, Settings as CarrySettings};
use super::cause::{ASKS_AGAIN, FailureCause};
use super::savepoint::{Settings, TakeSavepoint};
use super::settle::{SETTLE_MS, SettledCheckpoints};
use super::stop::StopJob;
use super::{Answer, Backoff, Effect, Next, Operation, Outcome};
use crate::clock::EpochMs;
use crate::state::{JobState, Operation as Recorded, SavepointRecord};

/// A scripted Flink (fake): savepoints complete after `asks_to_complete` looks,
/// jobs stop after `asks_to_stop` looks once cancelled, disposals succeed.
#[derive(Debug, Default)]
struct ScriptedFlink {
    triggers: BTreeMap<String, u32>,
    savepoints_taken: u32,
    asks_to_complete: u32,
    fail_savepoint: Option<String>,
    running: bool,
    cancels: u32,
    stop_asks: u32,
    asks_to_stop: u32,
    disposed: Vec<String>,
    disposals: BTreeMap<String, String>,
    late: Vec<SavepointRecord>,
    /// The failure cause appears at this ask (0: never).
    cause_at_ask: u32,
    cause_asks: u32,
    /// The newest retained checkpoint id each statistics read reports; the last
    /// one repeats.
    checkpoints: Vec<u64>,
    checkpoint_reads: usize,
    /// Triggers of stop-with-savepoint: the job ends when one completes.
    stopping: Vec<String>,
    /// Restore points in storage, newest first.
    storage: Vec<crate::restore::Candidate>,
    calls: u32,
}

impl ScriptedFlink {
    fn answer(&mut self, effect: &Effect, store: &mut Option<JobState>) -> Answer {
        self.calls += 1;
        match effect {
            Effect::Save(state) => {
                let mut s = (**state).clone();
                s.version += 1;
                *store = Some(s.clone());
                Answer::Saved(Box::new(s))
            }
            Effect::AskSavepoint { trigger, .. } => {
                let Some(asks) = self.triggers.get_mut(trigger) else {
                    return Answer::Savepoint(Err(FlinkError::NotFound {
                        what: format!("trigger {trigger}"),
                    }));
                };
                *asks += 1;
                Answer::Savepoint(Ok(match &self.fail_savepoint {
                    Some(cause) => SavepointStatus::Failed {
                        cause: cause.clone(),
                    },
                    None if *asks > self.asks_to_complete => {
                        if self.stopping.contains(trigger) {
                            self.running = false;
                        }
                        SavepointStatus::Completed {
                            location: format!("file:/sp/savepoint-{trigger}"),
                        }
                    }
                    None => SavepointStatus::InProgress,
                }))
            }
            Effect::TriggerSavepoint { trigger, .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::NotFound { what: "job".into() }));
                }
                if !self.triggers.contains_key(trigger) {
                    self.savepoints_taken += 1;
                    self.triggers.insert(trigger.clone(), 0);
                }
                Answer::Called(Ok(()))
            }
            Effect::StopWithSavepoint { trigger, .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::NotFound { what: "job".into() }));
                }
                if !self.triggers.contains_key(trigger) {
                    self.savepoints_taken += 1;
                    self.triggers.insert(trigger.clone(), 0);
                    self.stopping.push(trigger.clone());
                }
                Answer::Called(Ok(()))
            }
            Effect::FindRestorePoints { .. } => Answer::RestorePoints(crate::restore::Found {
                chain: self.storage.clone(),
                incomplete: false,
            }),
            Effect::AskJob { .. } => {
                if !self.running {
                    return Answer::Job(Ok(FlinkJobState::Canceled));
                }
                if self.cancels > 0 {
                    self.stop_asks += 1;
                    if self.stop_asks >= self.asks_to_stop {
                        self.running = false;
                        return Answer::Job(Ok(FlinkJobState::Canceled));
                    }
                    return Answer::Job(Ok(FlinkJobState::Cancelling));
                }
                Answer::Job(Ok(FlinkJobState::Running))
            }
            Effect::Cancel { .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::AlreadyTerminal { job: "job".into() }));
                }
                self.cancels += 1;
                Answer::Called(Ok(()))
            }
            Effect::AskFailureCause { .. } => {
                self.cause_asks += 1;
                Answer::FailureCause(Ok((self.cause_at_ask != 0
                    && self.cause_asks >= self.cause_at_ask)
                    .then(|| "java.lang.ArithmeticException: / by zero".to_string())))
            }
            Effect::ReadCheckpoints { .. } => {
                let i = self
                    .checkpoint_reads
                    .min(self.checkpoints.len().saturating_sub(1));
                self.checkpoint_reads += 1;
                Answer::Checkpoints(match self.checkpoints.get(i) {
                    Some(id) => Ok(fjc_flink::CheckpointStats {
                        latest_completed: Some(fjc_flink::CheckpointRef {
                            id: *id,
                            external_path: Some(format!("file:/cp/chk-{id}")),
                            is_savepoint: false,
                            completed_at: Some(0),
                        }),
                        ..fjc_flink::CheckpointStats::default()
                    }),
                    None => Err(FlinkError::NotFound { what: "job".into() }),
                })
            }
            Effect::FindLateSavepoints { state, .. } => Answer::Late(
                self.late
                    .iter()
                    .filter(|l| !state.savepoints.iter().any(|s| s.location == l.location))
                    .cloned()
                    .collect(),
            ),
            Effect::Dispose { location, .. } => {
                let trigger = format!("d{}", self.disposals.len());
                self.disposals.insert(trigger.clone(), location.clone());
                Answer::Disposing(Ok(trigger))
            }
            Effect::AskDisposal { trigger, .. } => match self.disposals.get(trigger) {
                Some(location) => {
                    if !self.disposed.contains(location) {
                        self.disposed.push(location.clone());
                    }
                    Answer::Disposal(Ok(DisposalStatus::Done))
                }
                None => Answer::Disposal(Err(FlinkError::NotFound {
                    what: trigger.clone(),
                })),
            },
        }
    }
}

/// Runs `op` to its end (waits are skipped: the clock jumps), crashing after
/// effect number `crash_after` (1-based; 0 = never). Returns the ending, or
/// `None` when it crashed.
fn run<O: Operation>(
    op: &mut O,
    flink: &mut ScriptedFlink,
    store: &mut Option<JobState>,
    now: &mut EpochMs,
    crash_after: usize,
) -> Option<O::Ending> {
    let mut answer = None;
    let mut effects = 0;
    for _ in 0..10_000 {
        match op.step(answer.take(), *now) {
            Next::Do(effect) => {
                answer = Some(flink.answer(&effect, store));
                effects += 1;
                if effects == crash_after {
                    return None;
                }
            }
            Next::LookAgainAt { at, .. } => *now = at.max(*now + 1),
            Next::Done(ending) => return Some(ending),
            Next::Fail(e) => panic!("operation failed: {e}"),
        }
    }
    panic!("operation did not end");
}

fn settings() -> Settings {
    Settings {
        target: None,
        timeout_ms: 60_000,
        keep: 2,
        max_age_ms: i64::MAX,
        backoff: Backoff {
            base_seconds: 30,
            max_seconds: 1800,
        },
    }
}

fn savepoint_state(job: &JobId, earlier: &[&str]) -> JobState {
    let mut s = JobState::new("orders", fjc_spec::JobType::Stream, "default", 0);
    s.flink_job_id = Some(job.clone());
    s.savepoints = earlier
        .iter()
        .enumerate()
        .map(|(i, l)| SavepointRecord {
            location: (*l).to_string(),
            at: i64::try_from(i).unwrap_or(0),
            from_job: job.clone(),
            kind: "savepoint".into(),
        })
        .collect();
    s.operation = Some(Recorded::Savepoint {
        flink_job_id: job.clone(),
        trigger_id: "t1".into(),
        started_at: 1_000,
        manual: false,
    });
    s
}

#[test]
fn a_savepoint_operation_converges_after_a_crash_at_every_point() {
    let job = JobId::random();
    // How many effects a run without a crash carries out.
    let total = {
        let mut flink = ScriptedFlink {
            running: true,
            asks_to_complete: 2,
            ..ScriptedFlink::default()
        };
        let mut store = Some(savepoint_state(&job, &["file:/sp/a", "file:/sp/b"]));
        let mut now = 1_000;
        let mut op = TakeSavepoint::resume(store.clone().expect("state"), settings());
        let op = op.as_mut().expect("a savepoint is recorded");
        let ending = run(op, &mut flink, &mut store, &mut now, 0);
        assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
        flink.calls as usize
    };
    assert!(total >= 8, "only {total} effects");
    for crash in 1..=total {
        let mut flink = ScriptedFlink {
            running: true,
            asks_to_complete: 2,
            ..ScriptedFlink::default()
        };
        let mut store = Some(savepoint_state(&job, &["file:/sp/a", "file:/sp/b"]));
        let mut now = 1_000;
        let mut ending = None;
        for attempt in [crash, 0] {
            // What a later cycle finds: the saved state; it goes on with the
            // recorded operation, if any.
            let Some(saved) = store.clone() else { break };
            let Some(mut op) = TakeSavepoint::resume(saved, settings()) else {
                break;
            };
            ending = run(&mut op, &mut flink, &mut store, &mut now, attempt);
        }
        let state = store.expect("state");
        assert_eq!(flink.savepoints_taken, 1, "crash after effect {crash}");
        assert!(state.operation.is_none(), "crash after effect {crash}");
        assert_eq!(
            state.last_savepoint.as_ref().map(|s| s.location.as_str()),
            Some("file:/sp/savepoint-t1"),
            "crash after effect {crash}"
        );
        // Retention keeps two: the new one and the newest earlier one. The
        // oldest leaves the history only once Flink confirmed its disposal; a
        // crash between the two leaves it recorded, for the next savepoint's
        // retention (a savepoint already gone counts as disposed of).
        let kept: Vec<&str> = state
            .savepoints
            .iter()
            .map(|s| s.location.as_str())
            .collect();
        if kept.contains(&"file:/sp/a") {
            assert_eq!(ending, None, "crash {crash}: retention did not finish");
        } else {
            assert!(
                flink.disposed.contains(&"file:/sp/a".to_string()),
                "crash {crash}"
            );
            assert_eq!(
                kept,
                ["file:/sp/b", "file:/sp/savepoint-t1"],
                "crash {crash}"
            );
        }
    }
}

#[test]
fn a_savepoint_that_flink_fails_leaves_the_job_running_and_backs_off() {
    let job = JobId::random();
    let mut flink = ScriptedFlink {
        running: true,
        fail_savepoint: Some("Checkpoint expired".into()),
        ..ScriptedFlink::default()
    };
    let mut store = Some(savepoint_state(&job, &[]));
    let mut now = 1_000;
    let mut op = TakeSavepoint::resume(store.clone().expect("state"), settings());
    let op = op.as_mut().expect("recorded");
    let ending = run(op, &mut flink, &mut store, &mut now, 0);
    assert_eq!(
        ending,
        Some(Outcome::Failed(
            "savepoint failed: Checkpoint expired".into()
        ))
    );
    let state = store.expect("state");
    assert!(state.operation.is_none());
    assert_eq!(state.failed_attempts, 1);
    assert_eq!(state.next_attempt_at, Some(now + 30_000));
    assert_eq!(flink.cancels, 0);
}

#[test]
fn a_savepoint_past_its_timeout_fails_and_one_that_lost_its_job_says_so() {
    let job = JobId::random();
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_complete: u32::MAX,
        ..ScriptedFlink::default()
    };
    let mut store = Some(savepoint_state(&job, &[]));
    let mut now = 1_000;
    let mut op = TakeSavepoint::resume(store.clone().expect("state"), settings());
    let ending = run(
        op.as_mut().expect("recorded"),
        &mut flink,
        &mut store,
        &mut now,
        0,
    );
    assert_eq!(
        ending,
        Some(Outcome::Failed(
            "savepoint did not complete within 60s".into()
        ))
    );
    assert!(
        now - 1_000 > 60_000 && now - 1_000 < 62_000,
        "gave up at {now}"
    );

    let mut flink = ScriptedFlink::default();
    let mut store = Some(savepoint_state(&job, &[]));
    let mut op = TakeSavepoint::resume(store.clone().expect("state"), settings());
    let ending = run(
        op.as_mut().expect("recorded"),
        &mut flink,
        &mut store,
        &mut now,
        0,
    );
    assert!(
        matches!(&ending, Some(Outcome::Failed(m)) if m.starts_with("job not running")),
        "{ending:?}"
    );
}

#[test]
fn a_late_savepoint_joins_the_history_and_pausing_mid_look_keeps_the_operation() {
    let job = JobId::random();
    let late = SavepointRecord {
        location: "file:/sp/savepoint-late".into(),
        at: 500,
        from_job: job.clone(),
        kind: "savepoint".into(),
    };
    let mut flink = ScriptedFlink {
        running: true,
        late: vec![late.clone()],
        ..ScriptedFlink::default()
    };
    let mut store = Some(savepoint_state(&job, &[]));
    let mut now = 1_000;
    let mut op = TakeSavepoint::resume(store.clone().expect("state"), settings());
    run(
        op.as_mut().expect("recorded"),
        &mut flink,
        &mut store,
        &mut now,
        0,
    );
    let state = store.expect("state");
    assert!(state.savepoints.contains(&late));
    assert_eq!(state.savepoints.len(), 2);

    // Pausing while Flink still takes it: in progress, the operation stays.
    let mut op = TakeSavepoint::resume(savepoint_state(&job, &[]), settings()).expect("recorded");
    assert!(matches!(
        op.step(None, 1_000),
        Next::Do(Effect::AskSavepoint { .. })
    ));
    let paused = op.paused("savepoint in progress".into());
    assert_eq!(paused, Outcome::InProgress("savepoint in progress".into()));
    assert!(op.state().operation.is_some());
}

#[test]
fn stopping_a_job_cancels_once_and_waits_until_it_is_over() {
    let job = JobId::random();
    for crash in 1..=4 {
        let mut flink = ScriptedFlink {
            running: true,
            asks_to_stop: 3,
            ..ScriptedFlink::default()
        };
        let mut store = None;
        let mut now = 0;
        let first = run(
            &mut StopJob::new("default", &job, true),
            &mut flink,
            &mut store,
            &mut now,
            crash,
        );
        // A later cycle observes the job again and goes on.
        let live = flink.running;
        let ending = match first {
            Some(e) => e,
            None => run(
                &mut StopJob::new("default", &job, live),
                &mut flink,
                &mut store,
                &mut now,
                0,
            )
            .expect("ends"),
        };
        assert_eq!(ending, Ok(true), "crash after effect {crash}");
        assert!(!flink.running);
        // Once per look that saw it live: cancelling a job that is cancelling
        // already is harmless.
        assert!(flink.cancels <= 2, "cancelled {} times", flink.cancels);
    }
    // A job already over is not cancelled.
    let mut flink = ScriptedFlink::default();
    let ending = run(
        &mut StopJob::new("default", &job, false),
        &mut flink,
        &mut None,
        &mut 0,
        0,
    );
    assert_eq!(ending, Some(Ok(true)));
    assert_eq!(flink.calls, 0);
    // Waiting for a job to end by itself never cancels it; past the budget it
    // reports "not over".
    let mut op = StopJob::wait_for_end("default", &job);
    assert!(matches!(op.step(None, 0), Next::Do(Effect::AskJob { .. })));
    assert!(matches!(
        op.step(Some(Answer::Job(Ok(FlinkJobState::Running))), 0),
        Next::LookAgainAt { at: 250, .. }
    ));
    assert_eq!(op.paused("waiting".into()), Ok(false));
}

#[test]
fn a_machine_given_an_answer_it_did_not_ask_for_fails_without_panicking() {
    let job = JobId::random();
    let mut op = StopJob::new("default", &job, true);
    assert!(matches!(op.step(None, 0), Next::Do(Effect::Cancel { .. })));
    assert!(matches!(
        op.step(Some(Answer::Late(Vec::new())), 0),
        Next::Fail(_)
    ));
}

#[test]
fn a_failure_cause_is_asked_again_until_flink_has_one_then_given_up() {
    let job = JobId::random();
    let mut flink = ScriptedFlink {
        cause_at_ask: 3,
        ..ScriptedFlink::default()
    };
    let mut now = 0;
    let cause = run(
        &mut FailureCause::new("default", &job),
        &mut flink,
        &mut None,
        &mut now,
        0,
    );
    assert_eq!(
        cause,
        Some(Ok(Some("java.lang.ArithmeticException: / by zero".into())))
    );
    assert_eq!((flink.cause_asks, now), (3, 2_000));

    let mut flink = ScriptedFlink::default();
    let mut now = 0;
    let cause = run(
        &mut FailureCause::new("default", &job),
        &mut flink,
        &mut None,
        &mut now,
        0,
    );
    assert_eq!(cause, Some(Ok(None)));
    assert_eq!(flink.cause_asks, 1 + ASKS_AGAIN);
}

#[test]
fn checkpoint_statistics_are_trusted_only_once_they_held_still() {
    let job = JobId::random();
    let newest = |s: fjc_flink::CheckpointStats| s.latest_completed.map(|c| c.id);
    // The cache first names checkpoint 7, which 9 subsumed.
    let mut flink = ScriptedFlink {
        checkpoints: vec![7, 7, 9],
        ..ScriptedFlink::default()
    };
    let mut now = 0;
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    let seen = run(&mut settle, &mut flink, &mut None, &mut now, 0);
    assert_eq!(seen, Some(Ok(Some(Some(9)))));
    assert!(now >= 1_000 + SETTLE_MS, "trusted after {now} ms");

    // A job Flink no longer knows has no statistics.
    let mut flink = ScriptedFlink::default();
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    assert_eq!(
        run(&mut settle, &mut flink, &mut None, &mut 0, 0),
        Some(Ok(Some(None)))
    );
    // Out of time before it settled: not known.
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    assert!(matches!(
        settle.step(None, 0),
        Next::Do(Effect::ReadCheckpoints { .. })
    ));
    assert_eq!(settle.paused("waiting".into()), Ok(None));
}

fn deploy_state(old: &JobId, mode: fjc_spec::UpgradeMode) -> JobState {
    let mut s = JobState::new("orders", fjc_spec::JobType::Stream, "default", 0);
    s.flink_job_id = Some(old.clone());
    s.operation = Some(Recorded::Deploy {
        fingerprint: fjc_spec::Fingerprint("f".repeat(64)),
        flink_job_id: JobId::random(),
        replaces: Some(old.clone()),
        started_at: 1_000,
        upgrade: Some(crate::state::UpgradeProgress::new(mode, None)),
        purpose: crate::state::Purpose::Deploy,
    });
    s
}

fn carry_settings() -> CarrySettings {
    CarrySettings {
        target: None,
        savepoint_timeout_ms: 60_000,
        last_state_max_age_ms: 60_000,
        end_wait_ms: 30_000,
        backoff: Backoff {
            base_seconds: 30,
            max_seconds: 1800,
        },
    }
}

/// Carries `mode` over with a crash after effect `crash` (0: none), then once
/// more from what was saved, as the next cycle would (seeing the old job live
/// or not). Returns the last ending, the saved state and the Flink.
fn carry_with_crash(
    mode: fjc_spec::UpgradeMode,
    crash: usize,
    flink: ScriptedFlink,
) -> (Option<Carry>, JobState, ScriptedFlink) {
    let old = JobId::parse("00000000000000000000000000000001").expect("id");
    let mut flink = flink;
    let mut store = Some(deploy_state(&old, mode));
    let mut now = 1_000;
    let mut ending = None;
    let mut trigger = 0;
    for attempt in [crash, 0] {
        let saved = store.clone().expect("state");
        trigger += 1;
        let mut op = CarryOver::new(
            saved,
            &old,
            flink.running,
            carry_settings(),
            format!("t{trigger}"),
        );
        ending = run(&mut op, &mut flink, &mut store, &mut now, attempt);
        if ending.is_some() {
            break;
        }
    }
    (ending, store.expect("state"), flink)
}

#[test]
fn a_savepoint_carry_over_converges_after_a_crash_at_every_point() {
    let live = || ScriptedFlink {
        running: true,
        asks_to_complete: 2,
        ..ScriptedFlink::default()
    };
    let (_, _, whole) = carry_with_crash(fjc_spec::UpgradeMode::Savepoint, 0, live());
    let total = whole.calls as usize;
    assert!(total >= 5, "{total} effects");
    for crash in 1..=total {
        let (ending, state, flink) =
            carry_with_crash(fjc_spec::UpgradeMode::Savepoint, crash, live());
        assert_eq!(
            ending,
            Some(Carry::Ready(Some("file:/sp/savepoint-t1".into()))),
            "crash after effect {crash}"
        );
        assert_eq!(flink.savepoints_taken, 1, "crash after effect {crash}");
        assert!(!flink.running, "crash after effect {crash}");
        assert_eq!(
            flink.cancels, 0,
            "crash after effect {crash}: the savepoint ended it"
        );
        let Some(Recorded::Deploy {
            upgrade: Some(p), ..
        }) = &state.operation
        else {
            panic!("crash after effect {crash}: the deploy is gone: {state:?}");
        };
        assert_eq!(p.restore_from.as_deref(), Some("file:/sp/savepoint-t1"));
        assert_eq!(
            state.last_savepoint.as_ref().map(|s| s.location.as_str()),
            Some("file:/sp/savepoint-t1")
        );
        assert_eq!(state.savepoints.len(), 1, "recorded once");
    }
}

#[test]
fn a_failed_savepoint_abandons_the_change_and_a_vanished_job_restores_from_storage() {
    // Flink fails the savepoint and the job still runs: the change waits.
    let flink = ScriptedFlink {
        running: true,
        fail_savepoint: Some("Checkpoint declined".into()),
        ..ScriptedFlink::default()
    };
    let (ending, state, flink) = carry_with_crash(fjc_spec::UpgradeMode::Savepoint, 0, flink);
    assert!(
        matches!(&ending, Some(Carry::Abandoned(Outcome::Failed(m))) if m.contains("savepoint failed: Checkpoint declined")),
        "{ending:?}"
    );
    assert!(flink.running && state.operation.is_none());
    assert_eq!(state.lifecycle, crate::state::Lifecycle::Running);
    assert_eq!(state.failed_attempts, 1);

    // The job is gone before the stop: its newest restore point in storage.
    let candidate = crate::restore::Candidate {
        location: "file:/cp/chk-42".into(),
        completed_at: 900,
        kind: "checkpoint",
        from_job: None,
    };
    let flink = ScriptedFlink {
        storage: vec![candidate],
        ..ScriptedFlink::default()
    };
    let (ending, state, _) = carry_with_crash(fjc_spec::UpgradeMode::Savepoint, 0, flink);
    assert_eq!(ending, Some(Carry::Ready(Some("file:/cp/chk-42".into()))));
    assert_eq!(
        state.last_savepoint.map(|s| s.kind),
        Some("checkpoint".into())
    );

    // Gone, and nothing in storage: refused, never started empty.
    let (ending, state, _) = carry_with_crash(
        fjc_spec::UpgradeMode::Savepoint,
        0,
        ScriptedFlink::default(),
    );
    assert!(
        matches!(&ending, Some(Carry::Abandoned(Outcome::Failed(m))) if m.contains("not starting the new version with empty state")),
        "{ending:?}"
    );
    assert_eq!(state.lifecycle, crate::state::Lifecycle::Failed);
}

#[test]
fn last_state_and_stateless_carry_overs_converge_after_a_crash_at_every_point() {
    let live = || ScriptedFlink {
        running: true,
        asks_to_stop: 2,
        checkpoints: vec![7, 9],
        ..ScriptedFlink::default()
    };
    let (ending, _, whole) = carry_with_crash(fjc_spec::UpgradeMode::LastState, 0, live());
    assert_eq!(ending, Some(Carry::Ready(Some("file:/cp/chk-9".into()))));
    for crash in 1..=whole.calls as usize {
        let (ending, state, flink) =
            carry_with_crash(fjc_spec::UpgradeMode::LastState, crash, live());
        assert_eq!(
            ending,
            Some(Carry::Ready(Some("file:/cp/chk-9".into()))),
            "crash after effect {crash}"
        );
        assert!(
            !flink.running && flink.savepoints_taken == 0,
            "crash {crash}"
        );
        assert_eq!(
            state.last_savepoint.map(|s| s.location),
            Some("file:/cp/chk-9".into())
        );
    }
    let (ending, _, flink) = carry_with_crash(fjc_spec::UpgradeMode::Stateless, 1, live());
    assert_eq!(ending, Some(Carry::Ready(None)));
    assert!(!flink.running && flink.savepoints_taken == 0);
}

#[test]
fn last_state_without_a_young_checkpoint_takes_a_savepoint() {
    let flink = ScriptedFlink {
        running: true,
        // Completed at 0, read at 1 000 + the 60 s limit: too old.
        checkpoints: vec![7],
        ..ScriptedFlink::default()
    };
    let old = JobId::random();
    let mut store = Some(deploy_state(&old, fjc_spec::UpgradeMode::LastState));
    let mut settings = carry_settings();
    settings.last_state_max_age_ms = 500;
    let mut op = CarryOver::new(
        store.clone().expect("state"),
        &old,
        true,
        settings,
        "t1".into(),
    );
    let mut flink = flink;
    let ending = run(&mut op, &mut flink, &mut store, &mut 1_000, 0);
    assert_eq!(
        ending,
        Some(Carry::Ready(Some("file:/sp/savepoint-t1".into())))
    );
    let Some(Recorded::Deploy {
        upgrade: Some(p), ..
    }) = &store.expect("state").operation
    else {
        panic!("no deploy");
    };
    assert_eq!(
        p.mode,
        fjc_spec::UpgradeMode::Savepoint,
        "the switch was saved"
    );
}
