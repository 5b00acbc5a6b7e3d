//! Carrying out a [`BatchStep`]: end runs (recording Flink's result, cancelling
//! timed-out or replaced ones), record skips and misses, and start a run — its
//! record and job id written (atomically with the job state, fenced by the lease)
//! before the submission.

use fjc_flink::{FlinkApi, FlinkError, FlinkJobState, JobId};
use tracing::{info, warn};

use super::{Executor, Outcome, Step};
use crate::context::Ports;
use crate::error::CoreError;
use crate::executor_secrets::{resolve_spec, scrub_secrets};
use crate::planner::{BatchStep, RunEnd};
use crate::runs::{BatchState, Run, RunStatus, RunSummary, RunTrigger};
use crate::state::{JobState, Lifecycle};
use crate::store::{RunWrite, SpecRecord, StateStore};

impl<P: Ports> Executor<'_, P> {
    pub(super) async fn batch_step(&self, job_id: &str, step: &BatchStep) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let cfg = record.spec.batch_config.clone().unwrap_or_default();
        let mut state = self.states.get(job_id).cloned().unwrap_or_else(|| {
            JobState::new(
                job_id,
                record.spec.job_type,
                &record.spec.cluster,
                self.now(),
            )
        });
        let mut b = state.batch.take().unwrap_or_default();
        let flink = self.flink(&state.cluster)?;
        let mut writes = Vec::new();
        let mut done = Vec::new();

        for (run_id, how) in &step.end {
            let Some(pos) = b.active.iter().position(|r| &r.run_id == run_id) else {
                continue;
            };
            let run = &b.active[pos];
            let Some((status, reason)) = self.run_outcome(flink, &run.flink_job_id, how).await?
            else {
                continue;
            };
            let reason = match reason {
                Some(r) => Some(
                    scrub_secrets(&*self.ctx.secrets, &self.ctx.security, &record.spec, r).await,
                ),
                None => None,
            };
            let mut run = b.active.remove(pos);
            if cfg.cleanup_on_completion
                && let Some(jar) = run.jar.take()
                && let Err(e) = flink.delete_jar(&jar).await
            {
                warn!(jar = %jar, error = %e, "could not delete the run's jar");
            }
            done.push(format!("{} {}", run.run_id, status.as_str()));
            end_run(&mut b, &mut run, status, reason, self.now());
            writes.push(RunWrite::Put(run));
        }
        prune_history(&mut b, &cfg, job_id, &mut writes, flink).await;

        b.missed += step.missed;
        if step.missed > 0 {
            b.last_skip = Some(format!("{} fire time(s) missed", step.missed));
        }
        if let Some(reason) = &step.skipped {
            b.skipped += 1;
            b.last_skip = Some(reason.clone());
        }
        if let Some(h) = step.handled_up_to {
            b.last_scheduled_at = Some(h);
        }
        if step.anchor {
            b.last_scheduled_at = Some(self.now());
        }
        let mut to_submit: Vec<String> = step.resubmit.clone();
        if let Some(start) = &step.start {
            let run = Run {
                job_id: job_id.to_string(),
                run_id: Run::id_for(start.trigger, start.at),
                trigger: start.trigger,
                scheduled_at: start.at,
                created_at: self.now(),
                started_at: None,
                ended_at: None,
                flink_job_id: JobId::random(),
                fingerprint: record.fingerprint.clone(),
                status: RunStatus::Starting,
                reason: None,
                jar: None,
            };
            match start.trigger {
                RunTrigger::Manual => {
                    b.manual_handled_at = Some(start.at);
                    writes.push(RunWrite::ConsumeRequest {
                        job_id: job_id.to_string(),
                    });
                }
                RunTrigger::Spec => b.spec_run_fingerprint = Some(record.fingerprint.clone()),
                RunTrigger::Schedule => {}
            }
            b.runs_started += 1;
            to_submit.push(run.run_id.clone());
            writes.push(RunWrite::Create(run.clone()));
            b.active.push(run);
            state.attempted_fingerprint = Some(record.fingerprint.clone());
        }
        // Intent (and results) first.
        self.save_batch(&mut state, b, &writes).await?;

        for run_id in &to_submit {
            done.push(self.submit_run(&mut state, record, run_id).await?);
        }
        Ok(Outcome::Done(if done.is_empty() {
            "schedule bookkeeping".into()
        } else {
            done.join("; ")
        }))
    }

    /// How a run ended, or `None` when it turns out to be still running.
    async fn run_outcome(
        &self,
        flink: &crate::counted::Counted<P::Flink>,
        id: &JobId,
        how: &RunEnd,
    ) -> Step<Option<(RunStatus, Option<String>)>> {
        let from_flink = |state: &FlinkJobState, cause: Option<String>| match state {
            FlinkJobState::Finished => (RunStatus::Finished, None),
            FlinkJobState::Canceled => (
                RunStatus::Canceled,
                Some("cancelled outside the controller".to_string()),
            ),
            _ => (
                RunStatus::Failed,
                cause.or(Some(format!("Flink job {id} failed"))),
            ),
        };
        Ok(Some(match how {
            RunEnd::Observed(state) => {
                let cause = if *state == FlinkJobState::Failed {
                    flink.job_failure_cause(id).await.ok().flatten()
                } else {
                    None
                };
                from_flink(state, cause)
            }
            RunEnd::Vanished => match flink.job_execution_result(id).await {
                Ok(Some(r)) => from_flink(&r.state, r.cause),
                Ok(None) => return Ok(None),
                Err(FlinkError::NotFound { .. }) => (
                    RunStatus::Lost,
                    Some(
                        "job vanished from the cluster before its result was seen \
                         (JobManager restart, or expired from its job store)"
                            .to_string(),
                    ),
                ),
                Err(e) => return Err(e.into()),
            },
            RunEnd::Cancel { status, reason } => {
                match flink.cancel(id).await {
                    Ok(())
                    | Err(FlinkError::AlreadyTerminal { .. } | FlinkError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                (*status, Some(reason.clone()))
            }
        }))
    }

    async fn save_batch(
        &self,
        state: &mut JobState,
        b: BatchState,
        writes: &[RunWrite],
    ) -> Step<()> {
        let cfg_suspended = self
            .specs
            .get(&state.job_id)
            .and_then(|r| r.spec.batch_config.as_ref())
            .is_some_and(|c| c.suspend);
        state.lifecycle = if !b.active.is_empty() {
            Lifecycle::Running
        } else if cfg_suspended {
            Lifecycle::Suspended
        } else {
            match b.last_run().map(|r| r.status) {
                Some(RunStatus::Finished) => Lifecycle::Finished,
                Some(_) => Lifecycle::Failed,
                None => Lifecycle::Scheduled,
            }
        };
        state.flink_job_id = b
            .active
            .last()
            .map(|r| r.flink_job_id.clone())
            .or(state.flink_job_id.take());
        let flink_state = match (b.active.last(), b.last_run()) {
            (Some(r), _) => Some(r.status.as_str().to_string()),
            (None, Some(last)) => Some(last.status.as_str().to_string()),
            (None, None) => None,
        };
        if flink_state != state.flink_state {
            state.set_flink_state(flink_state, self.now());
        }
        state.last_error = b.last_run().and_then(|r| {
            (r.status != RunStatus::Finished).then(|| {
                crate::state::LastError::new(
                    r.reason.clone().unwrap_or_else(|| r.status.as_str().into()),
                    r.ended_at,
                    false,
                )
            })
        });
        if let Some(r) = b.active.last().or(None) {
            state.deployed_fingerprint = Some(r.fingerprint.clone());
        }
        state.batch = Some(b);
        state.updated_at = self.now();
        state.version = self.ctx.store.commit(state, writes, self.lease).await?;
        Ok(())
    }

    /// Submits one recorded run under its recorded job id and records the outcome.
    async fn submit_run(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        run_id: &str,
    ) -> Step<String> {
        let flink = self.flink(&state.cluster)?;
        let Some(mut b) = state.batch.clone() else {
            return Ok(format!("{run_id}: no batch state"));
        };
        let Some(pos) = b.active.iter().position(|r| r.run_id == run_id) else {
            return Ok(format!("{run_id}: not active"));
        };
        let keep_jar = true;
        let flink_job_id = b.active[pos].flink_job_id.clone();
        let prepared = match self.verified_artifact(record).await {
            Ok(artifact) => resolve_spec(&*self.ctx.secrets, &self.ctx.security, &record.spec)
                .await
                .map(|resolved| (artifact, resolved))
                .map_err(CoreError::from),
            Err(e) => Err(e),
        };
        let outcome = match prepared {
            Err(e) => Err((e.to_string(), false)),
            Ok((artifact, resolved)) => match self
                .submit(flink, &resolved, &artifact, &flink_job_id, None, keep_jar)
                .await
            {
                Ok(jar) => Ok(jar),
                Err(FlinkError::DuplicateJob { .. }) => Ok(None),
                Err(e) if e.is_ambiguous() || e.is_unreachable() => Err((e.to_string(), true)),
                Err(e) => Err((e.to_string(), false)),
            },
        };
        let (writes, text) = match outcome {
            Ok(jar) => {
                let run = &mut b.active[pos];
                run.status = RunStatus::Running;
                run.started_at = Some(self.now());
                run.jar = jar;
                info!(job = %state.job_id, run = run_id, flink_job = %flink_job_id, "run started");
                (
                    vec![RunWrite::Put(run.clone())],
                    format!("{run_id} started"),
                )
            }
            // Unknown outcome: keep it STARTING; next cycle looks for the job id first.
            Err((message, true)) => {
                warn!(job = %state.job_id, run = run_id, error = %message, "run submission unconfirmed");
                return Ok(format!("{run_id} submission unconfirmed: {message}"));
            }
            Err((message, false)) => {
                let mut run = b.active.remove(pos);
                warn!(job = %state.job_id, run = run_id, error = %message, "run failed to start");
                end_run(
                    &mut b,
                    &mut run,
                    RunStatus::Failed,
                    Some(message.clone()),
                    self.now(),
                );
                (
                    vec![RunWrite::Put(run)],
                    format!("{run_id} FAILED to start: {message}"),
                )
            }
        };
        self.save_batch(state, b, &writes).await?;
        Ok(text)
    }
}

/// Moves a run into history with its result.
fn end_run(
    b: &mut BatchState,
    run: &mut Run,
    status: RunStatus,
    reason: Option<String>,
    now: crate::clock::EpochMs,
) {
    run.status = status;
    run.reason = reason.clone();
    run.ended_at = Some(now);
    b.history.insert(
        0,
        RunSummary {
            run_id: run.run_id.clone(),
            started_at: run.started_at,
            flink_job_id: Some(run.flink_job_id.clone()),
            status,
            ended_at: now,
            reason,
            jar: run.jar.clone(),
        },
    );
}

/// Keeps the newest N successful and M unsuccessful runs; deletes the rest (their
/// items, and jars still kept in Flink).
async fn prune_history<F: FlinkApi>(
    b: &mut BatchState,
    cfg: &fjc_spec::BatchConfig,
    job_id: &str,
    writes: &mut Vec<RunWrite>,
    flink: &crate::counted::Counted<F>,
) {
    let (kept, pruned) = split_history(std::mem::take(&mut b.history), cfg);
    b.history = kept;
    for r in pruned {
        if let Some(jar) = &r.jar
            && let Err(e) = flink.delete_jar(jar).await
        {
            warn!(jar = %jar, error = %e, "could not delete a pruned run's jar");
        }
        writes.push(RunWrite::Delete {
            job_id: job_id.to_string(),
            run_id: r.run_id,
        });
    }
}

/// Splits history (newest first) into what the limits keep and what goes.
fn split_history(
    history: Vec<RunSummary>,
    cfg: &fjc_spec::BatchConfig,
) -> (Vec<RunSummary>, Vec<RunSummary>) {
    let (mut ok, mut bad) = (0usize, 0usize);
    history.into_iter().partition(|r| {
        if r.status == RunStatus::Finished {
            ok += 1;
            ok <= cfg.successful_history()
        } else {
            bad += 1;
            bad <= cfg.failed_history()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: u32, status: RunStatus) -> RunSummary {
        RunSummary {
            run_id: format!("run-{n}"),
            started_at: None,
            flink_job_id: None,
            status,
            ended_at: i64::from(n),
            reason: None,
            jar: None,
        }
    }

    fn ids(v: &[RunSummary]) -> Vec<&str> {
        v.iter().map(|r| r.run_id.as_str()).collect()
    }

    #[test]
    fn history_limits_keep_the_newest_of_each_kind() {
        use RunStatus::*;
        // Newest first.
        let history = vec![
            summary(9, Finished),
            summary(8, Failed),
            summary(7, Finished),
            summary(6, TimedOut),
            summary(5, Finished),
            summary(4, Finished),
            summary(3, Lost),
        ];
        // Defaults: 3 successful, 1 unsuccessful.
        let (kept, gone) = split_history(history.clone(), &fjc_spec::BatchConfig::default());
        assert_eq!(ids(&kept), ["run-9", "run-8", "run-7", "run-5"]);
        assert_eq!(ids(&gone), ["run-6", "run-4", "run-3"]);
        let cfg = fjc_spec::BatchConfig {
            successful_runs_history_limit: Some(0),
            failed_runs_history_limit: Some(2),
            ..Default::default()
        };
        let (kept, gone) = split_history(history, &cfg);
        assert_eq!(ids(&kept), ["run-8", "run-6"]);
        assert_eq!(gone.len(), 5);
    }
}
