//! Orphans: non-terminal Flink jobs on a reachable cluster that no job state
//! accounts for (deployed version, an operation's submission or cancellation
//! target, or an active batch run). They are listed; with
//! `reconcile.orphan_policy: cancel-own` the ones this controller submitted
//! (`pipeline.name` starting `fjc:`) are cancelled.

use std::collections::{BTreeMap, BTreeSet};

use fjc_flink::JobSummary;
use fjc_spec::flink_conf::PIPELINE_NAME_PREFIX;

use super::{Action, Observation};
use crate::state::JobState;

/// Every orphan by cluster name.
pub fn orphans<'a>(
    observed: &'a BTreeMap<String, Observation>,
    states: &BTreeMap<String, JobState>,
) -> Vec<(&'a str, &'a JobSummary)> {
    let known: BTreeSet<&str> = states
        .values()
        .flat_map(|s| {
            let op_ids: Vec<&str> = s
                .operation
                .iter()
                .flat_map(|o| o.flink_jobs())
                .map(|j| j.as_str())
                .collect();
            let runs = s
                .batch
                .iter()
                .flat_map(|b| b.active.iter().map(|r| r.flink_job_id.as_str()));
            s.flink_job_id
                .iter()
                .map(|j| j.as_str())
                .chain(op_ids)
                .chain(runs)
                .collect::<Vec<_>>()
        })
        .collect();
    observed
        .iter()
        .filter_map(|(cluster, o)| match o {
            Observation::Reachable(jobs) => Some((cluster.as_str(), jobs)),
            Observation::Unreachable(_) => None,
        })
        .flat_map(|(cluster, jobs)| {
            jobs.values()
                .filter(|j| !j.state.is_globally_terminal() && !known.contains(j.id.as_str()))
                .map(move |j| (cluster, j))
        })
        .collect()
}

/// Cancel actions for the orphans this controller submitted itself.
pub fn cancel_own(
    observed: &BTreeMap<String, Observation>,
    states: &BTreeMap<String, JobState>,
) -> Vec<Action> {
    orphans(observed, states)
        .into_iter()
        .filter(|(_, j)| j.name.starts_with(PIPELINE_NAME_PREFIX))
        .map(|(cluster, j)| Action::CancelOrphan {
            job_id: j.name.clone(),
            cluster: cluster.to_string(),
            flink_job_id: j.id.clone(),
        })
        .collect()
}
