//! How an active run ends: its result read from what Flink answered, the run
//! moved into history, and the history kept within its limits.

use fjc_flink::{ExecutionResult, FlinkError, FlinkJobState, JobId};
use fjc_spec::BatchConfig;

use crate::clock::EpochMs;
use crate::runs::{BatchState, Run, RunStatus, RunSummary};

/// A run's end: its status and why (before secrets are scrubbed from it).
pub(super) type Ended = (RunStatus, Option<String>);

/// What a terminal Flink state means for a run; `cause` is Flink's failure
/// cause, when it has one.
pub(super) fn from_flink(id: &JobId, state: &FlinkJobState, cause: Option<String>) -> Ended {
    match state {
        FlinkJobState::Finished => (RunStatus::Finished, None),
        FlinkJobState::Canceled => (
            RunStatus::Canceled,
            Some("cancelled outside the controller".to_string()),
        ),
        _ => (
            RunStatus::Failed,
            cause.or(Some(format!("Flink job {id} failed"))),
        ),
    }
}

/// A vanished run, from Flink's `/execution-result`: its end, `None` while it
/// turns out to be still running, or LOST when Flink no longer knows it.
pub(super) fn from_result(
    id: &JobId,
    result: Result<Option<ExecutionResult>, FlinkError>,
) -> Result<Option<Ended>, FlinkError> {
    match result {
        Ok(Some(r)) => Ok(Some(from_flink(id, &r.state, r.cause))),
        Ok(None) => Ok(None),
        Err(FlinkError::NotFound { .. }) => Ok(Some((
            RunStatus::Lost,
            Some(
                "job vanished from the cluster before its result was seen \
                 (JobManager restart, or expired from its job store)"
                    .to_string(),
            ),
        ))),
        Err(e) => Err(e),
    }
}

/// Whether a cancel left the run over: cancelled now, or already ended or gone.
pub(super) fn cancelled(result: Result<(), FlinkError>) -> Result<(), FlinkError> {
    match result {
        Ok(()) | Err(FlinkError::AlreadyTerminal { .. } | FlinkError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Moves a run into history with its result.
pub(super) fn end_run(
    b: &mut BatchState,
    run: &mut Run,
    status: RunStatus,
    reason: Option<String>,
    now: EpochMs,
) {
    run.status = status;
    run.reason = reason.clone();
    run.ended_at = Some(now);
    b.history.insert(
        0,
        RunSummary {
            run_id: run.run_id.clone(),
            started_at: run.started_at,
            flink_job_id: Some(run.flink_job_id.clone()),
            status,
            ended_at: now,
            reason,
            jar: run.jar.clone(),
        },
    );
}

/// Splits history (newest first) into what the limits keep and what goes.
pub(super) fn split_history(
    history: Vec<RunSummary>,
    cfg: &BatchConfig,
) -> (Vec<RunSummary>, Vec<RunSummary>) {
    let (mut ok, mut bad) = (0usize, 0usize);
    history.into_iter().partition(|r| {
        if r.status == RunStatus::Finished {
            ok += 1;
            ok <= cfg.successful_history()
        } else {
            bad += 1;
            bad <= cfg.failed_history()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: u32, status: RunStatus) -> RunSummary {
        RunSummary {
            run_id: format!("run-{n}"),
            started_at: None,
            flink_job_id: None,
            status,
            ended_at: i64::from(n),
            reason: None,
            jar: None,
        }
    }

    fn ids(v: &[RunSummary]) -> Vec<&str> {
        v.iter().map(|r| r.run_id.as_str()).collect()
    }

    #[test]
    fn history_limits_keep_the_newest_of_each_kind() {
        use RunStatus::*;
        // Newest first.
        let history = vec![
            summary(9, Finished),
            summary(8, Failed),
            summary(7, Finished),
            summary(6, TimedOut),
            summary(5, Finished),
            summary(4, Finished),
            summary(3, Lost),
        ];
        // Defaults: 3 successful, 1 unsuccessful.
        let (kept, gone) = split_history(history.clone(), &BatchConfig::default());
        assert_eq!(ids(&kept), ["run-9", "run-8", "run-7", "run-5"]);
        assert_eq!(ids(&gone), ["run-6", "run-4", "run-3"]);
        let cfg = BatchConfig {
            successful_runs_history_limit: Some(0),
            failed_runs_history_limit: Some(2),
            ..Default::default()
        };
        let (kept, gone) = split_history(history, &cfg);
        assert_eq!(ids(&kept), ["run-8", "run-6"]);
        assert_eq!(gone.len(), 5);
    }
}
