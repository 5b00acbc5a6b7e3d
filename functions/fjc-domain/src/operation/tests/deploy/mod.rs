//! A deployment in flight: a first deploy, a savepoint upgrade, a recovery whose
//! restore point is gone, a refused artifact, a spec changed mid-way, a rollback.

use fjc_flink::{FlinkJobState, JobId};
use fjc_spec::{Fingerprint, JobSpec, JobType, UpgradeMode};

use super::super::Backoff;
use super::super::Outcome;
use super::super::deploy::{Deploy, Inputs};
use super::{ScriptedFlink, run};
use crate::record::SpecRecord;
use crate::restore::Candidate;
use crate::state::{JobState, Lifecycle, Operation as Recorded, Purpose, UpgradeProgress};

mod submission;

fn record(f: char) -> SpecRecord {
    let json = serde_json::json!({
        "job_id": "orders", "job_type": "stream", "artifact_path": "orders.jar"
    });
    let spec: Option<JobSpec> = serde_json::from_value(json).ok();
    SpecRecord {
        spec: spec.expect("a valid spec"),
        fingerprint: Fingerprint(f.to_string().repeat(64)),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

fn old() -> JobId {
    JobId::parse(&format!("{:032x}", 1)).expect("id")
}

fn new_id() -> JobId {
    JobId::parse(&format!("{:032x}", 2)).expect("id")
}

/// A state with a deploy of fingerprint `f` recorded.
fn intent(
    f: char,
    replaces: Option<JobId>,
    upgrade: Option<UpgradeProgress>,
    purpose: Purpose,
) -> JobState {
    let mut s = JobState::new("orders", JobType::Stream, "default", 0);
    s.flink_job_id = replaces.clone();
    s.operation = Some(Recorded::Deploy {
        fingerprint: Fingerprint(f.to_string().repeat(64)),
        flink_job_id: new_id(),
        replaces,
        started_at: 1_000,
        upgrade,
        purpose,
    });
    s
}

fn inputs(spec: SpecRecord, observed: Option<FlinkJobState>, old_live: bool) -> Inputs {
    Inputs {
        spec,
        observed,
        old_live,
        backoff: Backoff {
            base_seconds: 30,
            max_seconds: 1800,
        },
        end_wait_ms: 30_000,
        fresh_trigger: "t1".into(),
    }
}

/// Runs the deploy in `start` with a crash after effect `crash` (0: none), then
/// as often as a later cycle would (each sees the jobs Flink has), until it ends.
fn deploy_with_crash(
    start: JobState,
    spec: &SpecRecord,
    crash: usize,
    flink: &mut ScriptedFlink,
) -> (Option<Outcome>, JobState) {
    let mut store = Some(start);
    let mut now = 2_000;
    let mut ending = None;
    for attempt in [crash, 0, 0] {
        let saved = store.clone().expect("state");
        let observed = match &saved.operation {
            Some(Recorded::Deploy { flink_job_id, .. }) => {
                flink.submitted.get(flink_job_id).cloned()
            }
            // The crash came after the last write: nothing is left to do.
            _ => {
                ending = Some(Outcome::Done("recorded before the crash".into()));
                break;
            }
        };
        let live = flink.running;
        let Some(mut op) = Deploy::resume(saved, inputs(spec.clone(), observed, live)) else {
            break;
        };
        ending = run(&mut op, flink, &mut store, &mut now, attempt);
        if ending.is_some() {
            break;
        }
    }
    (ending, store.expect("state"))
}

/// How many effects a run without a crash carries out.
fn effects(start: &JobState, spec: &SpecRecord, flink: impl Fn() -> ScriptedFlink) -> usize {
    let mut whole = flink();
    let (ending, _) = deploy_with_crash(start.clone(), spec, 0, &mut whole);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    whole.calls as usize
}

#[test]
fn a_first_deploy_submits_once_and_records_a_revision_after_a_crash_at_every_point() {
    let spec = record('a');
    let start = intent('a', None, None, Purpose::Deploy);
    let total = effects(&start, &spec, ScriptedFlink::default);
    assert!(total >= 4, "{total} effects");
    for crash in 1..=total {
        let mut flink = ScriptedFlink::default();
        let (ending, state) = deploy_with_crash(start.clone(), &spec, crash, &mut flink);
        assert!(
            matches!(ending, Some(Outcome::Done(_))),
            "crash {crash}: {ending:?}"
        );
        assert_eq!(flink.runs, 1, "crash after effect {crash}: submitted once");
        assert!(state.operation.is_none(), "crash {crash}");
        assert_eq!(state.flink_job_id, Some(new_id()));
        assert_eq!(state.deployed_fingerprint, Some(spec.fingerprint.clone()));
        assert_eq!(
            (state.revision, state.revisions_made),
            (1, 1),
            "crash {crash}"
        );
        assert_eq!(flink.revisions.len(), 1);
        assert_eq!(state.lifecycle, Lifecycle::Deploying);
    }
}

#[test]
fn a_savepoint_upgrade_carries_the_state_over_after_a_crash_at_every_point() {
    let spec = record('b');
    let start = intent(
        'b',
        Some(old()),
        Some(UpgradeProgress::new(UpgradeMode::Savepoint, None)),
        Purpose::Deploy,
    );
    let live = || ScriptedFlink {
        running: true,
        asks_to_complete: 1,
        ..ScriptedFlink::default()
    };
    let total = effects(&start, &spec, live);
    for crash in 1..=total {
        let mut flink = live();
        let (ending, state) = deploy_with_crash(start.clone(), &spec, crash, &mut flink);
        assert!(
            matches!(ending, Some(Outcome::Done(_))),
            "crash {crash}: {ending:?}"
        );
        assert_eq!(
            (flink.runs, flink.savepoints_taken),
            (1, 1),
            "crash {crash}"
        );
        assert!(!flink.running, "crash {crash}: the old job ended");
        assert_eq!(
            state.restored_from.as_deref(),
            Some("file:/sp/savepoint-t1"),
            "crash {crash}"
        );
        assert_eq!(state.flink_job_id, Some(new_id()));
    }
}

#[test]
fn a_recovery_whose_restore_point_is_gone_goes_on_with_the_next_after_a_crash_at_every_point() {
    let spec = record('c');
    let mut start = intent(
        'c',
        None,
        Some(UpgradeProgress::new(
            UpgradeMode::Savepoint,
            Some("file:/cp/chk-9".into()),
        )),
        Purpose::Recover,
    );
    start.deployed_fingerprint = Some(spec.fingerprint.clone());
    start.revision = 1;
    start.revisions_made = 1;
    let candidate = |n: u64| Candidate {
        location: format!("file:/cp/chk-{n}"),
        completed_at: i64::try_from(n).unwrap_or(0),
        kind: "checkpoint",
        from_job: Some(old()),
    };
    let flink = || ScriptedFlink {
        storage: vec![candidate(9), candidate(7)],
        missing: vec!["file:/cp/chk-9".into()],
        ..ScriptedFlink::default()
    };
    let total = effects(&start, &spec, flink);
    for crash in 1..=total {
        let mut f = flink();
        let (ending, state) = deploy_with_crash(start.clone(), &spec, crash, &mut f);
        assert!(
            matches!(ending, Some(Outcome::Done(_))),
            "crash {crash}: {ending:?}"
        );
        let running: Vec<&JobId> = f
            .submitted
            .iter()
            .filter(|(_, s)| **s == FlinkJobState::Running)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(running.len(), 1, "crash {crash}: exactly one job runs");
        assert_eq!(state.flink_job_id.as_ref(), running.first().copied());
        assert_eq!(state.restored_from.as_deref(), Some("file:/cp/chk-7"));
        assert_eq!(state.lifecycle, Lifecycle::Recovering);
        // A recovery keeps the version's revision and its error note.
        assert_eq!(state.revision, 1);
        assert!(state.last_error.is_some());
    }
}

#[test]
fn a_refused_artifact_leaves_the_old_version_running() {
    let spec = record('d');
    let start = intent(
        'd',
        Some(old()),
        Some(UpgradeProgress::new(UpgradeMode::Savepoint, None)),
        Purpose::Deploy,
    );
    let mut flink = ScriptedFlink {
        running: true,
        refuse_artifact: Some("orders.jar: digest mismatch".into()),
        ..ScriptedFlink::default()
    };
    let (ending, state) = deploy_with_crash(start, &spec, 0, &mut flink);
    assert_eq!(
        ending,
        Some(Outcome::Failed("orders.jar: digest mismatch".into()))
    );
    assert!(flink.running && flink.cancels == 0 && flink.savepoints_taken == 0);
    assert_eq!(state.lifecycle, Lifecycle::Failed);
    assert!(state.operation.is_none());
    assert_eq!(state.next_attempt_at, None, "not retryable");
}

#[test]
fn a_spec_changed_before_the_submission_is_deployed_instead() {
    let spec = record('f');
    let start = intent('e', None, None, Purpose::Deploy);
    let mut flink = ScriptedFlink::default();
    let (ending, state) = deploy_with_crash(start, &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))));
    assert_eq!(state.deployed_fingerprint, Some(spec.fingerprint.clone()));
    assert_eq!(state.attempted_fingerprint, Some(spec.fingerprint));
}

#[test]
fn a_rollback_deploys_the_recorded_revision_and_takes_its_number() {
    let now_spec = record('g');
    let target = crate::revisions::Revision::of(3, &record('h'), old(), None, 500);
    let mut flink = ScriptedFlink::default();
    flink.revisions.insert(3, target);
    let start = intent('h', None, None, Purpose::Rollback { to: 3 });
    let (ending, state) = deploy_with_crash(start.clone(), &now_spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    assert_eq!(state.revision, 3);
    assert_eq!(state.lifecycle, Lifecycle::RollingBack);
    assert_eq!(
        state.deployed_fingerprint,
        Some(Fingerprint("h".repeat(64)))
    );
    // A revision no longer kept: the rollback stops with a clear error.
    let mut flink = ScriptedFlink::default();
    let mut op = Deploy::resume(start, inputs(now_spec, None, false)).expect("recorded");
    let mut store = None;
    let mut op_run = || {
        let mut answer = None;
        loop {
            match super::super::Operation::step(&mut op, answer.take(), 0) {
                super::super::Next::Do(e) => answer = Some(flink.answer(&e, &mut store)),
                super::super::Next::Fail(e) => return e.to_string(),
                other => return format!("{other:?}"),
            }
        }
    };
    assert_eq!(op_run(), "revision 3 of orders is not kept (kept: none)");
}

mod start {
    use fjc_flink::{FlinkJobState, JobId};

    use super::{old, record};
    use crate::operation::Backoff;
    use crate::operation::deploy::start::{Intent, Known, Start, intent, needs};
    use crate::restore::{Candidate, Found};
    use crate::revisions::RestartFrom;
    use crate::state::{JobState, Lifecycle, Operation as Recorded, Purpose, SavepointRecord};

    const BACKOFF: Backoff = Backoff {
        base_seconds: 30,
        max_seconds: 1800,
    };

    fn fresh() -> (JobId, JobId) {
        (
            JobId::parse(&format!("{:032x}", 7)).expect("id"),
            JobId::parse(&format!("{:032x}", 8)).expect("id"),
        )
    }

    fn lost_state() -> JobState {
        let mut s = JobState::new("orders", fjc_spec::JobType::Stream, "default", 0);
        s.flink_job_id = Some(old());
        s.last_savepoint = Some(SavepointRecord {
            location: "file:/sp/savepoint-old".into(),
            at: 10,
            from_job: old(),
            kind: "savepoint".into(),
        });
        s
    }

    fn start<'a>(
        stored: Option<&'a JobState>,
        rec: &'a crate::record::SpecRecord,
        purpose: Purpose,
    ) -> Start<'a> {
        Start {
            stored,
            record: rec,
            replaces: None,
            purpose,
            restart: None,
            observed: Some(FlinkJobState::Failed),
            now: 5_000,
        }
    }

    #[test]
    fn a_recovery_looks_for_restore_points_and_the_cause_then_starts_from_the_newest() {
        let rec = record('a');
        let stored = lost_state();
        let s = start(Some(&stored), &rec, Purpose::Recover);
        let needs = needs(&s);
        assert!(needs.restore_points);
        assert_eq!(needs.failure_cause, Some(old()));
        assert_eq!(needs.path_complete, None);
        let found = Found {
            chain: vec![Candidate {
                location: "file:/cp/chk-12".into(),
                completed_at: 20,
                kind: "checkpoint",
                from_job: Some(old()),
            }],
            incomplete: false,
        };
        let known = Known {
            found: Some(found),
            failure_cause: Some(Some("java.lang.OutOfMemoryError".into())),
            ..Known::default()
        };
        let Intent::Record(state) = intent(&s, known, fresh(), BACKOFF) else {
            panic!("not recorded");
        };
        let Some(Recorded::Deploy {
            flink_job_id,
            upgrade: Some(p),
            purpose,
            ..
        }) = &state.operation
        else {
            panic!("no deploy: {state:?}");
        };
        assert_eq!((flink_job_id, *purpose), (&fresh().0, Purpose::Recover));
        assert_eq!(p.restore_from.as_deref(), Some("file:/cp/chk-12"));
        assert_eq!(state.lifecycle, Lifecycle::Recovering);
        assert_eq!(state.recoveries, vec![5_000]);
        let error = state.last_error.map(|e| e.message).unwrap_or_default();
        assert!(error.starts_with("recovery 1 of"), "{error}");
        assert!(
            error.contains("OutOfMemoryError") && error.contains("file:/cp/chk-12"),
            "{error}"
        );
    }

    #[test]
    fn no_restore_point_left_or_none_listable_refuses_to_start_empty() {
        let rec = record('a');
        let stored = lost_state();
        let s = start(Some(&stored), &rec, Purpose::Recover);
        let gone = Known {
            found: Some(Found::default()),
            ..Known::default()
        };
        let Intent::NotStarted { state, message } = intent(&s, gone, fresh(), BACKOFF) else {
            panic!("started without state");
        };
        assert!(message.contains("file:/sp/savepoint-old"), "{message}");
        assert_eq!(
            (state.lifecycle, state.next_attempt_at),
            (Lifecycle::Failed, None)
        );
        assert!(state.operation.is_none());
        let unlisted = Known {
            found: Some(Found {
                chain: Vec::new(),
                incomplete: true,
            }),
            ..Known::default()
        };
        let Intent::NotStarted { state, message } = intent(&s, unlisted, fresh(), BACKOFF) else {
            panic!("started without state");
        };
        assert!(message.contains("could not be listed"), "{message}");
        assert_eq!(
            state.next_attempt_at,
            Some(5_000 + 30_000),
            "retried after a backoff"
        );
    }

    #[test]
    fn a_restart_from_an_incomplete_path_is_refused_and_a_first_deploy_needs_nothing() {
        let rec = record('a');
        let stored = lost_state();
        let mut s = start(Some(&stored), &rec, Purpose::Restart);
        s.restart = Some((4_000, RestartFrom::Path("file:/sp/none".into())));
        assert_eq!(needs(&s).path_complete.as_deref(), Some("file:/sp/none"));
        assert!(!needs(&s).restore_points, "the operator chose");
        let known = Known {
            path_complete: Some(false),
            ..Known::default()
        };
        let Intent::NotStarted { state, message } = intent(&s, known, fresh(), BACKOFF) else {
            panic!("started");
        };
        assert!(message.contains("no complete savepoint or checkpoint there"));
        assert_eq!(state.handled.get("restart"), Some(&4_000));

        let first = start(None, &rec, Purpose::Deploy);
        let n = needs(&first);
        assert!(!n.restore_points && n.failure_cause.is_none() && n.path_complete.is_none());
        let Intent::Record(state) = intent(&first, Known::default(), fresh(), BACKOFF) else {
            panic!("refused");
        };
        assert!(matches!(
            state.operation,
            Some(Recorded::Deploy { upgrade: None, .. })
        ));
        assert_eq!(state.lifecycle, Lifecycle::Deploying);
    }
}
