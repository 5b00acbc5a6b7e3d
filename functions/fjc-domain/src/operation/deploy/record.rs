//! What runs once the deployment submitted: the revision first (a new version is
//! numbered), then the state that names it, then old revisions pruned.

use super::{Deploy, Stage};
use crate::clock::EpochMs;
use crate::operation::{Effect, Next, Operation, Outcome, unexpected};
use crate::revisions::{REVISIONS_KEPT, Revision};
use crate::state::{DeployedArtifact, Lifecycle, Operation as Recorded, Purpose};

impl Deploy {
    /// Step 6: what runs is recorded; a new version gets its revision first.
    pub(super) fn finish(&mut self, flink_state: String, now: EpochMs) -> Next<Outcome> {
        // The job is there: the jars of unanswered runs are no longer needed
        // (deleted one at a time; after a crash a deleted one is only not found).
        if let Some(jar) = self.state.pending_jars.pop() {
            self.stage = Stage::DroppingJar { flink_state };
            return Next::Do(Effect::DeleteJar {
                cluster: self.state.cluster.clone(),
                jar,
            });
        }
        let Some(Recorded::Deploy {
            fingerprint,
            flink_job_id,
            upgrade,
            purpose,
            ..
        }) = self.state.operation.clone()
        else {
            return self.over("no deploy in flight");
        };
        tracing::info!(job = %self.state.job_id, flink_job = %flink_job_id, "deployed");
        // The spec may have changed after the submission: then only the
        // fingerprint is known for what runs.
        let record = Some(self.record().clone()).filter(|r| r.fingerprint == fingerprint);
        let s = &mut self.state;
        let made = s.revisions_made;
        s.deployed_classes = record
            .as_ref()
            .map(|r| fjc_spec::class_fingerprints(&r.spec, &r.artifact_digest));
        s.deployed_artifact = record.as_ref().map(|r| DeployedArtifact {
            path: r.spec.artifact_path.clone(),
            digest: r.artifact_digest.clone(),
            version: r.artifact_version.clone(),
        });
        s.restored_from = upgrade.and_then(|u| u.restore_from);
        s.deployed_parallelism = record
            .as_ref()
            .and_then(|r| u32::try_from(r.spec.deployment.parallelism).ok());
        s.deployed_at = Some(now);
        s.running_since = None;
        s.flink_started_at = None;
        s.lifecycle = match purpose {
            Purpose::Rollback { .. } => Lifecycle::RollingBack,
            Purpose::Recover => Lifecycle::Recovering,
            _ => Lifecycle::Deploying,
        };
        // A recovery, resume or restart of the same version keeps its number; a
        // rollback takes the target's; a new version is numbered, its revision
        // written before the state that names it.
        let same = s.deployed_fingerprint.as_ref() == Some(&fingerprint) && s.revision > 0;
        let revision = match (purpose, record) {
            (Purpose::Rollback { to }, _) => {
                s.revision = to;
                None
            }
            (_, Some(r)) if !same => {
                let number = s.revisions_made + 1;
                s.revision = number;
                s.revisions_made = number;
                Some(Revision::of(
                    number,
                    &r,
                    flink_job_id.clone(),
                    s.restored_from.clone(),
                    now,
                ))
            }
            _ => None,
        };
        s.deployed_fingerprint = Some(fingerprint.clone());
        if !matches!(purpose, Purpose::Rollback { .. }) {
            s.attempted_fingerprint = Some(fingerprint);
        }
        s.flink_job_id = Some(flink_job_id);
        s.operation = None;
        s.set_flink_state(Some(flink_state), now);
        s.failed_attempts = 0;
        s.next_attempt_at = None;
        if purpose != Purpose::Recover {
            s.last_error = None;
        }
        match revision {
            Some(r) => {
                self.stage = Stage::WritingRevision { made };
                Next::Do(Effect::PutRevision(Box::new(r)))
            }
            None => {
                self.stage = Stage::SavingDeployed { made };
                self.save()
            }
        }
    }

    pub(super) fn deployed(&mut self) -> Next<Outcome> {
        let job = self.state.flink_job_id.clone();
        self.stage = Stage::Over;
        Next::Done(Outcome::Done(match job {
            Some(j) => format!("submitted as Flink job {j}"),
            None => "submitted".into(),
        }))
    }

    /// Deletes revisions beyond [`REVISIONS_KEPT`], never the deployed or the
    /// stable one (history only: a failure is logged).
    pub(super) fn prune(&mut self, revisions: Vec<Revision>) -> Next<Outcome> {
        let s = &self.state;
        let Some(oldest_kept) = s.revisions_made.checked_sub(REVISIONS_KEPT as u64) else {
            return self.deployed();
        };
        let left: Vec<u64> = revisions
            .iter()
            .map(|r| r.number)
            .filter(|n| *n <= oldest_kept && *n != s.revision && Some(*n) != s.stable_revision)
            .collect();
        let job = match &self.stage {
            Stage::ListingRevisions { job } => job.clone(),
            _ => return unexpected("revision pruning", None),
        };
        self.stage = Stage::Pruning { job, left };
        self.step(None, 0)
    }
}
