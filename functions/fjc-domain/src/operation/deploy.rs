//! A deployment in flight (`Operation::Deploy`): a new version, a recovery, a
//! resume, a restart or a rollback, from its recorded intent to the submitted job.
//!
//! The intent (with the Flink job id the submission will use) is saved before
//! this runs, so every step can be repeated:
//! 1. a job already under that id was submitted by an earlier step: adopt it, unless
//!    it is the FAILED job Flink leaves under the id of a submission it refused
//!    for a missing restore point (then go on with the next candidate);
//! 2. the spec changed before anything was submitted: deploy the new one;
//! 3. verify the artifact (and resolve secrets) before touching the running job,
//!    so a bad artifact leaves the old version running;
//! 4. carry the replaced job's state over ([`super::carry`]);
//! 5. submit; an unconfirmed submission is looked up next time, never repeated
//!    blindly; a refused restore point moves on to the next candidate under a new
//!    job id; with none left the deployment fails, naming every path tried;
//! 6. record what runs: the revision first, then the state that names it, then
//!    prune old revisions.

use fjc_flink::{FlinkError, FlinkJobState, JobId};
use fjc_spec::UpgradeMode;

use super::carry::{self, Carry, CarryOver};
use super::{Answer, Backoff, Effect, Next, Operation, Outcome, StepError, unexpected};
use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::restore::{Found, is_missing_restore_point, none_left, same_place};
use crate::revisions::{REVISIONS_KEPT, Revision};
use crate::state::UpgradeProgress;
use crate::state::{DeployedArtifact, JobState, Lifecycle, Operation as Recorded, Purpose};

/// What the deployment needs besides its state.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The spec as it is now (for a rollback, the recorded revision is read).
    pub spec: SpecRecord,
    /// What the cycle saw under the operation's Flink job id.
    pub observed: Option<FlinkJobState>,
    /// Whether the cycle saw the replaced job live.
    pub old_live: bool,
    /// Retry backoff.
    pub backoff: Backoff,
    /// How long an old job is given to end by itself after its savepoint.
    pub end_wait_ms: EpochMs,
    /// A trigger id for a savepoint the carry-over may have to take.
    pub fresh_trigger: String,
}

/// The deployment recorded in the state.
pub struct Deploy {
    state: JobState,
    inputs: Inputs,
    record: Option<SpecRecord>,
    stage: Stage,
}

enum Stage {
    Begin,
    ReadingRevision { to: u64 },
    AskingCause { missing: String },
    SavingFingerprint,
    Verifying,
    Carrying(Box<CarryOver>),
    Submitting { restore_from: Option<String> },
    AskingSubmitted,
    SavingPending { message: String },
    FindingNext { missing: String, flink_said: String },
    SavingNext,
    WritingRevision { made: u64 },
    SavingDeployed { made: u64 },
    ListingRevisions { job: JobId },
    Pruning { job: JobId, left: Vec<u64> },
    SavingFailure { message: String },
    Over,
}

impl Deploy {
    /// The deployment recorded in `state`, or `None` when it records none.
    pub fn resume(state: JobState, inputs: Inputs) -> Option<Deploy> {
        matches!(state.operation, Some(Recorded::Deploy { .. })).then_some(Deploy {
            state,
            inputs,
            record: None,
            stage: Stage::Begin,
        })
    }

    /// The job's state as the deployment holds it.
    pub fn state(&self) -> &JobState {
        &self.state
    }

    fn op(&self) -> Option<(JobId, Option<JobId>, Purpose, Option<UpgradeProgress>)> {
        match &self.state.operation {
            Some(Recorded::Deploy {
                flink_job_id,
                replaces,
                purpose,
                upgrade,
                ..
            }) => Some((
                flink_job_id.clone(),
                replaces.clone(),
                *purpose,
                upgrade.clone(),
            )),
            _ => None,
        }
    }

    fn save(&self) -> Next<Outcome> {
        Next::Do(Effect::Save(Box::new(self.state.clone())))
    }

    fn record(&self) -> &SpecRecord {
        self.record.as_ref().unwrap_or(&self.inputs.spec)
    }

    /// Step 1: an earlier step may have submitted already.
    fn look(&mut self, now: EpochMs) -> Next<Outcome> {
        let Some((job, ..)) = self.op() else {
            return self.over("no deploy in flight");
        };
        if let Some(seen) = self.inputs.observed.clone() {
            let tried = self.op().and_then(|o| o.3).and_then(|p| p.restore_from);
            if seen == FlinkJobState::Failed
                && let Some(missing) = tried
            {
                self.stage = Stage::AskingCause { missing };
                return Next::Do(Effect::AskFailureCause {
                    cluster: self.state.cluster.clone(),
                    job,
                });
            }
            return self.finish(seen.as_str().to_string(), now);
        }
        let fingerprint = match &self.state.operation {
            Some(Recorded::Deploy { fingerprint, .. }) => fingerprint.clone(),
            _ => return self.over("no deploy in flight"),
        };
        let current = self.record().fingerprint.clone();
        if current != fingerprint {
            // The spec changed before anything was submitted: deploy the new one.
            if let Some(Recorded::Deploy { fingerprint: f, .. }) = &mut self.state.operation {
                *f = current.clone();
            }
            self.state.attempted_fingerprint = Some(current);
            self.stage = Stage::SavingFingerprint;
            return self.save();
        }
        self.stage = Stage::Verifying;
        Next::Do(Effect::Verify {
            record: Box::new(self.record().clone()),
        })
    }

    /// Step 4: carry the replaced job's state over, or start from the recorded point.
    fn carry(&mut self, now: EpochMs) -> Next<Outcome> {
        let Some((_, replaces, _, upgrade)) = self.op() else {
            return self.over("no deploy in flight");
        };
        match replaces {
            Some(old) => {
                let carry = CarryOver::new(
                    self.state.clone(),
                    &old,
                    self.inputs.old_live,
                    carry::Settings::of(
                        &self.record().spec,
                        self.inputs.backoff,
                        self.inputs.end_wait_ms,
                    ),
                    self.inputs.fresh_trigger.clone(),
                );
                self.stage = Stage::Carrying(Box::new(carry));
                self.step(None, now)
            }
            None => self.submit(upgrade.and_then(|p| p.restore_from)),
        }
    }

    fn submit(&mut self, restore_from: Option<String>) -> Next<Outcome> {
        let Some((job, ..)) = self.op() else {
            return self.over("no deploy in flight");
        };
        self.stage = Stage::Submitting {
            restore_from: restore_from.clone(),
        };
        Next::Do(Effect::Submit {
            cluster: self.state.cluster.clone(),
            record: Box::new(self.record().clone()),
            job,
            restore_from,
        })
    }

    fn submitted(
        &mut self,
        result: Result<(), super::SubmitError>,
        restore_from: Option<String>,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some((job, ..)) = self.op() else {
            return self.over("no deploy in flight");
        };
        match result {
            Ok(()) => {
                self.stage = Stage::AskingSubmitted;
                Next::Do(Effect::AskJob {
                    cluster: self.state.cluster.clone(),
                    job,
                })
            }
            Err(super::SubmitError::Flink(FlinkError::DuplicateJob { .. })) => {
                self.finish("SUBMITTED".into(), now)
            }
            Err(super::SubmitError::Flink(e)) if e.is_ambiguous() || e.is_unreachable() => {
                // Outcome unknown or cluster unreachable: keep the operation (with
                // its job id) and look the job up next time before trying again.
                self.state
                    .set_error(format!("submission pending: {e}"), now, true);
                self.stage = Stage::SavingPending {
                    message: format!("submission of {job} unconfirmed: {e}"),
                };
                self.save()
            }
            Err(super::SubmitError::Flink(e)) => match restore_from {
                Some(missing) if is_missing_restore_point(&e.to_string()) => {
                    self.next_restore_point(missing, e.to_string())
                }
                _ => self.not_started(e.to_string(), e.is_retryable(), now),
            },
            Err(super::SubmitError::Refused { message, retryable }) => {
                self.not_started(message, retryable, now)
            }
        }
    }

    /// Flink refused to restore from `missing` because its files are gone: find
    /// the candidates again and go on with the newest one not tried yet.
    fn next_restore_point(&mut self, missing: String, flink_said: String) -> Next<Outcome> {
        tracing::warn!(job = %self.state.job_id, %missing, "restore point missing; trying the next one");
        self.stage = Stage::FindingNext {
            missing,
            flink_said,
        };
        Next::Do(Effect::FindRestorePoints {
            state: Box::new(self.state.clone()),
        })
    }

    fn found_next(
        &mut self,
        found: Found,
        missing: String,
        flink_said: String,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some(Recorded::Deploy {
            flink_job_id,
            upgrade,
            ..
        }) = &mut self.state.operation
        else {
            return self.over("no deploy in flight");
        };
        let p = upgrade.get_or_insert_with(|| UpgradeProgress::new(UpgradeMode::Savepoint, None));
        if !p.tried.contains(&missing) {
            p.tried.push(missing.clone());
        }
        let tried = p.tried.clone();
        let next = found
            .chain
            .iter()
            .find(|c| !tried.iter().any(|t| same_place(t, &c.location)));
        let Some(next) = next else {
            let message = format!(
                "{} (Flink: {})",
                none_left(&tried),
                fjc_snapshot::one_line(&flink_said, 300)
            );
            return self.not_started(message, false, now);
        };
        p.restore_from = Some(next.location.clone());
        let old_id = flink_job_id.clone();
        // The refused submission left a FAILED job under the old id.
        *flink_job_id = derived_job_id(&old_id, &next.location);
        let record = next.record(&old_id);
        let note = format!(
            "restore point {missing} is missing; restoring from {} instead",
            record.location
        );
        self.state.last_savepoint = Some(record);
        self.state.set_error(note, now, true);
        self.inputs.observed = None;
        self.stage = Stage::SavingNext;
        self.save()
    }

    /// A deployment that did not start: FAILED with why, retried after a backoff
    /// when `retryable`.
    fn not_started(&mut self, message: String, retryable: bool, now: EpochMs) -> Next<Outcome> {
        tracing::warn!(job = %self.state.job_id, error = %message, retryable, "deployment failed");
        let s = &mut self.state;
        s.operation = None;
        s.lifecycle = Lifecycle::Failed;
        s.failed_attempts = s.failed_attempts.saturating_add(1);
        s.next_attempt_at = retryable.then(|| now + self.inputs.backoff.after(s.failed_attempts));
        s.set_error(message.clone(), now, retryable);
        self.stage = Stage::SavingFailure { message };
        self.save()
    }

    /// Step 6: what runs is recorded; a new version gets its revision first.
    fn finish(&mut self, flink_state: String, now: EpochMs) -> Next<Outcome> {
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

    fn over(&mut self, what: &str) -> Next<Outcome> {
        self.stage = Stage::Over;
        Next::Done(Outcome::Done(what.into()))
    }

    fn deployed(&mut self) -> Next<Outcome> {
        let job = self.state.flink_job_id.clone();
        self.stage = Stage::Over;
        Next::Done(Outcome::Done(match job {
            Some(j) => format!("submitted as Flink job {j}"),
            None => "submitted".into(),
        }))
    }

    /// Deletes revisions beyond [`REVISIONS_KEPT`], never the deployed or the
    /// stable one (history only: a failure is logged).
    fn prune(&mut self, revisions: Vec<Revision>) -> Next<Outcome> {
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

/// A job id of its own for the submission that restores from `location` after
/// `old`'s was refused: derived, so a repeated step picks the same one.
fn derived_job_id(old: &JobId, location: &str) -> JobId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{old}\n{location}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    JobId::parse(&hex).unwrap_or_else(|_| old.clone())
}

impl Operation for Deploy {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        match (stage, answer) {
            (Stage::Begin, None) => match self.op() {
                None => self.over("no deploy in flight"),
                // What is deployed: the spec, or for a rollback the recorded revision.
                Some((_, _, Purpose::Rollback { to }, _)) => {
                    self.stage = Stage::ReadingRevision { to };
                    Next::Do(Effect::ReadRevisions {
                        job_id: self.state.job_id.clone(),
                    })
                }
                Some(_) => self.look(now),
            },
            (Stage::ReadingRevision { to }, Some(Answer::Revisions(result))) => match result {
                Ok(all) => match all.iter().find(|r| r.number == to) {
                    Some(r) => {
                        self.record = Some(r.record());
                        self.look(now)
                    }
                    None => {
                        let kept: Vec<String> = all.iter().map(|r| r.number.to_string()).collect();
                        let kept = if kept.is_empty() {
                            "none".to_string()
                        } else {
                            kept.join(", ")
                        };
                        Next::Fail(StepError::NotFound(format!(
                            "revision {to} of {} is not kept (kept: {kept})",
                            self.state.job_id
                        )))
                    }
                },
                Err(e) => Next::Fail(e),
            },
            (Stage::AskingCause { missing }, Some(Answer::FailureCause(result))) => match result {
                Ok(Some(cause)) if is_missing_restore_point(&cause) => {
                    self.next_restore_point(missing, cause)
                }
                _ => self.finish(FlinkJobState::Failed.as_str().to_string(), now),
            },
            (Stage::SavingFingerprint | Stage::SavingNext, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.look(now)
            }
            (Stage::Verifying, Some(Answer::Verified(result))) => match result {
                Ok(()) => self.carry(now),
                Err(super::SubmitError::Refused { message, retryable }) => {
                    self.not_started(message, retryable, now)
                }
                Err(super::SubmitError::Flink(e)) => {
                    self.not_started(e.to_string(), e.is_retryable(), now)
                }
            },
            (Stage::Carrying(mut carry), answer) => match carry.step(answer, now) {
                Next::Done(ending) => {
                    self.state = carry.into_state();
                    match ending {
                        Carry::Ready(from) => self.submit(from),
                        Carry::Wait(why) => {
                            self.stage = Stage::Over;
                            Next::Done(Outcome::InProgress(why))
                        }
                        Carry::Abandoned(outcome) => {
                            self.stage = Stage::Over;
                            Next::Done(outcome)
                        }
                    }
                }
                other => {
                    self.stage = Stage::Carrying(carry);
                    other.map_done()
                }
            },
            (Stage::Submitting { restore_from }, Some(Answer::Submitted(result))) => {
                self.submitted(result, restore_from, now)
            }
            (Stage::AskingSubmitted, Some(Answer::Job(result))) => {
                let seen = match result {
                    Ok(s) => s.as_str().to_string(),
                    Err(_) => "SUBMITTED".to_string(),
                };
                self.finish(seen, now)
            }
            (Stage::SavingPending { message }, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.stage = Stage::Over;
                Next::Done(Outcome::InProgress(message))
            }
            (
                Stage::FindingNext {
                    missing,
                    flink_said,
                },
                Some(Answer::RestorePoints(found)),
            ) => self.found_next(found, missing, flink_said, now),
            (Stage::WritingRevision { made }, Some(Answer::Stored(result))) => match result {
                Ok(()) => {
                    self.stage = Stage::SavingDeployed { made };
                    self.save()
                }
                Err(e) => Next::Fail(e),
            },
            (Stage::SavingDeployed { made, .. }, Some(Answer::Saved(s))) => {
                self.state = *s;
                if self.state.revisions_made == made {
                    return self.deployed();
                }
                // Only a new revision can push an old one out.
                let job = self
                    .state
                    .flink_job_id
                    .clone()
                    .unwrap_or_else(JobId::random);
                self.stage = Stage::ListingRevisions { job };
                Next::Do(Effect::ReadRevisions {
                    job_id: self.state.job_id.clone(),
                })
            }
            (Stage::ListingRevisions { job }, Some(Answer::Revisions(result))) => {
                self.stage = Stage::ListingRevisions { job };
                match result {
                    Ok(all) => self.prune(all),
                    Err(_) => self.deployed(),
                }
            }
            (Stage::Pruning { job, mut left }, answer) => {
                if let Some(Answer::Stored(Err(e))) = answer {
                    tracing::warn!(job = %self.state.job_id, error = %e, "could not delete old revision");
                }
                match left.pop() {
                    Some(number) => {
                        self.stage = Stage::Pruning { job, left };
                        Next::Do(Effect::DeleteRevision {
                            job_id: self.state.job_id.clone(),
                            number,
                        })
                    }
                    None => self.deployed(),
                }
            }
            (Stage::SavingFailure { message }, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.stage = Stage::Over;
                Next::Done(Outcome::Failed(message))
            }
            (_, answer) => unexpected("deploy", answer),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        match &mut self.stage {
            Stage::Carrying(carry) => match carry.paused(why) {
                Carry::Wait(why) => Outcome::InProgress(why),
                Carry::Abandoned(o) => o,
                Carry::Ready(_) => Outcome::InProgress("carry-over done; submitting next".into()),
            },
            _ => Outcome::InProgress(why),
        }
    }
}

impl Next<Carry> {
    /// A nested carry-over's effect, wait or error, as the deployment's.
    fn map_done(self) -> Next<Outcome> {
        match self {
            Next::Do(e) => Next::Do(e),
            Next::LookAgainAt { at, why } => Next::LookAgainAt { at, why },
            Next::Fail(e) => Next::Fail(e),
            Next::Done(_) => unexpected("deploy's carry-over", None),
        }
    }
}
