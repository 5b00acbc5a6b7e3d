//! Slot admission: a deployment submits only when its cluster has the task slots
//! its parallelism needs, counting those the version it replaces frees. Until
//! then it waits, with the reason in the job's status, instead of creating a job
//! that sits in CREATED or fails after Flink's slot request timeout.

use fjc_flink::{FlinkError, JobId};

use super::{Deploy, Stage};
use crate::clock::EpochMs;
use crate::operation::{Effect, Next, Outcome, Slots};
use crate::state::Purpose;

/// Whether a job needing `needed` slots can be submitted to `cluster` now, with
/// `freed` more slots to come from the version it replaces; else why not.
pub fn admit(cluster: &str, needed: u32, slots: Slots, freed: u32) -> Result<(), String> {
    if needed <= slots.free.saturating_add(freed) {
        return Ok(());
    }
    let held = if freed > 0 {
        format!(" and {freed} held by the running version")
    } else {
        String::new()
    };
    Err(format!(
        "waiting for {needed} slots, {} free on cluster {cluster}{held} ({} in all)",
        slots.free, slots.total
    ))
}

impl Deploy {
    /// Step 3a: ask the cluster's slots before anything else is done.
    pub(super) fn ask_slots(&mut self) -> Next<Outcome> {
        self.stage = Stage::AskingSlots;
        Next::Do(Effect::AskSlots {
            cluster: self.state.cluster.clone(),
        })
    }

    /// Step 3b: go on to verify when the slots are there (or cannot be told:
    /// the submission will tell), else wait for them.
    pub(super) fn slots_known(
        &mut self,
        slots: Result<Slots, FlinkError>,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some((_, replaces, purpose, _)) = self.op() else {
            return self.over("no deploy in flight");
        };
        let Ok(slots) = slots else {
            return self.verify();
        };
        let needed =
            u32::try_from(self.record().spec.deployment.parallelism.max(1)).unwrap_or(u32::MAX);
        // The replaced job's slots come free once it stops (an unknown count, from a
        // version deployed before it was recorded, is taken to be enough).
        let freed = match replaces {
            Some(_) if self.inputs.old_live => self.state.deployed_parallelism.unwrap_or(needed),
            _ => 0,
        };
        match admit(&self.state.cluster, needed, slots, freed) {
            Ok(()) => match (purpose, replaces, self.state.flink_job_id.clone()) {
                // A job the cluster lost: its tasks may outlive the JobManager.
                (Purpose::Recover, None, Some(lost)) if !self.inputs.old_live => {
                    self.stage = Stage::AskingHolders { lost };
                    Next::Do(Effect::AskSlotHolders {
                        cluster: self.state.cluster.clone(),
                    })
                }
                _ => self.verify(),
            },
            Err(reason) => {
                tracing::info!(job = %self.state.job_id, %reason, "not submitted yet");
                // A recovery keeps its failure cause as the job's error.
                if purpose == Purpose::Recover
                    || self
                        .state
                        .last_error
                        .as_ref()
                        .is_some_and(|e| e.message == reason)
                {
                    return self.over_waiting(reason);
                }
                self.state.set_error(reason.clone(), now, true);
                self.stage = Stage::SavingWait { reason };
                self.save()
            }
        }
    }

    /// Step 3c (recovery of a lost job): go on only once no TaskManager holds a slot
    /// for the lost job. After a JobManager dies, its TaskManagers keep running its
    /// tasks until they notice (12 s measured on Flink 2.3); a recovery submitted
    /// meanwhile would run beside them, and both would write. Waits without a write;
    /// when the holders cannot be told, the submission goes on.
    pub(super) fn holders_known(
        &mut self,
        lost: &JobId,
        holders: Result<Vec<JobId>, FlinkError>,
    ) -> Next<Outcome> {
        match holders {
            Ok(holders) if holders.contains(lost) => {
                let reason = format!(
                    "waiting for the TaskManagers to stop the tasks of lost Flink job {lost}: \
                     they still hold its slots, and a second copy must not run beside them"
                );
                tracing::info!(job = %self.state.job_id, %reason, "not submitted yet");
                self.over_waiting(reason)
            }
            _ => self.verify(),
        }
    }

    pub(super) fn over_waiting(&mut self, reason: String) -> Next<Outcome> {
        self.stage = Stage::Over;
        Next::Done(Outcome::InProgress(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::{Slots, admit};

    #[test]
    fn a_job_is_admitted_when_free_and_freed_slots_cover_its_parallelism() {
        let slots = |free, total| Slots { free, total };
        assert_eq!(admit("c", 4, slots(4, 8), 0), Ok(()));
        assert_eq!(
            admit("c", 4, slots(2, 8), 2),
            Ok(()),
            "an upgrade counts the old job's"
        );
        assert_eq!(
            admit("default", 20, slots(6, 8), 0),
            Err("waiting for 20 slots, 6 free on cluster default (8 in all)".into())
        );
        assert_eq!(
            admit("c", 5, slots(1, 4), 2),
            Err("waiting for 5 slots, 1 free on cluster c and 2 held by the running version (4 in all)".into())
        );
    }
}
