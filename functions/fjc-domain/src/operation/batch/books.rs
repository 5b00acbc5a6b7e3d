//! The schedule's bookkeeping for one step (misses, skips, the fire time
//! handled, a new run), and how the job's state reflects its runs.

use fjc_flink::JobId;

use crate::clock::EpochMs;
use crate::planner::BatchStep;
use crate::record::SpecRecord;
use crate::runs::{BatchState, Run, RunStatus, RunTrigger, RunWrite};
use crate::state::{JobState, LastError, Lifecycle};

/// Applies `step`'s bookkeeping to `b` (runs Flink confirmed started, misses,
/// skips, the fire time handled) and records the run it starts (under
/// `flink_job_id`), adding the run writes. Returns the id of the new run.
pub(super) fn book(
    b: &mut BatchState,
    step: &BatchStep,
    record: &SpecRecord,
    flink_job_id: JobId,
    writes: &mut Vec<RunWrite>,
    now: EpochMs,
) -> Option<String> {
    for (run_id, started_at) in &step.confirm {
        if let Some(run) = b.active.iter_mut().find(|r| &r.run_id == run_id) {
            run.status = RunStatus::Running;
            run.started_at = Some(*started_at);
            writes.push(RunWrite::Put(run.clone()));
        }
    }
    b.missed += step.missed;
    if step.missed > 0 {
        b.last_skip = Some(format!("{} fire time(s) missed", step.missed));
    }
    if let Some(reason) = &step.skipped {
        b.skipped += 1;
        b.last_skip = Some(reason.clone());
    }
    if let Some(h) = step.handled_up_to {
        b.last_scheduled_at = Some(h);
    }
    if step.anchor {
        b.last_scheduled_at = Some(now);
    }
    let start = step.start.as_ref()?;
    let run = Run {
        job_id: record.spec.job_id.clone(),
        run_id: Run::id_for(start.trigger, start.at),
        trigger: start.trigger,
        scheduled_at: start.at,
        created_at: now,
        started_at: None,
        ended_at: None,
        flink_job_id,
        fingerprint: record.fingerprint.clone(),
        status: RunStatus::Starting,
        reason: None,
        jar: None,
    };
    match start.trigger {
        RunTrigger::Manual => {
            b.manual_handled_at = Some(start.at);
            writes.push(RunWrite::ConsumeRequest {
                job_id: record.spec.job_id.clone(),
            });
        }
        RunTrigger::Spec => b.spec_run_fingerprint = Some(record.fingerprint.clone()),
        RunTrigger::Schedule => {}
    }
    b.runs_started += 1;
    let id = run.run_id.clone();
    writes.push(RunWrite::Create(run.clone()));
    b.active.push(run);
    Some(id)
}

/// The job's state as its runs make it: lifecycle, Flink job and state, the
/// last error (the last run's, when it did not finish) and the runs themselves.
pub(super) fn reflect(state: &mut JobState, b: BatchState, suspended: bool, now: EpochMs) {
    state.lifecycle = if !b.active.is_empty() {
        Lifecycle::Running
    } else if suspended {
        Lifecycle::Suspended
    } else {
        match b.last_run().map(|r| r.status) {
            Some(RunStatus::Finished) => Lifecycle::Finished,
            Some(_) => Lifecycle::Failed,
            None => Lifecycle::Scheduled,
        }
    };
    state.flink_job_id = b
        .active
        .last()
        .map(|r| r.flink_job_id.clone())
        .or(state.flink_job_id.take());
    let flink_state = match (b.active.last(), b.last_run()) {
        (Some(r), _) => Some(r.status.as_str().to_string()),
        (None, Some(last)) => Some(last.status.as_str().to_string()),
        (None, None) => None,
    };
    if flink_state != state.flink_state {
        state.set_flink_state(flink_state, now);
    }
    state.last_error = b.last_run().and_then(|r| {
        (r.status != RunStatus::Finished).then(|| {
            LastError::new(
                r.reason.clone().unwrap_or_else(|| r.status.as_str().into()),
                r.ended_at,
                false,
            )
        })
    });
    if let Some(r) = b.active.last() {
        state.deployed_fingerprint = Some(r.fingerprint.clone());
    }
    state.batch = Some(b);
    state.updated_at = now;
}
