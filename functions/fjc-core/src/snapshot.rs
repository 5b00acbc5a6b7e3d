//! The dashboard's status snapshot: built from what a cycle already loaded (specs,
//! states, cluster observations: [`CycleReport::loaded`]) and its report, then
//! published by a
//! [`SnapshotPublisher`](publish::SnapshotPublisher) when its content changed.
//!
//! Only safe fields are copied: a spec's program arguments and environment variable
//! values never reach the snapshot (the snapshot types have no field for them).

pub mod config;
pub mod dir;
pub mod publish;
pub mod s3;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use fjc_flink::ClusterOverview;
use fjc_snapshot::{
    ClusterHealth, ClusterView, Controller, ErrorLine, JobType, JobView, Lifecycle, OperationView,
    Orphan, SCHEMA_VERSION, Slots, Snapshot, SpecSummary, one_line,
};

use crate::clock::EpochMs;
use crate::executor::Outcome;
use crate::handler::CycleReport;
use crate::planner::Observation;
use crate::state::{JobState, Operation};
use crate::status::job_statuses;
use crate::store::SpecRecord;

/// Longest error line copied into a snapshot.
const MAX_ERROR_CHARS: usize = 300;

/// Timing facts the dashboard needs to judge staleness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Expected cycle interval.
    pub interval_seconds: u64,
    /// The snapshot is rewritten at least this often.
    pub heartbeat_refresh_seconds: u64,
}

/// Everything a snapshot is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Specs by job id.
    pub specs: &'a BTreeMap<String, SpecRecord>,
    /// Job states by job id (after the cycle's actions when they were re-read).
    pub states: &'a BTreeMap<String, JobState>,
    /// Observations by cluster.
    pub observed: &'a BTreeMap<String, Observation>,
    /// `/overview` answers by cluster (slots, TaskManagers, version).
    pub overviews: &'a BTreeMap<String, ClusterOverview>,
    /// The cycle.
    pub report: &'a CycleReport,
    /// Timing.
    pub timing: Timing,
    /// When the snapshot is built.
    pub now: EpochMs,
}

/// Builds the snapshot. Pure.
pub fn build(i: Inputs<'_>) -> Snapshot {
    let r = i.report;
    let controller = Controller {
        heartbeat_at: r.started_at + i64::try_from(r.duration_ms).unwrap_or(0),
        cycle_started_at: r.started_at,
        cycle_duration_ms: u64::try_from(r.duration_ms).unwrap_or(u64::MAX),
        interval_seconds: i.timing.interval_seconds,
        heartbeat_refresh_seconds: i.timing.heartbeat_refresh_seconds,
        actions: count_u32(r.actions.len()),
        failed_actions: count_u32(
            r.actions
                .iter()
                .filter(|a| matches!(a.outcome, Outcome::Failed(_)))
                .count(),
        ),
        waiting: count_u32(r.plan.skipped.len()),
    };
    let mut jobs: Vec<JobView> = job_statuses(i.specs, i.states, i.now)
        .into_iter()
        .map(|row| {
            let spec = i.specs.get(&row.job_id);
            let state = i.states.get(&row.job_id);
            JobView {
                namespace: fjc_snapshot::DEFAULT_NAMESPACE.to_string(),
                job_type: match row.job_type.as_str() {
                    "stream" => JobType::Stream,
                    "batch" => JobType::Batch,
                    _ => JobType::Unknown,
                },
                lifecycle: Lifecycle::parse(&row.lifecycle),
                flink_state: state
                    .and_then(|s| observed_state(i.observed, s))
                    .or(row.flink_state),
                flink_job_id: row.flink_job_id,
                has_spec: row.has_spec,
                spec_fingerprint: row.spec_fingerprint,
                deployed_fingerprint: row.deployed_fingerprint,
                drift: row.drift,
                revision: None,
                revisions: Vec::new(),
                last_savepoint: None,
                next_fire_at: spec
                    .and_then(|r| r.spec.batch_config.as_ref())
                    .and_then(|cfg| {
                        let b = state.and_then(|s| s.batch.clone()).unwrap_or_default();
                        crate::planner::batch::next_fire(cfg, &b, i.now)
                            .ok()
                            .flatten()
                    }),
                runs: state
                    .and_then(|s| s.batch.as_ref())
                    .map(run_views)
                    .unwrap_or_default(),
                last_error: state
                    .and_then(|s| s.last_error.as_ref())
                    .map(|e| ErrorLine {
                        message: one_line(&e.message, MAX_ERROR_CHARS),
                        at: e.at,
                        retryable: e.retryable,
                    }),
                operation: state.and_then(|s| s.operation.as_ref()).map(operation_view),
                updated_at: state.map(|s| s.updated_at),
                spec: spec.map(spec_summary),
                cluster: row.cluster,
                job_id: row.job_id,
            }
        })
        .collect();
    jobs.sort_by(|a, b| (&a.namespace, &a.job_id).cmp(&(&b.namespace, &b.job_id)));
    Snapshot {
        schema_version: SCHEMA_VERSION,
        generated_at: i.now,
        controller,
        clusters: clusters(&i),
        jobs,
        orphans: orphans(i.observed, i.states),
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Flink's state of the job's deployed version as seen this cycle, if it was seen.
fn observed_state(observed: &BTreeMap<String, Observation>, s: &JobState) -> Option<String> {
    let id = s.flink_job_id.as_ref()?;
    match observed.get(&s.cluster)? {
        Observation::Reachable(jobs) => jobs.get(id).map(|j| j.state.as_str().to_string()),
        Observation::Unreachable(_) => None,
    }
}

fn operation_view(o: &Operation) -> OperationView {
    OperationView {
        kind: o.name().to_string(),
        started_at: o.started_at(),
    }
}

/// The safe part of a spec: never argument or environment variable values.
fn spec_summary(r: &SpecRecord) -> SpecSummary {
    let s = &r.spec;
    SpecSummary {
        artifact_path: s.artifact_path.clone(),
        artifact_digest: Some(r.artifact_digest.clone()),
        entry_class: s.entry_class.clone(),
        parallelism: u32::try_from(s.deployment.parallelism).unwrap_or(0),
        checkpoint_interval: s.deployment.checkpoint_interval.clone(),
        restart_strategy: s
            .deployment
            .restart_strategy
            .map(|r| r.flink_name().to_string()),
        cron: s.batch_config.as_ref().and_then(|b| b.cron.clone()),
        timezone: s.batch_config.as_ref().and_then(|b| b.timezone.clone()),
        savepoint_trigger_interval: s
            .stream_config
            .as_ref()
            .and_then(|c| c.savepoint_trigger_interval.clone()),
        arg_count: count_u32(s.args.len()),
        env_var_count: count_u32(s.env_vars.len()),
        applied_at: Some(r.updated_at),
    }
}

fn clusters(i: &Inputs<'_>) -> Vec<ClusterView> {
    i.report
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
                breaker: None,
            }
        })
        .collect()
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

/// Runs shown per job: the active ones, then history, newest first.
const MAX_RUNS_SHOWN: usize = 20;

fn run_views(b: &crate::runs::BatchState) -> Vec<fjc_snapshot::Run> {
    use crate::runs::RunStatus as S;
    use fjc_snapshot::RunOutcome as O;
    let outcome = |s: S| match s {
        S::Starting | S::Running => O::Running,
        S::Finished => O::Finished,
        S::Failed => O::Failed,
        S::Canceled => O::Cancelled,
        S::TimedOut => O::TimedOut,
        S::Lost => O::Lost,
    };
    let active = b.active.iter().rev().map(|r| fjc_snapshot::Run {
        run_id: r.run_id.clone(),
        flink_job_id: Some(r.flink_job_id.to_string()),
        started_at: r.started_at.unwrap_or(r.created_at),
        ended_at: None,
        outcome: outcome(r.status),
        error: None,
    });
    let ended = b.history.iter().map(|r| fjc_snapshot::Run {
        run_id: r.run_id.clone(),
        flink_job_id: r.flink_job_id.as_ref().map(ToString::to_string),
        started_at: r.started_at.unwrap_or(r.ended_at),
        ended_at: Some(r.ended_at),
        outcome: outcome(r.status),
        error: r.reason.as_ref().map(|m| one_line(m, MAX_ERROR_CHARS)),
    });
    active.chain(ended).take(MAX_RUNS_SHOWN).collect()
}
