//! Retention of the savepoint history after a savepoint: the expired ones are
//! disposed of through Flink one after another, and leave the history only once
//! Flink confirmed it (or that they are already gone).

use fjc_flink::DisposalStatus;

use super::{
    DISPOSAL_LOOK_EVERY_MS, DISPOSAL_WAIT_MS, Disposal, Retention, Stage, TakeSavepoint,
    done_message,
};
use crate::clock::EpochMs;
use crate::operation::{Answer, Effect, Next, Outcome, unexpected};
use crate::state::{JobState, SavepointRecord};

impl TakeSavepoint {
    pub(super) fn retain(&mut self, location: String, now: EpochMs) -> Next<Outcome> {
        let queue = expired(
            &self.state,
            self.settings.keep,
            self.settings.max_age_ms,
            now,
        );
        self.stage = Stage::Retaining(Retention {
            location,
            queue,
            current: None,
            gone: Vec::new(),
        });
        self.next_disposal(now)
    }

    /// The next expired savepoint to dispose of, or the end of retention.
    pub(super) fn next_disposal(&mut self, now: EpochMs) -> Next<Outcome> {
        let Stage::Retaining(r) = &mut self.stage else {
            return unexpected("retention", None);
        };
        r.current = None;
        if let Some(location) = r.queue.pop() {
            r.current = Some(Disposal {
                location: location.clone(),
                trigger: None,
                since: now,
            });
            return Next::Do(Effect::Dispose {
                cluster: self.state.cluster.clone(),
                location,
            });
        }
        let (location, gone) = (r.location.clone(), std::mem::take(&mut r.gone));
        if gone.is_empty() {
            self.stage = Stage::Over;
            return Next::Done(done_message(&location, 0));
        }
        self.state
            .savepoints
            .retain(|s| !gone.contains(&s.location));
        self.stage = Stage::SavingRetention {
            location,
            disposed: gone.len(),
        };
        self.save()
    }

    /// A disposal answered: done, given up, or look again.
    pub(super) fn disposal(&mut self, answer: Answer, now: EpochMs) -> Next<Outcome> {
        let Stage::Retaining(r) = &mut self.stage else {
            return unexpected("disposal", Some(answer));
        };
        let Some(d) = &mut r.current else {
            return unexpected("disposal", Some(answer));
        };
        let verdict = match answer {
            Answer::Disposing(Ok(trigger)) => {
                d.trigger = Some(trigger.clone());
                return Next::Do(Effect::AskDisposal {
                    cluster: self.state.cluster.clone(),
                    trigger,
                });
            }
            Answer::Disposal(Ok(DisposalStatus::InProgress))
                if now - d.since < DISPOSAL_WAIT_MS =>
            {
                return Next::LookAgainAt {
                    at: now + DISPOSAL_LOOK_EVERY_MS,
                    why: format!("disposal of {} in progress", d.location),
                };
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
        match verdict {
            Ok(()) => r.gone.push(d.location.clone()),
            Err(error) => tracing::warn!(job = %self.state.job_id, location = %d.location,
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
