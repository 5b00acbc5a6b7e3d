//! Carries out the planner's actions.
//!
//! Every operation is recorded in the job's state (fenced by the lease) before its
//! first Flink call, and every step can be repeated: after a crash at any point the
//! next cycle resumes from the recorded operation. A submission uses a job id chosen
//! and stored beforehand, so a retry finds (and adopts) the job instead of starting
//! a second copy.

use std::collections::BTreeMap;

use fjc_flink::JobId;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::context::{Context, Ports};
use crate::counted::Counted;
use crate::error::CoreError;
use crate::operation::deploy::start::{self, Intent, Known, Start};
use crate::operation::deploy::{Deploy, Inputs};
use crate::planner::{Action, Observation};
use crate::state::{JobState, Operation, Purpose};
use crate::store::{LeaseGrant, SpecRecord, StateStore, StoreError};

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
    /// When the action's operation asked to be looked at again (epoch ms): it
    /// paused there, and its job is requeued for then
    /// ([`crate::tick::tick`] runs a cycle of the requeued jobs).
    pub look_again_at: Option<crate::clock::EpochMs>,
}

/// Everything one cycle's actions share.
pub struct Executor<'a, P: Ports> {
    /// Ports.
    pub ctx: &'a Context<P>,
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
    pub cluster_configs: ClusterConfigs,
    /// When each job's operation asked to be looked at again (its action paused).
    pub looks: drive::Looks,
    /// Submissions to each cluster, a PyFlink one alone.
    pub runs: RunGate,
    /// The cycle's correlation id (events carry it).
    pub correlation_id: &'a str,
    /// Per job, the newest state written this cycle whose event outbox is not
    /// empty: sent and cleared when the job's action ends.
    pub unsent: std::sync::Mutex<BTreeMap<String, JobState>>,
}

pub(crate) type Step<T> = Result<T, CoreError>;

mod batch;
mod drive;
mod events;
mod kept;
mod lifecycle;
mod record;
mod restore;
mod revisions;
mod submit;
mod upgrade;

pub use drive::Looks;
pub use restore::ClusterConfigs;
pub use submit::RunGate;

use crate::operation::record::Seen;

impl<P: Ports> Executor<'_, P> {
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
                Box::pin(self.start_deploy(&job_id, replaces.clone(), reason.purpose())).await
            }
            // Boxed, as every operation: their futures are large, and debug builds
            // move a future across stack frames while it is built.
            Action::Suspend { flink_job_id, .. } => {
                Box::pin(self.start_suspend(&job_id, flink_job_id)).await
            }
            Action::Rescale {
                flink_job_id,
                from,
                to,
                ..
            } => Box::pin(self.start_rescale(&job_id, flink_job_id, *from, *to)).await,
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
            Action::ContinueOperation { .. } => Box::pin(self.continue_operation(&job_id)).await,
            Action::Delete { flink_job_ids, .. } => {
                Box::pin(self.start_delete(&job_id, flink_job_ids.clone())).await
            }
            Action::Batch { step, .. } => Box::pin(self.batch_step(&job_id, step)).await,
            Action::Adopt { .. } => self.adopt(&job_id).await,
            Action::Announce { .. } => self.announce(&job_id),
            Action::Record {
                lifecycle,
                flink_state,
                fetch_cause,
                note,
                running,
                restarted_by_flink_at,
                flink_started_at,
                health,
                ..
            } => {
                let seen = Seen {
                    lifecycle: *lifecycle,
                    flink_state: flink_state.clone(),
                    fetch_cause: *fetch_cause,
                    note: note.clone(),
                    running: *running,
                    restarted_by_flink_at: *restarted_by_flink_at,
                    flink_started_at: *flink_started_at,
                    health: health.as_deref().cloned(),
                };
                Box::pin(self.record(&job_id, seen)).await
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
        let outcome = match Box::pin(self.send_events(&job_id)).await {
            Ok(()) => outcome,
            Err(CoreError::Store(e @ StoreError::LeaseLost { .. })) => return Err(e),
            Err(e) => {
                warn!(job = %job_id, error = %e, "events not cleared; sent again next cycle");
                outcome
            }
        };
        let look_again_at = match action {
            Action::CancelOrphan { .. } => None,
            _ => self.looks.take(&job_id),
        };
        Ok(ActionReport {
            job_id,
            action: action.name(),
            outcome,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            look_again_at,
        })
    }

    pub(crate) fn now(&self) -> i64 {
        self.ctx.clock.now_ms()
    }

    pub(crate) fn flink(&self, cluster: &str) -> Step<&Counted<P::Flink>> {
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
        self.observed_job(cluster, id).map(|j| &j.state)
    }

    /// The job as the cycle saw it on `cluster`.
    fn observed_job(&self, cluster: &str, id: &JobId) -> Option<&fjc_flink::JobSummary> {
        match self.observed.get(cluster) {
            Some(Observation::Reachable(jobs)) => jobs.get(id),
            _ => None,
        }
    }

    async fn save(&self, state: &mut JobState) -> Step<()> {
        state.updated_at = self.now();
        self.stamp(state);
        state.version = self.ctx.store.put_state(state, self.lease).await?;
        self.written(state);
        Ok(())
    }

    /// Starts a deployment: what [`start::needs`] asks is looked up, then
    /// [`start::intent`] decides; its state is written before any Flink call.
    async fn start_deploy(
        &self,
        job_id: &str,
        replaces: Option<JobId>,
        purpose: Purpose,
    ) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let stored = self.states.get(job_id);
        let start = Start {
            stored,
            record,
            replaces,
            purpose,
            restart: self.commands.get(job_id).and_then(|c| c.restart.clone()),
            observed: stored
                .and_then(|s| self.observed_state(&s.cluster, s.flink_job_id.as_ref()?))
                .cloned(),
            now: self.now(),
        };
        let needs = start::needs(&start);
        let mut known = Known::default();
        if let Some(path) = &needs.path_complete {
            known.path_complete = Some(matches!(
                Box::pin(self.ctx.storage.is_complete(path)).await,
                Ok(true)
            ));
        }
        if needs.restore_points
            && let Some(s) = stored
        {
            known.found = Some(Box::pin(self.restore_chain(s, Some(&record.spec))).await);
        }
        if let (Some(id), Some(s)) = (&needs.failure_cause, stored) {
            let Some(cause) = self.failure_cause(job_id, &s.cluster, id).await? else {
                return Ok(Outcome::InProgress(format!(
                    "waiting for Flink's failure cause of job {id}"
                )));
            };
            known.failure_cause = Some(cause.ok().flatten());
        }
        let fresh = (JobId::random(), JobId::random());
        match start::intent(&start, known, fresh, self.backoff()) {
            Intent::Record(mut state) => {
                // Intent first: nothing touches Flink before this write succeeds.
                self.save(&mut state).await?;
                Box::pin(self.continue_deploy(state)).await
            }
            Intent::NotStarted { mut state, message } => {
                warn!(job = %job_id, error = %message, "deployment failed");
                self.save(&mut state).await?;
                Ok(Outcome::Failed(message))
            }
        }
    }

    /// Carries on with the operation recorded in the job's state.
    async fn continue_operation(&self, job_id: &str) -> Step<Outcome> {
        let state = self.stored(job_id)?;
        match &state.operation {
            Some(Operation::Deploy { .. }) => self.continue_deploy(state).await,
            Some(Operation::Delete { .. }) => self.continue_delete(state).await,
            Some(Operation::Suspend { .. }) => self.continue_suspend(state).await,
            Some(Operation::Savepoint { .. }) => self.continue_savepoint(state).await,
            Some(Operation::Rescale { .. }) => self.continue_rescale(state).await,
            None => Ok(Outcome::Done("nothing to resume".into())),
        }
    }

    /// Carries the deployment recorded in `state` on ([`Deploy`]).
    async fn continue_deploy(&self, state: JobState) -> Step<Outcome> {
        let spec = self.spec(&state.job_id)?.clone();
        let observed = match &state.operation {
            Some(Operation::Deploy {
                flink_job_id,
                replaces,
                ..
            }) => (
                self.observed_state(&state.cluster, flink_job_id).cloned(),
                replaces.as_ref().is_some_and(|old| {
                    self.observed_state(&state.cluster, old)
                        .is_some_and(|s| !s.is_globally_terminal())
                }),
            ),
            _ => return Ok(Outcome::Done("no deploy in flight".into())),
        };
        let inputs = Inputs {
            spec,
            observed: observed.0,
            old_live: observed.1,
            backoff: self.backoff(),
            end_wait_ms: self.end_wait_ms(),
            fresh_trigger: fjc_flink::rest::new_trigger_id(),
        };
        let job_id = state.job_id.clone();
        let Some(mut deploy) = Deploy::resume(state, inputs) else {
            return Ok(Outcome::Done("no deploy in flight".into()));
        };
        self.drive(&job_id, &mut deploy).await
    }
}
