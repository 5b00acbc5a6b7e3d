//! The planner: a pure function from what is wanted (specs), what was recorded
//! (job states), what the clusters show, and the time, to the actions that make the
//! clusters match the specs. No I/O happens here.

use std::collections::{BTreeMap, BTreeSet};

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::JobType;

use crate::clock::EpochMs;
use crate::state::{JobState, Lifecycle, Operation};
use crate::store::SpecRecord;

#[path = "planner_batch.rs"]
pub mod batch;

pub use batch::{BatchStep, RunEnd, StartRun};

/// What one cluster looked like this cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// `/jobs/overview` answered: every job the cluster knows, by id.
    Reachable(BTreeMap<JobId, JobSummary>),
    /// It did not; the reason.
    Unreachable(String),
}

impl Observation {
    /// Builds a reachable observation from a job list.
    pub fn from_jobs(jobs: Vec<JobSummary>) -> Observation {
        Observation::Reachable(jobs.into_iter().map(|j| (j.id.clone(), j)).collect())
    }
}

/// Everything the planner looks at.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// Specs by job id.
    pub specs: &'a BTreeMap<String, SpecRecord>,
    /// Stored states by job id.
    pub states: &'a BTreeMap<String, JobState>,
    /// Observations by cluster name.
    pub clusters: &'a BTreeMap<String, Observation>,
    /// Pending `fjc run` requests by job id.
    pub run_requests: &'a BTreeMap<String, EpochMs>,
    /// Specs held back by policy, with the reason: nothing is done for them (their
    /// running job, if any, is left alone).
    pub held: &'a BTreeMap<String, String>,
    /// The time.
    pub now: EpochMs,
}

/// Why a deployment is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployReason {
    /// The job was never deployed.
    New,
    /// The spec (or its artifact) changed.
    Changed,
    /// A retryable failure is due for another try.
    Retry,
    /// The job vanished from its cluster and is started again.
    Lost,
}

/// One thing to do for one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start a deploy operation of the current spec, replacing `replaces` (cancelled first).
    Deploy {
        /// Spec job id.
        job_id: String,
        /// The running Flink job to replace.
        replaces: Option<JobId>,
        /// Why.
        reason: DeployReason,
    },
    /// Carry on with the operation recorded in the job's state.
    ResumeOperation {
        /// Spec job id.
        job_id: String,
    },
    /// The spec was deleted: start a delete operation (cancel, then forget).
    Delete {
        /// Spec job id.
        job_id: String,
        /// The Flink jobs to cancel.
        flink_job_ids: Vec<JobId>,
    },
    /// A batch job's runs: end, start, skip (see [`BatchStep`]).
    Batch {
        /// Spec job id.
        job_id: String,
        /// What to do.
        step: BatchStep,
    },
    /// The spec changed only in fields that need no restart: record its
    /// fingerprint as deployed.
    Adopt {
        /// Spec job id.
        job_id: String,
    },
    /// Record what Flink shows for a deployed job.
    Record {
        /// Spec job id.
        job_id: String,
        /// New lifecycle.
        lifecycle: Lifecycle,
        /// Flink's state.
        flink_state: String,
        /// Look up Flink's failure cause and record it as the last error.
        fetch_cause: bool,
        /// A message to record as the last error instead (when Flink has none).
        note: Option<String>,
    },
}

impl Action {
    /// The spec job id the action is for.
    pub fn job_id(&self) -> &str {
        match self {
            Action::Deploy { job_id, .. }
            | Action::ResumeOperation { job_id }
            | Action::Delete { job_id, .. }
            | Action::Batch { job_id, .. }
            | Action::Adopt { job_id }
            | Action::Record { job_id, .. } => job_id,
        }
    }

    /// Whether the action calls Flink with a write (submit, cancel).
    pub fn writes_to_flink(&self) -> bool {
        !matches!(self, Action::Record { .. } | Action::Adopt { .. })
    }

    /// Short name for logs and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::ResumeOperation { .. } => "resume",
            Action::Delete { .. } => "delete",
            Action::Batch { .. } => "batch",
            Action::Adopt { .. } => "adopt",
            Action::Record { .. } => "record",
        }
    }
}

/// A job the planner could not decide for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Spec job id.
    pub job_id: String,
    /// Why.
    pub reason: String,
}

/// The planner's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Actions, in job id order.
    pub actions: Vec<Action>,
    /// Jobs left alone this cycle and why.
    pub skipped: Vec<Skipped>,
}

/// Decides what to do. Pure: same input, same plan.
pub fn plan(input: PlanInput<'_>) -> Plan {
    let ids: BTreeSet<&String> = input.specs.keys().chain(input.states.keys()).collect();
    let mut out = Plan::default();
    for id in ids {
        let spec = input.specs.get(id);
        let state = input.states.get(id);
        if spec.is_some()
            && let Some(why) = input.held.get(id)
        {
            out.skipped.push(Skipped {
                job_id: id.clone(),
                reason: format!("held by policy: {why}"),
            });
            continue;
        }
        let cluster = state
            .map(|s| s.cluster.as_str())
            .or(spec.map(|s| s.spec.cluster.as_str()))
            .unwrap_or(fjc_spec::DEFAULT_CLUSTER);
        let jobs = match input.clusters.get(cluster) {
            Some(Observation::Reachable(jobs)) => jobs,
            Some(Observation::Unreachable(why)) => {
                out.skipped.push(Skipped {
                    job_id: id.clone(),
                    reason: format!("cluster {cluster} unreachable: {why}"),
                });
                continue;
            }
            None => {
                out.skipped.push(Skipped {
                    job_id: id.clone(),
                    reason: format!("cluster {cluster} is not configured"),
                });
                continue;
            }
        };
        match decide(id, spec, state, jobs, input.run_requests, input.now) {
            Decision::Act(action) => out.actions.push(action),
            Decision::Wait(reason) => out.skipped.push(Skipped {
                job_id: id.clone(),
                reason,
            }),
            Decision::Nothing => {}
        }
    }
    out
}

pub(crate) enum Decision {
    Act(Action),
    Wait(String),
    Nothing,
}

fn decide(
    id: &str,
    spec: Option<&SpecRecord>,
    state: Option<&JobState>,
    jobs: &BTreeMap<JobId, JobSummary>,
    requests: &BTreeMap<String, EpochMs>,
    now: EpochMs,
) -> Decision {
    let job_id = id.to_string();
    let live = |jid: &Option<JobId>| -> Option<JobId> {
        jid.as_ref()
            .filter(|j| {
                jobs.get(*j)
                    .is_some_and(|s| !s.state.is_globally_terminal())
            })
            .cloned()
    };

    let Some(spec) = spec else {
        // Spec deleted (state must exist, or the id would not be here).
        let Some(state) = state else {
            return Decision::Nothing;
        };
        if matches!(state.operation, Some(Operation::Delete { .. })) {
            return Decision::Act(Action::ResumeOperation { job_id });
        }
        let mut targets: Vec<JobId> = match &state.operation {
            Some(Operation::Deploy { flink_job_id, .. }) => live(&Some(flink_job_id.clone()))
                .or_else(|| live(&state.flink_job_id))
                .or(Some(flink_job_id.clone()))
                .into_iter()
                .collect(),
            _ => state.flink_job_id.clone().into_iter().collect(),
        };
        if let Some(b) = &state.batch {
            targets.extend(b.active.iter().map(|r| r.flink_job_id.clone()));
        }
        targets.sort();
        targets.dedup();
        return Decision::Act(Action::Delete {
            job_id,
            flink_job_ids: targets,
        });
    };

    if spec.spec.job_type == JobType::Batch {
        if state.is_some_and(|s| s.operation.is_some()) {
            return Decision::Act(Action::ResumeOperation { job_id });
        }
        return batch::decide(job_id, spec, state, jobs, requests, now);
    }

    let Some(state) = state else {
        return Decision::Act(Action::Deploy {
            job_id,
            replaces: None,
            reason: DeployReason::New,
        });
    };

    if state.operation.is_some() {
        return Decision::Act(Action::ResumeOperation { job_id });
    }

    if state.deployed_fingerprint.as_ref() != Some(&spec.fingerprint) {
        // Only "ignore"-class fields changed (monitoring, upgrade settings): adopt
        // the new fingerprint without touching the running job.
        if state.deployed_fingerprint.is_some()
            && live(&state.flink_job_id).is_some()
            && state.deployed_classes.as_ref()
                == Some(&fjc_spec::class_fingerprints(
                    &spec.spec,
                    &spec.artifact_digest,
                ))
        {
            return Decision::Act(Action::Adopt { job_id });
        }
        let attempted_this = state.attempted_fingerprint.as_ref() == Some(&spec.fingerprint);
        // An abandoned upgrade (savepoint failed) leaves the old job running with a
        // retry time: wait for it like for a failed deployment.
        let abandoned = state.next_attempt_at.is_some() && state.lifecycle != Lifecycle::Failed;
        if attempted_this && (state.lifecycle == Lifecycle::Failed || abandoned) {
            let retryable = state.last_error.as_ref().is_some_and(|e| e.retryable);
            match state.next_attempt_at {
                Some(at) if retryable && at <= now => {}
                Some(at) if retryable => {
                    return Decision::Wait(format!(
                        "retrying failed deployment at {}",
                        crate::clock::rfc3339(at)
                    ));
                }
                _ => {
                    return Decision::Wait(
                        "deployment of this spec failed; waiting for a spec change".into(),
                    );
                }
            }
            return Decision::Act(Action::Deploy {
                job_id,
                replaces: live(&state.flink_job_id),
                reason: DeployReason::Retry,
            });
        }
        return Decision::Act(Action::Deploy {
            job_id,
            replaces: live(&state.flink_job_id),
            reason: if state.deployed_fingerprint.is_none() {
                DeployReason::New
            } else {
                DeployReason::Changed
            },
        });
    }

    // Deployed version matches the spec: observe it.
    let Some(flink_id) = &state.flink_job_id else {
        return Decision::Nothing;
    };
    match jobs.get(flink_id) {
        Some(job) => observe(job_id, state, job),
        None => missing(job_id, state),
    }
}

/// The deployed job is in the cluster: record any change of its state.
fn observe(job_id: String, state: &JobState, job: &JobSummary) -> Decision {
    let (lifecycle, fetch_cause, note) = match &job.state {
        FlinkJobState::Finished => (Lifecycle::Finished, false, None),
        FlinkJobState::Failed => (Lifecycle::Failed, true, None),
        FlinkJobState::Canceled => (
            Lifecycle::Failed,
            false,
            Some("job was cancelled outside the controller".to_string()),
        ),
        FlinkJobState::Running if job.tasks_running < job.tasks_total => {
            (Lifecycle::Deploying, false, None)
        }
        FlinkJobState::Running => (Lifecycle::Running, false, None),
        // Transitional states (INITIALIZING, CREATED, RESTARTING, FAILING, ...):
        // keep the lifecycle, record Flink's state.
        _ => (state.lifecycle, false, None),
    };
    let flink_state = job.state.as_str().to_string();
    if lifecycle == state.lifecycle && state.flink_state.as_deref() == Some(&flink_state) {
        return Decision::Nothing;
    }
    Decision::Act(Action::Record {
        job_id,
        lifecycle,
        flink_state,
        fetch_cause,
        note,
    })
}

/// A deployed streaming job is not in the cluster (the JobManager restarted
/// without HA and forgot it): submit it again.
fn missing(job_id: String, state: &JobState) -> Decision {
    match state.lifecycle {
        // A result already recorded: Flink forgetting the job later changes nothing.
        Lifecycle::Finished | Lifecycle::Failed => Decision::Nothing,
        _ => Decision::Act(Action::Deploy {
            job_id,
            replaces: None,
            reason: DeployReason::Lost,
        }),
    }
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
