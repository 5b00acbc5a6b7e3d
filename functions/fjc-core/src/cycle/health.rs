//! The cycle's resilience and health bookkeeping: cluster observation through the
//! persisted circuit breakers, breaker updates, and the heartbeat.

use std::collections::{BTreeMap, BTreeSet};

use fjc_flink::FlinkApi;
use tracing::{info, warn};

use super::{CycleReport, Loaded};
use crate::breaker::{Admission, Breaker};
use crate::clock::{Clock, EpochMs};
use crate::config::ObserveMode;
use crate::context::{Context, Ports};
use crate::health::{CanaryHealth, ClusterHealth, Control, Heartbeat};
use crate::planner::Observation;
use crate::state::{JobState, Lifecycle};
use crate::store::{ControlStore, StoreError};

/// How a cluster's observation call went this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterCall {
    /// Called (normally or as the half-open probe): the jobs seen or the error.
    Called(Result<usize, String>),
    /// Not called: its breaker is open.
    Refused,
}

/// One `/jobs/overview` per wanted cluster (or, in [`ObserveMode::PerJob`], one
/// `/jobs/:id` per job `states` know there), unless its breaker is open.
pub(crate) async fn look_at_clusters<P: Ports>(
    ctx: &Context<P>,
    wanted: BTreeSet<&str>,
    control: &Control,
    states: &BTreeMap<String, JobState>,
) -> (BTreeMap<String, Observation>, BTreeMap<String, ClusterCall>) {
    let per_job = ctx.settings.observe == ObserveMode::PerJob;
    let now = ctx.clock.now_ms();
    let seen = futures::future::join_all(
        wanted
            .into_iter()
            .filter_map(|name| ctx.clusters.get(name).map(|c| (name, c)))
            .map(|(name, client)| async move {
                let admission = control
                    .breakers
                    .get(name)
                    .map_or(Admission::Call, |b| b.admit(now));
                let (o, call) = match admission {
                    Admission::Refuse(why) => {
                        info!(cluster = name, %why, "circuit open; cluster not called");
                        (Observation::Unreachable(why), ClusterCall::Refused)
                    }
                    Admission::Call | Admission::Probe => match if per_job {
                        jobs_one_by_one(client, name, states, ctx.settings.max_concurrency).await
                    } else {
                        client.list_jobs().await
                    } {
                        Ok(jobs) => {
                            let n = jobs.len();
                            (Observation::from_jobs(jobs), ClusterCall::Called(Ok(n)))
                        }
                        Err(e) => {
                            warn!(cluster = name, error = %e, "cluster unreachable");
                            (
                                Observation::Unreachable(e.to_string()),
                                ClusterCall::Called(Err(e.to_string())),
                            )
                        }
                    },
                };
                (name.to_string(), (o, call))
            }),
    )
    .await;
    let mut observed = BTreeMap::new();
    let mut calls = BTreeMap::new();
    for (name, (o, c)) in seen {
        observed.insert(name.clone(), o);
        calls.insert(name, c);
    }
    (observed, calls)
}

/// Per-job observation: `GET /jobs/:id` for every Flink job the states name on
/// `cluster` (a job Flink does not know is left out, like a vanished one).
async fn jobs_one_by_one<F: FlinkApi>(
    client: &F,
    cluster: &str,
    states: &BTreeMap<String, JobState>,
    concurrency: usize,
) -> Result<Vec<fjc_flink::JobSummary>, fjc_flink::FlinkError> {
    use futures::StreamExt;
    let ids: BTreeSet<&fjc_flink::JobId> = states
        .values()
        .filter(|s| s.cluster == cluster)
        .flat_map(|s| {
            s.flink_job_id
                .iter()
                .chain(s.operation.iter().flat_map(|o| o.flink_jobs()))
                .chain(
                    s.batch
                        .iter()
                        .flat_map(|b| b.active.iter().map(|r| &r.flink_job_id)),
                )
        })
        .collect();
    let answers: Vec<_> = futures::stream::iter(ids.into_iter().map(|id| client.job(id)))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut jobs = Vec::new();
    for a in answers {
        match a {
            Ok(d) => jobs.push(d.summary()),
            Err(fjc_flink::FlinkError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(jobs)
}

/// The breakers after this cycle's calls (only the ones that were called change).
pub(crate) fn next_breakers(
    loaded: &Loaded,
    now: EpochMs,
    config: &crate::breaker::BreakerConfig,
) -> BTreeMap<String, Breaker> {
    loaded
        .calls
        .iter()
        .map(|(name, call)| {
            let old = loaded
                .control
                .breakers
                .get(name)
                .cloned()
                .unwrap_or_else(|| Breaker::closed(name));
            let new = match call {
                ClusterCall::Refused => old,
                ClusterCall::Called(Ok(_)) => old.succeeded(),
                ClusterCall::Called(Err(e)) => old.failed(now, e, config),
            };
            (name.clone(), new)
        })
        .collect()
}

/// Writes the breakers that changed, and (full cycles only) the heartbeat when
/// it is due. Failures are logged: the next cycle tries again.
pub(crate) async fn record<P: Ports>(ctx: &Context<P>, report: &CycleReport, full: bool) {
    let loaded = &report.loaded;
    for (name, b) in &report.breakers {
        let old = loaded.control.breakers.get(name);
        if old.is_none_or(|o| o.changed(b)) && (old.is_some() || b.failures > 0) {
            match ctx.store.put_breaker(b).await {
                Ok(_) => {
                    info!(cluster = %name, breaker = b.label(report.started_at), failures = b.failures, "breaker recorded")
                }
                Err(StoreError::Conflict { .. }) => {
                    info!(cluster = %name, "breaker written by another reconciler first");
                }
                Err(e) => warn!(cluster = %name, error = %e, "could not record the breaker"),
            }
        }
    }
    if !full {
        return;
    }
    let now = ctx.clock.now_ms();
    let every =
        i64::try_from(ctx.settings.heartbeat_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    let previous = loaded.control.heartbeat.as_ref();
    let mut heartbeat = Heartbeat {
        at: now,
        owner: ctx.owner.clone(),
        correlation_id: report.correlation_id.clone(),
        cycle_ms: u64::try_from(report.duration_ms).unwrap_or(u64::MAX),
        specs: report.specs,
        failed_actions: report
            .actions
            .iter()
            .filter(|a| matches!(a.outcome, crate::executor::Outcome::Failed(_)))
            .count(),
        clusters: report
            .clusters
            .iter()
            .map(|(name, seen)| {
                let label = report.breakers.get(name).map_or("closed", |b| b.label(now));
                let old = previous.and_then(|h| h.clusters.get(name));
                (
                    name.clone(),
                    ClusterHealth {
                        reachable: seen.is_ok(),
                        breaker: label.to_string(),
                        jobs: seen.as_ref().ok().copied(),
                        error: seen.as_ref().err().cloned(),
                        // Kept from the last read until the next one.
                        taskmanagers: old.and_then(|o| o.taskmanagers).filter(|_| seen.is_ok()),
                        slots_total: old.and_then(|o| o.slots_total).filter(|_| seen.is_ok()),
                        slots_free: old.and_then(|o| o.slots_free).filter(|_| seen.is_ok()),
                    },
                )
            })
            .collect(),
        canaries: canaries(loaded),
    };
    let changed = previous.is_none_or(|p| {
        p.canaries != heartbeat.canaries
            || p.clusters.len() != heartbeat.clusters.len()
            || p.clusters.iter().any(|(name, c)| {
                heartbeat
                    .clusters
                    .get(name)
                    .is_none_or(|n| n.reachable != c.reachable || n.breaker != c.breaker)
            })
    });
    if !changed && previous.is_some_and(|p| now - p.at < every) {
        return;
    }
    // Task managers and slots: one `/overview` per reachable cluster, only when
    // the heartbeat is written.
    for (name, c) in &mut heartbeat.clusters {
        if !c.reachable {
            continue;
        }
        if let Some(client) = ctx.clusters.get(name) {
            match client.cluster_overview().await {
                Ok(o) => {
                    c.taskmanagers = Some(o.taskmanagers);
                    c.slots_total = Some(o.slots_total);
                    c.slots_free = Some(o.slots_available);
                }
                Err(e) => warn!(cluster = %name, error = %e, "cluster overview unavailable"),
            }
        }
    }
    if let Err(e) = ctx.store.put_heartbeat(&heartbeat).await {
        warn!(error = %e, "could not write the heartbeat");
    }
}

/// Canary specs: converged means deployed at the spec's fingerprint and running.
fn canaries(loaded: &Loaded) -> BTreeMap<String, CanaryHealth> {
    loaded
        .specs
        .values()
        .filter(|r| r.spec.monitoring.canary)
        .map(|r| {
            let state = loaded.states.get(&r.spec.job_id);
            let converged = state.is_some_and(|s| {
                let healthy = match r.spec.job_type {
                    fjc_spec::JobType::Stream => {
                        matches!(s.lifecycle, Lifecycle::Running | Lifecycle::Stable)
                    }
                    fjc_spec::JobType::Batch => s.lifecycle != Lifecycle::Failed,
                };
                healthy
                    && s.operation.is_none()
                    && s.deployed_fingerprint.as_ref() == Some(&r.fingerprint)
            });
            let detail = (!converged).then(|| match state {
                None => "not deployed yet".to_string(),
                Some(s) => format!(
                    "{}{}",
                    s.lifecycle.as_str(),
                    s.last_error
                        .as_ref()
                        .map(|e| format!(": {}", e.message))
                        .unwrap_or_default()
                ),
            });
            (r.spec.job_id.clone(), CanaryHealth { converged, detail })
        })
        .collect()
}
