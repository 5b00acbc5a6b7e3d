//! Stream jobs whose deployed version matches the spec (or was rolled back from
//! it): operator commands, suspend/resume, readiness and stability, recovery with
//! a budget, automatic rollback, periodic savepoints and checkpoint recording.

use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};

use super::{Action, Decision, DeployReason};
use crate::clock::{EpochMs, millis as ms, rfc3339};
use crate::record::SpecRecord;
use crate::revisions::Commands;
use crate::signals::{self, Gates, Probe};
use crate::state::{JobState, Lifecycle};

/// What the stream planner needs beyond the job itself.
pub(crate) struct StreamInput<'a> {
    pub jobs: &'a BTreeMap<JobId, JobSummary>,
    pub commands: Option<&'a Commands>,
    /// This cycle's health probe of the job, if it had one.
    pub probe: Option<&'a Probe>,
    /// Whether health is probed at all.
    pub probing: bool,
    pub now: EpochMs,
}

/// The request time of a command of `kind`, if not handled yet.
pub(crate) fn pending(state: &JobState, kind: &str, at: Option<EpochMs>) -> Option<EpochMs> {
    at.filter(|a| state.handled.get(kind).is_none_or(|h| a > h))
}

/// Operator commands (`fjc restart|rollback|savepoint`), in that order.
pub(crate) fn command(
    job_id: &str,
    state: &JobState,
    live: Option<JobId>,
    input: &StreamInput<'_>,
) -> Option<Action> {
    let c = input.commands?;
    let job_id = job_id.to_string();
    if pending(state, "restart", c.restart.as_ref().map(|(at, _)| *at)).is_some() {
        return Some(Action::Deploy {
            job_id,
            replaces: live,
            reason: DeployReason::Restart,
        });
    }
    if let Some((_, to)) = c
        .rollback
        .filter(|(at, _)| pending(state, "rollback", Some(*at)).is_some())
    {
        return Some(Action::Rollback {
            job_id,
            to,
            reason: "requested by fjc rollback".into(),
            manual: true,
        });
    }
    if pending(state, "savepoint", c.savepoint).is_some() {
        return Some(Action::Savepoint {
            job_id,
            manual: true,
        });
    }
    None
}

/// `desired_state: suspended`, or a suspended job that should run again.
pub(crate) fn suspension(
    job_id: &str,
    spec: &SpecRecord,
    state: &JobState,
    live: Option<JobId>,
    now: EpochMs,
) -> Option<Decision> {
    let job_id = job_id.to_string();
    if !spec.spec.desired_state.is_running() {
        if state.lifecycle == Lifecycle::Suspended {
            return Some(Decision::Nothing);
        }
        let Some(flink_job_id) = live else {
            // Nothing runs: suspended as it is, keeping the newest savepoint.
            return Some(Decision::Act(Action::Record {
                job_id,
                lifecycle: Lifecycle::Suspended,
                flink_state: state.flink_state.clone().unwrap_or_else(|| "NONE".into()),
                fetch_cause: false,
                note: None,
                running: false,
                restarted_by_flink_at: None,
                flink_started_at: None,
                health: None,
            }));
        };
        if let Some(at) = state.next_attempt_at.filter(|at| *at > now) {
            return Some(Decision::Wait(format!(
                "suspend failed; retrying at {}",
                rfc3339(at)
            )));
        }
        return Some(Decision::Act(Action::Suspend {
            job_id,
            flink_job_id,
        }));
    }
    (state.lifecycle == Lifecycle::Suspended).then_some(Decision::Act(Action::Deploy {
        job_id,
        replaces: None,
        reason: DeployReason::Resume,
    }))
}

/// Whether a failing deployed version can be rolled back by itself: it never
/// became stable, and an earlier revision did.
pub(crate) fn can_roll_back(spec: &SpecRecord, state: &JobState) -> bool {
    spec.spec.auto_rollback()
        && state.stable_revision.is_some_and(|s| s != state.revision)
        && !matches!(
            state.lifecycle,
            Lifecycle::RollingBack | Lifecycle::RolledBack | Lifecycle::Stable
        )
}

/// After a failed attempt at `what`: `None` when it may be tried again now, else
/// what to do instead: wait for its backoff time when its error was retryable,
/// nothing when it was not.
fn not_yet(state: &JobState, now: EpochMs, what: &str) -> Option<Decision> {
    let retryable = state.last_error.as_ref().is_some_and(|e| e.retryable);
    match state.next_attempt_at {
        Some(at) if retryable && at > now => {
            Some(Decision::Wait(format!("{what} retried at {}", rfc3339(at))))
        }
        Some(_) if retryable => None,
        _ => Some(Decision::Nothing),
    }
}

/// An automatic rollback of a failing new version, unless one was tried and
/// failed: then it is tried again at its backoff time when its error was
/// retryable, and otherwise not at all (FAILED, with the rollback's error, until
/// the spec changes or an operator acts). Without this, a rollback that cannot
/// start (its revision's artifact gone, say) would be tried every cycle.
fn roll_back(job_id: String, state: &JobState, now: EpochMs, reason: &str) -> Decision {
    let tried = state.lifecycle == Lifecycle::Failed && state.rollback.is_some();
    if tried && let Some(instead) = not_yet(state, now, "rollback") {
        return instead;
    }
    Decision::Act(Action::Rollback {
        job_id,
        to: None,
        reason: reason.to_string(),
        manual: false,
    })
}

/// The deployed job failed or vanished: recover it within the budget, with
/// backoff; past the budget, FAILED until the spec changes or `fjc restart`.
pub(crate) fn recover(
    job_id: &str,
    spec: &SpecRecord,
    state: &JobState,
    now: EpochMs,
    flink_failed: bool,
) -> Decision {
    let job_id = job_id.to_string();
    if state.lifecycle == Lifecycle::Failed
        && let Some(instead) = not_yet(state, now, "recovery")
    {
        return instead;
    }
    let s = &spec.spec;
    let window = ms(s.recovery_window());
    let recent: Vec<EpochMs> = state
        .recoveries
        .iter()
        .copied()
        .filter(|t| now - t < window)
        .collect();
    let budget = s.recovery_attempts();
    if recent.len() >= budget as usize {
        return Decision::Act(Action::Record {
            job_id,
            lifecycle: Lifecycle::Failed,
            flink_state: if flink_failed { "FAILED" } else { "MISSING" }.into(),
            fetch_cause: flink_failed,
            note: Some(format!(
                "recovery budget exhausted ({budget} within {}s); the job stays down until \
                 the spec changes or `fjc restart`",
                window / 1000
            )),
            running: false,
            restarted_by_flink_at: None,
            flink_started_at: None,
            health: None,
        });
    }
    if let Some(last) = recent.iter().max() {
        let n = u32::try_from(recent.len()).unwrap_or(u32::MAX);
        let due = last + ms(s.recovery_backoff(n));
        if now < due {
            return Decision::Wait(format!("recovering at {} (backoff)", rfc3339(due)));
        }
    }
    Decision::Act(Action::Deploy {
        job_id,
        replaces: None,
        reason: DeployReason::Recover,
    })
}

/// The deployed job is in the cluster: what its Flink state means for the
/// lifecycle (record a change, recover, roll back, savepoint, or nothing).
pub(crate) fn judge_deployed(
    job_id: &str,
    spec: &SpecRecord,
    state: &JobState,
    job: &JobSummary,
    input: &StreamInput<'_>,
) -> Decision {
    let now = input.now;
    let id = job_id.to_string();
    let all_running = job.runs_all_tasks();
    let restarted_by_flink_at = restarted_by_flink(state, job);
    // What this cycle's probe changed in the kept signals, judged with them.
    let health = input.probe.and_then(|p| signals::fold(spec, state, p));
    let mut judged = std::borrow::Cow::Borrowed(state);
    if let Some(h) = &health {
        judged.to_mut().health = Some(h.clone());
    }
    let record = |lifecycle: Lifecycle, fetch_cause: bool, note: Option<String>| {
        Decision::Act(Action::Record {
            job_id: id.clone(),
            lifecycle,
            flink_state: job.state.as_str().to_string(),
            fetch_cause,
            note,
            running: all_running,
            restarted_by_flink_at,
            flink_started_at: Some(job.start_time_ms),
            health: health.clone().map(Box::new),
        })
    };
    match &job.state {
        FlinkJobState::Finished => {
            return if state.lifecycle == Lifecycle::Finished {
                Decision::Nothing
            } else {
                record(Lifecycle::Finished, false, None)
            };
        }
        FlinkJobState::Failed => {
            if can_roll_back(spec, state) {
                return roll_back(
                    id,
                    state,
                    now,
                    "the new version failed before it was stable",
                );
            }
            return recover(job_id, spec, state, now, true);
        }
        FlinkJobState::Canceled => {
            return if state.lifecycle == Lifecycle::Failed {
                Decision::Nothing
            } else {
                record(
                    Lifecycle::Failed,
                    false,
                    Some("job was cancelled outside the controller".to_string()),
                )
            };
        }
        _ => {}
    }
    let lifecycle = if all_running {
        match state.lifecycle {
            Lifecycle::RolledBack | Lifecycle::RollingBack => Lifecycle::RolledBack,
            Lifecycle::Stable => Lifecycle::Stable,
            _ => match signals::gates(spec, &judged, input.probing, now) {
                Gates::Held { since } if now - since >= ms(spec.spec.stable_after()) => {
                    Lifecycle::Stable
                }
                Gates::Waiting(why)
                    if input.probe.is_some() && past_readiness(spec, state, now) =>
                {
                    // Judged on this cycle's probe, never on an old reading.
                    let why = format!(
                        "not promoted within readiness_timeout ({}s): {why}",
                        ms(spec.spec.readiness_timeout()) / 1000
                    );
                    if can_roll_back(spec, state) {
                        return roll_back(id, state, now, &why);
                    }
                    Lifecycle::Running
                }
                _ => Lifecycle::Running,
            },
        }
    } else {
        let waiting = matches!(
            state.lifecycle,
            Lifecycle::Deploying | Lifecycle::Recovering | Lifecycle::RollingBack
        );
        if waiting && past_readiness(spec, state, now) {
            let why = format!(
                "not RUNNING with all tasks within readiness_timeout ({}s; Flink {}, {}/{} tasks)",
                ms(spec.spec.readiness_timeout()) / 1000,
                job.state.as_str(),
                job.tasks_running,
                job.tasks_total
            );
            if can_roll_back(spec, state) {
                return roll_back(id, state, now, &why);
            }
            return record(Lifecycle::Failed, false, Some(why));
        }
        match state.lifecycle {
            Lifecycle::Running | Lifecycle::Stable => Lifecycle::Running,
            other => other,
        }
    };
    let flink_state = job.state.as_str();
    if lifecycle != state.lifecycle
        || state.flink_state.as_deref() != Some(flink_state)
        || state.running_since.is_some() != all_running
        || restarted_by_flink_at.is_some()
        || health.is_some()
    {
        return record(lifecycle, false, None);
    }
    if all_running && let Some(action) = due_savepoint(job_id, spec, state, now) {
        return Decision::Act(action);
    }
    Decision::Nothing
}

/// Whether the deployed version was submitted longer ago than its
/// `readiness_timeout`.
fn past_readiness(spec: &SpecRecord, state: &JobState, now: EpochMs) -> bool {
    let timeout = ms(spec.spec.readiness_timeout());
    state.deployed_at.is_some_and(|t| now - t > timeout)
}

/// How much later than its submission a job's Flink start time must be to count as
/// a start by Flink itself (clocks of the controller and the JobManager differ a
/// little, and a submission takes a few seconds).
pub const FLINK_RESTART_MARGIN_MS: EpochMs = 60_000;

/// When Flink started the deployed job again by itself: the same job id with a
/// later start time than the one recorded (for a record from before that was kept:
/// a start time well after the submission and every recorded recovery). Under high
/// availability a new JobManager recovers the jobs of the one that died under the
/// same ids (Flink's REST answers 503 meanwhile, which the cycle treats as an
/// unreachable cluster); the controller adopts such a job and records the
/// recovery, submitting and cancelling nothing.
fn restarted_by_flink(state: &JobState, job: &JobSummary) -> Option<EpochMs> {
    let started = job.start_time_ms;
    let after = match state.flink_started_at {
        Some(t) => t,
        None => {
            let deployed = state.deployed_at?;
            let newest = state.recoveries.iter().copied().max().unwrap_or(deployed);
            deployed.max(newest) + FLINK_RESTART_MARGIN_MS
        }
    };
    (started > after).then_some(started)
}

/// A periodic savepoint, when `stream_config.savepoint_trigger_interval` passed
/// since the newest one (or since the version started running).
fn due_savepoint(
    job_id: &str,
    spec: &SpecRecord,
    state: &JobState,
    now: EpochMs,
) -> Option<Action> {
    let every = ms(spec.spec.savepoint_interval()?);
    if state.next_attempt_at.is_some_and(|at| at > now) {
        return None;
    }
    let newest = state.savepoints.iter().map(|s| s.at).max();
    let since = newest.max(state.running_since)?;
    (now - since >= every).then(|| Action::Savepoint {
        job_id: job_id.to_string(),
        manual: false,
    })
}
