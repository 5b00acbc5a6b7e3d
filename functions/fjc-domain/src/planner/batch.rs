//! The batch part of the planner: runs ending, runs due (cron, `fjc run`, or a new
//! spec fingerprint), and the concurrency policy between them. One
//! [`BatchStep`] per job and cycle, so nothing races on the job's state.

use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::{BatchConfig, ConcurrencyPolicy};

use super::{Action, Decision};
use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::runs::{BatchState, RunStatus, RunTrigger};
use crate::schedule::{Schedule, due};
use crate::state::JobState;

/// How an active run ends this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Flink shows it terminal.
    Observed(FlinkJobState),
    /// Flink no longer lists it: ask `/execution-result`, else LOST.
    Vanished,
    /// Cancel it and record `status` with `reason`.
    Cancel {
        /// TIMED_OUT or CANCELED.
        status: RunStatus,
        /// Why.
        reason: String,
    },
}

/// A run to start now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRun {
    /// What started it.
    pub trigger: RunTrigger,
    /// The fire time or request time.
    pub at: EpochMs,
}

/// Everything to do for one batch job this cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchStep {
    /// Active runs that end, by run id.
    pub end: Vec<(String, RunEnd)>,
    /// Active runs whose submission is unconfirmed and that Flink does not list:
    /// submit again under the same job id.
    pub resubmit: Vec<String>,
    /// Active runs recorded STARTING that Flink lists: their submission went
    /// through before the controller could record it. They are RUNNING since
    /// Flink's start time (epoch ms), from which their TTL counts.
    pub confirm: Vec<(String, EpochMs)>,
    /// A run to start.
    pub start: Option<StartRun>,
    /// The schedule moves past this fire time.
    pub handled_up_to: Option<EpochMs>,
    /// Fire times passed over without a run.
    pub missed: u32,
    /// A due fire time skipped because a run is active, and why.
    pub skipped: Option<String>,
    /// First sight of a cron schedule: it starts from now.
    pub anchor: bool,
}

impl BatchStep {
    fn is_empty(&self) -> bool {
        *self == BatchStep::default()
    }
}

/// When the schedule next fires, or why it will not (for status).
pub fn next_fire(
    cfg: &BatchConfig,
    b: &BatchState,
    now: EpochMs,
) -> Result<Option<EpochMs>, String> {
    let Some(expr) = &cfg.cron else {
        return Ok(None);
    };
    if cfg.suspend {
        return Err("suspended".into());
    }
    if let Some(max) = cfg.max_runs
        && i64::from(b.runs_started) >= max
    {
        return Err(format!("max_runs ({max}) reached; schedule stopped"));
    }
    let s = Schedule::parse(expr, cfg.timezone.as_deref())?;
    Ok(s.next_after(b.last_scheduled_at.unwrap_or(now).max(now)))
}

pub(super) fn decide(
    job_id: String,
    spec: &SpecRecord,
    state: Option<&JobState>,
    jobs: &BTreeMap<JobId, JobSummary>,
    requests: &BTreeMap<String, EpochMs>,
    now: EpochMs,
) -> Decision {
    let cfg = spec.spec.batch_config.clone().unwrap_or_default();
    let b = state.and_then(|s| s.batch.clone()).unwrap_or_default();
    let mut step = BatchStep::default();

    for run in &b.active {
        let ttl_over = cfg
            .ttl_seconds
            .zip(run.started_at)
            .is_some_and(|(ttl, started)| now - started >= ttl.saturating_mul(1000));
        match jobs.get(&run.flink_job_id) {
            // A run past its TTL that Flink shows cancelled was cancelled for
            // it (the controller's cancel went through before its end was
            // recorded): it ends TIMED_OUT, as the cancel meant.
            Some(j)
                if j.state.is_globally_terminal()
                    && !(ttl_over && j.state == FlinkJobState::Canceled) =>
            {
                step.end
                    .push((run.run_id.clone(), RunEnd::Observed(j.state.clone())));
            }
            Some(_) if ttl_over => step.end.push((
                run.run_id.clone(),
                RunEnd::Cancel {
                    status: RunStatus::TimedOut,
                    reason: format!(
                        "ran longer than ttl_seconds ({})",
                        cfg.ttl_seconds.unwrap_or_default()
                    ),
                },
            )),
            Some(j) if run.status == RunStatus::Starting => {
                step.confirm.push((run.run_id.clone(), j.start_time_ms));
            }
            Some(_) => {}
            None if run.status == RunStatus::Starting => step.resubmit.push(run.run_id.clone()),
            None => step.end.push((run.run_id.clone(), RunEnd::Vanished)),
        }
    }
    let still_active: Vec<String> = b
        .active
        .iter()
        .map(|r| r.run_id.clone())
        .filter(|id| !step.end.iter().any(|(e, _)| e == id))
        .collect();

    let stopped = cfg
        .max_runs
        .is_some_and(|max| i64::from(b.runs_started) >= max);
    let mut timed = false;
    let mut want = None;
    if let Some(&at) = requests.get(&job_id)
        && b.manual_handled_at.is_none_or(|h| at > h)
    {
        want = Some(StartRun {
            trigger: RunTrigger::Manual,
            at,
        });
    } else if let Some(expr) = &cfg.cron {
        match b.last_scheduled_at {
            None => step.anchor = true,
            Some(last) if !cfg.suspend && !stopped => {
                if let Ok(schedule) = Schedule::parse(expr, cfg.timezone.as_deref()) {
                    let deadline = cfg
                        .starting_deadline_seconds
                        .map(|s| s.saturating_mul(1000));
                    let d = due(&schedule, last, now, deadline);
                    step.handled_up_to = d.handled_up_to;
                    step.missed = d.missed;
                    if let Some(at) = d.fire_at {
                        timed = true;
                        want = Some(StartRun {
                            trigger: RunTrigger::Schedule,
                            at,
                        });
                    }
                }
            }
            Some(_) => {}
        }
    } else if !stopped && b.spec_run_fingerprint.as_ref() != Some(&spec.fingerprint) {
        want = Some(StartRun {
            trigger: RunTrigger::Spec,
            at: now,
        });
    }

    if let Some(start) = want {
        if still_active.is_empty() {
            step.start = Some(start);
        } else {
            match cfg.policy() {
                ConcurrencyPolicy::Allow => step.start = Some(start),
                ConcurrencyPolicy::Replace => {
                    for id in still_active {
                        step.end.push((
                            id,
                            RunEnd::Cancel {
                                status: RunStatus::Canceled,
                                reason: "replaced by a newer run (concurrency_policy replace)"
                                    .into(),
                            },
                        ));
                    }
                    step.start = Some(start);
                }
                ConcurrencyPolicy::Forbid if timed => {
                    step.skipped = Some(format!(
                        "fire time {} skipped: a run is still active (concurrency_policy forbid)",
                        crate::clock::rfc3339(start.at)
                    ));
                }
                ConcurrencyPolicy::Forbid => {
                    if step.is_empty() {
                        return Decision::Wait(
                            "run waits for the active run to end (concurrency_policy forbid)"
                                .into(),
                        );
                    }
                }
            }
        }
    }

    if step.is_empty() {
        Decision::Nothing
    } else {
        Decision::Act(Action::Batch { job_id, step })
    }
}

#[cfg(test)]
mod tests;
