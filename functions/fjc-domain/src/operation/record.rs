//! Recording what a cycle saw of a deployed job: lifecycle, Flink state, when
//! it started running all tasks (for STABLE), Flink's failure cause and
//! restarts Flink made by itself; and adopting a spec change that needs no
//! restart. Nothing is sent to Flink but the question for a failure cause.

use fjc_flink::{FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, Outcome, unexpected};
use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::revisions::RevisionOutcome;
use crate::state::{JobState, Lifecycle};

/// What a cycle saw of a deployed job (the planner's `Action::Record`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The lifecycle it is in now.
    pub lifecycle: Lifecycle,
    /// Flink's state of it.
    pub flink_state: String,
    /// Look up Flink's failure cause and record it as the last error.
    pub fetch_cause: bool,
    /// A message to record as the last error (with Flink's cause, if fetched).
    pub note: Option<String>,
    /// Whether it runs with all tasks.
    pub running: bool,
    /// Flink started it again by itself at this time (JobManager failover).
    pub restarted_by_flink_at: Option<EpochMs>,
    /// Its start time on Flink's clock.
    pub flink_started_at: Option<EpochMs>,
    /// New health signals to keep (see [`crate::signals`]).
    pub health: Option<crate::signals::Health>,
}

/// Records `seen` in the job's state: the message (with Flink's failure cause,
/// when it was asked for) scrubbed of secrets, the state saved, and a version
/// that just became STABLE marked so in its revision.
#[derive(Debug)]
pub struct RecordSeen {
    state: JobState,
    seen: Seen,
    cause: Option<Result<Option<String>, FlinkError>>,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    Start,
    Scrubbing,
    Saving { from: Lifecycle, stable: bool },
    Marking { from: Lifecycle },
}

impl RecordSeen {
    /// The Flink job whose failure cause must be asked first (with
    /// [`super::cause::FailureCause`]), if any.
    pub fn needs_cause(state: &JobState, seen: &Seen) -> Option<JobId> {
        state.flink_job_id.clone().filter(|_| seen.fetch_cause)
    }

    /// Records `seen` in `state` (as read at the start of the cycle), with the
    /// answer to [`Self::needs_cause`] when there was a question.
    pub fn new(
        state: JobState,
        seen: Seen,
        cause: Option<Result<Option<String>, FlinkError>>,
    ) -> RecordSeen {
        RecordSeen {
            state,
            seen,
            cause,
            stage: Stage::Start,
        }
    }

    /// The message for the last error: the note and Flink's cause.
    fn message(&mut self, cause: Option<String>, now: EpochMs) -> Next<Outcome> {
        match (self.seen.note.take(), cause) {
            (Some(n), Some(c)) => self.scrub(format!("{n}; last failure: {c}")),
            (Some(m), None) | (None, Some(m)) => self.scrub(m),
            (None, None) => self.save(now),
        }
    }

    fn scrub(&mut self, text: String) -> Next<Outcome> {
        self.stage = Stage::Scrubbing;
        Next::Do(Effect::Scrub {
            job_id: self.state.job_id.clone(),
            text,
        })
    }

    fn save(&mut self, now: EpochMs) -> Next<Outcome> {
        let state = &mut self.state;
        let seen = &self.seen;
        if let Some(at) = seen.restarted_by_flink_at
            && !state.recoveries.contains(&at)
        {
            tracing::info!(job = %state.job_id, flink_job = ?state.flink_job_id, started_at = at,
                "Flink started the job again by itself (JobManager failover): adopted, recorded as a recovery");
            state.recoveries.push(at);
        }
        if seen.flink_started_at.is_some() {
            state.flink_started_at = seen.flink_started_at;
        }
        if let Some(health) = &seen.health {
            state.health = Some(health.clone());
        }
        let from = state.lifecycle;
        state.lifecycle = seen.lifecycle;
        state.set_flink_state(Some(seen.flink_state.clone()), now);
        match (seen.running, state.running_since) {
            (true, None) => state.running_since = Some(now),
            (false, Some(_)) => state.running_since = None,
            _ => {}
        }
        let stable = seen.lifecycle == Lifecycle::Stable && from != Lifecycle::Stable;
        if stable {
            state.stable_revision = Some(state.revision);
        }
        state.updated_at = now;
        self.stage = Stage::Saving { from, stable };
        Next::Do(Effect::Save(Box::new(state.clone())))
    }

    fn done(&self, from: Lifecycle) -> Next<Outcome> {
        Next::Done(Outcome::Done(format!(
            "{} -> {} (Flink {})",
            from.as_str(),
            self.seen.lifecycle.as_str(),
            self.seen.flink_state
        )))
    }
}

impl Operation for RecordSeen {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        match (&mut self.stage, answer) {
            (Stage::Start, None) => {
                let id = self.state.flink_job_id.as_ref();
                let id = id.map(ToString::to_string).unwrap_or_default();
                let cause = self.cause.take().map(|result| match result {
                    Ok(Some(cause)) => cause,
                    Ok(None) => format!("Flink job {id} failed"),
                    Err(e) => format!("Flink job {id} failed (cause unavailable: {e})"),
                });
                self.message(cause, now)
            }
            (Stage::Scrubbing, Some(Answer::Scrubbed(message))) => {
                self.state.set_error(message, now, false);
                self.save(now)
            }
            (Stage::Saving { from, stable }, Some(Answer::Saved(stored))) => {
                let (from, stable) = (*from, *stable);
                self.state = *stored;
                if !stable {
                    return self.done(from);
                }
                self.stage = Stage::Marking { from };
                Next::Do(Effect::MarkRevision {
                    job_id: self.state.job_id.clone(),
                    number: self.state.revision,
                    outcome: RevisionOutcome::Stable,
                    reason: None,
                })
            }
            (Stage::Marking { from }, Some(Answer::Stored(_))) => {
                let from = *from;
                self.done(from)
            }
            (_, answer) => unexpected("record", answer),
        }
    }

    /// Never waits.
    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}

/// The spec's fingerprint recorded as deployed: a change that needs no restart
/// (monitoring or upgrade settings only).
pub fn adopted(mut state: JobState, record: &SpecRecord, now: EpochMs) -> JobState {
    state.deployed_fingerprint = Some(record.fingerprint.clone());
    state.attempted_fingerprint = Some(record.fingerprint.clone());
    state.updated_at = now;
    state
}
