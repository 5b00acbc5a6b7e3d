//! Suspend, and the starts of a savepoint and a rollback.

use fjc_flink::JobId;
use fjc_spec::{Fingerprint, JobSpec, JobType, UpgradeMode};

use super::carry::carry_settings;
use super::{ScriptedFlink, run};
use crate::operation::carry::CarryOver;
use crate::operation::suspend::{Suspend, intent as suspend_intent};
use crate::operation::{Outcome, rollback, savepoint};
use crate::record::SpecRecord;
use crate::revisions::Revision;
use crate::state::{JobState, Lifecycle, Operation as Recorded, Purpose, SavepointRecord};

fn old() -> JobId {
    JobId::parse(&format!("{:032x}", 1)).expect("id")
}

fn spec(mode: &str) -> JobSpec {
    let json = serde_json::json!({
        "job_id": "orders", "job_type": "stream", "artifact_path": "orders.jar",
        "deployment": { "upgrade_mode": mode }
    });
    let spec: Option<JobSpec> = serde_json::from_value(json).ok();
    spec.expect("a valid spec")
}

fn running() -> JobState {
    let mut s = JobState::new("orders", JobType::Stream, "default", 0);
    s.flink_job_id = Some(old());
    s.lifecycle = Lifecycle::Stable;
    s
}

#[test]
fn a_suspension_stops_with_one_savepoint_after_a_crash_at_every_point() {
    let start = suspend_intent(running(), &spec("savepoint"), &old(), 1_000);
    let live = || ScriptedFlink {
        running: true,
        asks_to_complete: 1,
        ..ScriptedFlink::default()
    };
    let suspend = |state: &JobState, flink: &ScriptedFlink, trigger: &str| {
        let live = flink.running;
        Suspend::resume(state, |old| {
            CarryOver::new(state.clone(), old, live, carry_settings(), trigger.into())
        })
    };
    let total = {
        let mut flink = live();
        let mut store = Some(start.clone());
        let mut op = suspend(&start, &flink, "t1").expect("recorded");
        run(&mut op, &mut flink, &mut store, &mut 1_000, 0);
        flink.calls as usize
    };
    for crash in 1..=total {
        let mut flink = live();
        let mut store = Some(start.clone());
        let mut now = 1_000;
        for (attempt, trigger) in [(crash, "t1"), (0, "t2")] {
            let saved = store.clone().expect("state");
            let Some(mut op) = suspend(&saved, &flink, trigger) else {
                break;
            };
            if run(&mut op, &mut flink, &mut store, &mut now, attempt).is_some() {
                break;
            }
        }
        let state = store.expect("state");
        assert_eq!(state.lifecycle, Lifecycle::Suspended, "crash {crash}");
        assert_eq!(
            (state.flink_job_id, state.operation),
            (None, None),
            "crash {crash}"
        );
        assert_eq!(flink.savepoints_taken, 1, "crash {crash}");
        assert!(!flink.running, "crash {crash}");
        assert_eq!(
            state.last_savepoint.map(|s| s.location),
            Some("file:/sp/savepoint-t1".to_string()),
            "crash {crash}"
        );
    }
    // A stateless job is cancelled, not savepointed.
    let stateless = suspend_intent(running(), &spec("stateless"), &old(), 1_000);
    let mut flink = ScriptedFlink {
        running: true,
        asks_to_stop: 1,
        ..ScriptedFlink::default()
    };
    let mut store = Some(stateless.clone());
    let mut op = suspend(&stateless, &flink, "t1").expect("recorded");
    let ending = run(&mut op, &mut flink, &mut store, &mut 1_000, 0);
    assert_eq!(
        ending,
        Some(Outcome::Done("suspended (stateless: no savepoint)".into()))
    );
    assert_eq!((flink.cancels, flink.savepoints_taken), (1, 0));
}

#[test]
fn a_savepoint_starts_only_on_a_running_job_and_marks_the_request_handled() {
    let recorded = savepoint::intent(running(), Some(old()), true, Some(900), "t9".into(), 1_000);
    let savepoint::Intent::Record(state) = recorded else {
        panic!("refused");
    };
    assert_eq!(state.handled.get("savepoint"), Some(&900));
    assert!(matches!(
        &state.operation,
        Some(Recorded::Savepoint { trigger_id, manual: true, .. }) if trigger_id == "t9"
    ));
    let refused = savepoint::intent(running(), None, true, Some(900), "t9".into(), 1_000);
    let savepoint::Intent::NotRunning { state, message } = refused else {
        panic!("started on a job that does not run");
    };
    assert_eq!(message, "savepoint requested, but the job is not running");
    assert!(state.operation.is_none());
    assert_eq!(
        state.handled.get("savepoint"),
        Some(&900),
        "handled either way"
    );
}

fn record(f: char, mode: &str) -> SpecRecord {
    SpecRecord {
        spec: spec(mode),
        fingerprint: Fingerprint(f.to_string().repeat(64)),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

#[test]
fn an_automatic_rollback_starts_from_what_the_failed_version_started_from() {
    let target = Revision::of(2, &record('a', "savepoint"), old(), None, 10);
    let mut state = running();
    state.revision = 3;
    state.restored_from = Some("file:/sp/savepoint-v2".into());
    state.last_savepoint = Some(SavepointRecord {
        location: "file:/cp/chk-40".into(),
        at: 50,
        from_job: old(),
        kind: "checkpoint".into(),
    });
    state.deployed_fingerprint = Some(Fingerprint("b".repeat(64)));
    state.attempted_fingerprint = state.deployed_fingerprint.clone();
    let rejected = Fingerprint("b".repeat(64));
    let new = JobId::parse(&format!("{:032x}", 5)).expect("id");
    let start = |manual, live| rollback::Start {
        target: Ok(&target),
        rejected: &rejected,
        live,
        reason: "failed 3 times",
        manual,
        now: 1_000,
    };
    let rollback::Intent::Record {
        state: rolled,
        rolled_back,
    } = rollback::intent(state.clone(), start(false, None), new.clone())
    else {
        panic!("refused");
    };
    assert_eq!(
        rolled_back.as_deref(),
        Some("rolled back from revision 3 to 2: failed 3 times")
    );
    let Some(Recorded::Deploy {
        upgrade: Some(p),
        purpose,
        replaces,
        ..
    }) = &rolled.operation
    else {
        panic!("no deploy");
    };
    assert_eq!(*purpose, Purpose::Rollback { to: 2 });
    assert_eq!(p.mode, UpgradeMode::Stateless);
    assert_eq!(p.restore_from.as_deref(), Some("file:/sp/savepoint-v2"));
    assert_eq!(*replaces, None);
    assert_eq!(rolled.lifecycle, Lifecycle::RollingBack);

    // Manual, on a running job: its state is carried over as for an upgrade.
    let rollback::Intent::Record { state: manual, .. } =
        rollback::intent(state.clone(), start(true, Some(old())), new.clone())
    else {
        panic!("refused");
    };
    let Some(Recorded::Deploy {
        upgrade: Some(p),
        replaces,
        ..
    }) = &manual.operation
    else {
        panic!("no deploy");
    };
    assert_eq!(
        (p.mode, p.restore_from.as_deref()),
        (UpgradeMode::Savepoint, None)
    );
    assert_eq!(replaces.as_ref(), Some(&old()));

    // No revision to go back to: refused with the reason, nothing recorded.
    let none = rollback::Start {
        target: Err("orders has no stable revision to roll back to".into()),
        ..start(false, None)
    };
    let rollback::Intent::Refused { state, message } = rollback::intent(running(), none, new)
    else {
        panic!("recorded");
    };
    assert_eq!(
        message,
        "rollback not possible: orders has no stable revision to roll back to"
    );
    assert!(state.operation.is_none());
}
