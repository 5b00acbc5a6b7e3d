//! Carrying out what an operation asks ([`crate::operation`]): one place that
//! turns effects into port calls and answers. It never waits: when an operation
//! asks to be looked at again, it pauses there (its progress is saved) and its
//! job is requeued for that time, as a controller's work queue does; the tick
//! runs a cycle of the requeued jobs then ([`crate::tick`]), or the next cycle
//! goes on from the saved state.

use std::collections::BTreeMap;
use std::sync::Mutex;

use fjc_flink::FlinkApi;
use tracing::warn;

use super::submit::Program;
use super::{Executor, Step};
use crate::artifacts::FetchedArtifact;
use crate::context::Ports;
use crate::error::CoreError;
use crate::executor_secrets::{ResolvedSpec, resolve_spec, scrub_secrets};
use crate::operation::{Answer, Backoff, Effect, Next, Operation, StepError, SubmitError};
use crate::store::{HistoryStore, SpecRecord, StateStore};
use fjc_spec::Fingerprint;

/// An artifact fetched and verified (kept until submitted), the spec with its
/// secrets resolved, and what Flink is to run.
type Prepared = (FetchedArtifact, ResolvedSpec, Program);

/// What one drive keeps between effects: the artifact a verification fetched,
/// for the submission that follows it (so a jar is fetched once per step).
/// Secrets stay here, in memory, never in an operation.
#[derive(Default)]
struct Memo {
    prepared: Option<(Fingerprint, Prepared)>,
}

impl Memo {
    /// What was prepared for `fingerprint` this drive.
    fn of(&self, fingerprint: &Fingerprint) -> Option<&Prepared> {
        self.prepared
            .as_ref()
            .filter(|(f, _)| f == fingerprint)
            .map(|(_, p)| p)
    }
}

impl<P: Ports> Executor<'_, P> {
    /// Steps `op` (of job `job_id`) to its end, or until it asks to be looked
    /// at again: then it pauses, and the job is requeued for that time. Store
    /// failures (a lost lease) stop it as errors.
    pub(crate) async fn drive<O: Operation>(&self, job_id: &str, op: &mut O) -> Step<O::Ending> {
        let mut answer = None;
        let mut memo = Memo::default();
        loop {
            match op.step(answer.take(), self.now()) {
                Next::Do(effect) => {
                    answer = Some(Box::pin(self.carry_out(effect, &mut memo)).await?);
                }
                Next::LookAgainAt { at, why } => {
                    self.looks.requeue(job_id, at);
                    return Ok(op.paused(why));
                }
                Next::Done(ending) => return Ok(ending),
                Next::Fail(error) => return Err(error.into()),
            }
        }
    }

    /// One effect, carried out. Only a failed write is an error; a Flink call's
    /// failure is the operation's to judge.
    async fn carry_out(&self, effect: Effect, memo: &mut Memo) -> Step<Answer> {
        Ok(match effect {
            Effect::Save(mut state) => {
                self.save(&mut state).await?;
                Answer::Saved(state)
            }
            Effect::Verify { record } => Answer::Verified(match self.prepare(&record).await {
                Ok(prepared) => {
                    memo.prepared = Some((record.fingerprint.clone(), prepared));
                    Ok(())
                }
                Err(e) => Err(e),
            }),
            Effect::Submit {
                cluster,
                record,
                job,
                restore_from,
            } => {
                let flink = self.flink(&cluster)?;
                let prepared = match memo.prepared.take() {
                    Some((f, p)) if f == record.fingerprint => Ok(p),
                    _ => self.prepare(&record).await,
                };
                let (result, kept_jar) = match prepared {
                    Ok(prepared) => {
                        let (_, resolved, program) = &prepared;
                        let _pass = self.runs.enter(&cluster, program).await;
                        let submitted = self
                            .submit(
                                flink,
                                resolved,
                                program,
                                &job,
                                restore_from.as_deref(),
                                false,
                            )
                            .await;
                        if submitted.is_ok() {
                            self.runs
                                .take(&cluster, resolved.spec.deployment.parallelism);
                        }
                        // Kept: the revision this leads to keeps the verified script.
                        memo.prepared = Some((record.fingerprint.clone(), prepared));
                        match submitted {
                            Ok(_) => (Ok(()), None),
                            Err((e, kept_jar)) => (Err(SubmitError::Flink(e)), kept_jar),
                        }
                    }
                    Err(e) => (Err(e), None),
                };
                Answer::Submitted { result, kept_jar }
            }
            Effect::Commit { mut state, writes } => {
                self.stamp(&mut state);
                state.version = self.ctx.store.commit(&state, &writes, self.lease).await?;
                self.written(&state);
                Answer::Saved(state)
            }
            Effect::SubmitRun {
                cluster,
                record,
                job,
            } => {
                let flink = self.flink(&cluster)?;
                Answer::RunSubmitted(match self.prepare(&record).await {
                    Ok((_artifact, resolved, program)) => {
                        let _pass = self.runs.enter(&cluster, &program).await;
                        self.submit(flink, &resolved, &program, &job, None, true)
                            .await
                            .map_err(|(e, _kept)| SubmitError::Flink(e))
                    }
                    Err(e) => Err(e),
                })
            }
            Effect::AskJobResult { cluster, job } => {
                Answer::JobResult(self.flink(&cluster)?.job_execution_result(&job).await)
            }
            Effect::DeleteJar { cluster, jar } => {
                let result = self.flink(&cluster)?.delete_jar(&jar).await;
                if let Err(e) = &result {
                    warn!(jar = %jar, error = %e, "could not delete a run's jar");
                }
                Answer::Called(result)
            }
            Effect::Scrub { job_id, text } => Answer::Scrubbed(match self.specs.get(&job_id) {
                Some(r) => {
                    scrub_secrets(&*self.ctx.secrets, &self.ctx.security, &r.spec, text).await
                }
                None => text,
            }),
            Effect::MarkRevision {
                job_id,
                number,
                outcome,
                reason,
            } => {
                self.mark_revision(&job_id, number, outcome, reason).await;
                Answer::Stored(Ok(()))
            }
            Effect::Forget { job_id, version } => {
                self.ctx
                    .store
                    .delete_state(&job_id, version, self.lease)
                    .await?;
                Answer::Stored(Ok(()))
            }
            Effect::ReadRevisions { job_id } => {
                Answer::Revisions(self.ctx.store.list_revisions(&job_id).await.map_err(port))
            }
            Effect::PutRevision(mut revision) => {
                let verified = memo
                    .of(&revision.fingerprint)
                    .and_then(|(_, _, program)| program.script.as_deref());
                self.keep_script(&mut revision, verified).await;
                self.ctx.store.put_revision(&revision).await?;
                Answer::Stored(Ok(()))
            }
            Effect::DeleteRevision { job_id, number } => Answer::Stored(
                self.ctx
                    .store
                    .delete_revision(&job_id, number)
                    .await
                    .map_err(port),
            ),
            Effect::AskSavepoint {
                cluster,
                job,
                trigger,
            } => Answer::Savepoint(self.flink(&cluster)?.savepoint_status(&job, &trigger).await),
            Effect::TriggerSavepoint {
                cluster,
                job,
                target,
                trigger,
            } => Answer::Called(
                self.flink(&cluster)?
                    .trigger_savepoint(&job, target.as_deref(), &trigger)
                    .await,
            ),
            Effect::StopWithSavepoint {
                cluster,
                job,
                target,
                trigger,
            } => Answer::Called(
                self.flink(&cluster)?
                    .stop_with_savepoint(&job, target.as_deref(), &trigger)
                    .await,
            ),
            Effect::FindRestorePoints { state } => {
                let spec = self.specs.get(&state.job_id).map(|r| &r.spec);
                Answer::RestorePoints(Box::pin(self.restore_chain(&state, spec)).await)
            }
            Effect::AskSlots { cluster } => {
                // One overview per cluster and cycle; later asks count what this
                // cycle's submissions took since.
                let read = match self.runs.read(&cluster) {
                    Some(read) => Ok(read),
                    None => self.flink(&cluster)?.cluster_overview().await.map(|o| {
                        self.runs
                            .remember(&cluster, o.slots_available, o.slots_total)
                    }),
                };
                Answer::Slots(read.map(|(free, total)| crate::operation::Slots {
                    free: free.saturating_sub(self.runs.taken(&cluster)),
                    total,
                }))
            }
            Effect::AskSlotHolders { cluster } => {
                Answer::SlotHolders(self.flink(&cluster)?.slot_holders().await)
            }
            Effect::AskJob { cluster, job } => {
                Answer::Job(self.flink(&cluster)?.job(&job).await.map(|d| d.state))
            }
            Effect::AskTasks { cluster, job } => {
                Answer::Tasks(self.flink(&cluster)?.job(&job).await.map(|d| d.summary()))
            }
            Effect::AskMetrics { cluster, job } => {
                Answer::Metrics(self.flink(&cluster)?.job_metrics(&job).await)
            }
            Effect::AskRequirements { cluster, job } => {
                Answer::Requirements(self.flink(&cluster)?.resource_requirements(&job).await)
            }
            Effect::SetRequirements {
                cluster,
                job,
                requirements,
            } => Answer::Called(
                self.flink(&cluster)?
                    .set_resource_requirements(&job, &requirements)
                    .await,
            ),
            Effect::Cancel { cluster, job } => {
                Answer::Called(self.flink(&cluster)?.cancel(&job).await)
            }
            Effect::AskFailureCause { cluster, job } => {
                Answer::FailureCause(self.flink(&cluster)?.job_failure_cause(&job).await)
            }
            Effect::ReadCheckpoints { cluster, job } => {
                Answer::Checkpoints(self.flink(&cluster)?.checkpoints(&job).await)
            }
            Effect::FindLateSavepoints { state, job } => {
                let spec = self.specs.get(&state.job_id).map(|r| &r.spec);
                Answer::Late(Box::pin(self.unknown_savepoints(&state, spec, &job)).await)
            }
            Effect::Dispose { cluster, location } => {
                Answer::Disposing(self.flink(&cluster)?.dispose_savepoint(&location).await)
            }
            Effect::AskDisposal { cluster, trigger } => {
                Answer::Disposal(self.flink(&cluster)?.disposal_status(&trigger).await)
            }
        })
    }

    /// Flink's failure cause of job `job_id`'s FAILED Flink job, asked again
    /// (requeued) for a few seconds after it ended while Flink has none yet:
    /// `None` while it is waited for.
    pub(crate) async fn failure_cause(
        &self,
        job_id: &str,
        cluster: &str,
        job: &fjc_flink::JobId,
    ) -> Step<Option<Result<Option<String>, fjc_flink::FlinkError>>> {
        let ended_at = self
            .observed_job(cluster, job)
            .map(|j| j.end_time_ms)
            .filter(|t| *t > 0);
        self.drive(
            job_id,
            &mut crate::operation::cause::FailureCause::new(cluster, job, ended_at),
        )
        .await
    }

    /// The artifact fetched and verified, and the spec's secrets resolved: what a
    /// submission needs, before Flink is called.
    async fn prepare(&self, record: &SpecRecord) -> Result<Prepared, SubmitError> {
        let refused = |e: CoreError| SubmitError::Refused {
            message: e.to_string(),
            retryable: e.is_retryable(),
        };
        let artifact = self.verified_artifact(record).await.map_err(refused)?;
        let resolved = resolve_spec(&*self.ctx.secrets, &self.ctx.security, &record.spec)
            .await
            .map_err(|e| refused(e.into()))?;
        let program = self.program(&resolved, &artifact).await?;
        Ok((artifact, resolved, program))
    }

    /// The controller's retry backoff.
    pub(crate) fn backoff(&self) -> Backoff {
        Backoff {
            base_seconds: self.ctx.settings.retry_base_seconds,
            max_seconds: self.ctx.settings.retry_max_seconds,
        }
    }
}

/// A store failure an operation judges (reading or pruning revisions).
fn port(e: crate::store::StoreError) -> StepError {
    StepError::Port {
        message: e.to_string(),
        retryable: e.is_retryable(),
    }
}

/// When each job's operation asked to be looked at again, this cycle (the
/// earliest time per job).
#[derive(Debug, Default)]
pub struct Looks(Mutex<BTreeMap<String, crate::clock::EpochMs>>);

impl Looks {
    fn requeue(&self, job_id: &str, at: crate::clock::EpochMs) {
        if let Ok(mut looks) = self.0.lock() {
            let when = looks.entry(job_id.to_string()).or_insert(at);
            *when = (*when).min(at);
        }
    }

    /// The time `job_id` asked to be looked at again, taken out.
    pub fn take(&self, job_id: &str) -> Option<crate::clock::EpochMs> {
        self.0.lock().ok()?.remove(job_id)
    }
}
