//! A batch job's step walked through every crash point. Each cycle plans from
//! the stored state and the jobs the scripted Flink lists (as the reconcile
//! cycle does), then carries the batch step out; a crash throws the machine away
//! after the n-th effect and the next cycle starts from what was committed.

use std::collections::BTreeMap;

use fjc_flink::{ExecutionResult, FlinkJobState, JobId, JobSummary};
use fjc_spec::{Fingerprint, JobSpec};

use super::super::Outcome;
use super::super::batch::BatchRun;
use super::{ScriptedFlink, run};
use crate::clock::EpochMs;
use crate::planner::{self, Action, Observation, PlanInput};
use crate::record::SpecRecord;
use crate::runs::RunStatus;
use crate::state::{JobState, Lifecycle};

fn record(batch: serde_json::Value) -> SpecRecord {
    let json = serde_json::json!({
        "job_id": "nightly", "job_type": "batch", "artifact_path": "nightly.jar",
        "batch_config": batch,
    });
    let spec: Option<JobSpec> = serde_json::from_value(json).ok();
    SpecRecord {
        spec: spec.expect("a valid spec"),
        fingerprint: Fingerprint("b".repeat(64)),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

/// The jobs the scripted Flink lists, as `/jobs/overview` shows them.
fn observed(flink: &ScriptedFlink) -> BTreeMap<String, Observation> {
    let jobs = flink
        .submitted
        .iter()
        .map(|(id, state)| JobSummary {
            id: id.clone(),
            name: "fjc:nightly".into(),
            state: state.clone(),
            start_time_ms: 0,
            end_time_ms: -1,
            tasks_total: 1,
            tasks_running: 1,
            tasks_finished: 0,
            adaptive: false,
        })
        .collect();
    BTreeMap::from([("default".to_string(), Observation::from_jobs(jobs))])
}

/// One cycle with a crash after effect `crash` (0: none): `None` when the plan
/// has no batch step for the job, else what the step ended with (`None` when it
/// crashed).
fn cycle(
    spec: &SpecRecord,
    flink: &mut ScriptedFlink,
    store: &mut Option<JobState>,
    now: &mut EpochMs,
    crash: usize,
) -> Option<Option<Outcome>> {
    let specs = BTreeMap::from([(spec.spec.job_id.clone(), spec.clone())]);
    let states: BTreeMap<String, JobState> = store
        .iter()
        .map(|s| (s.job_id.clone(), s.clone()))
        .collect();
    let clusters = observed(flink);
    let plan = planner::plan(PlanInput {
        specs: &specs,
        states: &states,
        clusters: &clusters,
        run_requests: &BTreeMap::new(),
        held: &BTreeMap::new(),
        commands: &BTreeMap::new(),
        cancel_orphans: false,
        probes: &BTreeMap::new(),
        probing: false,
        now: *now,
    });
    let step = plan.actions.iter().find_map(|a| match a {
        Action::Batch { step, .. } => Some(step.clone()),
        _ => None,
    })?;
    let job = JobId::parse(&format!("{:032x}", 100 + flink.calls)).expect("id");
    let mut op = BatchRun::new(spec, store.as_ref(), &step, job, *now);
    Some(run(&mut op, flink, store, now, crash))
}

/// Cycles (without crashes) until the plan has nothing for the job; at most 5.
fn settle(
    spec: &SpecRecord,
    flink: &mut ScriptedFlink,
    store: &mut Option<JobState>,
    now: &mut EpochMs,
) {
    for _ in 0..5 {
        if cycle(spec, flink, store, now, 0).is_none() {
            return;
        }
        *now += 1_000;
    }
    panic!("the batch job did not settle in 5 cycles");
}

/// How many effects the crash-free version of a cycle carries out.
fn effects(
    spec: &SpecRecord,
    flink: &ScriptedFlink,
    store: &Option<JobState>,
    now: EpochMs,
) -> usize {
    let (mut flink, mut store, mut now) = (flink.clone(), store.clone(), now);
    let before = flink.calls;
    cycle(spec, &mut flink, &mut store, &mut now, 0).expect("a batch step");
    (flink.calls - before) as usize
}

/// The only run the job has had, as committed in its run item.
fn only_run(flink: &ScriptedFlink) -> &crate::runs::Run {
    assert_eq!(flink.run_items.len(), 1, "run items: {:?}", flink.run_items);
    flink.run_items.values().next().expect("one run")
}

#[test]
fn a_run_is_submitted_once_whatever_the_crash_point() {
    let spec = record(serde_json::json!({}));
    let first = effects(&spec, &ScriptedFlink::default(), &None, 1_000);
    assert_eq!(
        first, 4,
        "commit the run, ask the slots, submit it, commit it running"
    );
    for crash in 0..=first {
        let (mut flink, mut store, mut now) = (ScriptedFlink::default(), None, 1_000);
        cycle(&spec, &mut flink, &mut store, &mut now, crash);
        settle(&spec, &mut flink, &mut store, &mut now);
        assert_eq!(
            flink.runs, 1,
            "crash after effect {crash}: one run in Flink"
        );
        let run = only_run(&flink);
        assert_eq!(run.status, RunStatus::Running, "crash after effect {crash}");
        let state = store.as_ref().expect("state");
        assert_eq!(state.lifecycle, Lifecycle::Running);
        assert_eq!(state.flink_job_id.as_ref(), Some(&run.flink_job_id));

        // Flink finishes it; the next cycles record that, once.
        for s in flink.submitted.values_mut() {
            *s = FlinkJobState::Finished;
        }
        settle(&spec, &mut flink, &mut store, &mut now);
        let state = store.as_ref().expect("state");
        assert_eq!(
            state.lifecycle,
            Lifecycle::Finished,
            "crash after effect {crash}"
        );
        assert_eq!(only_run(&flink).status, RunStatus::Finished);
        let b = state.batch.as_ref().expect("runs");
        assert!(b.active.is_empty());
        assert_eq!(b.history.len(), 1);
        assert_eq!(b.runs_started, 1);
        assert!(state.last_error.is_none());
    }
}

/// A started run, settled, in Flink as `flink`.
fn started(spec: &SpecRecord) -> (ScriptedFlink, Option<JobState>, EpochMs) {
    let (mut flink, mut store, mut now) = (ScriptedFlink::default(), None, 1_000);
    settle(spec, &mut flink, &mut store, &mut now);
    assert_eq!(flink.runs, 1);
    (flink, store, now)
}

#[test]
fn a_failed_run_keeps_flinks_cause_without_secret_values_and_its_jar_is_cleaned() {
    let spec = record(serde_json::json!({ "cleanup_on_completion": true }));
    let (mut flink, store, now) = started(&spec);
    for s in flink.submitted.values_mut() {
        *s = FlinkJobState::Failed;
    }
    flink.job_cause = Some("java.lang.IllegalStateException: password s3cr3t refused".into());
    let count = effects(&spec, &flink, &store, now);
    assert_eq!(count, 4, "ask the cause, scrub it, delete the jar, commit");
    for crash in 0..=count {
        let (mut flink, mut store, mut now) = (flink.clone(), store.clone(), now);
        cycle(&spec, &mut flink, &mut store, &mut now, crash);
        settle(&spec, &mut flink, &mut store, &mut now);
        let run = only_run(&flink);
        assert_eq!(run.status, RunStatus::Failed, "crash after effect {crash}");
        let reason = "java.lang.IllegalStateException: password *** refused";
        assert_eq!(run.reason.as_deref(), Some(reason));
        let state = store.as_ref().expect("state");
        assert_eq!(state.lifecycle, Lifecycle::Failed);
        let error = state.last_error.as_ref().expect("the run's error");
        assert_eq!(error.message, reason);
        assert!(flink.jars.is_empty(), "the run's jar is deleted");
        assert_eq!(flink.deleted_jars.len(), 1);
    }
}

#[test]
fn a_run_flink_no_longer_lists_ends_with_its_result_or_as_lost() {
    let spec = record(serde_json::json!({}));
    for (result, status) in [
        (
            Some(ExecutionResult {
                state: FlinkJobState::Finished,
                cause: None,
            }),
            RunStatus::Finished,
        ),
        (None, RunStatus::Lost),
    ] {
        let (mut flink, store, now) = started(&spec);
        let (id, _) = flink.submitted.pop_first().expect("the run's job");
        if let Some(r) = result {
            flink.results.insert(id, r);
        }
        let count = effects(&spec, &flink, &store, now);
        for crash in 0..=count {
            let (mut flink, mut store, mut now) = (flink.clone(), store.clone(), now);
            cycle(&spec, &mut flink, &mut store, &mut now, crash);
            settle(&spec, &mut flink, &mut store, &mut now);
            assert_eq!(
                only_run(&flink).status,
                status,
                "crash after effect {crash}"
            );
            assert_eq!(flink.runs, 1, "never submitted again");
        }
    }
}

#[test]
fn a_run_past_its_ttl_is_cancelled_once() {
    let spec = record(serde_json::json!({ "ttl_seconds": 60 }));
    let (flink, store, now) = started(&spec);
    let now = now + 61_000;
    let count = effects(&spec, &flink, &store, now);
    assert_eq!(count, 2, "cancel, commit");
    for crash in 0..=count {
        let (mut flink, mut store, mut now) = (flink.clone(), store.clone(), now);
        cycle(&spec, &mut flink, &mut store, &mut now, crash);
        settle(&spec, &mut flink, &mut store, &mut now);
        assert_eq!(flink.cancels, 1, "crash after effect {crash}");
        let run = only_run(&flink);
        assert_eq!(
            run.status,
            RunStatus::TimedOut,
            "crash after effect {crash}"
        );
        assert_eq!(
            run.reason.as_deref(),
            Some("ran longer than ttl_seconds (60)")
        );
    }
}

#[test]
fn history_beyond_its_limits_goes_with_its_jars() {
    let spec = record(serde_json::json!({
        "cron": "* * * * *", "successful_runs_history_limit": 1,
    }));
    let (mut flink, mut store, mut now) = (ScriptedFlink::default(), None, 1_000);
    // Three runs, each finished before the next fire time.
    for _ in 0..10 {
        settle(&spec, &mut flink, &mut store, &mut now);
        for s in flink.submitted.values_mut() {
            *s = FlinkJobState::Finished;
        }
        if flink.runs == 3 {
            break;
        }
        now += 61_000;
    }
    settle(&spec, &mut flink, &mut store, &mut now);
    assert_eq!(flink.runs, 3);
    let b = store.as_ref().and_then(|s| s.batch.as_ref()).expect("runs");
    assert_eq!(b.history.len(), 1, "one successful run kept");
    assert_eq!(flink.run_items.len(), 1, "the pruned runs' items deleted");
    assert_eq!(flink.jars.len(), 1, "only the kept run's jar stays");
    assert_eq!(flink.deleted_jars.len(), flink.runs as usize - 1);
}

/// A run whose parallelism the cluster's free slots do not cover stays STARTING
/// with the reason (written once), is not submitted, and starts in the first
/// cycle after the slots are there.
#[test]
fn a_run_waits_for_the_slots_its_parallelism_needs() {
    let mut spec = record(serde_json::json!({}));
    spec.spec.deployment.parallelism = 4;
    let mut flink = ScriptedFlink {
        free_slots: Some(3),
        ..ScriptedFlink::default()
    };
    let (mut store, mut now) = (None, 1_000);
    cycle(&spec, &mut flink, &mut store, &mut now, 0).expect("a batch step");
    assert_eq!(flink.runs, 0, "not submitted");
    let run = only_run(&flink).clone();
    assert_eq!(run.status, RunStatus::Starting);
    assert_eq!(
        run.reason.as_deref(),
        Some("waiting for 4 slots, 3 free on cluster default (64 in all)")
    );
    let version = store.as_ref().map(|s| s.version);
    now += 60_000;
    cycle(&spec, &mut flink, &mut store, &mut now, 0).expect("the run is tried again");
    assert_eq!(flink.runs, 0);
    assert_eq!(
        store.as_ref().map(|s| s.version),
        version.map(|v| v + 1),
        "the step's own commit only: the same reason is not written again"
    );

    flink.free_slots = Some(4);
    now += 60_000;
    settle(&spec, &mut flink, &mut store, &mut now);
    assert_eq!(flink.runs, 1, "started once the slots are there");
    let run = only_run(&flink);
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.reason, None);
}
