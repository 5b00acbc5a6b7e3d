//! The planner: a pure function from what is wanted (specs), what was recorded
//! (job states), what the clusters show, and the time, to the actions that make the
//! clusters match the specs. No I/O happens here.

use std::collections::{BTreeMap, BTreeSet};

use fjc_flink::{JobId, JobSummary};
use fjc_spec::JobType;

use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::state::{JobState, Lifecycle, Operation};

mod action;
pub mod batch;
pub mod orphans;
mod rescale;
mod stream;

pub use action::{Action, DeployReason};
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
    /// Pending operator commands (`fjc restart|rollback|savepoint`) by job id.
    pub commands: &'a BTreeMap<String, crate::revisions::Commands>,
    /// Cancel orphans this controller submitted (only when every job's state
    /// was read, so nothing in flight is mistaken for one).
    pub cancel_orphans: bool,
    /// This cycle's health probes by job id (see [`crate::signals`]).
    pub probes: &'a BTreeMap<String, crate::signals::Probe>,
    /// Whether the controller probes health at all (a budget above 0): without
    /// it a rollout is gated on running with all tasks only.
    pub probing: bool,
    /// The time.
    pub now: EpochMs,
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
        let extra = stream::StreamInput {
            jobs,
            commands: input.commands.get(id),
            probe: input.probes.get(id),
            probing: input.probing,
            now: input.now,
        };
        let decision = match decide(id, spec, state, input.run_requests, &extra) {
            // Events a cycle could not send go out when nothing else is to do.
            Decision::Nothing | Decision::Wait(_)
                if state.is_some_and(|s| !s.outbox.is_empty()) =>
            {
                Decision::Act(Action::Announce { job_id: id.clone() })
            }
            d => d,
        };
        match decision {
            Decision::Act(action) => out.actions.push(action),
            Decision::Wait(reason) => out.skipped.push(Skipped {
                job_id: id.clone(),
                reason,
            }),
            Decision::Nothing => {}
        }
    }
    if input.cancel_orphans {
        out.actions
            .extend(orphans::cancel_own(input.clusters, input.states));
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
    requests: &BTreeMap<String, EpochMs>,
    extra: &stream::StreamInput<'_>,
) -> Decision {
    let (jobs, now) = (extra.jobs, extra.now);
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
            return Decision::Act(Action::ContinueOperation { job_id });
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
            return Decision::Act(Action::ContinueOperation { job_id });
        }
        return batch::decide(job_id, spec, state, jobs, requests, now);
    }

    let Some(state) = state else {
        if !spec.spec.desired_state.is_running() {
            return Decision::Wait("suspended before its first deployment".into());
        }
        return Decision::Act(Action::Deploy {
            job_id,
            replaces: None,
            reason: DeployReason::New,
        });
    };

    if state.operation.is_some() {
        return Decision::Act(Action::ContinueOperation { job_id });
    }
    let current = live(&state.flink_job_id);
    if let Some(action) = stream::command(id, state, current.clone(), extra) {
        return Decision::Act(action);
    }
    if let Some(decision) = stream::suspension(id, spec, state, current, now) {
        return decision;
    }

    // A version that was rolled back is not deployed again until the spec changes.
    let rejected = state
        .rollback
        .as_ref()
        .is_some_and(|r| r.rejected == spec.fingerprint);
    if state.deployed_fingerprint.as_ref() != Some(&spec.fingerprint) && !rejected {
        // Only the parallelism changed, under the adaptive scheduler: in place.
        if let Some(action) = rescale::in_place(id, spec, state, jobs) {
            return Decision::Act(action);
        }
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
                _ if live(&state.flink_job_id).is_none()
                    && spec.spec.auto_rollback()
                    && state.stable_revision.is_some() =>
                {
                    // The old job is gone (its state is in the upgrade savepoint)
                    // and the new version cannot start: back to the stable one.
                    return Decision::Act(Action::Rollback {
                        job_id,
                        to: None,
                        reason: "the new version could not be started".into(),
                        manual: false,
                    });
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

    // Deployed version matches the spec (or was rolled back from it): observe it.
    let Some(flink_id) = &state.flink_job_id else {
        return Decision::Nothing;
    };
    match jobs.get(flink_id) {
        Some(job) => stream::judge_deployed(id, spec, state, job, extra),
        // The JobManager restarted without HA and forgot the job.
        None if state.lifecycle == Lifecycle::Finished => Decision::Nothing,
        None => stream::recover(id, spec, state, now, false),
    }
}

#[cfg(test)]
mod tests;
