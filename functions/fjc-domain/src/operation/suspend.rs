//! `desired_state: suspended`: stop the job with a savepoint (`stateless` jobs
//! are cancelled), then record it as suspended. The stop is the carry-over's
//! ([`super::carry`]); a suspended job has no Flink job until it is resumed.

use fjc_flink::JobId;
use fjc_spec::{JobSpec, UpgradeMode};

use super::carry::{Carry, CarryOver};
use super::{Answer, Next, Operation, Outcome, unexpected};
use crate::clock::EpochMs;
use crate::state::{JobState, Lifecycle, Operation as Recorded, UpgradeProgress};

/// The state with the suspension of `old` recorded (written before any call).
pub fn intent(mut state: JobState, spec: &JobSpec, old: &JobId, now: EpochMs) -> JobState {
    let mode = match spec.upgrade_mode() {
        UpgradeMode::Stateless => UpgradeMode::Stateless,
        _ => UpgradeMode::Savepoint,
    };
    state.lifecycle = Lifecycle::Suspending;
    state.operation = Some(Recorded::Suspend {
        flink_job_id: old.clone(),
        started_at: now,
        upgrade: UpgradeProgress::new(mode, None),
    });
    state
}

/// The suspension recorded in a state.
pub struct Suspend {
    stage: Stage,
}

enum Stage {
    Stopping(Box<CarryOver>),
    Saving { location: Option<String> },
    Over,
}

impl Suspend {
    /// The suspension in `carry`'s state (built for the recorded job), or `None`
    /// when `state` records none.
    pub fn resume(state: &JobState, carry: impl FnOnce(&JobId) -> CarryOver) -> Option<Suspend> {
        let Some(Recorded::Suspend { flink_job_id, .. }) = &state.operation else {
            return None;
        };
        Some(Suspend {
            stage: Stage::Stopping(Box::new(carry(flink_job_id))),
        })
    }
}

impl Operation for Suspend {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        match (stage, answer) {
            (Stage::Stopping(mut carry), answer) => match carry.step(answer, now) {
                Next::Done(Carry::Ready(location)) => {
                    let mut state = carry.into_state();
                    state.operation = None;
                    state.lifecycle = Lifecycle::Suspended;
                    state.running_since = None;
                    state.next_attempt_at = None;
                    state.failed_attempts = 0;
                    // The stopped job is history: nothing to observe until resumed.
                    state.set_flink_state(Some("FINISHED".into()), now);
                    state.flink_job_id = None;
                    self.stage = Stage::Saving { location };
                    Next::Do(super::Effect::Save(Box::new(state)))
                }
                Next::Done(Carry::Wait(why)) => Next::Done(Outcome::InProgress(why)),
                Next::Done(Carry::Abandoned(outcome)) => Next::Done(outcome),
                Next::Do(e) => {
                    self.stage = Stage::Stopping(carry);
                    Next::Do(e)
                }
                Next::LookAgainAt { at, why } => {
                    self.stage = Stage::Stopping(carry);
                    Next::LookAgainAt { at, why }
                }
                Next::Fail(e) => Next::Fail(e),
            },
            (Stage::Saving { location, .. }, Some(Answer::Saved(state))) => {
                tracing::info!(job = %state.job_id, savepoint = ?location, "suspended");
                self.stage = Stage::Over;
                Next::Done(Outcome::Done(match location {
                    Some(l) => format!("suspended with savepoint {l}"),
                    None => "suspended (stateless: no savepoint)".into(),
                }))
            }
            (_, answer) => unexpected("suspend", answer),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        match &mut self.stage {
            Stage::Stopping(carry) => match carry.paused(why) {
                Carry::Wait(why) => Outcome::InProgress(why),
                Carry::Abandoned(o) => o,
                Carry::Ready(_) => Outcome::InProgress("stopped; recording the suspension".into()),
            },
            _ => Outcome::InProgress(why),
        }
    }
}
