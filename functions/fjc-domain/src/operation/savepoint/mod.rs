//! A savepoint of a job that keeps running (periodic, or `fjc savepoint`), then
//! retention of the job's savepoint history.
//!
//! The trigger id is recorded in the job's state before Flink hears of it, so a
//! resumed operation asks about its own trigger instead of taking a second
//! savepoint. Steps:
//! 1. ask about the recorded trigger (a resumed operation's savepoint may already
//!    be done, or still in progress); trigger it only when Flink does not know it;
//! 2. look at it every [`LOOK_EVERY_MS`] until it completes, fails, or overruns
//!    `savepoint_timeout`;
//! 3. completed: record it, with any savepoint of this job that Flink completed
//!    after an earlier step gave up on it, and the expired savepoints to dispose
//!    of (saved; with none, the operation ends here);
//! 4. dispose of them through Flink one after another: never the newest, the
//!    newest restore point or the one the deployed version started from. A
//!    savepoint leaves the history only once Flink confirmed its disposal (or
//!    that it is already gone). The disposal in progress is saved before the
//!    operation waits for it, so a later cycle asks about the same one.

mod retention;

use fjc_flink::{FlinkError, JobId, SavepointStatus};

pub use retention::expired;

use super::{Answer, Backoff, Effect, Next, Operation, Outcome, unexpected};
use crate::clock::EpochMs;
use crate::state::{JobState, Operation as Recorded, SavepointRecord};

/// How often a savepoint in progress is looked at.
pub const LOOK_EVERY_MS: EpochMs = 500;
/// How often a disposal in progress is looked at.
pub const DISPOSAL_LOOK_EVERY_MS: EpochMs = 250;
/// How long one disposal is waited for before it is left for a later savepoint.
pub const DISPOSAL_WAIT_MS: EpochMs = 10_000;

/// The spec's settings the operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `deployment.savepoint_path` (the cluster's default when `None`).
    pub target: Option<String>,
    /// `savepoint_timeout`, milliseconds.
    pub timeout_ms: i64,
    /// How many savepoints the history keeps.
    pub keep: usize,
    /// The oldest a kept savepoint may be, milliseconds.
    pub max_age_ms: i64,
    /// Backoff before a failed savepoint is tried again.
    pub backoff: Backoff,
}

impl Settings {
    /// The settings of `spec`, with the controller's retry backoff.
    pub fn of(spec: &fjc_spec::JobSpec, backoff: Backoff) -> Settings {
        let ms = crate::clock::millis;
        Settings {
            target: spec.deployment.savepoint_path.clone(),
            timeout_ms: ms(spec.savepoint_timeout()),
            keep: spec.savepoint_history(),
            max_age_ms: ms(spec.savepoint_max_age()),
            backoff,
        }
    }
}

/// The savepoint operation, built from a state that records
/// [`Recorded::Savepoint`].
#[derive(Debug, Clone)]
pub struct TakeSavepoint {
    state: JobState,
    settings: Settings,
    job: JobId,
    trigger: String,
    started_at: EpochMs,
    stage: Stage,
    /// The retention as last saved (a wait saves it only when it changed).
    saved_retention: Option<crate::state::RetentionProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Ask about the recorded trigger before triggering.
    AskFirst,
    /// Triggered; waiting for the answer.
    Triggering,
    /// Looking at the trigger.
    Looking,
    /// Completed at `location`; looking for late savepoints.
    FindingLate { location: String },
    /// Saving the recorded savepoint (the operation ends with this write).
    SavingResult { location: String },
    /// Saving a failure; ends with the message.
    SavingFailure { message: String },
    /// Disposing of the expired savepoints the recorded retention lists.
    Retaining,
    /// Saving the retention so far; then look again at `at`.
    SavingDisposal { at: EpochMs, why: String },
    /// Saving the history without the disposed savepoints (the end).
    SavingRetention { location: String, disposed: usize },
    /// Over.
    Over,
}

/// How a savepoint starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Save this state (the savepoint recorded, its trigger id before Flink
    /// hears of it), then carry it on.
    Record(JobState),
    /// Save this state: the job does not run, and why.
    NotRunning {
        /// The state to save.
        state: JobState,
        /// Why.
        message: String,
    },
}

/// Decides how a savepoint starts. `requested_at` is an operator's
/// `fjc savepoint`.
pub fn intent(
    mut state: JobState,
    running: Option<JobId>,
    manual: bool,
    requested_at: Option<EpochMs>,
    trigger: String,
    now: EpochMs,
) -> Intent {
    if manual && let Some(at) = requested_at {
        state.handled.insert("savepoint".into(), at);
    }
    let Some(flink_job_id) = running else {
        let message = "savepoint requested, but the job is not running".to_string();
        state.set_error(message.clone(), now, false);
        return Intent::NotRunning { state, message };
    };
    state.operation = Some(Recorded::Savepoint {
        flink_job_id,
        trigger_id: trigger,
        started_at: now,
        manual,
        retention: None,
    });
    Intent::Record(state)
}

impl TakeSavepoint {
    /// The operation recorded in `state`, or `None` when it records none.
    pub fn resume(state: JobState, settings: Settings) -> Option<TakeSavepoint> {
        let Some(Recorded::Savepoint {
            flink_job_id,
            trigger_id,
            started_at,
            retention,
            ..
        }) = &state.operation
        else {
            return None;
        };
        Some(TakeSavepoint {
            job: flink_job_id.clone(),
            trigger: trigger_id.clone(),
            started_at: *started_at,
            stage: if retention.is_some() {
                Stage::Retaining
            } else {
                Stage::AskFirst
            },
            saved_retention: retention.clone(),
            state,
            settings,
        })
    }

    /// The job's state as the operation holds it.
    pub fn state(&self) -> &JobState {
        &self.state
    }

    fn ask(&mut self) -> Next<Outcome> {
        self.stage = Stage::Looking;
        self.ask_effect()
    }

    fn ask_effect(&self) -> Next<Outcome> {
        Next::Do(Effect::AskSavepoint {
            cluster: self.state.cluster.clone(),
            job: self.job.clone(),
            trigger: self.trigger.clone(),
        })
    }

    fn save(&self) -> Next<Outcome> {
        Next::Do(Effect::Save(Box::new(self.state.clone())))
    }

    /// The savepoint was not taken: the operation ends, the job keeps running,
    /// and the next attempt waits for the backoff.
    fn failed(&mut self, message: String, now: EpochMs) -> Next<Outcome> {
        let s = &mut self.state;
        s.operation = None;
        s.failed_attempts = s.failed_attempts.saturating_add(1);
        s.next_attempt_at = Some(now + self.settings.backoff.after(s.failed_attempts));
        s.set_error(message.clone(), now, true);
        self.stage = Stage::SavingFailure { message };
        self.save()
    }

    fn completed(&mut self, location: String, now: EpochMs) -> Next<Outcome> {
        let record = SavepointRecord {
            location: location.clone(),
            at: now,
            from_job: self.job.clone(),
            kind: "savepoint".into(),
        };
        self.state.savepoints.push(record.clone());
        self.state.last_savepoint = Some(record);
        self.stage = Stage::FindingLate {
            location: location.clone(),
        };
        Next::Do(Effect::FindLateSavepoints {
            state: Box::new(self.state.clone()),
            job: self.job.clone(),
        })
    }
}

impl Operation for TakeSavepoint {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        if let Some(Answer::Saved(state)) = &answer {
            self.saved_retention = retention::recorded(state);
        }
        match (self.stage.clone(), answer) {
            (Stage::AskFirst, None) => self.ask_effect(),
            // A resumed step: Flink knows the trigger, so it is not triggered again.
            (
                Stage::AskFirst,
                Some(
                    a @ Answer::Savepoint(Ok(
                        SavepointStatus::Completed { .. } | SavepointStatus::InProgress,
                    )),
                ),
            ) => {
                self.stage = Stage::Looking;
                self.step(Some(a), now)
            }
            (Stage::AskFirst, Some(Answer::Savepoint(_))) => {
                self.stage = Stage::Triggering;
                Next::Do(Effect::TriggerSavepoint {
                    cluster: self.state.cluster.clone(),
                    job: self.job.clone(),
                    target: self.settings.target.clone(),
                    trigger: self.trigger.clone(),
                })
            }
            (Stage::Triggering, Some(Answer::Called(result))) => match result {
                Ok(()) => self.ask(),
                Err(e @ (FlinkError::NotFound { .. } | FlinkError::AlreadyTerminal { .. })) => {
                    self.failed(format!("job not running: {e}"), now)
                }
                Err(e) => Next::Fail(e.into()),
            },
            (Stage::Looking, None) => self.ask(),
            (Stage::Looking, Some(Answer::Savepoint(result))) => match result {
                Ok(SavepointStatus::Completed { location }) => self.completed(location, now),
                Ok(SavepointStatus::Failed { cause }) => {
                    self.failed(format!("savepoint failed: {cause}"), now)
                }
                Ok(SavepointStatus::InProgress)
                    if now - self.started_at > self.settings.timeout_ms =>
                {
                    self.failed(
                        format!(
                            "savepoint did not complete within {}s",
                            self.settings.timeout_ms / 1000
                        ),
                        now,
                    )
                }
                Ok(SavepointStatus::InProgress) => Next::LookAgainAt {
                    at: now + LOOK_EVERY_MS,
                    why: format!("savepoint of {} in progress", self.job),
                },
                Err(FlinkError::NotFound { .. }) => {
                    self.failed("the job ended during the savepoint".into(), now)
                }
                Err(e) => Next::Fail(e.into()),
            },
            // Savepoints Flink completed after an earlier step gave up on them join
            // the history, where retention keeps or disposes of them.
            (Stage::FindingLate { location }, Some(Answer::Late(late))) => {
                for p in late {
                    tracing::info!(job = %self.state.job_id, location = %p.location,
                        "recording a savepoint that completed after its step gave up");
                    self.state.savepoints.push(p);
                }
                self.record_retention(location.clone(), now);
                self.state.next_attempt_at = None;
                self.stage = Stage::SavingResult { location };
                self.save()
            }
            (Stage::SavingResult { location }, Some(Answer::Saved(state))) => {
                self.state = *state;
                tracing::info!(job = %self.state.job_id, %location, "savepoint taken");
                if self.state.operation.is_none() {
                    self.stage = Stage::Over;
                    return Next::Done(done_message(&location, 0));
                }
                self.stage = Stage::Retaining;
                self.next_disposal(now)
            }
            (Stage::SavingFailure { message }, Some(Answer::Saved(state))) => {
                self.state = *state;
                tracing::warn!(job = %self.state.job_id, error = %message, "savepoint not taken");
                self.stage = Stage::Over;
                Next::Done(Outcome::Failed(message))
            }
            (Stage::Retaining, None) => self.next_disposal(now),
            (Stage::Retaining, Some(answer)) => self.disposal(answer, now),
            (Stage::SavingDisposal { at, why }, Some(Answer::Saved(state))) => {
                self.state = *state;
                self.stage = Stage::Retaining;
                Next::LookAgainAt { at, why }
            }
            (Stage::SavingRetention { location, disposed }, Some(Answer::Saved(state))) => {
                self.state = *state;
                self.stage = Stage::Over;
                Next::Done(done_message(&location, disposed))
            }
            (_, answer) => unexpected("savepoint", answer),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}

fn done_message(location: &str, disposed: usize) -> Outcome {
    Outcome::Done(format!(
        "savepoint {location}{}",
        if disposed > 0 {
            format!("; {disposed} expired savepoint(s) disposed of")
        } else {
            String::new()
        }
    ))
}
