//! `fjc status`: per job, spec vs deployed fingerprint, lifecycle, Flink state, the
//! Flink job id, the operation in flight and the last error.

use std::collections::BTreeMap;

use fjc_snapshot::{FlinkStateSeen, Shown};
use serde::Serialize;

use crate::clock::{EpochMs, rfc3339};
use crate::planner::Observation;
use crate::record::SpecRecord;
use crate::state::JobState;

/// One row of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    /// Job id.
    pub job_id: String,
    /// The spec's namespace (empty for a job whose spec was deleted).
    pub namespace: String,
    /// `stream` or `batch`.
    pub job_type: String,
    /// Cluster.
    pub cluster: String,
    /// Whether a spec exists (false while a deleted job is being cancelled).
    pub has_spec: bool,
    /// Fingerprint of the spec.
    pub spec_fingerprint: Option<String>,
    /// Fingerprint of what is deployed.
    pub deployed_fingerprint: Option<String>,
    /// Whether the deployed version differs from the spec.
    pub drift: bool,
    /// Controller lifecycle (`PENDING` before the first cycle).
    pub lifecycle: Shown,
    /// Flink's state: observed just now when `flink_state_seen` says `observed`,
    /// else the stored value.
    pub flink_state: Option<String>,
    /// Where `flink_state` comes from, and how old a stored value is.
    pub flink_state_seen: Option<FlinkStateSeen>,
    /// Flink job id.
    pub flink_job_id: Option<String>,
    /// Operation in flight.
    pub operation: Option<String>,
    /// Last error.
    pub last_error: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: Option<String>,
    /// Batch: the next cron fire time (RFC 3339), or why there is none.
    pub next_fire: Option<String>,
    /// Batch: the last run's id and outcome.
    pub last_run: Option<String>,
    /// Batch: runs active now.
    pub active_runs: usize,
    /// The last refused artifact upload and why (the job keeps its version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_refused: Option<String>,
    /// Why the namespace policy holds the spec back (filled in by callers that
    /// know the policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by_policy: Option<String>,
    /// Why the job's cluster could not be observed (circuit open, unreachable):
    /// its Flink state is unknown, not failed (filled in by callers that observe).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_unavailable: Option<String>,
    /// The bytes the deployed job runs: `<digest> (version <id>)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_artifact: Option<String>,
    /// Key id that signed the recorded artifact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// Stream: the deployed revision (see `fjc history`), 0 before the first.
    pub revision: u64,
    /// Stream: the last revision that reached STABLE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<u64>,
    /// Stream: the last rollback and why (until the spec changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<String>,
    /// Stream: recoveries within the current recovery window.
    pub recoveries: usize,
    /// Stream: the newest savepoint or retained checkpoint a restart would use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_point: Option<String>,
    /// Stream: savepoints the controller keeps.
    pub savepoints: usize,
    /// Stream: health signals of the deployed Flink job, as last kept, and the
    /// rollout gate it waits on (the same view the dashboard shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<fjc_snapshot::HealthView>,
}

/// Flink's state of the job's deployed version and where it comes from: what
/// `observed` (this cycle's or this command's `/jobs/overview`) says, else the
/// stored value, marked as such with its age.
pub fn flink_state_seen(
    observed: &BTreeMap<String, Observation>,
    s: &JobState,
) -> (Option<String>, Option<FlinkStateSeen>) {
    let stored = s.flink_state.clone();
    let Some(id) = s.flink_job_id.as_ref() else {
        let seen = stored.as_ref().map(|_| FlinkStateSeen::Recorded {
            at: s.flink_state_at,
        });
        return (stored, seen);
    };
    match observed.get(&s.cluster) {
        Some(Observation::Reachable(jobs)) => match jobs.get(id) {
            Some(j) => (
                Some(j.state.as_str().to_string()),
                Some(FlinkStateSeen::Observed),
            ),
            None => (
                stored,
                Some(FlinkStateSeen::NotListed {
                    recorded_at: s.flink_state_at,
                }),
            ),
        },
        Some(Observation::Unreachable(_)) | None => {
            let seen = stored.as_ref().map(|_| FlinkStateSeen::Recorded {
                at: s.flink_state_at,
            });
            (stored, seen)
        }
    }
}

/// How a status line says where Flink's state comes from: nothing when observed
/// just now, else `stored <age>` (and `not on the cluster` when Flink answered
/// without the job).
pub fn describe_seen(seen: Option<FlinkStateSeen>, now: EpochMs) -> Option<String> {
    let age = |at: Option<EpochMs>| {
        at.map_or_else(
            || "stored".to_string(),
            |t| format!("stored {} ago", crate::clock::human_age(now - t)),
        )
    };
    match seen? {
        FlinkStateSeen::Observed => None,
        FlinkStateSeen::NotListed { recorded_at } => {
            Some(format!("not on the cluster now; {}", age(recorded_at)))
        }
        FlinkStateSeen::Recorded { at } => Some(format!("cluster not asked; {}", age(at))),
        FlinkStateSeen::Unknown => Some("unknown source".into()),
    }
}

/// Joins specs and states into status rows, ordered by job id. `observed` is what
/// the clusters said just now (empty when they were not asked).
pub fn job_statuses(
    specs: &BTreeMap<String, SpecRecord>,
    states: &BTreeMap<String, JobState>,
    observed: &BTreeMap<String, Observation>,
    now: EpochMs,
) -> Vec<JobStatus> {
    let mut ids: Vec<&String> = specs.keys().chain(states.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let spec = specs.get(id);
            let state = states.get(id);
            let spec_fp = spec.map(|s| s.fingerprint.0.clone());
            let deployed = state.and_then(|s| s.deployed_fingerprint.as_ref().map(|f| f.0.clone()));
            let (flink_state, flink_state_seen) = state
                .map(|s| flink_state_seen(observed, s))
                .unwrap_or_default();
            JobStatus {
                job_id: id.clone(),
                namespace: spec.map(|s| s.spec.namespace.clone()).unwrap_or_default(),
                job_type: spec
                    .map(|s| s.spec.job_type)
                    .or(state.map(|s| s.job_type))
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                cluster: state
                    .map(|s| s.cluster.clone())
                    .or(spec.map(|s| s.spec.cluster.clone()))
                    .unwrap_or_default(),
                has_spec: spec.is_some(),
                drift: spec.is_some() && spec_fp != deployed,
                spec_fingerprint: spec_fp,
                deployed_fingerprint: deployed,
                lifecycle: state.map_or(Shown::Pending, |s| Shown::Is(s.lifecycle)),
                flink_state,
                flink_state_seen,
                flink_job_id: state.and_then(|s| s.flink_job_id.as_ref().map(|j| j.to_string())),
                operation: state.and_then(|s| s.operation.as_ref().map(|o| o.name().to_string())),
                last_error: state.and_then(|s| s.last_error.as_ref().map(|e| e.message.clone())),
                updated_at: state.map(|s| rfc3339(s.updated_at)),
                next_fire: next_fire(spec, state, now),
                last_run: state
                    .and_then(|s| s.batch.as_ref())
                    .and_then(|b| b.last_run())
                    .map(|r| {
                        let why = r
                            .reason
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default();
                        format!(
                            "{} {} at {}{why}",
                            r.run_id,
                            r.status.as_str(),
                            rfc3339(r.ended_at)
                        )
                    }),
                active_runs: state
                    .and_then(|s| s.batch.as_ref())
                    .map_or(0, |b| b.active.len()),
                artifact_refused: spec.and_then(|s| s.trust.refusal.as_ref()).map(|r| {
                    format!(
                        "{} at {}: {}",
                        r.digest.as_deref().unwrap_or("upload"),
                        rfc3339(r.at),
                        r.reason
                    )
                }),
                signed_by: spec.and_then(|s| s.trust.signed_by.clone()),
                held_by_policy: None,
                cluster_unavailable: None,
                revision: state.map_or(0, |s| s.revision),
                stable_revision: state.and_then(|s| s.stable_revision),
                rolled_back: state
                    .and_then(|s| s.rollback.as_ref())
                    .map(|r| format!("{} (at {})", r.reason, rfc3339(r.at))),
                recoveries: state.map_or(0, |s| {
                    let window = spec.map_or(3_600_000, |r| {
                        i64::try_from(r.spec.recovery_window().as_millis()).unwrap_or(i64::MAX)
                    });
                    s.recoveries.iter().filter(|t| now - **t < window).count()
                }),
                restore_point: state
                    .and_then(|s| s.last_savepoint.as_ref())
                    .map(|p| format!("{} {} ({})", p.kind, p.location, rfc3339(p.at))),
                savepoints: state.map_or(0, |s| s.savepoints.len()),
                health: state.and_then(|s| crate::signals::view(spec, s)),
                deployed_artifact: state.and_then(|s| s.deployed_artifact.as_ref()).map(|a| {
                    format!(
                        "{} (version {})",
                        a.digest,
                        a.version.as_deref().unwrap_or("-")
                    )
                }),
            }
        })
        .collect()
}

fn next_fire(
    spec: Option<&SpecRecord>,
    state: Option<&JobState>,
    now: crate::clock::EpochMs,
) -> Option<String> {
    let cfg = spec?.spec.batch_config.as_ref()?;
    cfg.cron.as_ref()?;
    let b = state.and_then(|s| s.batch.clone()).unwrap_or_default();
    Some(match crate::planner::batch::next_fire(cfg, &b, now) {
        Ok(Some(t)) => rfc3339(t),
        Ok(None) => "none".into(),
        Err(why) => why,
    })
}
