//! The deployment's way to a submitted job: adopt an earlier submission, follow a
//! changed spec, verify, carry the old job's state over, submit, and move on to
//! the next restore point when Flink refuses one.

use fjc_flink::{FlinkError, FlinkJobState};
use fjc_spec::UpgradeMode;

use super::{Deploy, Stage, derived_job_id};
use crate::clock::EpochMs;
use crate::operation::carry::{self, CarryOver};
use crate::operation::{Effect, Next, Operation, Outcome, SubmitError};
use crate::restore::{Found, is_missing_restore_point, none_left, same_place};
use crate::state::{Lifecycle, Operation as Recorded, UpgradeProgress};

impl Deploy {
    /// Step 1: an earlier step may have submitted already.
    pub(super) fn look(&mut self, now: EpochMs) -> Next<Outcome> {
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
        // Admission comes before the replaced job is touched: once its stop has
        // begun (a savepoint trigger recorded) or it is gone, waiting for slots
        // would only keep the job down, so the submission goes ahead.
        let Some((_, replaces, _, upgrade)) = self.op() else {
            return self.over("no deploy in flight");
        };
        let stopping = upgrade.is_some_and(|u| u.trigger_id.is_some());
        if replaces.is_some() && (stopping || !self.inputs.old_live) {
            return self.verify();
        }
        self.ask_slots()
    }

    /// Step 3c: verify the artifact and resolve secrets.
    pub(super) fn verify(&mut self) -> Next<Outcome> {
        self.stage = Stage::Verifying;
        Next::Do(Effect::Verify {
            record: Box::new(self.record().clone()),
        })
    }

    /// Step 4: carry the replaced job's state over, or start from the recorded point.
    pub(super) fn carry(&mut self, now: EpochMs) -> Next<Outcome> {
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

    pub(super) fn submit(&mut self, restore_from: Option<String>) -> Next<Outcome> {
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

    pub(super) fn submitted(
        &mut self,
        result: Result<(), SubmitError>,
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
            Err(SubmitError::Flink(FlinkError::DuplicateJob { .. })) => {
                self.finish("SUBMITTED".into(), now)
            }
            Err(SubmitError::Flink(e)) if e.is_ambiguous() || e.is_unreachable() => {
                // Outcome unknown or cluster unreachable: keep the operation (with
                // its job id) and look the job up next time before trying again.
                self.state
                    .set_error(format!("submission pending: {e}"), now, true);
                self.stage = Stage::SavingPending {
                    message: format!("submission of {job} unconfirmed: {e}"),
                };
                self.save()
            }
            Err(SubmitError::Flink(e)) => match restore_from {
                Some(missing) if is_missing_restore_point(&e.to_string()) => {
                    self.next_restore_point(missing, e.to_string())
                }
                _ => self.not_started(e.to_string(), e.is_retryable(), now),
            },
            Err(SubmitError::Refused { message, retryable }) => {
                self.not_started(message, retryable, now)
            }
        }
    }

    /// Flink refused to restore from `missing` because its files are gone: find
    /// the candidates again and go on with the newest one not tried yet.
    pub(super) fn next_restore_point(
        &mut self,
        missing: String,
        flink_said: String,
    ) -> Next<Outcome> {
        tracing::warn!(job = %self.state.job_id, %missing, "restore point missing; trying the next one");
        self.stage = Stage::FindingNext {
            missing,
            flink_said,
        };
        Next::Do(Effect::FindRestorePoints {
            state: Box::new(self.state.clone()),
        })
    }

    pub(super) fn found_next(
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
    pub(super) fn not_started(
        &mut self,
        message: String,
        retryable: bool,
        now: EpochMs,
    ) -> Next<Outcome> {
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
}
