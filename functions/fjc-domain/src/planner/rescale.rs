//! Whether a spec change is carried out in place: only `deployment.parallelism`
//! changed, the job runs healthy under the adaptive scheduler, and it
//! checkpoints (Flink restarts its tasks from the newest checkpoint). Anything
//! else, and a rescale already tried in place for this spec, takes the
//! savepoint upgrade.

use std::collections::BTreeMap;

use fjc_flink::{JobId, JobSummary};

use super::Action;
use crate::record::SpecRecord;
use crate::state::{JobState, Lifecycle};

/// The in-place rescale of `state`'s running job to `spec`'s parallelism, when
/// it can be one.
pub(crate) fn in_place(
    job_id: &str,
    spec: &SpecRecord,
    state: &JobState,
    jobs: &BTreeMap<JobId, JobSummary>,
) -> Option<Action> {
    let deployed = state.deployed_classes.as_ref()?;
    let wanted = fjc_spec::class_fingerprints(&spec.spec, &spec.artifact_digest);
    if deployed.upgrade != wanted.upgrade || deployed.scale == wanted.scale {
        return None;
    }
    if state.attempted_fingerprint.as_ref() == Some(&spec.fingerprint) {
        return None;
    }
    spec.spec.checkpoint_interval()?;
    if !matches!(
        state.lifecycle,
        Lifecycle::Running | Lifecycle::Stable | Lifecycle::RolledBack
    ) {
        return None;
    }
    let flink_job_id = state.flink_job_id.clone()?;
    let job = jobs.get(&flink_job_id)?;
    if !job.adaptive || !job.runs_all_tasks() {
        return None;
    }
    let from = state.deployed_parallelism?;
    let to = u32::try_from(spec.spec.deployment.parallelism.max(1)).ok()?;
    (from != to).then(|| Action::Rescale {
        job_id: job_id.to_string(),
        flink_job_id,
        from,
        to,
    })
}
