//! The cycle's health probes: within `reconcile.health_probe_budget` Flink
//! calls, the running stream jobs [`signals::select`] picks are asked for their
//! restarts (`/jobs/:id/metrics`), when they checkpoint their checkpoints
//! (`/jobs/:id/checkpoints`: current, where the metrics are as old as Flink's
//! previous metrics request) and, when they watch it, their backpressure
//! (`/jobs/:id`). What the answers mean is the planner's
//! ([`signals::fold`], [`signals::gates`]); a failed probe is only logged (the
//! job keeps its kept signals and is probed again in its turn).

use std::collections::BTreeMap;

use fjc_flink::FlinkApi;
use futures::StreamExt;
use tracing::{debug, warn};

use crate::clock::{Clock, EpochMs};
use crate::context::{Context, Ports};
use crate::planner::Observation;
use crate::signals::{self, Probe};
use crate::state::JobState;
use crate::store::SpecRecord;

/// Probes the jobs whose turn it is; the probes that answered, by job id.
pub(crate) async fn probe_health<P: Ports>(
    ctx: &Context<P>,
    specs: &BTreeMap<String, SpecRecord>,
    states: &BTreeMap<String, JobState>,
    observed: &BTreeMap<String, Observation>,
) -> BTreeMap<String, Probe> {
    let budget = ctx.settings.health_probe_budget;
    if budget == 0 {
        return BTreeMap::new();
    }
    let running = |state: &JobState| {
        let Some(Observation::Reachable(jobs)) = observed.get(&state.cluster) else {
            return false;
        };
        state
            .flink_job_id
            .as_ref()
            .and_then(|id| jobs.get(id))
            .is_some_and(fjc_flink::JobSummary::runs_all_tasks)
    };
    let candidates: Vec<_> = specs
        .iter()
        .filter_map(|(id, spec)| {
            let state = states
                .get(id)
                .filter(|s| s.operation.is_none() && running(s))?;
            signals::candidate(spec, state)
        })
        .collect();
    if candidates.is_empty() {
        return BTreeMap::new();
    }
    let turn = ctx
        .probe_turns
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let chosen = signals::select(candidates, budget, turn);
    let probes = futures::stream::iter(chosen.into_iter().filter_map(|job_id| {
        let spec = specs.get(&job_id)?;
        let state = states.get(&job_id)?;
        let client = ctx.clusters.get(&state.cluster)?;
        let flink_job_id = state.flink_job_id.clone()?;
        let backpressure = signals::watches_backpressure(spec);
        let checkpoints = signals::reads_checkpoints(spec);
        Some(async move {
            let (metrics, stats, details) = tokio::join!(
                client.job_metrics(&flink_job_id),
                async {
                    if checkpoints {
                        Some(client.checkpoints(&flink_job_id).await)
                    } else {
                        None
                    }
                },
                async {
                    if backpressure {
                        Some(client.job(&flink_job_id).await)
                    } else {
                        None
                    }
                }
            );
            let metrics = match (metrics, stats) {
                (Ok(m), None) => m,
                (Ok(m), Some(Ok(stats))) => m.with_checkpoints(&stats),
                (Err(e), _) | (_, Some(Err(e))) => {
                    warn!(job = %job_id, error = %e, "health probe failed");
                    return None;
                }
            };
            let backpressure = match details {
                Some(Ok(d)) => d.backpressure,
                Some(Err(e)) => {
                    warn!(job = %job_id, error = %e, "backpressure probe failed");
                    None
                }
                None => None,
            };
            let at: EpochMs = ctx.clock.now_ms();
            debug!(job = %job_id, ?metrics, ?backpressure, "health probe");
            Some((
                job_id,
                Probe {
                    flink_job_id,
                    at,
                    metrics,
                    backpressure,
                },
            ))
        })
    }))
    .buffer_unordered(ctx.settings.max_concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    probes.into_iter().flatten().collect()
}
