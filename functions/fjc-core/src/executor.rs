//! Carries out the planner's actions.
//!
//! Every operation is recorded in the job's state (fenced by the lease) before its
//! first Flink call, and every step can be repeated: after a crash at any point the
//! next cycle resumes from the recorded operation. A submission uses a job id chosen
//! and stored beforehand, so a retry finds (and adopts) the job instead of starting
//! a second copy.

use std::collections::BTreeMap;

use fjc_flink::{FlinkApi, FlinkError, JobId, RunRequest};
use fjc_spec::flink_conf::flink_configuration;
use tracing::{info, warn};

use crate::artifacts::{ArtifactError, ArtifactSource, FetchedArtifact, check_signature};
use crate::clock::Clock;
use crate::context::Context;
use crate::counted::Counted;
use crate::error::CoreError;
use crate::executor_secrets::{ResolvedSpec, resolve_spec};
use crate::operation::stop::StopJob;
use crate::planner::{Action, DeployReason, Observation};
use crate::revisions::RestartFrom;
use crate::secrets::SecretSource;
use crate::state::UpgradeProgress;
use crate::state::{JobState, Lifecycle, Operation, Purpose};
use crate::store::{LeaseGrant, SpecRecord, Store, StoreError};
use fjc_spec::UpgradeMode;

pub use crate::operation::Outcome;

/// One carried-out action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    /// Spec job id.
    pub job_id: String,
    /// Action name.
    pub action: &'static str,
    /// Outcome.
    pub outcome: Outcome,
    /// How long the action took.
    pub duration_ms: u64,
}

/// Everything one cycle's actions share.
pub struct Executor<'a, S, F, A, C, K> {
    /// Ports.
    pub ctx: &'a Context<S, F, A, C, K>,
    /// The lease every write is fenced by.
    pub lease: &'a LeaseGrant,
    /// Specs by job id.
    pub specs: &'a BTreeMap<String, SpecRecord>,
    /// States by job id (as read after taking the lease).
    pub states: &'a BTreeMap<String, JobState>,
    /// Cluster observations (made after taking the lease).
    pub observed: &'a BTreeMap<String, Observation>,
    /// Pending operator commands by job id.
    pub commands: &'a BTreeMap<String, crate::revisions::Commands>,
    /// Each cluster's configuration, read at most once per cycle, when a restore
    /// point is looked for.
    pub cluster_configs: crate::restore::ClusterConfigs,
}

pub(crate) type Step<T> = Result<T, CoreError>;

mod batch;
mod drive;
mod lifecycle;
mod observe;
mod revisions;
mod upgrade;

use crate::operation::carry::Carry;
use observe::Seen;

impl<S: Store, F: FlinkApi, A: ArtifactSource, C: Clock, K: SecretSource>
    Executor<'_, S, F, A, C, K>
{
    /// Carries out one action. Store failures that must stop the cycle (lease lost)
    /// are returned as errors; everything else is an outcome.
    pub async fn run(&self, action: &Action) -> Result<ActionReport, StoreError> {
        let job_id = action.job_id().to_string();
        let started = std::time::Instant::now();
        let result = match action {
            Action::Deploy {
                replaces, reason, ..
            } => {
                info!(job = %job_id, ?reason, "starting deployment");
                let purpose = match reason {
                    DeployReason::Recover | DeployReason::Lost => Purpose::Recover,
                    DeployReason::Resume => Purpose::Resume,
                    DeployReason::Restart => Purpose::Restart,
                    DeployReason::New | DeployReason::Changed | DeployReason::Retry => {
                        Purpose::Deploy
                    }
                };
                Box::pin(self.start_deploy(&job_id, replaces.clone(), purpose)).await
            }
            // Boxed, as every operation: their futures are large, and debug builds
            // move a future across stack frames while it is built.
            Action::Suspend { flink_job_id, .. } => {
                Box::pin(self.start_suspend(&job_id, flink_job_id)).await
            }
            Action::Savepoint { manual, .. } => {
                Box::pin(self.start_savepoint(&job_id, *manual)).await
            }
            Action::Rollback {
                to, reason, manual, ..
            } => Box::pin(self.start_rollback(&job_id, *to, reason, *manual)).await,
            Action::CancelOrphan {
                cluster,
                flink_job_id,
                ..
            } => self.cancel_orphan(cluster, flink_job_id).await,
            Action::ResumeOperation { .. } => Box::pin(self.resume(&job_id)).await,
            Action::Delete { flink_job_ids, .. } => {
                Box::pin(self.start_delete(&job_id, flink_job_ids.clone())).await
            }
            Action::Batch { step, .. } => Box::pin(self.batch_step(&job_id, step)).await,
            Action::Adopt { .. } => self.adopt(&job_id).await,
            Action::Record {
                lifecycle,
                flink_state,
                fetch_cause,
                note,
                running,
                restarted_by_flink_at,
                flink_started_at,
                ..
            } => {
                let seen = Seen {
                    lifecycle: *lifecycle,
                    flink_state,
                    fetch_cause: *fetch_cause,
                    running: *running,
                    restarted_by_flink_at: *restarted_by_flink_at,
                    flink_started_at: *flink_started_at,
                };
                self.record(&job_id, seen, note.clone()).await
            }
        };
        let outcome = match result {
            Ok(o) => o,
            Err(CoreError::Store(e @ StoreError::LeaseLost { .. })) => return Err(e),
            Err(e) => {
                warn!(job = %job_id, error = %e, "action failed");
                Outcome::Failed(e.to_string())
            }
        };
        Ok(ActionReport {
            job_id,
            action: action.name(),
            outcome,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    pub(crate) fn now(&self) -> i64 {
        self.ctx.clock.now_ms()
    }

    pub(crate) fn flink(&self, cluster: &str) -> Step<&Counted<F>> {
        self.ctx
            .clusters
            .get(cluster)
            .ok_or_else(|| CoreError::Config(format!("cluster {cluster:?} is not configured")))
    }

    /// The job's state as read at the start of the cycle.
    pub(crate) fn stored(&self, job_id: &str) -> Step<JobState> {
        self.states
            .get(job_id)
            .cloned()
            .ok_or_else(|| CoreError::NotFound(format!("state of {job_id} is gone")))
    }

    pub(crate) fn spec(&self, job_id: &str) -> Step<&SpecRecord> {
        self.specs
            .get(job_id)
            .ok_or_else(|| CoreError::NotFound(format!("spec {job_id} is gone")))
    }

    fn observed_state(&self, cluster: &str, id: &JobId) -> Option<&fjc_flink::FlinkJobState> {
        match self.observed.get(cluster) {
            Some(Observation::Reachable(jobs)) => jobs.get(id).map(|j| &j.state),
            _ => None,
        }
    }

    async fn save(&self, state: &mut JobState) -> Step<()> {
        state.updated_at = self.now();
        state.version = self.ctx.store.put_state(state, self.lease).await?;
        Ok(())
    }

    async fn start_deploy(
        &self,
        job_id: &str,
        replaces: Option<JobId>,
        purpose: Purpose,
    ) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let spec = &record.spec;
        let mut state = self
            .states
            .get(job_id)
            .cloned()
            .unwrap_or_else(|| JobState::new(job_id, spec.job_type, &spec.cluster, self.now()));
        state.cluster = spec.cluster.clone();
        state.job_type = spec.job_type;
        if state.attempted_fingerprint.as_ref() != Some(&record.fingerprint) {
            state.failed_attempts = 0;
        }
        state.attempted_fingerprint = Some(record.fingerprint.clone());
        state.lifecycle = match purpose {
            Purpose::Recover => Lifecycle::Recovering,
            _ if replaces.is_some() => Lifecycle::Upgrading,
            _ => Lifecycle::Deploying,
        };
        let mode = spec.upgrade_mode();
        // Nothing runs (failed, lost with the JobManager, suspended, or a new
        // version after a failure): find the newest restore point in storage now,
        // unless the spec wants empty state. Before `note_purpose`, which reports
        // where a recovery starts from.
        // `fjc restart --from PATH` / `--empty`: the operator chose.
        let chosen = match purpose {
            Purpose::Restart => self
                .commands
                .get(job_id)
                .and_then(|c| c.restart.as_ref())
                .map(|(_, from)| from.clone())
                .filter(|f| *f != RestartFrom::Newest),
            _ => None,
        };
        if let Some(RestartFrom::Path(path)) = &chosen
            && !matches!(Box::pin(self.ctx.storage.is_complete(path)).await, Ok(true))
        {
            let message = format!(
                "fjc restart --from {path}: no complete savepoint or checkpoint there \
                 (no _metadata); nothing started"
            );
            self.note_purpose(&mut state, purpose, record).await;
            return self.not_started(&mut state, message, false).await;
        }
        let found = match (&replaces, mode) {
            _ if chosen.is_some() => None,
            (None, UpgradeMode::Savepoint | UpgradeMode::LastState)
                if state.flink_job_id.is_some() || state.last_savepoint.is_some() =>
            {
                Some(Box::pin(self.restore_chain(&state, Some(spec))).await)
            }
            _ => None,
        };
        if let Some(found) = &found {
            match found.chain.first() {
                Some(newest) => {
                    let from = state.flink_job_id.clone().unwrap_or_else(JobId::random);
                    state.last_savepoint = Some(newest.record(&from));
                }
                None if found.incomplete => {
                    let message = "restore points could not be listed (cluster configuration \
                                   or checkpoint storage unavailable); not starting without them"
                        .to_string();
                    self.note_purpose(&mut state, purpose, record).await;
                    return self.not_started(&mut state, message, true).await;
                }
                None if had_state(&state) => {
                    let tried: Vec<String> = state
                        .last_savepoint
                        .iter()
                        .chain(&state.savepoints)
                        .map(|s| s.location.clone())
                        .collect();
                    let message = crate::restore::none_left(&tried);
                    self.note_purpose(&mut state, purpose, record).await;
                    return self.not_started(&mut state, message, false).await;
                }
                None => {
                    info!(job = %job_id, "no checkpoint or savepoint of this job exists; starting it with empty state");
                }
            }
        }
        self.note_purpose(&mut state, purpose, record).await;
        let upgrade = match (&replaces, &found) {
            // The operator's choice: cancel what runs, start from that path or empty.
            _ if chosen.is_some() => {
                let restore_from = match &chosen {
                    Some(RestartFrom::Path(p)) => Some(p.clone()),
                    _ => None,
                };
                if restore_from.is_none() {
                    warn!(job = %job_id, "starting with empty state, as fjc restart --empty asked");
                }
                Some(UpgradeProgress::new(UpgradeMode::Stateless, restore_from))
            }
            // A running job is replaced: carry its state over as the mode says.
            (Some(_), _) => Some(UpgradeProgress::new(mode, None)),
            (None, Some(found)) => found
                .chain
                .first()
                .map(|newest| UpgradeProgress::new(mode, Some(newest.location.clone()))),
            (None, None) => None,
        };
        state.operation = Some(Operation::Deploy {
            fingerprint: record.fingerprint.clone(),
            flink_job_id: JobId::random(),
            replaces,
            started_at: self.now(),
            upgrade,
            purpose,
        });
        // Intent first: nothing touches Flink before this write succeeds.
        self.save(&mut state).await?;
        Box::pin(self.continue_deploy(state)).await
    }

    /// A deployment that did not start (an error, or no restore point it can
    /// use): FAILED with why, retried after a backoff when `retryable`.
    async fn not_started(
        &self,
        state: &mut JobState,
        message: String,
        retryable: bool,
    ) -> Step<Outcome> {
        warn!(job = %state.job_id, error = %message, retryable, "deployment failed");
        state.operation = None;
        state.lifecycle = Lifecycle::Failed;
        state.failed_attempts = state.failed_attempts.saturating_add(1);
        state.next_attempt_at =
            retryable.then(|| self.now() + self.backoff_ms(state.failed_attempts));
        state.set_error(message.clone(), self.now(), retryable);
        self.save(state).await?;
        Ok(Outcome::Failed(message))
    }

    async fn resume(&self, job_id: &str) -> Step<Outcome> {
        let state = self.stored(job_id)?;
        match &state.operation {
            Some(Operation::Deploy { .. }) => self.continue_deploy(state).await,
            Some(Operation::Delete { .. }) => self.continue_delete(state).await,
            Some(Operation::Suspend { .. }) => self.continue_suspend(state).await,
            Some(Operation::Savepoint { .. }) => self.continue_savepoint(state).await,
            None => Ok(Outcome::Done("nothing to resume".into())),
        }
    }

    async fn continue_deploy(&self, mut state: JobState) -> Step<Outcome> {
        let Some(Operation::Deploy {
            fingerprint,
            flink_job_id,
            replaces,
            purpose,
            ..
        }) = state.operation.clone()
        else {
            return Ok(Outcome::Done("no deploy in flight".into()));
        };
        let flink = self.flink(&state.cluster)?;
        // What is deployed: the spec, or for a rollback the recorded revision.
        let owned;
        let record = match purpose {
            Purpose::Rollback { to } => {
                owned = self.revision(&state.job_id, to).await?.record();
                &owned
            }
            _ => self.spec(&state.job_id)?,
        };

        // Already submitted (a crash or lost answer after the run call): adopt it,
        // unless it is the FAILED job Flink leaves under the id of a submission it
        // refused for a missing restore point: then go on with the next candidate,
        // as if the refusal had been answered to this step.
        if let Some(s) = self.observed_state(&state.cluster, &flink_job_id) {
            let tried = match &state.operation {
                Some(Operation::Deploy {
                    upgrade: Some(p), ..
                }) => p.restore_from.clone(),
                _ => None,
            };
            if *s == fjc_flink::FlinkJobState::Failed
                && let Some(missing) = tried
                && let Ok(Some(cause)) = flink.job_failure_cause(&flink_job_id).await
                && crate::restore::is_missing_restore_point(&cause)
            {
                return Box::pin(self.next_restore_point(state, missing, &cause)).await;
            }
            let s = s.as_str().to_string();
            return self
                .finish_deploy(&mut state, record, flink_job_id, &s)
                .await;
        }

        if record.fingerprint != fingerprint {
            // The spec changed before anything was submitted: deploy the new one.
            if let Some(Operation::Deploy { fingerprint: f, .. }) = &mut state.operation {
                *f = record.fingerprint.clone();
            }
            state.attempted_fingerprint = Some(record.fingerprint.clone());
            self.save(&mut state).await?;
            return Box::pin(self.continue_deploy(state)).await;
        }

        // Verify the artifact before touching the running job, so a bad artifact
        // leaves the old version running.
        let artifact = match self.verified_artifact(record).await {
            Ok(a) => a,
            Err(e) => return self.fail(&mut state, e).await,
        };
        let resolved =
            match resolve_spec(&*self.ctx.secrets, &self.ctx.security, &record.spec).await {
                Ok(r) => r,
                Err(e) => return self.fail(&mut state, e.into()).await,
            };

        let restore_from = match &replaces {
            Some(old) => match Box::pin(self.carry_over(&mut state, record, old)).await? {
                Carry::Ready(from) => from,
                Carry::Wait(why) => return Ok(Outcome::InProgress(why)),
                Carry::Abandoned(outcome) => return Ok(outcome),
            },
            None => match &state.operation {
                Some(Operation::Deploy {
                    upgrade: Some(p), ..
                }) => p.restore_from.clone(),
                _ => None,
            },
        };

        match self
            .submit(
                flink,
                &resolved,
                &artifact,
                &flink_job_id,
                restore_from.as_deref(),
                false,
            )
            .await
        {
            Ok(_) => {
                let s = match flink.job(&flink_job_id).await {
                    Ok(d) => d.state.as_str().to_string(),
                    Err(_) => "SUBMITTED".to_string(),
                };
                self.finish_deploy(&mut state, record, flink_job_id, &s)
                    .await
            }
            Err(FlinkError::DuplicateJob { .. }) => {
                self.finish_deploy(&mut state, record, flink_job_id, "SUBMITTED")
                    .await
            }
            Err(e) if e.is_ambiguous() || e.is_unreachable() => {
                // Outcome unknown or cluster unreachable: keep the operation (with its
                // job id) and look the job up next cycle before trying again.
                state.set_error(format!("submission pending: {e}"), self.now(), true);
                self.save(&mut state).await?;
                Ok(Outcome::InProgress(format!(
                    "submission of {flink_job_id} unconfirmed: {e}"
                )))
            }
            Err(e) => match restore_from {
                Some(missing) if crate::restore::is_missing_restore_point(&e.to_string()) => {
                    Box::pin(self.next_restore_point(state, missing, &e.to_string())).await
                }
                _ => self.fail(&mut state, e.into()).await,
            },
        }
    }

    /// Flink refused to restore from `missing` because its files are gone: note it
    /// as tried and go on, within the same operation, with the newest candidate not
    /// tried yet, under a new Flink job id (the refused submission left a FAILED job
    /// under the old one). With none left: FAILED, listing every path tried.
    async fn next_restore_point(
        &self,
        mut state: JobState,
        missing: String,
        flink_said: &str,
    ) -> Step<Outcome> {
        warn!(job = %state.job_id, %missing, "restore point missing; trying the next one");
        let spec = self.specs.get(&state.job_id).map(|r| &r.spec);
        let found = Box::pin(self.restore_chain(&state, spec)).await;
        let Some(Operation::Deploy {
            flink_job_id,
            upgrade,
            ..
        }) = &mut state.operation
        else {
            return Ok(Outcome::Done("no deploy in flight".into()));
        };
        let p = upgrade.get_or_insert_with(|| UpgradeProgress::new(UpgradeMode::Savepoint, None));
        if !p.tried.contains(&missing) {
            p.tried.push(missing.clone());
        }
        let tried = p.tried.clone();
        let next = found.chain.iter().find(|c| {
            !tried
                .iter()
                .any(|t| crate::restore::same_place(t, &c.location))
        });
        let Some(next) = next else {
            let message = format!(
                "{} (Flink: {})",
                crate::restore::none_left(&tried),
                fjc_snapshot::one_line(flink_said, 300)
            );
            return self.not_started(&mut state, message, false).await;
        };
        p.restore_from = Some(next.location.clone());
        let old_id = flink_job_id.clone();
        *flink_job_id = JobId::random();
        let record = next.record(&old_id);
        let note = format!(
            "restore point {missing} is missing; restoring from {} instead",
            record.location
        );
        state.last_savepoint = Some(record);
        state.set_error(note, self.now(), true);
        self.save(&mut state).await?;
        Box::pin(self.continue_deploy(state)).await
    }

    pub(crate) async fn verified_artifact(&self, record: &SpecRecord) -> Step<FetchedArtifact> {
        let path = &record.spec.artifact_path;
        let artifact = self
            .ctx
            .artifacts
            .fetch(path, record.artifact_version.as_deref())
            .await?;
        let actual = &artifact.info.digest;
        let expected = record
            .spec
            .artifact_signature
            .as_ref()
            .unwrap_or(&record.artifact_digest);
        if actual != expected || actual != &record.artifact_digest {
            return Err(ArtifactError::DigestMismatch {
                path: path.clone(),
                expected: expected.clone(),
                actual: actual.clone(),
            }
            .into());
        }
        if record.spec.security.artifact_verification {
            check_signature(
                &artifact,
                record.trust.signature.as_deref(),
                &self.ctx.security.trusted_keys,
                path,
            )
            .await?;
        }
        Ok(artifact)
    }

    /// Uploads the jar and runs it as `job_id`. The jar is deleted afterwards unless
    /// `keep_jar` (then its id is returned, to delete later).
    /// Flink's error messages are scrubbed of the resolved secret values.
    pub(crate) async fn submit(
        &self,
        flink: &Counted<F>,
        resolved: &ResolvedSpec,
        artifact: &FetchedArtifact,
        job_id: &JobId,
        restore_from: Option<&str>,
        keep_jar: bool,
    ) -> Result<Option<fjc_flink::JarId>, FlinkError> {
        let spec = &resolved.spec;
        let scrub = |e: FlinkError| e.scrubbed(|m| resolved.redactor.scrub(m));
        let jar = flink.upload_jar(&artifact.path).await.map_err(scrub)?;
        let request = RunRequest {
            job_id: Some(job_id.clone()),
            entry_class: spec.entry_class.clone(),
            program_args: spec.args.clone(),
            parallelism: u32::try_from(spec.deployment.parallelism).ok(),
            savepoint_path: restore_from.map(str::to_string),
            allow_non_restored_state: false,
            flink_configuration: flink_configuration(spec),
        };
        let result = flink.run_jar(&jar, &request).await.map_err(scrub);
        if keep_jar && result.is_ok() {
            return Ok(Some(jar));
        }
        // The submitted job no longer needs the uploaded jar.
        if let Err(e) = flink.delete_jar(&jar).await {
            warn!(jar = %jar, error = %e, "could not delete uploaded jar");
        }
        result.map(|_| None)
    }

    /// Cancels `id` if it is live and waits (within the cycle's budget) until it
    /// is over. Returns whether it is.
    async fn stop_job(&self, cluster: &str, id: &JobId) -> Step<bool> {
        let live = self
            .observed_state(cluster, id)
            .is_some_and(|s| !s.is_globally_terminal());
        Ok(self.drive(&mut StopJob::new(cluster, id, live)).await??)
    }

    async fn finish_deploy(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        flink_job_id: JobId,
        flink_state: &str,
    ) -> Step<Outcome> {
        info!(job = %state.job_id, flink_job = %flink_job_id, "deployed");
        let Some(Operation::Deploy {
            fingerprint,
            upgrade,
            purpose,
            ..
        }) = state.operation.take()
        else {
            return Ok(Outcome::Done("no deploy in flight".into()));
        };
        // The spec may have changed after the submission: then only the
        // fingerprint is known for what runs.
        let record = Some(record).filter(|r| r.fingerprint == fingerprint);
        state.deployed_classes =
            record.map(|r| fjc_spec::class_fingerprints(&r.spec, &r.artifact_digest));
        state.deployed_artifact = record.map(|r| crate::state::DeployedArtifact {
            path: r.spec.artifact_path.clone(),
            digest: r.artifact_digest.clone(),
            version: r.artifact_version.clone(),
        });
        state.restored_from = upgrade.and_then(|u| u.restore_from);
        state.deployed_at = Some(self.now());
        state.running_since = None;
        state.flink_started_at = None;
        state.lifecycle = match purpose {
            Purpose::Rollback { .. } => Lifecycle::RollingBack,
            Purpose::Recover => Lifecycle::Recovering,
            _ => Lifecycle::Deploying,
        };
        let made = state.revisions_made;
        self.number_revision(state, purpose, &fingerprint, record, &flink_job_id)
            .await?;
        state.deployed_fingerprint = Some(fingerprint.clone());
        if !matches!(purpose, Purpose::Rollback { .. }) {
            state.attempted_fingerprint = Some(fingerprint);
        }
        state.flink_job_id = Some(flink_job_id.clone());
        state.set_flink_state(Some(flink_state.to_string()), self.now());
        state.failed_attempts = 0;
        state.next_attempt_at = None;
        if purpose != Purpose::Recover {
            state.last_error = None;
        }
        self.save(state).await?;
        if state.revisions_made != made {
            // Only a new revision can push an old one out.
            self.prune_revisions(state).await;
        }
        Ok(Outcome::Done(format!(
            "submitted as Flink job {flink_job_id}"
        )))
    }

    /// Cancels a job this controller submitted that no state accounts for.
    async fn cancel_orphan(&self, cluster: &str, id: &JobId) -> Step<Outcome> {
        let flink = self.flink(cluster)?;
        warn!(%cluster, flink_job = %id, "cancelling orphan (orphan_policy cancel-own)");
        match flink.cancel(id).await {
            Ok(()) | Err(FlinkError::AlreadyTerminal { .. } | FlinkError::NotFound { .. }) => {
                Ok(Outcome::Done(format!("orphan {id} on {cluster} cancelled")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records the spec's fingerprint as deployed; nothing is sent to Flink.
    async fn adopt(&self, job_id: &str) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let mut state = self.stored(job_id)?;
        state.deployed_fingerprint = Some(record.fingerprint.clone());
        state.attempted_fingerprint = Some(record.fingerprint.clone());
        self.save(&mut state).await?;
        Ok(Outcome::Done(
            "spec change needs no restart (monitoring or upgrade settings only)".into(),
        ))
    }

    async fn fail(&self, state: &mut JobState, error: CoreError) -> Step<Outcome> {
        let retryable = error.is_retryable();
        self.not_started(state, error.to_string(), retryable).await
    }

    fn backoff_ms(&self, attempts: u32) -> i64 {
        self.backoff().after(attempts)
    }

    async fn start_delete(&self, job_id: &str, flink_job_ids: Vec<JobId>) -> Step<Outcome> {
        let mut state = self.stored(job_id)?;
        state.lifecycle = Lifecycle::Deleting;
        state.operation = Some(Operation::Delete {
            flink_job_ids,
            started_at: self.now(),
        });
        self.save(&mut state).await?;
        self.continue_delete(state).await
    }

    async fn continue_delete(&self, state: JobState) -> Step<Outcome> {
        let Some(Operation::Delete { flink_job_ids, .. }) = &state.operation else {
            return Ok(Outcome::Done("no delete in flight".into()));
        };
        for id in flink_job_ids {
            if !self.stop_job(&state.cluster, id).await? {
                return Ok(Outcome::InProgress(format!("waiting for job {id} to stop")));
            }
        }
        self.ctx
            .store
            .delete_state(&state.job_id, state.version, self.lease)
            .await?;
        info!(job = %state.job_id, "spec deleted; job cancelled and forgotten");
        Ok(Outcome::Done("cancelled and removed".into()))
    }
}

/// Whether the job is known to have had state: a savepoint or restore point was
/// recorded for it, or a version of it started from one.
fn had_state(state: &JobState) -> bool {
    state.last_savepoint.is_some() || !state.savepoints.is_empty() || state.restored_from.is_some()
}
