//! The periodic and manual savepoint, with retention.

use super::super::savepoint::{Settings, TakeSavepoint};
use super::super::{Backoff, Effect, Next, Operation, Outcome};
use crate::state::{JobState, Operation as Recorded, SavepointRecord};
use fjc_flink::JobId;

use super::{ScriptedFlink, run};

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

pub(super) fn savepoint_state(job: &JobId, earlier: &[&str]) -> JobState {
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
        retention: None,
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
