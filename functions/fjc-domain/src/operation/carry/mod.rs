//! Replacing a running stream job without losing its state, per the upgrade
//! mode (deploys, rollbacks and suspends share it). Every step records what it
//! learned before the next Flink call, so a crash anywhere resumes at the same
//! point:
//!
//! - `savepoint`: record a trigger id → stop-with-savepoint (idempotent per
//!   trigger id) → look until done → record the location → wait for the old job
//!   to end (cancel it if it does not) → the new job starts from it. A failed
//!   savepoint leaves the old job running and the change waiting (retried with
//!   backoff); one past `savepoint_timeout` is watched until Flink decides.
//! - `last-state`: the newest retained checkpoint of the old job, if young
//!   enough (else a savepoint) → cancel → read the retained checkpoint once the
//!   statistics held still → start from it.
//! - `stateless`: cancel → start empty.
//!
//! An old job that ended without a savepoint seen is restored from its newest
//! restore point in storage; with none, the change is refused, never started
//! empty by surprise.

mod nested;
mod restore;
mod savepoint;

use fjc_flink::{CheckpointStats, FlinkError, JobId, SavepointStatus};
use fjc_spec::UpgradeMode;

use super::settle::SettledCheckpoints;
use super::stop::StopJob;
use super::{Answer, Backoff, Effect, Next, Operation, Outcome, unexpected};
use crate::clock::EpochMs;
use crate::state::{JobState, Operation as Recorded, UpgradeProgress};

/// How often a stop-with-savepoint in progress is looked at.
pub const LOOK_EVERY_MS: EpochMs = 500;

/// Where carrying the state over stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carry {
    /// The old job is gone; start the new one from this savepoint (or empty).
    Ready(Option<String>),
    /// Not yet (savepoint in progress, old job still stopping): a later cycle.
    Wait(String),
    /// Given up; the old job keeps running (or the change was refused). The
    /// outcome to report.
    Abandoned(Outcome),
}

/// The settings a carry-over needs: the deployed spec's, and the controller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `deployment.savepoint_path` (the cluster's default when `None`).
    pub target: Option<String>,
    /// `savepoint_timeout`, milliseconds.
    pub savepoint_timeout_ms: i64,
    /// The oldest a retained checkpoint may be for `last-state`, milliseconds.
    pub last_state_max_age_ms: i64,
    /// How long an old job is given to end by itself after its savepoint before
    /// it is cancelled (`reconcile.cancel_wait_seconds`), milliseconds.
    pub end_wait_ms: i64,
    /// Backoff before an abandoned change is tried again.
    pub backoff: Backoff,
}

impl Settings {
    /// The settings of `spec`, with the controller's.
    pub fn of(spec: &fjc_spec::JobSpec, backoff: Backoff, end_wait_ms: i64) -> Settings {
        let ms = crate::clock::millis;
        Settings {
            target: spec.deployment.savepoint_path.clone(),
            savepoint_timeout_ms: ms(spec.savepoint_timeout()),
            last_state_max_age_ms: ms(spec.last_state_max_age()),
            end_wait_ms,
            backoff,
        }
    }
}

type Newest = fn(CheckpointStats) -> Option<(String, EpochMs)>;

/// The newest retained checkpoint in `stats`: its path and completion time.
fn newest(stats: CheckpointStats) -> Option<(String, EpochMs)> {
    stats
        .latest_completed
        .and_then(|c| Some((c.external_path?, c.completed_at?)))
}

/// Carrying the state of `old` over, from the operation recorded in the state.
pub struct CarryOver {
    state: JobState,
    settings: Settings,
    old: JobId,
    old_live: bool,
    fresh_trigger: String,
    stage: Stage,
}

enum Stage {
    Begin,
    /// Cancelling the old job; then `then`.
    Stopping {
        stop: StopJob,
        then: AfterStop,
    },
    /// Waiting for the old job to end after its savepoint at `from`.
    Ending {
        wait: StopJob,
        since: EpochMs,
        from: String,
    },
    /// `last-state` on a live job: is its newest retained checkpoint young enough?
    CheckingFreshness,
    /// `last-state` after the cancel.
    Settling(SettledCheckpoints<(String, EpochMs), Newest>),
    /// The statistics' answer so far is being saved; then look again at `at`.
    SavingSettle {
        settle: SettledCheckpoints<(String, EpochMs), Newest>,
        at: EpochMs,
        why: String,
    },
    /// `last-state` found no young checkpoint: the switch to a savepoint is saved.
    SwitchingToSavepoint,
    /// The new trigger id is being saved.
    RecordingTrigger {
        trigger: String,
    },
    /// A resumed step asks about its recorded trigger first.
    AskingTrigger {
        trigger: String,
    },
    /// Stop-with-savepoint asked for.
    StoppingWithSavepoint {
        trigger: String,
    },
    /// Looking at the savepoint.
    Looking {
        trigger: String,
    },
    /// The savepoint failed: did the stop happen anyway?
    AskingEnded {
        cause: String,
    },
    /// The old job is gone without a savepoint seen: its restore points in storage.
    FindingRestorePoints,
    /// The restore point is being saved; then ready, or wait for the old job's end.
    SavingRestorePoint {
        location: String,
        wait_end: bool,
    },
    /// The overrun message is being saved.
    SavingOverrun {
        message: String,
    },
    /// Given up (saved); ends with this.
    SavingEnd(Carry),
}

enum AfterStop {
    Ready(Option<String>),
    Settle,
}

fn progress(state: &mut JobState) -> Option<&mut UpgradeProgress> {
    match &mut state.operation {
        Some(Recorded::Deploy { upgrade, .. }) => upgrade.as_mut(),
        Some(Recorded::Suspend { upgrade, .. }) => Some(upgrade),
        _ => None,
    }
}

impl CarryOver {
    /// Carries over from `old`, which the cycle saw live or not. `fresh_trigger`
    /// is the trigger id to record when no savepoint was triggered yet.
    pub fn new(
        state: JobState,
        old: &JobId,
        old_live: bool,
        settings: Settings,
        fresh_trigger: String,
    ) -> CarryOver {
        CarryOver {
            state,
            settings,
            old: old.clone(),
            old_live,
            fresh_trigger,
            stage: Stage::Begin,
        }
    }

    /// The job's state as the carry-over left it (saved where it matters).
    pub fn into_state(self) -> JobState {
        self.state
    }

    fn cluster(&self) -> String {
        self.state.cluster.clone()
    }

    fn save(&self) -> Next<Carry> {
        Next::Do(Effect::Save(Box::new(self.state.clone())))
    }

    fn begin(&mut self, now: EpochMs) -> Next<Carry> {
        let Some(p) = progress(&mut self.state).cloned() else {
            return self.stop(AfterStop::Ready(None), now);
        };
        if let Some(from) = p.restore_from {
            return match p.mode {
                UpgradeMode::Savepoint => {
                    // Waiting since the savepoint was recorded (a later cycle
                    // goes on with the same deadline).
                    let since = self
                        .state
                        .last_savepoint
                        .as_ref()
                        .filter(|s| s.location == from && s.at <= now)
                        .map_or(now, |s| s.at);
                    self.wait_end(from, since, now)
                }
                _ => self.stop(AfterStop::Ready(Some(from)), now),
            };
        }
        match p.mode {
            UpgradeMode::Stateless => self.stop(AfterStop::Ready(None), now),
            UpgradeMode::LastState if self.old_live => {
                self.stage = Stage::CheckingFreshness;
                Next::Do(Effect::ReadCheckpoints {
                    cluster: self.cluster(),
                    job: self.old.clone(),
                })
            }
            UpgradeMode::LastState => self.stop(AfterStop::Settle, now),
            UpgradeMode::Savepoint => self.savepoint(now),
        }
    }

    fn stop(&mut self, then: AfterStop, now: EpochMs) -> Next<Carry> {
        let stop = StopJob::new(&self.state.cluster, &self.old, self.old_live);
        self.stage = Stage::Stopping { stop, then };
        self.step(None, now)
    }

    fn wait_end(&mut self, from: String, since: EpochMs, now: EpochMs) -> Next<Carry> {
        let wait = StopJob::wait_for_end(&self.state.cluster, &self.old);
        self.stage = Stage::Ending { wait, since, from };
        self.step(None, now)
    }
}

impl Operation for CarryOver {
    type Ending = Carry;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Carry> {
        let stage = std::mem::replace(&mut self.stage, Stage::Begin);
        match (stage, answer) {
            (Stage::Begin, None) => self.begin(now),
            (s @ (Stage::Stopping { .. } | Stage::Ending { .. } | Stage::Settling(_)), a) => {
                self.stage = s;
                self.nested(a, now)
            }
            (Stage::CheckingFreshness, Some(Answer::Checkpoints(result))) => {
                let fresh = match result {
                    Ok(stats) => newest(stats)
                        .filter(|(_, at)| now - at <= self.settings.last_state_max_age_ms),
                    Err(FlinkError::NotFound { .. }) => None,
                    Err(e) => return Next::Fail(e.into()),
                };
                if fresh.is_some() {
                    return self.stop(AfterStop::Settle, now);
                }
                tracing::info!(job = %self.state.job_id,
                    "no retained checkpoint young enough; taking a savepoint instead");
                if let Some(p) = progress(&mut self.state) {
                    p.mode = UpgradeMode::Savepoint;
                }
                self.stage = Stage::SwitchingToSavepoint;
                self.save()
            }
            (Stage::SwitchingToSavepoint, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.savepoint(now)
            }
            (Stage::RecordingTrigger { trigger }, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.stop_with_savepoint(trigger)
            }
            // A resumed step: the savepoint may be complete and the old job ended.
            (
                Stage::AskingTrigger { trigger },
                Some(Answer::Savepoint(
                    r @ Ok(SavepointStatus::Completed { .. } | SavepointStatus::InProgress),
                )),
            ) => self.looked(trigger, r, now),
            (Stage::AskingTrigger { trigger }, Some(Answer::Savepoint(_))) => {
                self.stop_with_savepoint(trigger)
            }
            (Stage::StoppingWithSavepoint { trigger }, Some(Answer::Called(result))) => {
                match result {
                    Ok(()) => {
                        self.stage = Stage::Looking {
                            trigger: trigger.clone(),
                        };
                        self.ask(trigger)
                    }
                    Err(FlinkError::NotFound { .. } | FlinkError::AlreadyTerminal { .. }) => {
                        self.old_job_gone()
                    }
                    Err(e) => Next::Fail(e.into()),
                }
            }
            (Stage::Looking { trigger }, None) => {
                self.stage = Stage::Looking {
                    trigger: trigger.clone(),
                };
                self.ask(trigger)
            }
            (Stage::Looking { trigger }, Some(Answer::Savepoint(r))) => {
                self.looked(trigger, r, now)
            }
            (Stage::AskingEnded { cause }, Some(Answer::Job(result))) => match result {
                Ok(s) if s.is_globally_terminal() => self.old_job_gone(),
                Err(FlinkError::NotFound { .. }) => self.old_job_gone(),
                Ok(_) => self.abandon(format!("savepoint failed: {cause}"), now),
                Err(e) => Next::Fail(e.into()),
            },
            (Stage::FindingRestorePoints, Some(Answer::RestorePoints(found))) => {
                self.found(found, now)
            }
            (Stage::SavingRestorePoint { location, wait_end }, Some(Answer::Saved(s))) => {
                self.state = *s;
                if wait_end {
                    self.wait_end(location, now, now)
                } else {
                    Next::Done(Carry::Ready(Some(location)))
                }
            }
            (Stage::SavingSettle { settle, at, why }, Some(Answer::Saved(s))) => {
                self.state = *s;
                self.stage = Stage::Settling(settle);
                Next::LookAgainAt { at, why }
            }
            (Stage::SavingOverrun { message }, Some(Answer::Saved(s))) => {
                self.state = *s;
                Next::Done(Carry::Wait(message))
            }
            (Stage::SavingEnd(carry), Some(Answer::Saved(s))) => {
                self.state = *s;
                Next::Done(carry)
            }
            (_, answer) => unexpected("carry-over", answer),
        }
    }

    fn paused(&mut self, why: String) -> Carry {
        match &self.stage {
            Stage::Stopping { .. } => {
                Carry::Wait(format!("waiting for old job {} to stop", self.old))
            }
            Stage::Ending { .. } => Carry::Wait(format!(
                "waiting for old job {} to end after its savepoint",
                self.old
            )),
            Stage::Settling(_) | Stage::SavingSettle { .. } => Carry::Wait(format!(
                "waiting for job {}'s checkpoint statistics to settle",
                self.old
            )),
            _ => Carry::Wait(why),
        }
    }
}
