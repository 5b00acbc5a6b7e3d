//! The machines a carry-over nests: cancelling the old job, waiting for it to
//! end after its savepoint (cancelled if it does not within `end_wait_ms`), and
//! reading its checkpoint statistics until they settle.

use fjc_flink::FlinkError;

use super::{AfterStop, Carry, CarryOver, Newest, Stage, newest, progress};
use crate::clock::EpochMs;
use crate::operation::settle::SettledCheckpoints;
use crate::operation::{Answer, Next, Operation, StepError, unexpected};
use crate::state::{SavepointRecord, Settling};

impl CarryOver {
    /// A step of a nested machine (stop, wait for the end, settle).
    pub(super) fn nested(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Carry> {
        match &mut self.stage {
            Stage::Stopping { stop, then } => match stop.step(answer, now) {
                Next::Done(Ok(_)) => match std::mem::replace(then, AfterStop::Settle) {
                    AfterStop::Ready(from) => Next::Done(Carry::Ready(from)),
                    AfterStop::Settle => {
                        // An answer an earlier cycle read goes on holding.
                        let seen = progress(&mut self.state)
                            .and_then(|p| p.settling.clone())
                            .map(|s| (s.newest, s.since));
                        self.stage = Stage::Settling(
                            SettledCheckpoints::new(
                                &self.state.cluster,
                                &self.old,
                                newest as Newest,
                            )
                            .seeded(seen),
                        );
                        self.step(None, now)
                    }
                },
                other => lift(other),
            },
            Stage::Ending { wait, since, from } => match wait.step(answer, now) {
                Next::Done(Ok(_)) => Next::Done(Carry::Ready(Some(from.clone()))),
                Next::LookAgainAt { .. } if now - *since >= self.settings.end_wait_ms => {
                    tracing::warn!(job = %self.state.job_id, old = %self.old,
                        "old job still running after its savepoint; cancelling it");
                    let from = from.clone();
                    self.stop(AfterStop::Ready(Some(from)), now)
                }
                other => lift(other),
            },
            Stage::Settling(settle) => match settle.step(answer, now) {
                Next::LookAgainAt { at, why } => self.settle_later(at, why),
                Next::Done(Ok(Some(Some((location, at))))) => {
                    let record = SavepointRecord {
                        location,
                        at,
                        from_job: self.old.clone(),
                        kind: "checkpoint".into(),
                    };
                    self.restore_point(record, false)
                }
                Next::Done(Ok(_)) => self.old_job_gone(),
                other => lift(other),
            },
            _ => unexpected("carry-over", answer),
        }
    }
}

impl CarryOver {
    /// The statistics are read again at `at`, maybe in a later cycle: the answer
    /// and since when it held are saved first when they changed.
    fn settle_later(&mut self, at: EpochMs, why: String) -> Next<Carry> {
        let Stage::Settling(settle) = std::mem::replace(&mut self.stage, Stage::Begin) else {
            return Next::Fail(StepError::Defect("settling without a settle".into()));
        };
        let mark = settle.seen().map(|(newest, since)| Settling {
            newest: newest.clone(),
            since,
        });
        match progress(&mut self.state) {
            Some(p) if p.settling != mark => {
                p.settling = mark;
                self.stage = Stage::SavingSettle { settle, at, why };
                self.save()
            }
            _ => {
                self.stage = Stage::Settling(settle);
                Next::LookAgainAt { at, why }
            }
        }
    }
}

/// A nested machine's wait, effect or error, as the carry-over's.
fn lift<T>(next: Next<Result<T, FlinkError>>) -> Next<Carry> {
    match next {
        Next::Do(e) => Next::Do(e),
        Next::LookAgainAt { at, why } => Next::LookAgainAt { at, why },
        Next::Fail(e) => Next::Fail(e),
        Next::Done(Err(e)) => Next::Fail(e.into()),
        Next::Done(Ok(_)) => Next::Fail(StepError::Defect("a nested step ended unhandled".into())),
    }
}
