//! Retention of the savepoint history after a savepoint: the expired ones are
//! disposed of through Flink one after another, and leave the history only once
//! Flink confirmed it (or that they are already gone). What is left to do is
//! recorded in the operation ([`RetentionProgress`]), and saved before a wait,
//! so a later cycle goes on with the same disposal.

use fjc_flink::DisposalStatus;

use super::{DISPOSAL_LOOK_EVERY_MS, DISPOSAL_WAIT_MS, Stage, TakeSavepoint};
use crate::clock::EpochMs;
use crate::operation::{Answer, Effect, Next, Outcome, unexpected};
use crate::state::{
    DisposalProgress, JobState, Operation as Recorded, RetentionProgress, SavepointRecord,
};

/// The retention `state`'s operation records, if any.
pub(super) fn recorded(state: &JobState) -> Option<RetentionProgress> {
    match &state.operation {
        Some(Recorded::Savepoint { retention, .. }) => retention.clone(),
        _ => None,
    }
}

/// The retention the operation records, if any.
fn retention(state: &mut JobState) -> Option<&mut RetentionProgress> {
    match &mut state.operation {
        Some(Recorded::Savepoint { retention, .. }) => retention.as_mut(),
        _ => None,
    }
}

impl TakeSavepoint {
    /// The savepoint at `location` is recorded: the expired savepoints to
    /// dispose of are recorded with it, or the operation ends when there are none.
    pub(super) fn record_retention(&mut self, location: String, now: EpochMs) {
        let queue = expired(
            &self.state,
            self.settings.keep,
            self.settings.max_age_ms,
            now,
        );
        match &mut self.state.operation {
            Some(Recorded::Savepoint { retention, .. }) if !queue.is_empty() => {
                *retention = Some(RetentionProgress {
                    location,
                    queue,
                    current: None,
                    disposed: 0,
                });
            }
            _ => self.state.operation = None,
        }
    }

    /// The disposal to ask about or ask for next, or the end of retention.
    pub(super) fn next_disposal(&mut self, now: EpochMs) -> Next<Outcome> {
        let cluster = self.state.cluster.clone();
        let Some(r) = retention(&mut self.state) else {
            return unexpected("retention", None);
        };
        if r.current.is_none()
            && let Some(location) = r.queue.pop()
        {
            r.current = Some(DisposalProgress {
                location,
                trigger: None,
                since: now,
            });
        }
        match &r.current {
            Some(DisposalProgress {
                trigger: Some(trigger),
                ..
            }) => Next::Do(Effect::AskDisposal {
                cluster,
                trigger: trigger.clone(),
            }),
            Some(d) => Next::Do(Effect::Dispose {
                cluster,
                location: d.location.clone(),
            }),
            None => {
                let (location, disposed) = (r.location.clone(), r.disposed);
                self.state.operation = None;
                self.stage = Stage::SavingRetention { location, disposed };
                self.save()
            }
        }
    }

    /// A disposal answered: done, given up, or look again (the retention saved
    /// first).
    pub(super) fn disposal(&mut self, answer: Answer, now: EpochMs) -> Next<Outcome> {
        let cluster = self.state.cluster.clone();
        let Some(r) = retention(&mut self.state) else {
            return unexpected("disposal", Some(answer));
        };
        let Some(d) = &mut r.current else {
            return unexpected("disposal", Some(answer));
        };
        let verdict = match answer {
            Answer::Disposing(Ok(trigger)) => {
                d.trigger = Some(trigger.clone());
                return Next::Do(Effect::AskDisposal { cluster, trigger });
            }
            Answer::Disposal(Ok(DisposalStatus::InProgress))
                if now - d.since < DISPOSAL_WAIT_MS =>
            {
                let (at, why) = (
                    now + DISPOSAL_LOOK_EVERY_MS,
                    format!("disposal of {} in progress", d.location),
                );
                if self.saved_retention.as_ref() == Some(&*r) {
                    return Next::LookAgainAt { at, why };
                }
                self.stage = Stage::SavingDisposal { at, why };
                return self.save();
            }
            Answer::Disposal(Ok(DisposalStatus::Done)) => Ok(()),
            Answer::Disposal(Ok(DisposalStatus::Failed { cause })) if is_missing(&cause) => Ok(()),
            Answer::Disposal(Ok(DisposalStatus::Failed { cause })) => Err(cause),
            Answer::Disposal(Ok(DisposalStatus::InProgress)) => {
                Err("disposal still in progress".to_string())
            }
            Answer::Disposing(Err(e)) | Answer::Disposal(Err(e)) => Err(e.to_string()),
            other => return unexpected("disposal", Some(other)),
        };
        let location = d.location.clone();
        r.current = None;
        match verdict {
            Ok(()) => {
                r.disposed += 1;
                self.state.savepoints.retain(|s| s.location != location);
            }
            // Left in the history: a later savepoint's retention tries again.
            Err(error) => tracing::warn!(job = %self.state.job_id, %location,
                %error, "savepoint not disposed of"),
        }
        self.next_disposal(now)
    }
}

/// The savepoints beyond the count (`keep`) and age (`max_age_ms`) limits, oldest
/// last: never the newest, the job's newest restore point, or the one the
/// deployed version started from.
pub fn expired(state: &JobState, keep: usize, max_age_ms: i64, now: EpochMs) -> Vec<String> {
    let mut by_age: Vec<&SavepointRecord> = state.savepoints.iter().collect();
    by_age.sort_by_key(|s| std::cmp::Reverse(s.at));
    let protected = |s: &SavepointRecord| {
        Some(&s.location) == state.last_savepoint.as_ref().map(|l| &l.location)
            || Some(&s.location) == state.restored_from.as_ref()
    };
    let mut expired: Vec<String> = by_age
        .iter()
        .enumerate()
        .filter(|(i, s)| *i > 0 && (*i >= keep || now - s.at > max_age_ms) && !protected(s))
        .map(|(_, s)| s.location.clone())
        .collect();
    // Disposed of newest first: `pop` takes from the end.
    expired.reverse();
    expired
}

/// Whether Flink's disposal failure says the savepoint is already gone.
fn is_missing(cause: &str) -> bool {
    ["FileNotFoundException", "does not exist", "Cannot find"]
        .iter()
        .any(|m| cause.contains(m))
}
