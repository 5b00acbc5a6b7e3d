//! In-place rescale: a spec whose only change is `deployment.parallelism`, of a
//! job that runs under the adaptive scheduler, is carried out by changing the
//! job's parallelism bounds (`PUT /jobs/:id/resource-requirements`). Flink
//! restarts the job's tasks from its newest checkpoint under the same job id:
//! no savepoint, no new submission. The new spec is a revision like any other,
//! health-gated from the rescale on.
//!
//! The steps:
//! 1. a scale-up asks the cluster's free slots first and waits, with the reason
//!    in the job's status, until the extra slots are there (slot admission);
//! 2. Flink's restart count of the job is read, and the intent is recorded
//!    with it ([`Recorded::Rescale`]) before Flink is called;
//! 3. the vertices' bounds are read, and every vertex that runs with the
//!    deployed parallelism (or already with the new one) is given the new one
//!    as its upper bound; a vertex with a parallelism of its own keeps it;
//! 4. the job is looked at until it runs every task at the new parallelism;
//! 5. Flink's counts of the job are read once they show the rescale's restart
//!    (Flink refreshes them every 10 s), so the new version's signals count
//!    from the rescale on ([`Baseline`]); then its revision and state are
//!    written.
//!
//! Where the rescale cannot be done in place (Flink refuses it, no vertex runs
//! at the deployed parallelism, or it does not finish within the spec's
//! `readiness_timeout`), the operation ends with the fingerprint marked as
//! attempted and a retry due now: the planner then upgrades the job through a
//! savepoint, as for any other change. A crash at any point resumes at step 3,
//! which is idempotent.

use fjc_flink::{CheckpointStats, FlinkError, JobId, JobMetrics, JobSummary, ResourceRequirements};

use super::deploy::admit::admit;
use super::{Answer, Effect, Next, Operation, Outcome, Slots, StepError, unexpected};
use crate::clock::{EpochMs, millis as ms};
use crate::record::SpecRecord;
use crate::revisions::Revision;
use crate::signals::Baseline;
use crate::state::{JobState, Lifecycle, Operation as Recorded};

/// How often a rescale in flight is looked at.
pub const LOOK_EVERY_MS: EpochMs = 2_000;

/// The rescale of one job, from its state.
pub struct Rescale {
    state: JobState,
    record: SpecRecord,
    job: JobId,
    from: u32,
    to: u32,
    stage: Stage,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// Not recorded yet: slots first, for a scale-up.
    Start,
    AskingSlots,
    SavingWait {
        reason: String,
    },
    AskingBefore,
    SavingIntent,
    AskingRequirements,
    CheckingState {
        wanted: ResourceRequirements,
        tasks: u32,
    },
    Setting {
        tasks: u32,
    },
    Watching {
        tasks: u32,
    },
    AskingMetrics,
    WritingRevision,
    SavingDone {
        message: String,
    },
    SavingFallback {
        message: String,
    },
    SavingGone {
        message: String,
    },
    Over,
}

impl Rescale {
    /// A rescale of `job` from `from` to `to` (the spec's parallelism), not
    /// recorded yet.
    pub fn start(state: JobState, record: SpecRecord, job: JobId, from: u32, to: u32) -> Rescale {
        Rescale {
            state,
            record,
            job,
            from,
            to,
            stage: Stage::Start,
        }
    }

    /// Goes on with the rescale recorded in `state` (after a pause or a crash),
    /// or `None` when none is.
    pub fn resume(state: JobState, record: SpecRecord) -> Option<Rescale> {
        let Some(Recorded::Rescale {
            flink_job_id,
            from,
            to,
            ..
        }) = &state.operation
        else {
            return None;
        };
        Some(Rescale {
            job: flink_job_id.clone(),
            from: *from,
            to: *to,
            record,
            state,
            stage: Stage::AskingRequirements,
        })
    }

    /// The job's state as the operation holds it.
    pub fn state(&self) -> &JobState {
        &self.state
    }

    fn save(&self) -> Next<Outcome> {
        Next::Do(Effect::Save(Box::new(self.state.clone())))
    }

    fn started_at(&self) -> EpochMs {
        self.state
            .operation
            .as_ref()
            .map_or(0, Recorded::started_at)
    }

    fn ask_metrics(&mut self, stage: Stage) -> Next<Outcome> {
        self.stage = stage;
        Next::Do(Effect::AskMetrics {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
        })
    }

    fn restarts_before(&self) -> u64 {
        match &self.state.operation {
            Some(Recorded::Rescale {
                restarts_before, ..
            }) => *restarts_before,
            _ => 0,
        }
    }

    fn record_intent(&mut self, before: &JobMetrics, now: EpochMs) -> Next<Outcome> {
        let Some(restarts_before) = before.restarts else {
            // Flink has no count of the job yet: start again once it has.
            self.stage = Stage::Start;
            return Next::LookAgainAt {
                at: now + LOOK_EVERY_MS,
                why: format!("waiting for Flink's metrics of job {}", self.job),
            };
        };
        self.state.operation = Some(Recorded::Rescale {
            flink_job_id: self.job.clone(),
            fingerprint: self.record.fingerprint.clone(),
            from: self.from,
            to: self.to,
            restarts_before,
            started_at: now,
        });
        self.stage = Stage::SavingIntent;
        self.save()
    }

    fn ask_requirements(&mut self) -> Next<Outcome> {
        self.stage = Stage::AskingRequirements;
        Next::Do(Effect::AskRequirements {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
        })
    }

    fn slots_known(&mut self, slots: Result<Slots, FlinkError>, now: EpochMs) -> Next<Outcome> {
        // Slots that cannot be told: the adaptive scheduler takes what it gets,
        // and the wait for the new parallelism tells.
        let Ok(slots) = slots else {
            return self.ask_metrics(Stage::AskingBefore);
        };
        match admit(&self.state.cluster, self.to, slots, self.from) {
            Ok(()) => self.ask_metrics(Stage::AskingBefore),
            Err(reason) => {
                let told = self
                    .state
                    .last_error
                    .as_ref()
                    .is_some_and(|e| e.message == reason);
                if told {
                    self.stage = Stage::Over;
                    return Next::Done(Outcome::InProgress(reason));
                }
                self.state.set_error(reason.clone(), now, true);
                self.stage = Stage::SavingWait { reason };
                self.save()
            }
        }
    }

    /// The bounds to set: every vertex at the deployed parallelism (or at the
    /// new one already) follows the spec; `None` when no vertex does.
    fn requirements(&self, current: &ResourceRequirements) -> Option<ResourceRequirements> {
        let follows = |upper: u32| upper == self.from || upper == self.to;
        if !current.values().any(|b| follows(b.upper_bound)) {
            return None;
        }
        Some(
            current
                .iter()
                .map(|(vertex, bounds)| {
                    let mut b = *bounds;
                    if follows(b.upper_bound) {
                        b.upper_bound = self.to;
                        b.lower_bound = b.lower_bound.min(self.to);
                    }
                    (vertex.clone(), b)
                })
                .collect(),
        )
    }

    fn requirements_known(
        &mut self,
        current: Result<ResourceRequirements, FlinkError>,
        now: EpochMs,
    ) -> Next<Outcome> {
        let current = match current {
            Ok(c) => c,
            Err(e @ FlinkError::NotFound { .. }) => return self.gone(&e, now),
            Err(e) if e.is_retryable() => return Next::Fail(StepError::Flink(e)),
            Err(e) => return self.fall_back(format!("Flink refused it: {e}"), now),
        };
        let Some(wanted) = self.requirements(&current) else {
            return self.fall_back(
                format!("no vertex runs with the deployed parallelism {}", self.from),
                now,
            );
        };
        let tasks = wanted.values().map(|b| b.upper_bound).sum();
        if wanted == current {
            // Set before (a resumed rescale): look at the job now.
            return self.ask_tasks(tasks);
        }
        // Flink restarts the job's tasks from its newest checkpoint: there must
        // be one, or the job would start again empty.
        self.stage = Stage::CheckingState { wanted, tasks };
        Next::Do(Effect::ReadCheckpoints {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
        })
    }

    fn state_known(
        &mut self,
        stats: Result<CheckpointStats, FlinkError>,
        wanted: ResourceRequirements,
        tasks: u32,
        now: EpochMs,
    ) -> Next<Outcome> {
        let stats = match stats {
            Ok(s) => s,
            Err(e @ FlinkError::NotFound { .. }) => return self.gone(&e, now),
            Err(e) => return Next::Fail(StepError::Flink(e)),
        };
        if stats.latest_completed.is_none() {
            if let Some(secs) = self.past_timeout(now) {
                let why = format!("no completed checkpoint to restart from within {secs}s");
                return self.fall_back(why, now);
            }
            let why = format!(
                "waiting for a completed checkpoint of Flink job {} before rescaling it in place",
                self.job
            );
            return self.again(why, now);
        }
        self.stage = Stage::Setting { tasks };
        Next::Do(Effect::SetRequirements {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
            requirements: wanted,
        })
    }

    fn watch(&mut self, tasks: u32, now: EpochMs) -> Next<Outcome> {
        self.stage = Stage::Watching { tasks };
        Next::LookAgainAt {
            at: now + LOOK_EVERY_MS,
            why: format!(
                "waiting for Flink job {} to run at parallelism {}",
                self.job, self.to
            ),
        }
    }

    /// The spec's `readiness_timeout` in seconds, once the rescale has taken
    /// longer.
    fn past_timeout(&self, now: EpochMs) -> Option<i64> {
        let timeout = ms(self.record.spec.readiness_timeout());
        (now - self.started_at() > timeout).then_some(timeout / 1000)
    }

    /// Looks again soon, from the bounds on (where a paused rescale resumes).
    fn again(&mut self, why: String, now: EpochMs) -> Next<Outcome> {
        self.stage = Stage::AskingRequirements;
        Next::LookAgainAt {
            at: now + LOOK_EVERY_MS,
            why,
        }
    }

    fn ask_tasks(&mut self, tasks: u32) -> Next<Outcome> {
        self.stage = Stage::Watching { tasks };
        Next::Do(Effect::AskTasks {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
        })
    }

    fn seen(&mut self, job: JobSummary, tasks: u32, now: EpochMs) -> Next<Outcome> {
        if job.tasks_total == tasks && job.runs_all_tasks() {
            return self.ask_metrics(Stage::AskingMetrics);
        }
        if job.state.is_globally_terminal() {
            let message = format!(
                "Flink job {} ended {} while it was rescaled",
                self.job, job.state
            );
            return self.gone(&message, now);
        }
        if let Some(secs) = self.past_timeout(now) {
            let why = format!(
                "it did not run at parallelism {} within readiness_timeout ({secs}s; Flink {}, {} of {tasks} tasks)",
                self.to, job.state, job.tasks_running
            );
            return self.fall_back(why, now);
        }
        self.watch(tasks, now)
    }

    /// The job runs at the new parallelism: its counts once they show the
    /// rescale's restart (or, past the timeout, taken to have).
    fn counted(&mut self, metrics: JobMetrics, now: EpochMs) -> Next<Outcome> {
        let before = self.restarts_before();
        let fresh = metrics.restarts.is_some_and(|r| r > before);
        if !fresh && self.past_timeout(now).is_none() {
            let why = format!(
                "waiting for Flink's metrics of job {} to count the rescale",
                self.job
            );
            return self.again(why, now);
        }
        let mut baseline = Baseline::of(&metrics);
        baseline.restarts = baseline.restarts.max(before + 1);
        self.finish(baseline, now)
    }

    /// Its revision first, then the state that names it.
    fn finish(&mut self, baseline: Baseline, now: EpochMs) -> Next<Outcome> {
        let current = matches!(
            &self.state.operation,
            Some(Recorded::Rescale { fingerprint, .. }) if *fingerprint == self.record.fingerprint
        );
        let s = &mut self.state;
        s.operation = None;
        s.deployed_parallelism = Some(self.to);
        if !current {
            // The spec changed again meanwhile: what runs is told, and the
            // planner decides anew.
            let message = format!("rescaled in place to {}; the spec changed since", self.to);
            self.stage = Stage::SavingDone { message };
            return self.save();
        }
        let r = &self.record;
        s.baseline = Some(baseline);
        s.health = None;
        s.deployed_classes = Some(fjc_spec::class_fingerprints(&r.spec, &r.artifact_digest));
        s.deployed_fingerprint = Some(r.fingerprint.clone());
        s.attempted_fingerprint = Some(r.fingerprint.clone());
        s.deployed_at = Some(now);
        s.running_since = None;
        s.lifecycle = Lifecycle::Deploying;
        s.restored_from = None;
        s.failed_attempts = 0;
        s.next_attempt_at = None;
        s.last_error = None;
        let number = s.revisions_made + 1;
        s.revision = number;
        s.revisions_made = number;
        self.stage = Stage::WritingRevision;
        Next::Do(Effect::PutRevision(Box::new(Revision::of(
            number,
            r,
            self.job.clone(),
            None,
            now,
        ))))
    }

    /// Not possible in place: the job keeps running as it is, and the planner
    /// upgrades it through a savepoint now.
    fn fall_back(&mut self, why: String, now: EpochMs) -> Next<Outcome> {
        let message = format!(
            "in-place rescale to parallelism {} not possible: {why}; upgrading through a savepoint instead",
            self.to
        );
        tracing::info!(job = %self.state.job_id, %message);
        let s = &mut self.state;
        s.operation = None;
        s.attempted_fingerprint = Some(self.record.fingerprint.clone());
        s.set_error(message.clone(), now, true);
        s.next_attempt_at = Some(now);
        self.stage = Stage::SavingFallback { message };
        self.save()
    }

    /// The job is gone: the rescale ends, and the planner recovers the job.
    fn gone(&mut self, why: &dyn std::fmt::Display, now: EpochMs) -> Next<Outcome> {
        let message = format!("rescale to parallelism {} stopped: {why}", self.to);
        let s = &mut self.state;
        s.operation = None;
        s.set_error(message.clone(), now, true);
        self.stage = Stage::SavingGone { message };
        self.save()
    }

    fn over(&mut self, outcome: Outcome) -> Next<Outcome> {
        self.stage = Stage::Over;
        Next::Done(outcome)
    }
}

impl Operation for Rescale {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        if let Some(Answer::Saved(state)) = &answer {
            self.state = (**state).clone();
        }
        match (self.stage.clone(), answer) {
            (Stage::Start, None) if self.to > self.from => {
                self.stage = Stage::AskingSlots;
                Next::Do(Effect::AskSlots {
                    cluster: self.state.cluster.clone(),
                })
            }
            (Stage::Start, None) => self.ask_metrics(Stage::AskingBefore),
            (Stage::AskingBefore, Some(Answer::Metrics(m))) => match m {
                Ok(m) => self.record_intent(&m, now),
                Err(e) => Next::Fail(StepError::Flink(e)),
            },
            (Stage::AskingSlots, Some(Answer::Slots(slots))) => self.slots_known(slots, now),
            (Stage::SavingWait { reason }, Some(Answer::Saved(_))) => {
                self.over(Outcome::InProgress(reason))
            }
            (Stage::SavingIntent, Some(Answer::Saved(_))) | (Stage::AskingRequirements, None) => {
                self.ask_requirements()
            }
            (Stage::AskingRequirements, Some(Answer::Requirements(r))) => {
                self.requirements_known(r, now)
            }
            (Stage::CheckingState { wanted, tasks }, Some(Answer::Checkpoints(stats))) => {
                self.state_known(stats, wanted, tasks, now)
            }
            (Stage::Setting { tasks }, Some(Answer::Called(result))) => match result {
                Ok(()) => self.watch(tasks, now),
                Err(e @ FlinkError::NotFound { .. }) => self.gone(&e, now),
                Err(e) if e.is_retryable() => Next::Fail(StepError::Flink(e)),
                Err(e) => self.fall_back(format!("Flink refused it: {e}"), now),
            },
            (Stage::Watching { tasks }, None) => self.ask_tasks(tasks),
            (Stage::Watching { tasks }, Some(Answer::Tasks(job))) => match job {
                Ok(job) => self.seen(job, tasks, now),
                Err(e @ FlinkError::NotFound { .. }) => self.gone(&e, now),
                Err(e) => Next::Fail(StepError::Flink(e)),
            },
            (Stage::AskingMetrics, Some(Answer::Metrics(m))) => match m {
                Ok(m) => self.counted(m, now),
                Err(e) => Next::Fail(StepError::Flink(e)),
            },
            (Stage::WritingRevision, Some(Answer::Stored(result))) => match result {
                Ok(()) => {
                    let message = format!(
                        "rescaled in place from parallelism {} to {} (Flink job {}, no savepoint)",
                        self.from, self.to, self.job
                    );
                    self.stage = Stage::SavingDone { message };
                    self.save()
                }
                Err(e) => Next::Fail(e),
            },
            (Stage::SavingDone { message }, Some(Answer::Saved(_))) => {
                self.over(Outcome::Done(message))
            }
            (Stage::SavingFallback { message }, Some(Answer::Saved(_))) => {
                self.over(Outcome::InProgress(message))
            }
            (Stage::SavingGone { message }, Some(Answer::Saved(_))) => {
                self.over(Outcome::Failed(message))
            }
            (_, other) => unexpected("rescale", other),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}
