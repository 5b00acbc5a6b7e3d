//! A batch job's step for one cycle ([`BatchStep`]): end the runs the planner
//! names (recording Flink's result, cancelling timed-out or replaced ones),
//! keep the history within its limits, record skips and misses, and start a run.
//!
//! A new run's record and Flink job id are committed with the job's state
//! (fenced by the lease) before it is submitted, so a crash between the two
//! leaves a STARTING run that the next cycle finds in Flink or submits again
//! under the same id, never a second run.

mod books;
mod end;

use std::collections::VecDeque;

use fjc_flink::{FlinkError, FlinkJobState, JarId, JobId};
use fjc_spec::BatchConfig;
use tracing::{info, warn};

use super::deploy::admit::admit;
use super::{Answer, Effect, Next, Operation, Outcome, Slots, StepError, SubmitError, unexpected};
use crate::clock::EpochMs;
use crate::planner::{BatchStep, RunEnd};
use crate::record::SpecRecord;
use crate::runs::{BatchState, RunStatus, RunWrite};
use crate::state::JobState;
use end::Ended;

/// One batch step, as a machine.
#[derive(Debug)]
pub struct BatchRun {
    record: SpecRecord,
    cfg: BatchConfig,
    step: BatchStep,
    /// The Flink job id a new run gets.
    new_job: Option<JobId>,
    /// The job's state without its runs (`b` holds them while the step works).
    state: JobState,
    b: BatchState,
    ends: VecDeque<(String, RunEnd)>,
    jars: VecDeque<JarId>,
    writes: Vec<RunWrite>,
    submits: VecDeque<String>,
    done: Vec<String>,
    at: Phase,
}

#[derive(Debug)]
enum Phase {
    /// Ending the runs the planner named, one after another.
    Ending,
    /// Flink was asked how this run ended (cause, result or cancel).
    Asked(String, RunEnd),
    /// The reason of this run's end is being scrubbed of secrets.
    Scrubbing(String, RunStatus),
    /// Deleting the jars of ended and pruned runs.
    Cleaning,
    /// The state with the runs' writes is being committed.
    Committing,
    /// The cluster's slots were asked before submitting this run.
    AskingSlots(String),
    /// This run was submitted.
    Submitting(String),
}

impl BatchRun {
    /// The step for the job of `record`, from its stored state (none before the
    /// first run); a run it starts gets `new_job` as its Flink job id.
    pub fn new(
        record: &SpecRecord,
        stored: Option<&JobState>,
        step: &BatchStep,
        new_job: JobId,
        now: EpochMs,
    ) -> BatchRun {
        let mut state = stored.cloned().unwrap_or_else(|| {
            JobState::new(
                &record.spec.job_id,
                record.spec.job_type,
                &record.spec.cluster,
                now,
            )
        });
        let b = state.batch.take().unwrap_or_default();
        BatchRun {
            record: record.clone(),
            cfg: record.spec.batch_config.clone().unwrap_or_default(),
            ends: step.end.iter().cloned().collect(),
            submits: step.resubmit.iter().cloned().collect(),
            step: step.clone(),
            new_job: Some(new_job),
            state,
            b,
            jars: VecDeque::new(),
            writes: Vec::new(),
            done: Vec::new(),
            at: Phase::Ending,
        }
    }

    fn cluster(&self) -> String {
        self.state.cluster.clone()
    }

    fn active(&self, run_id: &str) -> Option<usize> {
        self.b.active.iter().position(|r| r.run_id == run_id)
    }

    /// The next run to end: its end when known without asking, else the call
    /// that tells it.
    fn next_end(&mut self, now: EpochMs) -> Next<Outcome> {
        while let Some((run_id, how)) = self.ends.pop_front() {
            let Some(pos) = self.active(&run_id) else {
                continue;
            };
            let job = self.b.active[pos].flink_job_id.clone();
            let cluster = self.cluster();
            let effect = match &how {
                RunEnd::Observed(FlinkJobState::Failed) => Effect::AskFailureCause { cluster, job },
                RunEnd::Observed(state) => {
                    let ended = end::from_flink(&job, state, None);
                    return self.ended(run_id, ended, now);
                }
                RunEnd::Vanished => Effect::AskJobResult { cluster, job },
                RunEnd::Cancel { .. } => Effect::Cancel { cluster, job },
            };
            self.at = Phase::Asked(run_id, how);
            return Next::Do(effect);
        }
        self.prune();
        self.clean(now)
    }

    /// What Flink answered about the run's end.
    fn answered(
        &mut self,
        run_id: String,
        how: RunEnd,
        answer: Answer,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some(pos) = self.active(&run_id) else {
            return self.next_end(now);
        };
        let job = self.b.active[pos].flink_job_id.clone();
        let ended = match (how, answer) {
            (RunEnd::Observed(state), Answer::FailureCause(cause)) => {
                Ok(Some(end::from_flink(&job, &state, cause.ok().flatten())))
            }
            (RunEnd::Vanished, Answer::JobResult(result)) => end::from_result(&job, result),
            // The controller's own reason: nothing to scrub.
            (RunEnd::Cancel { status, reason }, Answer::Called(result)) => {
                return match end::cancelled(result) {
                    Ok(()) => self.close(&run_id, status, Some(reason), now),
                    Err(e) => Next::Fail(StepError::Flink(e)),
                };
            }
            (_, answer) => return unexpected("batch run end", Some(answer)),
        };
        match ended {
            Ok(Some(ended)) => self.ended(run_id, ended, now),
            Ok(None) => self.next_end(now),
            Err(e) => Next::Fail(StepError::Flink(e)),
        }
    }

    /// A run's end is known; its reason is scrubbed of secrets first.
    fn ended(&mut self, run_id: String, (status, reason): Ended, now: EpochMs) -> Next<Outcome> {
        match reason {
            Some(text) => {
                self.at = Phase::Scrubbing(run_id, status);
                Next::Do(Effect::Scrub {
                    job_id: self.record.spec.job_id.clone(),
                    text,
                })
            }
            None => self.close(&run_id, status, None, now),
        }
    }

    /// Moves the run into history (its jar deleted later, when asked to).
    fn close(
        &mut self,
        run_id: &str,
        status: RunStatus,
        reason: Option<String>,
        now: EpochMs,
    ) -> Next<Outcome> {
        if let Some(pos) = self.active(run_id) {
            let mut run = self.b.active.remove(pos);
            if self.cfg.cleanup_on_completion
                && let Some(jar) = run.jar.take()
            {
                self.jars.push_back(jar);
            }
            self.done
                .push(format!("{} {}", run.run_id, status.as_str()));
            end::end_run(&mut self.b, &mut run, status, reason, now);
            self.writes.push(RunWrite::Put(run));
        }
        self.next_end(now)
    }

    /// Keeps the newest runs within the history limits; the rest go, with their
    /// jars still kept in Flink.
    fn prune(&mut self) {
        let (kept, pruned) = end::split_history(std::mem::take(&mut self.b.history), &self.cfg);
        self.b.history = kept;
        for r in pruned {
            if let Some(jar) = r.jar {
                self.jars.push_back(jar);
            }
            self.writes.push(RunWrite::Delete {
                job_id: self.record.spec.job_id.clone(),
                run_id: r.run_id,
            });
        }
    }

    /// Deletes the next jar; then the bookkeeping and the commit of the intent.
    fn clean(&mut self, now: EpochMs) -> Next<Outcome> {
        if let Some(jar) = self.jars.pop_front() {
            self.at = Phase::Cleaning;
            return Next::Do(Effect::DeleteJar {
                cluster: self.cluster(),
                jar,
            });
        }
        let new_job = self.new_job.take().unwrap_or_else(JobId::random);
        if let Some(run_id) = books::book(
            &mut self.b,
            &self.step,
            &self.record,
            new_job,
            &mut self.writes,
            now,
        ) {
            self.submits.push_back(run_id);
            self.state.attempted_fingerprint = Some(self.record.fingerprint.clone());
        }
        self.commit(now)
    }

    /// Commits the state with the writes gathered so far (intent and results
    /// before any submission).
    fn commit(&mut self, now: EpochMs) -> Next<Outcome> {
        let mut state = self.state.clone();
        books::reflect(&mut state, self.b.clone(), self.cfg.suspend, now);
        self.at = Phase::Committing;
        Next::Do(Effect::Commit {
            state: Box::new(state),
            writes: std::mem::take(&mut self.writes),
        })
    }

    /// Submits the next recorded run (once its cluster has the slots), or ends
    /// the step.
    fn next_submit(&mut self) -> Next<Outcome> {
        while let Some(run_id) = self.submits.pop_front() {
            if self.active(&run_id).is_none() {
                self.done.push(format!("{run_id}: not active"));
                continue;
            }
            self.at = Phase::AskingSlots(run_id);
            return Next::Do(Effect::AskSlots {
                cluster: self.cluster(),
            });
        }
        Next::Done(Outcome::Done(if self.done.is_empty() {
            "schedule bookkeeping".into()
        } else {
            self.done.join("; ")
        }))
    }

    /// Submits `run_id` when the slots its parallelism needs are free (or cannot
    /// be told); else it stays STARTING, its reason says why, and the next cycle
    /// tries again (a STARTING run Flink does not list is submitted again).
    fn slots_known(
        &mut self,
        run_id: String,
        slots: Result<Slots, FlinkError>,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some(pos) = self.active(&run_id) else {
            return self.next_submit();
        };
        let needed =
            u32::try_from(self.record.spec.deployment.parallelism.max(1)).unwrap_or(u32::MAX);
        if let Ok(slots) = slots
            && let Err(reason) = admit(&self.state.cluster, needed, slots, 0)
        {
            info!(job = %self.record.spec.job_id, run = run_id, %reason, "run not submitted yet");
            self.done.push(format!("{run_id}: {reason}"));
            let run = &mut self.b.active[pos];
            if run.reason.as_deref() == Some(reason.as_str()) {
                return self.next_submit();
            }
            run.reason = Some(reason);
            self.writes.push(RunWrite::Put(run.clone()));
            return self.commit(now);
        }
        let job = self.b.active[pos].flink_job_id.clone();
        self.at = Phase::Submitting(run_id);
        Next::Do(Effect::SubmitRun {
            cluster: self.cluster(),
            record: Box::new(self.record.clone()),
            job,
        })
    }

    /// What the submission of `run_id` came to.
    fn submitted(
        &mut self,
        run_id: String,
        result: Result<Option<JarId>, SubmitError>,
        now: EpochMs,
    ) -> Next<Outcome> {
        let Some(pos) = self.active(&run_id) else {
            return self.next_submit();
        };
        let job_id = self.record.spec.job_id.clone();
        let flink_job = self.b.active[pos].flink_job_id.clone();
        let started = match result {
            Ok(jar) => Ok(jar),
            Err(SubmitError::Flink(FlinkError::DuplicateJob { .. })) => Ok(None),
            Err(SubmitError::Flink(e)) if e.is_ambiguous() || e.is_unreachable() => {
                // Unknown outcome: it stays STARTING; the next cycle looks for
                // the job id first.
                warn!(job = %job_id, run = run_id, error = %e, "run submission unconfirmed");
                self.done
                    .push(format!("{run_id} submission unconfirmed: {e}"));
                return self.next_submit();
            }
            Err(e) => Err(e.to_string()),
        };
        match started {
            Ok(jar) => {
                let run = &mut self.b.active[pos];
                run.status = RunStatus::Running;
                run.started_at = Some(now);
                run.jar = jar;
                run.reason = None;
                info!(job = %job_id, run = run_id, flink_job = %flink_job, "run started");
                self.writes.push(RunWrite::Put(run.clone()));
                self.done.push(format!("{run_id} started"));
            }
            Err(message) => {
                let mut run = self.b.active.remove(pos);
                warn!(job = %job_id, run = run_id, error = %message, "run failed to start");
                self.done
                    .push(format!("{run_id} FAILED to start: {message}"));
                end::end_run(&mut self.b, &mut run, RunStatus::Failed, Some(message), now);
                self.writes.push(RunWrite::Put(run));
            }
        }
        self.commit(now)
    }
}

impl Operation for BatchRun {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        match (std::mem::replace(&mut self.at, Phase::Ending), answer) {
            (Phase::Ending, None) => self.next_end(now),
            (Phase::Asked(run_id, how), Some(answer)) => self.answered(run_id, how, answer, now),
            (Phase::Scrubbing(run_id, status), Some(Answer::Scrubbed(reason))) => {
                self.close(&run_id, status, Some(reason), now)
            }
            // A jar that cannot be deleted stays in Flink (the driver logs it).
            (Phase::Cleaning, Some(Answer::Called(_))) => self.clean(now),
            (Phase::Committing, Some(Answer::Saved(mut stored))) => {
                self.b = stored.batch.take().unwrap_or_default();
                self.state = *stored;
                self.next_submit()
            }
            (Phase::AskingSlots(run_id), Some(Answer::Slots(slots))) => {
                self.slots_known(run_id, slots, now)
            }
            (Phase::Submitting(run_id), Some(Answer::RunSubmitted(result))) => {
                self.submitted(run_id, result, now)
            }
            (_, answer) => unexpected("batch run", answer),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}
