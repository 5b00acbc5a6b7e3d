//! The fleet-level parts of a snapshot: each cluster with its circuit breaker,
//! and the orphans found on them.

use std::collections::BTreeMap;

use fjc_snapshot::{ClusterHealth, ClusterView, Orphan, Slots, one_line};

use super::{Inputs, MAX_ERROR_CHARS, count_u32};
use crate::planner::Observation;
use crate::state::JobState;

pub(super) fn clusters(i: &Inputs<'_>) -> Vec<ClusterView> {
    i.cycle
        .clusters
        .iter()
        .map(|(name, seen)| {
            let o = i.overviews.get(name);
            ClusterView {
                name: name.clone(),
                health: if seen.is_ok() {
                    ClusterHealth::Healthy
                } else {
                    ClusterHealth::Unreachable
                },
                error: seen.as_ref().err().map(|e| one_line(e, MAX_ERROR_CHARS)),
                jobs_seen: seen.as_ref().ok().map(|n| count_u32(*n)),
                slots: o.map(|o| Slots {
                    total: o.slots_total,
                    available: o.slots_available,
                }),
                taskmanagers: o.map(|o| o.taskmanagers),
                flink_version: o.map(|o| o.flink_version.clone()),
                breaker: i.cycle.breakers.get(name).and_then(breaker_view),
            }
        })
        .collect()
}

/// A breaker as the snapshot shows it (`None` for one that is closed with no
/// failures: nothing to say).
pub fn breaker_view(b: &crate::breaker::Breaker) -> Option<fjc_snapshot::Breaker> {
    use crate::breaker::BreakerState as B;
    use fjc_snapshot::BreakerState as V;
    let state = match b.state {
        B::Closed if b.failures == 0 => return None,
        B::Closed => V::Closed,
        B::Open { .. } => V::Open,
        B::HalfOpen => V::HalfOpen,
    };
    Some(fjc_snapshot::Breaker {
        state,
        since: b.since,
        reason: b
            .last_error
            .as_deref()
            .map(|e| one_line(e, MAX_ERROR_CHARS)),
    })
}

/// The orphans (see [`crate::planner::orphans`]) as the snapshot shows them.
pub fn orphans(
    observed: &BTreeMap<String, Observation>,
    states: &BTreeMap<String, JobState>,
) -> Vec<Orphan> {
    let mut out: Vec<Orphan> = crate::planner::orphans::orphans(observed, states)
        .into_iter()
        .map(|(cluster, j)| Orphan {
            cluster: cluster.to_string(),
            flink_job_id: j.id.to_string(),
            name: one_line(&j.name, 200),
            flink_state: j.state.as_str().to_string(),
            started_at: j.start_time_ms,
        })
        .collect();
    out.sort_by(|a, b| (&a.cluster, &a.flink_job_id).cmp(&(&b.cluster, &b.flink_job_id)));
    out
}
