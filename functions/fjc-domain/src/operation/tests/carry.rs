//! The carry-over of a replaced job's state.

use super::super::carry::{Carry, CarryOver, Settings as CarrySettings};
use super::super::{Backoff, Outcome};
use crate::state::{JobState, Operation as Recorded};
use fjc_flink::JobId;

use super::{ScriptedFlink, run};

pub(super) fn deploy_state(old: &JobId, mode: fjc_spec::UpgradeMode) -> JobState {
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

pub(super) fn carry_settings() -> CarrySettings {
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
