//! `savepoint` mode: the trigger id recorded first, stop-with-savepoint, then
//! looking until Flink completes it, fails it, or it overruns `savepoint_timeout`.

use fjc_flink::{FlinkError, SavepointStatus};

use super::{Carry, CarryOver, LOOK_EVERY_MS, Stage, progress};
use crate::clock::EpochMs;
use crate::operation::{Effect, Next};
use crate::state::SavepointRecord;

impl CarryOver {
    pub(super) fn savepoint(&mut self, now: EpochMs) -> Next<Carry> {
        match progress(&mut self.state).and_then(|p| p.trigger_id.clone()) {
            Some(trigger) => {
                self.stage = Stage::AskingTrigger {
                    trigger: trigger.clone(),
                };
                self.ask(trigger)
            }
            None => {
                let trigger = self.fresh_trigger.clone();
                if let Some(p) = progress(&mut self.state) {
                    p.trigger_id = Some(trigger.clone());
                    p.savepoint_started_at = Some(now);
                }
                self.stage = Stage::RecordingTrigger { trigger };
                self.save()
            }
        }
    }

    pub(super) fn ask(&self, trigger: String) -> Next<Carry> {
        Next::Do(Effect::AskSavepoint {
            cluster: self.cluster(),
            job: self.old.clone(),
            trigger,
        })
    }

    pub(super) fn stop_with_savepoint(&mut self, trigger: String) -> Next<Carry> {
        self.stage = Stage::StoppingWithSavepoint {
            trigger: trigger.clone(),
        };
        Next::Do(Effect::StopWithSavepoint {
            cluster: self.cluster(),
            job: self.old.clone(),
            target: self.settings.target.clone(),
            trigger,
        })
    }

    pub(super) fn looked(
        &mut self,
        trigger: String,
        result: Result<SavepointStatus, FlinkError>,
        now: EpochMs,
    ) -> Next<Carry> {
        match result {
            Ok(SavepointStatus::Completed { location }) => {
                tracing::info!(job = %self.state.job_id, %location, "savepoint completed");
                let record = SavepointRecord {
                    location,
                    at: now,
                    from_job: self.old.clone(),
                    kind: "savepoint".into(),
                };
                self.restore_point(record, true)
            }
            // Flink may have forgotten the trigger (its async results live
            // `rest.async.store-duration`, 5 min) or the JobManager may have
            // restarted: the job itself says whether the stop happened. Only a
            // job still running means it did not.
            Ok(SavepointStatus::Failed { cause }) => {
                self.stage = Stage::AskingEnded { cause };
                Next::Do(Effect::AskJob {
                    cluster: self.cluster(),
                    job: self.old.clone(),
                })
            }
            Ok(SavepointStatus::InProgress) => self.in_progress(trigger, now),
            Err(FlinkError::NotFound { .. }) => self.old_job_gone(),
            Err(e) => Next::Fail(e.into()),
        }
    }

    pub(super) fn in_progress(&mut self, trigger: String, now: EpochMs) -> Next<Carry> {
        let started = progress(&mut self.state)
            .and_then(|p| p.savepoint_started_at)
            .unwrap_or(now);
        let timeout = self.settings.savepoint_timeout_ms;
        if now - started <= timeout {
            self.stage = Stage::Looking { trigger };
            return Next::LookAgainAt {
                at: now + LOOK_EVERY_MS,
                why: format!("savepoint of {} in progress", self.old),
            };
        }
        // A stop-with-savepoint cannot be called off: if Flink still completed it
        // later, the job would end with its state in a savepoint nobody recorded.
        // So the overrun is reported and the trigger watched until Flink decides
        // (its checkpoint timeout bounds that): failed → abandoned, the job keeps
        // running; completed → the upgrade goes on from it.
        let message = format!(
            "savepoint exceeded savepoint_timeout ({}s) and is still in progress in \
             Flink; the upgrade is abandoned if it fails, and goes on if it completes",
            timeout / 1000
        );
        if self.state.last_error.as_ref().map(|e| &e.message) == Some(&message) {
            return Next::Done(Carry::Wait(message));
        }
        tracing::warn!(job = %self.state.job_id, old = %self.old, "{message}");
        self.state.set_error(message.clone(), now, true);
        self.stage = Stage::SavingOverrun { message };
        self.save()
    }
}
