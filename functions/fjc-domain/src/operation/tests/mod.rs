//! The operations walked through every crash point with no service: a scripted
//! Flink (a fake, for this purpose: it answers as Flink's REST API documents)
//! answers the effects, the "store" keeps the last saved state, and a crash
//! after the n-th effect throws the machine away and rebuilds it from what was
//! saved.

use std::collections::BTreeMap;

use fjc_flink::{DisposalStatus, FlinkError, FlinkJobState, JobId, SavepointStatus};

use super::{Answer, Effect, Next, Operation, SubmitError};
use crate::clock::EpochMs;
use crate::state::{JobState, SavepointRecord};

mod batch;
mod carry;
mod deploy;
mod lifecycle;
mod nested;
mod record;
mod requeue;
mod rescale;
mod savepoint;

/// The one vertex of a job of the scripted Flink.
const VERTEX: &str = "cbc357ccb763df2852fee8c4fc7d55f2";

/// A scripted Flink (fake): savepoints complete after `asks_to_complete` looks,
/// jobs stop after `asks_to_stop` looks once cancelled, disposals succeed.
#[derive(Debug, Default, Clone)]
pub(super) struct ScriptedFlink {
    triggers: BTreeMap<String, u32>,
    savepoints_taken: u32,
    asks_to_complete: u32,
    fail_savepoint: Option<String>,
    running: bool,
    cancels: u32,
    stop_asks: u32,
    asks_to_stop: u32,
    disposed: Vec<String>,
    disposals: BTreeMap<String, String>,
    late: Vec<SavepointRecord>,
    /// The failure cause appears at this ask (0: never).
    cause_at_ask: u32,
    cause_asks: u32,
    /// The newest retained checkpoint id each statistics read reports; the last
    /// one repeats.
    checkpoints: Vec<u64>,
    checkpoint_reads: usize,
    /// Triggers of stop-with-savepoint: the job ends when one completes.
    stopping: Vec<String>,
    /// Restore points in storage, newest first.
    storage: Vec<crate::restore::Candidate>,
    /// Jobs submitted under their ids (the "old" job is modelled by `running`).
    submitted: BTreeMap<JobId, FlinkJobState>,
    /// Restore points whose files are gone: Flink refuses them and leaves a
    /// FAILED job under the submission's id, as Flink 2.3 does.
    missing: Vec<String>,
    /// Runs started (accepted submissions).
    runs: u32,
    /// Why the artifact is refused, if it is.
    refuse_artifact: Option<String>,
    /// Revisions written.
    revisions: BTreeMap<u64, crate::revisions::Revision>,
    /// Run items committed with the state, by run id.
    run_items: BTreeMap<String, crate::runs::Run>,
    /// Jars kept in Flink (batch runs), and the ones deleted.
    jars: Vec<fjc_flink::JarId>,
    deleted_jars: Vec<fjc_flink::JarId>,
    /// Jobs whose result Flink still has after they left its job list.
    results: BTreeMap<JobId, fjc_flink::ExecutionResult>,
    /// The failure cause Flink gives for a submitted job that failed.
    job_cause: Option<String>,
    /// A disposal is in progress for this many asks about it.
    asks_to_dispose: u32,
    disposal_asks: BTreeMap<String, u32>,
    /// The old job keeps running after its stop-savepoint completed.
    ignores_stop: bool,
    /// Free task slots (`None`: plenty).
    free_slots: Option<u32>,
    /// Jobs the JobManager forgot whose tasks still hold slots.
    lingering: Vec<JobId>,
    /// The adaptive scheduler runs the old job: its parallelism can change in
    /// place.
    adaptive: bool,
    /// The old job's parallelism, and the upper bound last set.
    parallelism: u32,
    requested: u32,
    /// Looks at the job before a new upper bound takes effect (`u32::MAX`: never).
    asks_to_rescale: u32,
    rescale_asks: u32,
    /// Bounds set, and restarts Flink made of the old job.
    requirement_sets: u32,
    restarts: u64,
    /// Checkpoint statistics name no completed checkpoint.
    checkpointless: bool,
    /// Metrics answers after a rescale that still show the count before it
    /// (Flink refreshes them every 10 s).
    stale_metrics: u32,
    /// Runs whose answer never comes (a timeout) though the job is submitted.
    unanswered_runs: u32,
    saves: u32,
    calls: u32,
}

impl ScriptedFlink {
    fn answer(&mut self, effect: &Effect, store: &mut Option<JobState>) -> Answer {
        self.calls += 1;
        match effect {
            Effect::Save(state) => {
                self.saves += 1;
                let mut s = (**state).clone();
                s.version += 1;
                *store = Some(s.clone());
                Answer::Saved(Box::new(s))
            }
            Effect::Commit { state, writes } => {
                let mut s = (**state).clone();
                s.version += 1;
                *store = Some(s.clone());
                for write in writes {
                    match write {
                        crate::runs::RunWrite::Create(r) | crate::runs::RunWrite::Put(r) => {
                            self.run_items.insert(r.run_id.clone(), r.clone());
                        }
                        crate::runs::RunWrite::Delete { run_id, .. } => {
                            self.run_items.remove(run_id);
                        }
                        crate::runs::RunWrite::ConsumeRequest { .. } => {}
                    }
                }
                Answer::Saved(Box::new(s))
            }
            Effect::SubmitRun { job, .. } => {
                if self.submitted.contains_key(job) {
                    return Answer::RunSubmitted(Err(SubmitError::Flink(
                        FlinkError::DuplicateJob {
                            job: job.to_string(),
                        },
                    )));
                }
                if let Some(why) = &self.refuse_artifact {
                    return Answer::RunSubmitted(Err(SubmitError::Refused {
                        message: why.clone(),
                        retryable: false,
                    }));
                }
                self.runs += 1;
                self.submitted.insert(job.clone(), FlinkJobState::Running);
                let jar = fjc_flink::JarId(format!("jar-{}", self.runs));
                self.jars.push(jar.clone());
                Answer::RunSubmitted(Ok(Some(jar)))
            }
            Effect::AskJobResult { job, .. } => Answer::JobResult(match self.results.get(job) {
                Some(r) => Ok(Some(r.clone())),
                None => Err(FlinkError::NotFound {
                    what: format!("job {job}"),
                }),
            }),
            Effect::DeleteJar { jar, .. } => {
                if !self.jars.contains(jar) {
                    return Answer::Called(Err(FlinkError::NotFound {
                        what: format!("jar {jar}"),
                    }));
                }
                self.jars.retain(|j| j != jar);
                self.deleted_jars.push(jar.clone());
                Answer::Called(Ok(()))
            }
            Effect::Scrub { text, .. } => Answer::Scrubbed(text.replace("s3cr3t", "***")),
            Effect::AskSavepoint { trigger, .. } => {
                let Some(asks) = self.triggers.get_mut(trigger) else {
                    return Answer::Savepoint(Err(FlinkError::NotFound {
                        what: format!("trigger {trigger}"),
                    }));
                };
                *asks += 1;
                Answer::Savepoint(Ok(match &self.fail_savepoint {
                    Some(cause) => SavepointStatus::Failed {
                        cause: cause.clone(),
                    },
                    None if *asks > self.asks_to_complete => {
                        if self.stopping.contains(trigger) && !self.ignores_stop {
                            self.running = false;
                        }
                        SavepointStatus::Completed {
                            location: format!("file:/sp/savepoint-{trigger}"),
                        }
                    }
                    None => SavepointStatus::InProgress,
                }))
            }
            Effect::TriggerSavepoint { trigger, .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::NotFound { what: "job".into() }));
                }
                if !self.triggers.contains_key(trigger) {
                    self.savepoints_taken += 1;
                    self.triggers.insert(trigger.clone(), 0);
                }
                Answer::Called(Ok(()))
            }
            Effect::StopWithSavepoint { trigger, .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::NotFound { what: "job".into() }));
                }
                if !self.triggers.contains_key(trigger) {
                    self.savepoints_taken += 1;
                    self.triggers.insert(trigger.clone(), 0);
                    self.stopping.push(trigger.clone());
                }
                Answer::Called(Ok(()))
            }
            Effect::FindRestorePoints { .. } => Answer::RestorePoints(crate::restore::Found {
                chain: self.storage.clone(),
                incomplete: false,
            }),
            Effect::AskJob { job, .. } if self.submitted.contains_key(job) => {
                Answer::Job(Ok(self.submitted[job].clone()))
            }
            Effect::AskFailureCause { job, .. } if self.submitted.contains_key(job) => {
                Answer::FailureCause(Ok(Some(self.job_cause.clone().unwrap_or_else(|| {
                    "java.io.FileNotFoundException: Cannot find checkpoint or savepoint".into()
                }))))
            }
            Effect::AskSlotHolders { .. } => Answer::SlotHolders(Ok(self.lingering.clone())),
            Effect::AskSlots { .. } => Answer::Slots(Ok(crate::operation::Slots {
                free: self.free_slots.unwrap_or(64),
                total: 64,
            })),
            Effect::Verify { .. } => Answer::Verified(match &self.refuse_artifact {
                Some(why) => Err(SubmitError::Refused {
                    message: why.clone(),
                    retryable: false,
                }),
                None => Ok(()),
            }),
            Effect::Submit {
                job, restore_from, ..
            } => {
                let refused = |result| Answer::Submitted {
                    result: Err(result),
                    kept_jar: None,
                };
                if let Some(why) = &self.refuse_artifact {
                    return refused(SubmitError::Refused {
                        message: why.clone(),
                        retryable: false,
                    });
                }
                if self.submitted.contains_key(job) {
                    return refused(SubmitError::Flink(FlinkError::DuplicateJob {
                        job: job.to_string(),
                    }));
                }
                if let Some(from) = restore_from
                    && self.missing.contains(from)
                {
                    self.submitted.insert(job.clone(), FlinkJobState::Failed);
                    return refused(SubmitError::Flink(FlinkError::BadRequest {
                        message: format!(
                            "java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory '{from}'"
                        ),
                    }));
                }
                self.runs += 1;
                self.submitted.insert(job.clone(), FlinkJobState::Running);
                if self.unanswered_runs > 0 {
                    // The run goes on in the JobManager; its answer never comes.
                    self.unanswered_runs -= 1;
                    let jar = fjc_flink::JarId(format!("unanswered-{}", self.runs));
                    self.jars.push(jar.clone());
                    return Answer::Submitted {
                        result: Err(SubmitError::Flink(FlinkError::Timeout {
                            operation: "run_jar".into(),
                            seconds: 20,
                        })),
                        kept_jar: Some(jar),
                    };
                }
                Answer::Submitted {
                    result: Ok(()),
                    kept_jar: None,
                }
            }
            Effect::MarkRevision {
                number, outcome, ..
            } => {
                if let Some(r) = self.revisions.get_mut(number) {
                    r.outcome = *outcome;
                }
                Answer::Stored(Ok(()))
            }
            Effect::Forget { .. } => {
                *store = None;
                Answer::Stored(Ok(()))
            }
            Effect::ReadRevisions { .. } => {
                Answer::Revisions(Ok(self.revisions.values().cloned().collect()))
            }
            Effect::PutRevision(r) => {
                self.revisions.insert(r.number, (**r).clone());
                Answer::Stored(Ok(()))
            }
            Effect::DeleteRevision { number, .. } => {
                self.revisions.remove(number);
                Answer::Stored(Ok(()))
            }
            Effect::AskJob { .. } => {
                if !self.running {
                    return Answer::Job(Ok(FlinkJobState::Canceled));
                }
                if self.cancels > 0 {
                    self.stop_asks += 1;
                    if self.stop_asks >= self.asks_to_stop {
                        self.running = false;
                        return Answer::Job(Ok(FlinkJobState::Canceled));
                    }
                    return Answer::Job(Ok(FlinkJobState::Cancelling));
                }
                Answer::Job(Ok(FlinkJobState::Running))
            }
            Effect::Cancel { job, .. } if self.submitted.contains_key(job) => {
                let state = self.submitted[job].clone();
                if state.is_globally_terminal() {
                    return Answer::Called(Err(FlinkError::AlreadyTerminal {
                        job: job.to_string(),
                    }));
                }
                self.cancels += 1;
                self.submitted.insert(job.clone(), FlinkJobState::Canceled);
                Answer::Called(Ok(()))
            }
            Effect::Cancel { .. } => {
                if !self.running {
                    return Answer::Called(Err(FlinkError::AlreadyTerminal { job: "job".into() }));
                }
                self.cancels += 1;
                Answer::Called(Ok(()))
            }
            Effect::AskFailureCause { .. } => {
                self.cause_asks += 1;
                Answer::FailureCause(Ok((self.cause_at_ask != 0
                    && self.cause_asks >= self.cause_at_ask)
                    .then(|| "java.lang.ArithmeticException: / by zero".to_string())))
            }
            Effect::ReadCheckpoints { .. } if self.checkpointless => {
                Answer::Checkpoints(Ok(fjc_flink::CheckpointStats::default()))
            }
            Effect::ReadCheckpoints { .. } => {
                let i = self
                    .checkpoint_reads
                    .min(self.checkpoints.len().saturating_sub(1));
                self.checkpoint_reads += 1;
                Answer::Checkpoints(match self.checkpoints.get(i) {
                    Some(id) => Ok(fjc_flink::CheckpointStats {
                        latest_completed: Some(fjc_flink::CheckpointRef {
                            id: *id,
                            external_path: Some(format!("file:/cp/chk-{id}")),
                            is_savepoint: false,
                            completed_at: Some(0),
                        }),
                        ..fjc_flink::CheckpointStats::default()
                    }),
                    None => Err(FlinkError::NotFound { what: "job".into() }),
                })
            }
            Effect::AskRequirements { .. } if !self.adaptive => {
                Answer::Requirements(Err(FlinkError::Server {
                    status: 500,
                    message: "java.lang.UnsupportedOperationException: The DefaultScheduler does \
                              not support changing the parallelism without a job restart."
                        .into(),
                }))
            }
            Effect::AskRequirements { .. } => Answer::Requirements(Ok(BTreeMap::from([(
                VERTEX.to_string(),
                fjc_flink::ParallelismBounds {
                    lower_bound: 1,
                    upper_bound: self.requested,
                },
            )]))),
            Effect::SetRequirements { requirements, .. } => {
                self.requirement_sets += 1;
                self.requested = requirements[VERTEX].upper_bound;
                self.rescale_asks = 0;
                Answer::Called(Ok(()))
            }
            Effect::AskTasks { job, .. } => {
                if self.requested != self.parallelism {
                    self.rescale_asks += 1;
                    if self.rescale_asks >= self.asks_to_rescale {
                        self.parallelism = self.requested;
                        self.restarts += 1;
                    }
                }
                Answer::Tasks(Ok(fjc_flink::JobSummary {
                    id: job.clone(),
                    name: "fjc:orders".into(),
                    state: FlinkJobState::Running,
                    start_time_ms: 0,
                    end_time_ms: -1,
                    tasks_total: self.parallelism,
                    tasks_running: self.parallelism,
                    tasks_finished: 0,
                    adaptive: self.adaptive,
                }))
            }
            Effect::AskMetrics { .. } => Answer::Metrics(Ok(fjc_flink::JobMetrics {
                restarts: Some(if self.restarts > 0 && self.stale_metrics > 0 {
                    self.stale_metrics -= 1;
                    self.restarts - 1
                } else {
                    self.restarts
                }),
                checkpoints_completed: Some(9),
                checkpoints_failed: Some(1),
                last_checkpoint_at: Some(0),
            })),
            Effect::FindLateSavepoints { state, .. } => Answer::Late(
                self.late
                    .iter()
                    .filter(|l| !state.savepoints.iter().any(|s| s.location == l.location))
                    .cloned()
                    .collect(),
            ),
            Effect::Dispose { location, .. } => {
                let trigger = format!("d{}", self.disposals.len());
                self.disposals.insert(trigger.clone(), location.clone());
                Answer::Disposing(Ok(trigger))
            }
            Effect::AskDisposal { trigger, .. } => match self.disposals.get(trigger) {
                Some(_)
                    if {
                        let asks = self.disposal_asks.entry(trigger.clone()).or_default();
                        *asks += 1;
                        *asks <= self.asks_to_dispose
                    } =>
                {
                    Answer::Disposal(Ok(DisposalStatus::InProgress))
                }
                Some(location) => {
                    if !self.disposed.contains(location) {
                        self.disposed.push(location.clone());
                    }
                    Answer::Disposal(Ok(DisposalStatus::Done))
                }
                None => Answer::Disposal(Err(FlinkError::NotFound {
                    what: trigger.clone(),
                })),
            },
        }
    }
}

/// Runs `op` to its end (waits are skipped: the clock jumps), crashing after
/// effect number `crash_after` (1-based; 0 = never). Returns the ending, or
/// `None` when it crashed.
pub(super) fn run<O: Operation>(
    op: &mut O,
    flink: &mut ScriptedFlink,
    store: &mut Option<JobState>,
    now: &mut EpochMs,
    crash_after: usize,
) -> Option<O::Ending> {
    let mut answer = None;
    let mut effects = 0;
    for _ in 0..10_000 {
        match op.step(answer.take(), *now) {
            Next::Do(effect) => {
                answer = Some(flink.answer(&effect, store));
                effects += 1;
                if effects == crash_after {
                    return None;
                }
            }
            Next::LookAgainAt { at, .. } => *now = at.max(*now + 1),
            Next::Done(ending) => return Some(ending),
            Next::Fail(e) => panic!("operation failed: {e}"),
        }
    }
    panic!("operation did not end");
}

/// Runs `op` as one cycle does: until it ends (`Ok`), or until it asks to be
/// looked at again (`Err(at)`): then it pauses, and only what it saved is left
/// for the cycle that looks again (the tick's requeue).
pub(super) fn run_until_look<O: Operation>(
    op: &mut O,
    flink: &mut ScriptedFlink,
    store: &mut Option<JobState>,
    now: EpochMs,
) -> Result<O::Ending, EpochMs> {
    let mut answer = None;
    for _ in 0..10_000 {
        match op.step(answer.take(), now) {
            Next::Do(effect) => answer = Some(flink.answer(&effect, store)),
            Next::LookAgainAt { at, .. } => return Err(at.max(now + 1)),
            Next::Done(ending) => return Ok(ending),
            Next::Fail(e) => panic!("operation failed: {e}"),
        }
    }
    panic!("operation did not end or pause");
}
