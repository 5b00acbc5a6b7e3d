//! Every wait a requeue: each time an operation asks to be looked at again, the
//! machine is thrown away and the next "cycle" (at the time it asked for)
//! rebuilds it from what was saved, as the tick's requeue does. The waits that
//! span cycles (a savepoint in progress, an old job ending after its savepoint,
//! checkpoint statistics settling, a disposal in progress, a failure cause Flink
//! has not yet) must still end, with the same outcome as one long cycle.

use super::super::carry::{Carry, CarryOver};
use super::super::cause::{FailureCause, WAIT_MS};
use super::super::savepoint::{Settings, TakeSavepoint};
use super::super::settle::SETTLE_MS;
use super::super::{Backoff, Outcome};
use super::carry::{carry_settings, deploy_state};
use super::savepoint::savepoint_state;
use super::{ScriptedFlink, run_until_look};
use crate::clock::EpochMs;
use crate::state::{JobState, Operation as Recorded};
use fjc_flink::JobId;
use fjc_spec::UpgradeMode;

/// The carry-over of `old`, one cycle per look, from `now`: its ending, the
/// saved state, the time it ended and the number of cycles.
fn carry_requeued(
    mode: UpgradeMode,
    flink: &mut ScriptedFlink,
    mut now: EpochMs,
) -> (Carry, JobState, EpochMs, u32) {
    let old = JobId::parse("00000000000000000000000000000001").expect("id");
    let mut store = Some(deploy_state(&old, mode));
    for cycle in 1..=500 {
        let saved = store.clone().expect("state");
        let mut op = CarryOver::new(saved, &old, flink.running, carry_settings(), "t1".into());
        match run_until_look(&mut op, flink, &mut store, now) {
            Ok(ending) => return (ending, store.expect("state"), now, cycle),
            Err(at) => now = at,
        }
    }
    panic!("the carry-over never ended across requeues");
}

#[test]
fn a_savepoint_carry_over_ends_across_requeued_cycles() {
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_complete: 3,
        ..ScriptedFlink::default()
    };
    let (ending, state, _, cycles) = carry_requeued(UpgradeMode::Savepoint, &mut flink, 1_000);
    assert_eq!(ending, Carry::Ready(Some("file:/sp/savepoint-t1".into())));
    assert!(cycles > 3, "it waited across cycles ({cycles})");
    assert_eq!(
        flink.savepoints_taken, 1,
        "one savepoint across {cycles} cycles"
    );
    assert_eq!(flink.cancels, 0, "the savepoint ended the old job");
    assert_eq!(state.savepoints.len(), 1);
}

#[test]
fn an_old_job_that_outlives_its_savepoint_is_cancelled_once_the_end_wait_passed() {
    // The wait for the old job's end starts when the savepoint was recorded,
    // and a later cycle keeps that start: it does not wait afresh each cycle.
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_complete: 1,
        ignores_stop: true,
        ..ScriptedFlink::default()
    };
    let (ending, state, ended, _) = carry_requeued(UpgradeMode::Savepoint, &mut flink, 1_000);
    assert_eq!(ending, Carry::Ready(Some("file:/sp/savepoint-t1".into())));
    assert_eq!(flink.cancels, 1, "cancelled once");
    assert!(!flink.running);
    let recorded = state.last_savepoint.expect("recorded").at;
    let waited = ended - recorded;
    let end_wait = carry_settings().end_wait_ms;
    assert!(
        (end_wait..end_wait + 1_000).contains(&waited),
        "cancelled {waited} ms after the savepoint (end wait {end_wait} ms)"
    );
}

#[test]
fn last_state_statistics_settle_across_requeued_cycles() {
    // The cache first names checkpoint 7 (subsumed), then 9: only an answer
    // that held for SETTLE_MS counts, even when every read is another cycle.
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_stop: 2,
        checkpoints: vec![7, 7, 9],
        ..ScriptedFlink::default()
    };
    let (ending, state, ended, cycles) = carry_requeued(UpgradeMode::LastState, &mut flink, 1_000);
    assert_eq!(ending, Carry::Ready(Some("file:/cp/chk-9".into())));
    assert_eq!(
        state.last_savepoint.map(|s| s.location),
        Some("file:/cp/chk-9".into())
    );
    let Some(Recorded::Deploy {
        upgrade: Some(p), ..
    }) = &state.operation
    else {
        panic!("the deploy is gone: {:?}", state.operation);
    };
    let since = p.settling.as_ref().expect("the settle was saved").since;
    assert!(ended - since >= SETTLE_MS, "held {} ms", ended - since);
    // Saved when the answer changed (7, then 9) and when the restore point was
    // recorded: not at every look.
    assert!(
        flink.saves <= 4,
        "{} saves over {cycles} cycles",
        flink.saves
    );
    assert!(cycles > 8, "{cycles} cycles");
}

#[test]
fn disposals_in_progress_are_followed_across_requeued_cycles() {
    let job = JobId::random();
    let settings = Settings {
        target: None,
        timeout_ms: 60_000,
        keep: 1,
        max_age_ms: i64::MAX,
        backoff: Backoff {
            base_seconds: 30,
            max_seconds: 1800,
        },
    };
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_complete: 2,
        asks_to_dispose: 3,
        ..ScriptedFlink::default()
    };
    let mut store = Some(savepoint_state(&job, &["file:/sp/a", "file:/sp/b"]));
    let mut now = 1_000;
    let mut cycles = 0;
    let ending = loop {
        cycles += 1;
        assert!(cycles < 200, "retention never ended");
        let saved = store.clone().expect("state");
        let Some(mut op) = TakeSavepoint::resume(saved, settings.clone()) else {
            panic!("the operation ended without an ending");
        };
        match run_until_look(&mut op, &mut flink, &mut store, now) {
            Ok(ending) => break ending,
            Err(at) => now = at,
        }
    };
    assert!(
        matches!(&ending, Outcome::Done(m) if m.contains("2 expired")),
        "{ending:?}"
    );
    let state = store.expect("state");
    assert!(state.operation.is_none());
    let kept: Vec<&str> = state
        .savepoints
        .iter()
        .map(|s| s.location.as_str())
        .collect();
    assert_eq!(kept, ["file:/sp/savepoint-t1"]);
    assert_eq!(flink.savepoints_taken, 1);
    // Each disposal asked for once: a later cycle asks about the recorded one.
    assert_eq!(flink.disposals.len(), 2, "{:?}", flink.disposals);
    assert_eq!(flink.disposed, ["file:/sp/b", "file:/sp/a"]);
    assert!(cycles > 6, "{cycles} cycles");
}

#[test]
fn a_failure_cause_is_waited_for_across_requeued_cycles_until_the_bound() {
    let job = JobId::random();
    let ended_at = 10_000;
    let mut flink = ScriptedFlink::default();
    let mut now = ended_at + 500;
    let mut cycles = 0;
    let cause = loop {
        cycles += 1;
        let mut op = FailureCause::new("default", &job, Some(ended_at));
        match run_until_look(&mut op, &mut flink, &mut None, now) {
            Ok(cause) => break cause,
            Err(at) => now = at,
        }
    };
    assert_eq!(cause, Some(Ok(None)), "given up");
    assert_eq!(now, ended_at + WAIT_MS + 500);
    assert_eq!((cycles, flink.cause_asks), (6, 6));
}
