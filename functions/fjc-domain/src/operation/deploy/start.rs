//! Starting a deployment: the decisions before its intent is written.
//!
//! In two pure steps around the engine's lookups: [`needs`] says what must be
//! known from outside (is the operator's `--from` path complete, which restore
//! points exist, why the lost job failed), and [`intent`] decides with the
//! answers: record the deployment (with where it starts from), or refuse to
//! start it, never with empty state by surprise.

use fjc_flink::{FlinkJobState, JobId};
use fjc_spec::UpgradeMode;

use crate::clock::EpochMs;
use crate::operation::Backoff;
use crate::record::SpecRecord;
use crate::restore::{Found, none_left};
use crate::revisions::RestartFrom;
use crate::state::{JobState, Lifecycle, Operation as Recorded, Purpose, UpgradeProgress};

/// A deployment about to start.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    /// The job's stored state, if it has one.
    pub stored: Option<&'a JobState>,
    /// What is deployed.
    pub record: &'a SpecRecord,
    /// The running job it replaces.
    pub replaces: Option<JobId>,
    /// Why.
    pub purpose: Purpose,
    /// The operator's pending `fjc restart` (time, where from), for a restart.
    pub restart: Option<(EpochMs, RestartFrom)>,
    /// What the cycle saw under the job's current Flink job id.
    pub observed: Option<FlinkJobState>,
    /// Now.
    pub now: EpochMs,
}

/// What [`intent`] needs to know from outside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Whether this `--from` path holds a complete restore point.
    pub path_complete: Option<String>,
    /// The job's restore points (nothing runs, the spec keeps state).
    pub restore_points: bool,
    /// Flink's failure cause of the lost job.
    pub failure_cause: Option<JobId>,
}

/// The answers to [`Needs`].
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Whether the `--from` path is complete.
    pub path_complete: Option<bool>,
    /// The restore points found.
    pub found: Option<Found>,
    /// The failure cause, when asked (`None` inside: Flink gave none).
    pub failure_cause: Option<Option<String>>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Save this state (the deployment recorded in it), then carry it on.
    Record(JobState),
    /// Save this state (FAILED, with why); the deployment did not start.
    NotStarted {
        /// The state to save.
        state: JobState,
        /// Why.
        message: String,
    },
}

fn chosen(start: &Start<'_>) -> Option<RestartFrom> {
    match start.purpose {
        Purpose::Restart => start
            .restart
            .as_ref()
            .map(|(_, from)| from.clone())
            .filter(|f| *f != RestartFrom::Newest),
        _ => None,
    }
}

/// What must be looked up before [`intent`] can decide.
pub fn needs(start: &Start<'_>) -> Needs {
    let chosen = chosen(start);
    let stored = start.stored;
    let had_job = stored.is_some_and(|s| s.flink_job_id.is_some() || s.last_savepoint.is_some());
    let keeps_state = matches!(
        start.record.spec.upgrade_mode(),
        UpgradeMode::Savepoint | UpgradeMode::LastState
    );
    Needs {
        path_complete: match &chosen {
            Some(RestartFrom::Path(p)) => Some(p.clone()),
            _ => None,
        },
        restore_points: chosen.is_none() && start.replaces.is_none() && keeps_state && had_job,
        failure_cause: match (start.purpose, stored.and_then(|s| s.flink_job_id.clone())) {
            (Purpose::Recover, Some(id)) if start.observed == Some(FlinkJobState::Failed) => {
                Some(id)
            }
            _ => None,
        },
    }
}

/// Decides how the deployment starts. `fresh` are two new Flink job ids: the
/// submission's, and the one a restore point found without its job is recorded
/// under.
pub fn intent(start: &Start<'_>, known: Known, fresh: (JobId, JobId), backoff: Backoff) -> Intent {
    let record = start.record;
    let spec = &record.spec;
    let now = start.now;
    let mut state = start
        .stored
        .cloned()
        .unwrap_or_else(|| JobState::new(&spec.job_id, spec.job_type, &spec.cluster, now));
    state.cluster = spec.cluster.clone();
    state.job_type = spec.job_type;
    if state.attempted_fingerprint.as_ref() != Some(&record.fingerprint) {
        state.failed_attempts = 0;
    }
    state.attempted_fingerprint = Some(record.fingerprint.clone());
    state.lifecycle = match start.purpose {
        Purpose::Recover => Lifecycle::Recovering,
        _ if start.replaces.is_some() => Lifecycle::Upgrading,
        _ => Lifecycle::Deploying,
    };
    let chosen = chosen(start);
    let refuse = |mut state: JobState, message: String, retryable: bool| {
        note_purpose(&mut state, start, &known);
        state.operation = None;
        state.lifecycle = Lifecycle::Failed;
        state.failed_attempts = state.failed_attempts.saturating_add(1);
        state.next_attempt_at = retryable.then(|| now + backoff.after(state.failed_attempts));
        state.set_error(message.clone(), now, retryable);
        Intent::NotStarted { state, message }
    };
    // `fjc restart --from PATH`: the operator chose; it must be complete.
    if let Some(RestartFrom::Path(path)) = &chosen
        && known.path_complete != Some(true)
    {
        let message = format!(
            "fjc restart --from {path}: no complete savepoint or checkpoint there \
             (no _metadata); nothing started"
        );
        return refuse(state, message, false);
    }
    // Nothing runs (failed, lost with the JobManager, suspended, or a new version
    // after a failure): start from the newest restore point, unless the spec
    // wants empty state.
    let found = known.found.as_ref().filter(|_| chosen.is_none());
    if let Some(found) = found {
        match found.chain.first() {
            Some(newest) => {
                let from = state.flink_job_id.clone().unwrap_or(fresh.1.clone());
                state.last_savepoint = Some(newest.record(&from));
            }
            None if found.incomplete => {
                let message = "restore points could not be listed (cluster configuration \
                               or checkpoint storage unavailable); not starting without them"
                    .to_string();
                return refuse(state, message, true);
            }
            None if had_state(&state) => {
                let tried: Vec<String> = state
                    .last_savepoint
                    .iter()
                    .chain(&state.savepoints)
                    .map(|s| s.location.clone())
                    .collect();
                return refuse(state, none_left(&tried), false);
            }
            None => tracing::info!(job = %state.job_id,
                "no checkpoint or savepoint of this job exists; starting it with empty state"),
        }
    }
    note_purpose(&mut state, start, &known);
    let mode = spec.upgrade_mode();
    let upgrade = match (&start.replaces, found) {
        // The operator's choice: cancel what runs, start from that path or empty.
        _ if chosen.is_some() => {
            let restore_from = match &chosen {
                Some(RestartFrom::Path(p)) => Some(p.clone()),
                _ => None,
            };
            if restore_from.is_none() {
                tracing::warn!(job = %state.job_id,
                    "starting with empty state, as fjc restart --empty asked");
            }
            Some(UpgradeProgress::new(UpgradeMode::Stateless, restore_from))
        }
        // A running job is replaced: carry its state over as the mode says.
        (Some(_), _) => Some(UpgradeProgress::new(mode, None)),
        (None, Some(found)) => found
            .chain
            .first()
            .map(|newest| UpgradeProgress::new(mode, Some(newest.location.clone()))),
        (None, None) => None,
    };
    state.operation = Some(Recorded::Deploy {
        fingerprint: record.fingerprint.clone(),
        flink_job_id: fresh.0,
        replaces: start.replaces.clone(),
        started_at: now,
        upgrade,
        purpose: start.purpose,
    });
    Intent::Record(state)
}

/// What the deployment's purpose changes before its intent is written: a new
/// version or a restart starts a new recovery history; a recovery is counted
/// within the spec's window and says why and from where.
fn note_purpose(state: &mut JobState, start: &Start<'_>, known: &Known) {
    let now = start.now;
    let spec = &start.record.spec;
    match start.purpose {
        Purpose::Deploy => {
            state.recoveries.clear();
            state.rollback = None;
        }
        Purpose::Restart => {
            state.recoveries.clear();
            state.rollback = None;
            if let Some((at, _)) = &start.restart {
                state.handled.insert("restart".into(), *at);
            }
        }
        Purpose::Recover => {
            let window = i64::try_from(spec.recovery_window().as_millis()).unwrap_or(i64::MAX);
            state.recoveries.retain(|t| now - t < window);
            state.recoveries.push(now);
            let cause = match (&known.failure_cause, &state.flink_job_id) {
                (Some(Some(cause)), Some(id)) => Some(format!("Flink job {id} failed: {cause}")),
                (Some(None), Some(id)) => Some(format!("Flink job {id} failed")),
                _ => None,
            };
            let n = state.recoveries.len();
            let budget = spec.recovery_attempts();
            let from = match &state.last_savepoint {
                _ if spec.upgrade_mode() == UpgradeMode::Stateless => {
                    "; restarting with empty state (upgrade_mode stateless)".to_string()
                }
                Some(sp) => format!("; restoring from {} {}", sp.kind, sp.location),
                None => {
                    "; no savepoint or checkpoint is known: restarting with empty state".to_string()
                }
            };
            state.set_error(
                format!(
                    "recovery {n} of {budget}: {}{from}",
                    cause.unwrap_or_else(|| "the job was lost by its cluster".into())
                ),
                now,
                true,
            );
        }
        Purpose::Resume | Purpose::Rollback { .. } => {}
    }
}

/// Whether the job is known to have had state: a savepoint or restore point was
/// recorded for it, or a version of it started from one.
fn had_state(state: &JobState) -> bool {
    state.last_savepoint.is_some() || !state.savepoints.is_empty() || state.restored_from.is_some()
}
