//! The dashboard snapshot built from typed specs, job states, what the cycle
//! saw and each job's history. Pure: the publishing (and the history cache that
//! reads the store) is the engine's (`fjc_core::snapshot`).

mod fleet;
pub mod history;

use fleet::clusters;
pub use fleet::{breaker_view, orphans};

use std::collections::BTreeMap;

use fjc_flink::ClusterOverview;
use fjc_snapshot::{
    ArtifactView, Controller, ErrorLine, JobDetail, JobType, JobView, OperationView,
    RecoveryBudget, Refusal, RollbackView, SCHEMA_VERSION, Savepoint, Shown, Snapshot, SpecSummary,
    one_line,
};

use crate::clock::EpochMs;
use crate::planner::Observation;
use crate::record::SpecRecord;
use crate::state::{JobState, Operation, SavepointRecord};
use crate::status::flink_state_seen;
pub use history::{AUDIT_SHOWN, JobHistory, Key, Known, key_of};

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

/// What a snapshot shows of the cycle it follows.
#[derive(Debug, Clone, Copy)]
pub struct CycleFacts<'a> {
    /// When the cycle started.
    pub started_at: EpochMs,
    /// How long it took.
    pub duration_ms: u128,
    /// Actions carried out.
    pub actions: usize,
    /// Of which failed.
    pub failed_actions: usize,
    /// Jobs held back (by policy or a closed breaker).
    pub waiting: usize,
    /// Each cluster's look: jobs listed, or why it could not be looked at.
    pub clusters: &'a BTreeMap<String, Result<usize, String>>,
    /// Each cluster's circuit breaker.
    pub breakers: &'a BTreeMap<String, crate::breaker::Breaker>,
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
    /// What is known of each job's revisions and audit entries (jobs missing
    /// here show none).
    pub history: &'a BTreeMap<String, Known>,
    /// Why the namespace policy holds a spec back, by job id.
    pub held: &'a BTreeMap<String, String>,
    /// The cycle the snapshot follows.
    pub cycle: CycleFacts<'a>,
    /// Timing.
    pub timing: Timing,
    /// When the snapshot is built.
    pub now: EpochMs,
}

/// Builds the snapshot from typed specs and states. Pure.
pub fn build(i: Inputs<'_>) -> Snapshot {
    let r = i.cycle;
    let controller = Controller {
        heartbeat_at: r.started_at + i64::try_from(r.duration_ms).unwrap_or(0),
        cycle_started_at: r.started_at,
        cycle_duration_ms: u64::try_from(r.duration_ms).unwrap_or(u64::MAX),
        interval_seconds: i.timing.interval_seconds,
        heartbeat_refresh_seconds: i.timing.heartbeat_refresh_seconds,
        actions: count_u32(r.actions),
        failed_actions: count_u32(r.failed_actions),
        waiting: count_u32(r.waiting),
    };
    let mut ids: Vec<&String> = i.specs.keys().chain(i.states.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut jobs: Vec<JobView> = ids
        .into_iter()
        .filter_map(|id| job_view(&i, i.specs.get(id), i.states.get(id)))
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

/// The snapshot's job type of a spec's job type. Exhaustive: a new type in the
/// spec fails to compile here until the snapshot has it.
pub fn job_type(t: fjc_spec::JobType) -> JobType {
    match t {
        fjc_spec::JobType::Stream => JobType::Stream,
        fjc_spec::JobType::Batch => JobType::Batch,
    }
}

/// One job's view: every field from the typed spec record, job state and history.
fn job_view(
    i: &Inputs<'_>,
    spec: Option<&SpecRecord>,
    state: Option<&JobState>,
) -> Option<JobView> {
    let job_id = spec
        .map(|r| r.spec.job_id.as_str())
        .or(state.map(|s| s.job_id.as_str()))?;
    let t = spec
        .map(|r| r.spec.job_type)
        .or(state.map(|s| s.job_type))?;
    let cluster = state
        .map(|s| s.cluster.as_str())
        .or(spec.map(|r| r.spec.cluster.as_str()))?;
    let lifecycle = state.map_or(Shown::Pending, |s| Shown::Is(s.lifecycle));
    let mut v = JobView::new(job_id, job_type(t), cluster, lifecycle);
    let mut d = JobDetail::default();
    if let Some(r) = spec {
        v.namespace = r.spec.namespace.clone();
        v.applied_at = Some(r.updated_at);
        d.spec_fingerprint = Some(r.fingerprint.0.clone());
        d.spec = Some(spec_summary(r));
        d.signed_by = r.trust.signed_by.clone();
        v.artifact_refused = r.trust.refusal.as_ref().map(|x| Refusal {
            at: x.at,
            digest: x.digest.clone(),
            reason: one_line(&x.reason, MAX_ERROR_CHARS),
        });
        v.held_by_policy = i.held.get(job_id).map(|m| one_line(m, MAX_ERROR_CHARS));
        v.next_fire_at = r.spec.batch_config.as_ref().and_then(|cfg| {
            let b = state.and_then(|s| s.batch.clone()).unwrap_or_default();
            crate::planner::batch::next_fire(cfg, &b, i.now)
                .ok()
                .flatten()
        });
        if r.spec.job_type == fjc_spec::JobType::Stream {
            v.recovery_budget = Some(RecoveryBudget {
                allowed: r.spec.recovery_attempts(),
                window_seconds: r.spec.recovery_window().as_secs(),
            });
        }
    }
    v.has_spec = spec.is_some();
    if let Some(s) = state {
        let (flink_state, seen) = flink_state_seen(i.observed, s);
        v.flink_state = flink_state;
        v.flink_state_seen = seen;
        v.flink_job_id = s.flink_job_id.as_ref().map(ToString::to_string);
        d.deployed_fingerprint = s.deployed_fingerprint.as_ref().map(|f| f.0.clone());
        v.failed_attempts = s.failed_attempts;
        v.next_attempt_at = s.next_attempt_at;
        v.revision = (s.revision > 0).then_some(s.revision);
        v.stable_revision = s.stable_revision;
        d.last_savepoint = s.last_savepoint.as_ref().map(savepoint);
        d.savepoints = s.savepoints.iter().rev().map(savepoint).collect();
        d.restored_from = s.restored_from.clone();
        v.deployed_at = s.deployed_at;
        v.health = crate::signals::view(spec, s);
        let window = spec.map_or(3_600_000, |r| {
            i64::try_from(r.spec.recovery_window().as_millis()).unwrap_or(i64::MAX)
        });
        v.recoveries = s
            .recoveries
            .iter()
            .rev()
            .copied()
            .filter(|t| i.now - *t < window)
            .collect();
        v.rollback = s.rollback.as_ref().map(|r| {
            // The record says "rolled back from revision A to B: <cause>"; the view
            // has the revisions in their own fields, so it keeps the cause.
            let prefix = format!(
                "rolled back from revision {} to {}: ",
                r.from_revision, r.to_revision
            );
            RollbackView {
                from_revision: r.from_revision,
                to_revision: r.to_revision,
                reason: one_line(
                    r.reason.strip_prefix(&prefix).unwrap_or(&r.reason),
                    MAX_ERROR_CHARS,
                ),
                at: r.at,
            }
        });
        d.runs = s.batch.as_ref().map(run_views).unwrap_or_default();
        v.last_error = s.last_error.as_ref().map(|e| ErrorLine {
            message: one_line(&e.message, MAX_ERROR_CHARS),
            at: e.at,
            retryable: e.retryable,
        });
        v.operation = s.operation.as_ref().map(operation_view);
        d.deployed_artifact = s.deployed_artifact.as_ref().map(|a| ArtifactView {
            digest: a.digest.clone(),
            version: a.version.clone(),
        });
        v.updated_at = Some(s.updated_at);
    }
    v.drift = spec.is_some() && d.spec_fingerprint != d.deployed_fingerprint;
    match i.history.get(job_id) {
        Some(Known::Published { version }) => v.detail_version = Some(version.clone()),
        known => {
            if let Some(Known::Read(h)) = known {
                d.revisions = h.revisions.clone();
                d.audit = h.audit.clone();
            }
            v.detail_version = Some(detail_version(job_id, &d));
            v.detail = Some(d);
        }
    }
    Some(v)
}

/// Identifies a job's detail document by content: the first 16 hex digits of the
/// sha256 of the layout version, the job id and the detail's JSON.
pub fn detail_version(job_id: &str, detail: &JobDetail) -> String {
    use sha2::{Digest, Sha256};
    // Plain structs with string keys: encoding cannot fail.
    let json = serde_json::to_vec(&(SCHEMA_VERSION, job_id, detail)).unwrap_or_default();
    let mut hex = hex::encode(Sha256::digest(&json));
    hex.truncate(16);
    hex
}

fn savepoint(p: &SavepointRecord) -> Savepoint {
    Savepoint {
        location: p.location.clone(),
        at: p.at,
        kind: Some(p.kind.clone()),
        from_flink_job_id: Some(p.from_job.to_string()),
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn operation_view(o: &Operation) -> OperationView {
    let (flink_job_id, restore_from) = match o {
        Operation::Deploy {
            flink_job_id,
            upgrade,
            ..
        } => (
            Some(flink_job_id.to_string()),
            upgrade.as_ref().and_then(|u| u.restore_from.clone()),
        ),
        Operation::Suspend {
            flink_job_id,
            upgrade,
            ..
        } => (Some(flink_job_id.to_string()), upgrade.restore_from.clone()),
        Operation::Savepoint { flink_job_id, .. } | Operation::Rescale { flink_job_id, .. } => {
            (Some(flink_job_id.to_string()), None)
        }
        Operation::Delete { .. } => (None, None),
    };
    OperationView {
        kind: o.name().to_string(),
        started_at: o.started_at(),
        flink_job_id,
        restore_from,
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
    }
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
