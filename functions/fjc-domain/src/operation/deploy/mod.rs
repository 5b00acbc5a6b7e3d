//! A deployment in flight (`Operation::Deploy`): a new version, a recovery, a
//! resume, a restart or a rollback, from its recorded intent to the submitted job.
//!
//! The intent (with the Flink job id the submission will use) is saved before
//! this runs, so every step can be repeated:
//! 1. a job already under that id was submitted by an earlier step: adopt it, unless
//!    it is the FAILED job Flink leaves under the id of a submission it refused
//!    for a missing restore point (then go on with the next candidate);
//! 2. the spec changed before anything was submitted: deploy the new one;
//! 3. wait for the task slots the job needs ([`admit`]), then verify the artifact
//!    (and resolve secrets) before touching the running job, so a bad artifact
//!    leaves the old version running;
//! 4. carry the replaced job's state over ([`super::carry`]);
//! 5. submit; an unconfirmed submission is looked up next time, never repeated
//!    blindly; a refused restore point moves on to the next candidate under a new
//!    job id; with none left the deployment fails, naming every path tried;
//! 6. record what runs: the revision first, then the state that names it, then
//!    prune old revisions.

pub mod admit;
mod record;
pub mod start;
mod submit;

use fjc_flink::{FlinkJobState, JobId};

use super::carry::{Carry, CarryOver};
use super::{
    Answer, Backoff, Effect, Next, Operation, Outcome, StepError, SubmitError, unexpected,
};
use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::restore::is_missing_restore_point;
use crate::state::{JobState, Operation as Recorded, Purpose, UpgradeProgress};

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
    AskingSlots,
    AskingHolders { lost: JobId },
    SavingWait { reason: String },
    Verifying,
    Carrying(Box<CarryOver>),
    Submitting { restore_from: Option<String> },
    AskingSubmitted,
    SavingPending { message: String },
    DroppingJar { flink_state: String },
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

    fn over(&mut self, what: &str) -> Next<Outcome> {
        self.stage = Stage::Over;
        Next::Done(Outcome::Done(what.into()))
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
            (Stage::AskingSlots, Some(Answer::Slots(slots))) => self.slots_known(slots, now),
            (Stage::AskingHolders { lost }, Some(Answer::SlotHolders(holders))) => {
                self.holders_known(&lost, holders)
            }
            (Stage::SavingWait { reason }, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.over_waiting(reason)
            }
            (Stage::Verifying, Some(Answer::Verified(result))) => match result {
                Ok(()) => self.carry(now),
                Err(SubmitError::Refused { message, retryable }) => {
                    self.not_started(message, retryable, now)
                }
                Err(SubmitError::Flink(e)) => {
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
            (Stage::Submitting { restore_from }, Some(Answer::Submitted { result, kept_jar })) => {
                self.state.pending_jars.extend(kept_jar);
                self.submitted(result, restore_from, now)
            }
            (Stage::DroppingJar { flink_state }, Some(Answer::Called(result))) => {
                if let Err(e) = result {
                    tracing::warn!(job = %self.state.job_id, error = %e, "could not delete a kept jar");
                }
                self.finish(flink_state, now)
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
