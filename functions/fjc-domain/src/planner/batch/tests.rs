//! Table tests of the batch planner with a fake clock: spec-triggered runs, cron
//! fire times, missed runs, concurrency policies, TTL, max runs, suspend, manual
//! runs, completion and vanished runs.

use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::{Fingerprint, JobSpec};

use super::*;
use crate::planner::{Observation, PlanInput, plan};
use crate::record::SpecRecord;
use crate::runs::{BatchState, Run, RunStatus, RunTrigger};
use crate::state::JobState;

const MIN: i64 = 60_000;
/// 2026-01-01T00:00:00Z
const T0: i64 = 1_767_225_600_000;

fn jid(n: u8) -> JobId {
    JobId::parse(&format!("{n:032x}")).unwrap()
}

fn spec(batch: serde_json::Value) -> SpecRecord {
    let spec: JobSpec = serde_json::from_value(serde_json::json!({
        "job_id": "b", "job_type": "batch", "artifact_path": "x.jar", "batch_config": batch
    }))
    .unwrap();
    SpecRecord {
        spec,
        fingerprint: Fingerprint("f1".into()),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

fn active(n: u8, started: i64, status: RunStatus) -> Run {
    Run {
        job_id: "b".into(),
        run_id: format!("run-{n}"),
        trigger: RunTrigger::Schedule,
        scheduled_at: started,
        created_at: started,
        started_at: Some(started),
        ended_at: None,
        flink_job_id: jid(n),
        fingerprint: Fingerprint("f1".into()),
        status,
        reason: None,
        jar: None,
    }
}

fn state(b: BatchState) -> JobState {
    let mut s = JobState::new("b", fjc_spec::JobType::Batch, "default", 0);
    s.batch = Some(b);
    s
}

fn job(n: u8, st: FlinkJobState) -> JobSummary {
    JobSummary {
        id: jid(n),
        name: "fjc:b".into(),
        state: st,
        start_time_ms: 0,
        end_time_ms: -1,
        tasks_total: 1,
        tasks_running: 1,
        tasks_finished: 0,
        adaptive: false,
    }
}

fn step_of(
    spec: &SpecRecord,
    st: Option<JobState>,
    jobs: Vec<JobSummary>,
    requests: &[(&str, i64)],
    now: i64,
) -> Option<BatchStep> {
    let specs = BTreeMap::from([("b".to_string(), spec.clone())]);
    let states: BTreeMap<_, _> = st.into_iter().map(|s| ("b".to_string(), s)).collect();
    let clusters = BTreeMap::from([("default".to_string(), Observation::from_jobs(jobs))]);
    let run_requests = requests.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let p = plan(PlanInput {
        specs: &specs,
        states: &states,
        clusters: &clusters,
        run_requests: &run_requests,
        held: &BTreeMap::new(),
        commands: &BTreeMap::new(),
        cancel_orphans: false,
        probes: &BTreeMap::new(),
        probing: false,
        now,
    });
    p.actions.into_iter().find_map(|a| match a {
        Action::Batch { step, .. } => Some(step),
        _ => None,
    })
}

fn start(trigger: RunTrigger, at: i64) -> Option<StartRun> {
    Some(StartRun { trigger, at })
}

#[test]
fn spec_without_cron_runs_once_per_fingerprint() {
    let s = spec(serde_json::json!({}));
    let step = step_of(&s, None, vec![], &[], T0).unwrap();
    assert_eq!(step.start, start(RunTrigger::Spec, T0));
    let done = BatchState {
        spec_run_fingerprint: Some(Fingerprint("f1".into())),
        ..BatchState::default()
    };
    assert_eq!(step_of(&s, Some(state(done)), vec![], &[], T0), None);
}

#[test]
fn cron_schedule_anchors_then_fires() {
    let s = spec(serde_json::json!({"cron": "*/5 * * * *"}));
    let first = step_of(&s, None, vec![], &[], T0 + MIN).unwrap();
    assert!(first.anchor && first.start.is_none());
    let anchored = BatchState {
        last_scheduled_at: Some(T0 + MIN),
        ..BatchState::default()
    };
    assert_eq!(
        step_of(&s, Some(state(anchored.clone())), vec![], &[], T0 + 4 * MIN),
        None,
        "nothing due before 00:05"
    );
    let step = step_of(&s, Some(state(anchored)), vec![], &[], T0 + 5 * MIN + 1).unwrap();
    assert_eq!(step.start, start(RunTrigger::Schedule, T0 + 5 * MIN));
    assert_eq!(step.handled_up_to, Some(T0 + 5 * MIN));
}

#[test]
fn missed_runs_are_counted_not_queued() {
    let s = spec(serde_json::json!({"cron": "*/5 * * * *", "starting_deadline_seconds": 60}));
    let b = BatchState {
        last_scheduled_at: Some(T0),
        ..BatchState::default()
    };
    // 17 minutes later: 00:05, 00:10, 00:15 passed; 00:15 is 2 minutes late > 60 s.
    let step = step_of(&s, Some(state(b.clone())), vec![], &[], T0 + 17 * MIN).unwrap();
    assert_eq!(step.start, None);
    assert_eq!(step.missed, 3);
    assert_eq!(step.handled_up_to, Some(T0 + 15 * MIN));
    // Within the deadline the latest runs and the older ones are missed.
    let step = step_of(&s, Some(state(b)), vec![], &[], T0 + 15 * MIN + 30_000).unwrap();
    assert_eq!(step.start, start(RunTrigger::Schedule, T0 + 15 * MIN));
    assert_eq!(step.missed, 2);
}

#[test]
fn concurrency_policies() {
    let running = BatchState {
        last_scheduled_at: Some(T0),
        active: vec![active(1, T0 - MIN, RunStatus::Running)],
        ..BatchState::default()
    };
    let now = T0 + 5 * MIN + 1;
    let jobs = || vec![job(1, FlinkJobState::Running)];
    let forbid = spec(serde_json::json!({"cron": "*/5 * * * *"}));
    let step = step_of(&forbid, Some(state(running.clone())), jobs(), &[], now).unwrap();
    assert_eq!(step.start, None);
    assert!(step.skipped.as_deref().unwrap().contains("forbid"));
    assert_eq!(
        step.handled_up_to,
        Some(T0 + 5 * MIN),
        "skipped, not retried"
    );

    let allow = spec(serde_json::json!({"cron": "*/5 * * * *", "concurrency_policy": "allow"}));
    let step = step_of(&allow, Some(state(running.clone())), jobs(), &[], now).unwrap();
    assert_eq!(step.start, start(RunTrigger::Schedule, T0 + 5 * MIN));
    assert!(step.end.is_empty());

    let replace = spec(serde_json::json!({"cron": "*/5 * * * *", "concurrency_policy": "replace"}));
    let step = step_of(&replace, Some(state(running)), jobs(), &[], now).unwrap();
    assert_eq!(step.start, start(RunTrigger::Schedule, T0 + 5 * MIN));
    assert!(matches!(
        &step.end[..],
        [(id, RunEnd::Cancel { status: RunStatus::Canceled, .. })] if id == "run-1"
    ));
}

#[test]
fn ttl_cancels_a_long_run() {
    let s = spec(serde_json::json!({"ttl_seconds": 60}));
    let b = BatchState {
        spec_run_fingerprint: Some(Fingerprint("f1".into())),
        active: vec![active(1, T0, RunStatus::Running)],
        ..BatchState::default()
    };
    let jobs = vec![job(1, FlinkJobState::Running)];
    assert_eq!(
        step_of(&s, Some(state(b.clone())), jobs.clone(), &[], T0 + 59_000),
        None
    );
    let step = step_of(&s, Some(state(b)), jobs, &[], T0 + 60_000).unwrap();
    assert!(matches!(
        &step.end[..],
        [(
            _,
            RunEnd::Cancel {
                status: RunStatus::TimedOut,
                ..
            }
        )]
    ));
}

#[test]
fn a_run_past_its_ttl_that_flink_shows_cancelled_ends_timed_out() {
    // The controller's cancel went through, then the cycle ended before the
    // run's end was recorded: the next cycle still ends it TIMED_OUT.
    let s = spec(serde_json::json!({"ttl_seconds": 60}));
    let b = BatchState {
        spec_run_fingerprint: Some(Fingerprint("f1".into())),
        active: vec![active(1, T0, RunStatus::Running)],
        ..BatchState::default()
    };
    let jobs = vec![job(1, FlinkJobState::Canceled)];
    let step = step_of(&s, Some(state(b.clone())), jobs.clone(), &[], T0 + 60_000).unwrap();
    assert!(matches!(
        &step.end[..],
        [(
            _,
            RunEnd::Cancel {
                status: RunStatus::TimedOut,
                ..
            }
        )]
    ));
    // Within its TTL, a cancelled job was cancelled outside the controller.
    let step = step_of(&s, Some(state(b)), jobs, &[], T0 + 59_000).unwrap();
    assert_eq!(
        step.end,
        vec![(
            "run-1".to_string(),
            RunEnd::Observed(FlinkJobState::Canceled)
        )]
    );
}

#[test]
fn a_starting_run_that_flink_lists_is_confirmed_from_flinks_start_time() {
    let s = spec(serde_json::json!({}));
    let mut run = active(1, T0, RunStatus::Starting);
    run.started_at = None;
    let b = BatchState {
        spec_run_fingerprint: Some(Fingerprint("f1".into())),
        active: vec![run],
        ..BatchState::default()
    };
    let mut listed = job(1, FlinkJobState::Running);
    listed.start_time_ms = T0 + 5;
    let step = step_of(&s, Some(state(b)), vec![listed], &[], T0 + MIN).unwrap();
    assert_eq!(step.confirm, vec![("run-1".to_string(), T0 + 5)]);
    assert!(step.end.is_empty() && step.resubmit.is_empty());
}

#[test]
fn max_runs_stops_the_schedule_and_suspend_pauses_it() {
    let s = spec(serde_json::json!({"cron": "*/5 * * * *", "max_runs": 2}));
    let b = BatchState {
        last_scheduled_at: Some(T0),
        runs_started: 2,
        ..BatchState::default()
    };
    assert_eq!(
        step_of(&s, Some(state(b.clone())), vec![], &[], T0 + 30 * MIN),
        None
    );
    let cfg = s.spec.batch_config.clone().unwrap();
    let why = next_fire(&cfg, &b, T0).unwrap_err();
    assert!(why.contains("max_runs (2) reached"), "{why}");

    let s = spec(serde_json::json!({"cron": "*/5 * * * *", "suspend": true}));
    let b = BatchState {
        last_scheduled_at: Some(T0),
        ..BatchState::default()
    };
    assert_eq!(
        step_of(&s, Some(state(b.clone())), vec![], &[], T0 + 30 * MIN),
        None
    );
    // A manual run still starts while suspended.
    let step = step_of(
        &s,
        Some(state(b)),
        vec![],
        &[("b", T0 + 29 * MIN)],
        T0 + 30 * MIN,
    );
    assert_eq!(
        step.unwrap().start,
        start(RunTrigger::Manual, T0 + 29 * MIN)
    );
}

#[test]
fn manual_request_is_handled_once() {
    let s = spec(serde_json::json!({"cron": "0 0 1 1 *"}));
    let b = BatchState {
        last_scheduled_at: Some(T0),
        manual_handled_at: Some(T0 + MIN),
        ..BatchState::default()
    };
    assert_eq!(
        step_of(
            &s,
            Some(state(b.clone())),
            vec![],
            &[("b", T0 + MIN)],
            T0 + 2 * MIN
        ),
        None
    );
    let step = step_of(
        &s,
        Some(state(b)),
        vec![],
        &[("b", T0 + 2 * MIN)],
        T0 + 3 * MIN,
    );
    assert_eq!(step.unwrap().start, start(RunTrigger::Manual, T0 + 2 * MIN));
}

#[test]
fn completion_vanishing_and_unconfirmed_submissions() {
    let s = spec(serde_json::json!({"cron": "0 0 1 1 *"}));
    let b = BatchState {
        last_scheduled_at: Some(T0),
        active: vec![
            active(1, T0, RunStatus::Running),
            active(2, T0, RunStatus::Running),
            active(3, T0, RunStatus::Running),
            active(4, T0, RunStatus::Starting),
        ],
        ..BatchState::default()
    };
    let jobs = vec![
        job(1, FlinkJobState::Finished),
        job(2, FlinkJobState::Failed),
    ];
    let step = step_of(&s, Some(state(b)), jobs, &[], T0 + MIN).unwrap();
    assert_eq!(
        step.end,
        vec![
            (
                "run-1".to_string(),
                RunEnd::Observed(FlinkJobState::Finished)
            ),
            ("run-2".to_string(), RunEnd::Observed(FlinkJobState::Failed)),
            ("run-3".to_string(), RunEnd::Vanished),
        ]
    );
    assert_eq!(step.resubmit, vec!["run-4".to_string()]);
}

#[test]
fn forbid_makes_a_spec_run_wait_instead_of_skipping() {
    let mut s = spec(serde_json::json!({}));
    s.fingerprint = Fingerprint("f2".into());
    let b = BatchState {
        spec_run_fingerprint: Some(Fingerprint("f1".into())),
        active: vec![active(1, T0, RunStatus::Running)],
        ..BatchState::default()
    };
    let jobs = vec![job(1, FlinkJobState::Running)];
    assert_eq!(step_of(&s, Some(state(b)), jobs, &[], T0 + MIN), None);
}
