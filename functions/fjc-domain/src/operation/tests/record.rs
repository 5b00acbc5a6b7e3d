//! Recording what a cycle saw, deleting a job, and cancelling an orphan, each
//! walked through every crash point.

use fjc_flink::{FlinkJobState, JobId};
use fjc_spec::{Fingerprint, JobSpec, JobType};

use super::{ScriptedFlink, run};
use crate::operation::Outcome;
use crate::operation::delete::{self, Delete};
use crate::operation::orphan::CancelOrphan;
use crate::operation::record::{RecordSeen, Seen};
use crate::revisions::{Revision, RevisionOutcome};
use crate::state::{JobState, Lifecycle};

fn id(n: u32) -> JobId {
    JobId::parse(&format!("{n:032x}")).expect("id")
}

fn deployed() -> JobState {
    let mut s = JobState::new("orders", JobType::Stream, "default", 0);
    s.flink_job_id = Some(id(1));
    s.lifecycle = Lifecycle::Running;
    s.revision = 3;
    s
}

fn revision(number: u64) -> Revision {
    let json = serde_json::json!({
        "job_id": "orders", "job_type": "stream", "artifact_path": "orders.jar"
    });
    let spec: Option<JobSpec> = serde_json::from_value(json).ok();
    Revision {
        job_id: "orders".into(),
        number,
        fingerprint: Fingerprint("a".repeat(64)),
        spec: spec.expect("a valid spec"),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        deployed_at: 0,
        flink_job_id: id(1),
        restored_from: None,
        outcome: RevisionOutcome::Deployed,
        reason: None,
        script: None,
    }
}

fn seen(lifecycle: Lifecycle, fetch_cause: bool, note: Option<&str>) -> Seen {
    Seen {
        lifecycle,
        flink_state: "RUNNING".into(),
        fetch_cause,
        note: note.map(str::to_string),
        running: true,
        restarted_by_flink_at: Some(7),
        flink_started_at: Some(7),
        health: None,
    }
}

#[test]
fn a_version_that_became_stable_is_recorded_and_its_revision_marked() {
    for crash in 0..=2 {
        let mut flink = ScriptedFlink::default();
        flink.revisions.insert(3, revision(3));
        let (mut store, mut now) = (Some(deployed()), 1_000);
        for attempt in 0..2 {
            let state = store.clone().expect("state");
            if state.lifecycle == Lifecycle::Stable {
                break;
            }
            let mut op = RecordSeen::new(state, seen(Lifecycle::Stable, false, None), None);
            let crash_here = if attempt == 0 { crash } else { 0 };
            if let Some(ending) = run(&mut op, &mut flink, &mut store, &mut now, crash_here) {
                assert_eq!(
                    ending,
                    Outcome::Done("RUNNING -> STABLE (Flink RUNNING)".into())
                );
            }
        }
        let state = store.expect("state");
        assert_eq!(
            state.lifecycle,
            Lifecycle::Stable,
            "crash after effect {crash}"
        );
        assert_eq!(state.stable_revision, Some(3));
        assert_eq!(state.running_since, Some(1_000));
        assert_eq!(state.recoveries, vec![7], "Flink's own restart, once");
        // A crash between the save and the mark leaves the revision unmarked:
        // it is history only, and the state (the source of truth) says STABLE.
        let marked = flink.revisions[&3].outcome == RevisionOutcome::Stable;
        assert_eq!(marked, crash != 1, "crash after effect {crash}");
    }
}

#[test]
fn a_failure_is_recorded_with_flinks_cause_scrubbed_of_secrets() {
    let mut flink = ScriptedFlink::default();
    let (mut store, mut now) = (Some(deployed()), 1_000);
    let state = store.clone().expect("state");
    let seen = seen(Lifecycle::Failed, true, Some("recovery budget exhausted"));
    assert_eq!(RecordSeen::needs_cause(&state, &seen), Some(id(1)));
    let cause = Some(Ok(Some("java.lang.Exception: token s3cr3t expired".into())));
    let mut op = RecordSeen::new(state, seen, cause);
    run(&mut op, &mut flink, &mut store, &mut now, 0).expect("an ending");
    let state = store.expect("state");
    let error = state.last_error.expect("an error");
    assert_eq!(
        error.message,
        "recovery budget exhausted; last failure: java.lang.Exception: token *** expired"
    );
    assert_eq!(state.lifecycle, Lifecycle::Failed);

    // No cause from Flink: the message still names the job.
    let (mut store, mut now) = (Some(deployed()), 1_000);
    let mut op = RecordSeen::new(
        deployed(),
        super::super::record::Seen {
            note: None,
            ..seen_failed()
        },
        Some(Ok(None)),
    );
    run(&mut op, &mut flink, &mut store, &mut now, 0).expect("an ending");
    let error = store.and_then(|s| s.last_error).expect("an error");
    assert_eq!(error.message, format!("Flink job {} failed", id(1)));
}

fn seen_failed() -> Seen {
    seen(Lifecycle::Failed, true, None)
}

#[test]
fn a_delete_stops_every_job_once_then_forgets_the_state() {
    let start = delete::intent(deployed(), vec![id(1), id(2)], 1_000);
    assert_eq!(start.lifecycle, Lifecycle::Deleting);
    let live = || {
        let mut flink = ScriptedFlink::default();
        flink.submitted.insert(id(1), FlinkJobState::Running);
        flink.submitted.insert(id(2), FlinkJobState::Running);
        flink
    };
    // Cancel and ask for each job, then forget.
    for crash in 0..=5 {
        let mut flink = live();
        let (mut store, mut now) = (Some(start.clone()), 1_000);
        let mut ending = None;
        for attempt in 0..3 {
            let Some(state) = store.clone() else { break };
            let alive = |j: &JobId| {
                flink
                    .submitted
                    .get(j)
                    .is_some_and(|s| !s.is_globally_terminal())
            };
            let mut op = Delete::resume(&state, alive).expect("a delete in flight");
            let crash_here = if attempt == 0 { crash } else { 0 };
            ending = run(&mut op, &mut flink, &mut store, &mut now, crash_here).or(ending);
        }
        assert!(
            store.is_none(),
            "crash after effect {crash}: state forgotten"
        );
        if crash != 5 {
            // (A crash right after the state is forgotten leaves nothing to end.)
            assert_eq!(ending, Some(Outcome::Done("cancelled and removed".into())));
        }
        assert_eq!(
            flink.cancels, 2,
            "crash after effect {crash}: each job cancelled once"
        );
        assert!(
            flink
                .submitted
                .values()
                .all(FlinkJobState::is_globally_terminal)
        );
    }
}

#[test]
fn an_orphan_is_cancelled_once_and_one_already_over_counts_as_cancelled() {
    let mut flink = ScriptedFlink::default();
    flink.submitted.insert(id(9), FlinkJobState::Running);
    let (mut store, mut now) = (None, 1_000);
    for _ in 0..2 {
        let mut op = CancelOrphan::new("default", &id(9));
        let ending = run(&mut op, &mut flink, &mut store, &mut now, 0);
        assert_eq!(
            ending,
            Some(Outcome::Done(format!(
                "orphan {} on default cancelled",
                id(9)
            )))
        );
    }
    assert_eq!(flink.cancels, 1);
}
