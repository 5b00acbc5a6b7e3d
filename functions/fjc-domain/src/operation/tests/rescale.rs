//! In-place rescale: the bounds set once whatever the crash point, slot
//! admission, and the fallbacks to a savepoint upgrade.

use fjc_flink::JobId;
use fjc_spec::{JobSpec, JobType};

use super::{ScriptedFlink, run};
use crate::operation::Outcome;
use crate::operation::rescale::Rescale;
use crate::record::SpecRecord;
use crate::state::{JobState, Lifecycle, Operation as Recorded};

fn old() -> JobId {
    JobId::parse(&format!("{:032x}", 1)).expect("id")
}

/// The spec at parallelism `p`, with checkpoints and a 60 s readiness timeout.
fn record(p: u32) -> SpecRecord {
    let json = serde_json::json!({
        "job_id": "orders", "job_type": "stream", "artifact_path": "orders.jar",
        "deployment": {"parallelism": p, "checkpoint_interval": "5s", "readiness_timeout": "60s"}
    });
    let spec: JobSpec = serde_json::from_value(json).expect("a valid spec");
    SpecRecord {
        fingerprint: fjc_spec::fingerprint(&spec, "sha256:aa"),
        spec,
        artifact_digest: "sha256:aa".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

/// Revision 1 at parallelism 1, stable, with signals kept.
fn running() -> JobState {
    let r = record(1);
    let mut s = JobState::new("orders", JobType::Stream, "default", 0);
    s.flink_job_id = Some(old());
    s.lifecycle = Lifecycle::Stable;
    s.deployed_fingerprint = Some(r.fingerprint.clone());
    s.attempted_fingerprint = Some(r.fingerprint.clone());
    s.deployed_classes = Some(fjc_spec::class_fingerprints(&r.spec, &r.artifact_digest));
    s.deployed_parallelism = Some(1);
    s.revision = 1;
    s.revisions_made = 1;
    s.stable_revision = Some(1);
    s.running_since = Some(500);
    s
}

fn adaptive() -> ScriptedFlink {
    ScriptedFlink {
        running: true,
        adaptive: true,
        parallelism: 1,
        requested: 1,
        asks_to_rescale: 3,
        stale_metrics: 2,
        checkpoints: vec![7],
        ..ScriptedFlink::default()
    }
}

/// Runs the rescale to 2, crashing after effect `crash` (0: never), then
/// resumes it from what was saved, as the next cycles do.
fn rescale(flink: &mut ScriptedFlink, crash: usize) -> (JobState, Option<Outcome>) {
    let mut store = Some(running());
    let mut now = 1_000;
    let mut op = Rescale::start(running(), record(2), old(), 1, 2);
    let mut ending = run(&mut op, flink, &mut store, &mut now, crash);
    for _ in 0..3 {
        if ending.is_some() {
            break;
        }
        let saved = store.clone().expect("state");
        let Some(mut op) = Rescale::resume(saved.clone(), record(2)) else {
            if saved.deployed_fingerprint == Some(record(2).fingerprint) {
                // Crashed after the last write: nothing left to do.
                ending = Some(Outcome::Done("rescaled in place (before the crash)".into()));
                break;
            }
            // Crashed before the intent was saved: the planner starts again.
            let mut op = Rescale::start(saved, record(2), old(), 1, 2);
            ending = run(&mut op, flink, &mut store, &mut now, 0);
            continue;
        };
        ending = run(&mut op, flink, &mut store, &mut now, 0);
    }
    (store.expect("state"), ending)
}

#[test]
fn a_rescale_sets_the_bounds_once_and_records_a_revision_whatever_the_crash_point() {
    let total = {
        let mut flink = adaptive();
        let (state, ending) = rescale(&mut flink, 0);
        assert!(
            matches!(&ending, Some(Outcome::Done(m)) if m.contains("rescaled in place from parallelism 1 to 2")),
            "{ending:?}"
        );
        assert_eq!(state.revision, 2);
        flink.calls as usize
    };
    for crash in 1..=total {
        let mut flink = adaptive();
        let (state, ending) = rescale(&mut flink, crash);
        assert!(
            matches!(ending, Some(Outcome::Done(_))),
            "crash {crash}: {ending:?}"
        );
        assert_eq!(flink.requirement_sets, 1, "bounds set once, crash {crash}");
        assert_eq!(flink.parallelism, 2, "crash {crash}");
        assert_eq!(
            (flink.runs, flink.savepoints_taken, flink.cancels),
            (0, 0, 0),
            "nothing submitted, no savepoint, nothing cancelled: crash {crash}"
        );
        let r = record(2);
        assert_eq!(state.operation, None, "crash {crash}");
        assert_eq!(state.flink_job_id, Some(old()), "the same Flink job");
        assert_eq!(state.deployed_fingerprint.as_ref(), Some(&r.fingerprint));
        assert_eq!(state.deployed_parallelism, Some(2));
        assert_eq!(
            (state.revision, state.revisions_made, state.stable_revision),
            (2, 2, Some(1)),
            "a new revision, not stable yet: crash {crash}"
        );
        assert_eq!(flink.revisions[&2].fingerprint, r.fingerprint);
        assert_eq!(flink.revisions[&2].flink_job_id, old());
        assert_eq!(state.lifecycle, Lifecycle::Deploying, "gated again");
        assert_eq!(state.running_since, None);
        let base = state.baseline.expect("counts from the rescale on");
        assert_eq!(
            (
                base.restarts,
                base.checkpoints_completed,
                base.checkpoints_failed
            ),
            (1, 9, 1),
            "crash {crash}"
        );
    }
}

#[test]
fn without_the_slots_a_scale_up_waits_with_the_reason_and_calls_nothing_else() {
    let mut flink = ScriptedFlink {
        free_slots: Some(1),
        ..adaptive()
    };
    let mut store = Some(running());
    let mut op = Rescale::start(running(), record(4), old(), 1, 4);
    let ending = run(&mut op, &mut flink, &mut store, &mut 1_000, 0);
    let reason = "waiting for 4 slots, 1 free on cluster default and 1 held by the running \
                  version (64 in all)";
    assert_eq!(ending, Some(Outcome::InProgress(reason.into())));
    let state = store.clone().expect("state");
    assert_eq!(state.operation, None, "nothing recorded in flight");
    assert_eq!(state.last_error.map(|e| e.message), Some(reason.into()));
    assert_eq!(flink.requirement_sets, 0);
    // The same reason again writes nothing.
    let saves = flink.saves;
    let mut op = Rescale::start(running_with_reason(reason), record(4), old(), 1, 4);
    let again = run(&mut op, &mut flink, &mut store, &mut 2_000, 0);
    assert_eq!(again, Some(Outcome::InProgress(reason.into())));
    assert_eq!(flink.saves, saves);
}

fn running_with_reason(reason: &str) -> JobState {
    let mut s = running();
    s.set_error(reason, 1_000, true);
    s
}

/// Ends in a fallback: the fingerprint tried, a retry due now, nothing in flight.
fn fell_back(state: &JobState, ending: &Option<Outcome>, why: &str) {
    assert!(
        matches!(ending, Some(Outcome::InProgress(m)) if m.contains(why) && m.contains("upgrading through a savepoint instead")),
        "{ending:?}"
    );
    assert_eq!(state.operation, None);
    assert_eq!(state.attempted_fingerprint, Some(record(2).fingerprint));
    assert_eq!(state.deployed_fingerprint, Some(record(1).fingerprint));
    assert_eq!(state.deployed_parallelism, Some(1));
    assert!(state.next_attempt_at.is_some());
    assert!(state.last_error.as_ref().is_some_and(|e| e.retryable));
}

#[test]
fn under_the_default_scheduler_it_falls_back_to_a_savepoint_upgrade() {
    let mut flink = ScriptedFlink {
        adaptive: false,
        ..adaptive()
    };
    let (state, ending) = rescale(&mut flink, 0);
    fell_back(&state, &ending, "DefaultScheduler");
    assert_eq!(flink.requirement_sets, 0);
}

#[test]
fn without_a_completed_checkpoint_it_never_sets_the_bounds_and_falls_back() {
    let mut flink = ScriptedFlink {
        checkpointless: true,
        ..adaptive()
    };
    let (state, ending) = rescale(&mut flink, 0);
    fell_back(&state, &ending, "no completed checkpoint to restart from");
    assert_eq!(
        flink.requirement_sets, 0,
        "the job would have started empty"
    );
}

#[test]
fn a_rescale_that_does_not_happen_within_readiness_timeout_falls_back() {
    let mut flink = ScriptedFlink {
        asks_to_rescale: u32::MAX,
        ..adaptive()
    };
    let (state, ending) = rescale(&mut flink, 0);
    fell_back(
        &state,
        &ending,
        "did not run at parallelism 2 within readiness_timeout (60s; Flink RUNNING, 1 of 2 tasks)",
    );
    assert!(matches!(
        state.operation,
        None | Some(Recorded::Rescale { .. })
    ));
}
