//! One reconcile cycle: load, observe, plan; and only when there is something to do,
//! take the lease, look again, and act.
//!
//! A cycle with nothing to do makes one `/jobs/overview` call per cluster, reads the
//! store, and writes nothing — not even the lease.

mod health;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use fjc_flink::FlinkApi;
use futures::StreamExt;
use tracing::{Instrument, info, info_span, warn};

use crate::artifacts::ArtifactSource;
use crate::clock::{Clock, EpochMs};
use crate::context::Context;
use crate::counted::FlinkStats;
use crate::executor::{ActionReport, Executor, Outcome};
use crate::planner::{Observation, Plan, PlanInput, plan};
pub use crate::scope::Scope;
use crate::secrets::SecretSource;
use crate::state::JobState;
use crate::store::{LeaseOutcome, SpecRecord, Store, StoreError, StoreStats};
pub use health::ClusterCall;

/// What happened to the lease in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseReport {
    /// Nothing to do, so no lease was taken.
    NotNeeded,
    /// Taken with this fencing token.
    Acquired {
        /// Fencing token.
        token: u64,
    },
    /// Taken, then lost mid-cycle: a write was refused because another
    /// reconciler took over (its token is newer). The cycle stopped there; nothing
    /// it did is unrecorded (every Flink call is preceded by a fenced write).
    Lost {
        /// Our stale token.
        token: u64,
    },
    /// Another reconciler holds it; this cycle did nothing.
    Held {
        /// The holder.
        owner: String,
        /// Until when.
        expires_at: EpochMs,
    },
}

/// Everything a cycle did, for logs, the CLI and tests.
#[derive(Debug, Clone)]
pub struct CycleReport {
    /// Start time.
    pub started_at: EpochMs,
    /// Wall time.
    pub duration_ms: u128,
    /// Specs in scope.
    pub specs: usize,
    /// States in scope.
    pub states: usize,
    /// Per cluster: the number of jobs seen, or why it could not be observed.
    pub clusters: BTreeMap<String, Result<usize, String>>,
    /// The plan acted on (the one made under the lease when one was taken).
    pub plan: Plan,
    /// The lease.
    pub lease: LeaseReport,
    /// Outcomes of the actions.
    pub actions: Vec<ActionReport>,
    /// Store calls this cycle.
    pub store: StoreStats,
    /// Flink calls this cycle.
    pub flink: FlinkStats,
    /// What the cycle loaded (before its actions), for the dashboard snapshot.
    pub loaded: Loaded,
    /// The cycle's correlation id (in every log line of the cycle).
    pub correlation_id: String,
    /// Failed Flink calls this cycle by error class (`timeout`, `server`, …).
    pub flink_errors: BTreeMap<String, u64>,
    /// Each observed cluster's circuit breaker after this cycle.
    pub breakers: BTreeMap<String, crate::breaker::Breaker>,
}

impl CycleReport {
    /// Whether anything went wrong (unreachable cluster, failed action).
    pub fn has_errors(&self) -> bool {
        self.clusters.values().any(Result::is_err)
            || self
                .actions
                .iter()
                .any(|a| matches!(a.outcome, Outcome::Failed(_)))
    }
}

/// What a cycle reads before deciding: stored specs, states and run requests, and
/// one observation per cluster.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Specs by job id.
    pub specs: BTreeMap<String, SpecRecord>,
    /// States by job id.
    pub states: BTreeMap<String, JobState>,
    /// Observations by cluster.
    pub observed: BTreeMap<String, Observation>,
    /// Pending `fjc run` requests by job id.
    pub run_requests: BTreeMap<String, EpochMs>,
    /// Specs held back by policy, with the reason.
    pub held: BTreeMap<String, String>,
    /// Pending operator commands by job id.
    pub commands: BTreeMap<String, crate::revisions::Commands>,
    /// See [`crate::planner::PlanInput::cancel_orphans`].
    pub cancel_orphans: bool,
    /// The stored breakers and heartbeat.
    pub control: crate::health::Control,
    /// How each cluster's observation call went.
    pub calls: BTreeMap<String, ClusterCall>,
}

/// Runs one reconcile cycle. Errors are returned only when the store cannot be read
/// (then nothing was done); everything else is in the report.
pub async fn reconcile<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    scope: &Scope,
) -> Result<CycleReport, StoreError>
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    reconcile_traced(ctx, scope, &new_correlation_id()).await
}

/// [`reconcile`] with the caller's correlation id (the Lambda request id), which
/// every log line of the cycle carries.
pub async fn reconcile_traced<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    scope: &Scope,
    correlation_id: &str,
) -> Result<CycleReport, StoreError>
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    reconcile_until(ctx, scope, correlation_id, None).await
}

/// [`reconcile_traced`] in a process that ends at `deadline` (epoch ms; the
/// Lambda invocation's): the lease never outlives it, so a function killed at its
/// timeout blocks nobody for longer than that.
pub async fn reconcile_until<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    scope: &Scope,
    correlation_id: &str,
    deadline: Option<EpochMs>,
) -> Result<CycleReport, StoreError>
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    if matches!(scope, Scope::All) && ctx.settings.shards > 1 {
        return Err(StoreError::Sharded {
            shards: ctx.settings.shards,
        });
    }
    let span = info_span!("reconcile", correlation_id, owner = %ctx.owner, shard = %scope.shard());
    // Boxed: the cycle's future is large (every operation's steps), and debug
    // builds copy futures across stack frames.
    Box::pin(reconcile_inner(ctx, scope, correlation_id, true, deadline))
        .instrument(span)
        .await
}

/// A whole-fleet look that acts on nothing: loads every spec and state, observes
/// every cluster once, plans (the plan is reported, not carried out), and
/// records the heartbeat. With `reconcile.shards` > 1 the shard cycles act and
/// write no heartbeat; this view (run by the fan-out invocation and by
/// `fjc reconcile` after its shard cycles) writes it and feeds the dashboard.
pub async fn view_fleet<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    correlation_id: &str,
) -> Result<CycleReport, StoreError>
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    let span = info_span!("fleet_view", correlation_id, owner = %ctx.owner);
    Box::pin(reconcile_inner(
        ctx,
        &Scope::All,
        correlation_id,
        false,
        None,
    ))
    .instrument(span)
    .await
}

/// When a lease taken at `now` for `ttl_ms` expires: never after `deadline`
/// (but at least 1 s from now, so a cycle that starts can take it).
pub fn lease_expiry(now: EpochMs, ttl_ms: i64, deadline: Option<EpochMs>) -> EpochMs {
    let wanted = now.saturating_add(ttl_ms);
    match deadline {
        Some(d) => wanted.min(d).max(now + 1_000),
        None => wanted,
    }
}

/// Runs `work` while renewing `lease` every third of its time to live, so a short
/// lease (a crashed holder blocks others for at most that long) covers a cycle of
/// any length. Renewal stops at `deadline` and when the lease is no longer ours;
/// the work's fenced writes then fail by themselves.
async fn while_renewed<S, F, A, C, K, T>(
    ctx: &Context<S, F, A, C, K>,
    lease: &crate::store::LeaseGrant,
    deadline: Option<EpochMs>,
    work: impl std::future::Future<Output = T>,
) -> T
where
    S: Store,
    C: Clock,
{
    let ttl =
        i64::try_from(ctx.settings.lease_ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    let every = std::time::Duration::from_millis(u64::try_from(ttl / 3).unwrap_or(1_000).max(200));
    let renew = async {
        loop {
            tokio::time::sleep(every).await;
            let now = ctx.clock.now_ms();
            if deadline.is_some_and(|d| now >= d) {
                return;
            }
            match ctx
                .store
                .renew_lease(lease, lease_expiry(now, ttl, deadline))
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    warn!(lease = %lease.name, "lease no longer ours; not renewed");
                    return;
                }
                Err(e) => warn!(lease = %lease.name, error = %e, "lease not renewed this time"),
            }
        }
    };
    tokio::pin!(work);
    tokio::select! {
        biased;
        out = &mut work => out,
        () = renew => work.await,
    }
}

/// A fresh correlation id for a cycle started locally (`local-` and 16 hex digits).
pub fn new_correlation_id() -> String {
    format!("local-{:016x}", rand::random::<u64>())
}

async fn reconcile_inner<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    scope: &Scope,
    correlation_id: &str,
    act: bool,
    deadline: Option<EpochMs>,
) -> Result<CycleReport, StoreError>
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    let timer = Instant::now();
    let store0 = ctx.store.stats();
    let flink0 = ctx.flink_stats();
    let errors0 = ctx.flink_errors();
    let started_at = ctx.clock.now_ms();

    let mut loaded = load(ctx, scope).await?;
    let mut the_plan = plan_of(&loaded, ctx.clock.now_ms());
    let mut lease_report = LeaseReport::NotNeeded;
    let mut actions = Vec::new();

    if act && !the_plan.actions.is_empty() {
        let lease_name = scope.shard().lease_name();
        let ttl = i64::try_from(ctx.settings.lease_ttl_seconds * 1000).unwrap_or(i64::MAX);
        let now = ctx.clock.now_ms();
        let ttl = lease_expiry(now, ttl, deadline) - now;
        match ctx
            .store
            .acquire_lease(&lease_name, &ctx.owner, ttl, now)
            .await?
        {
            LeaseOutcome::Held(holder) => {
                info!(holder = %holder.owner, "lease held by another reconciler; skipping");
                lease_report = LeaseReport::Held {
                    owner: holder.owner,
                    expires_at: holder.expires_at,
                };
            }
            LeaseOutcome::Acquired(lease) => {
                lease_report = LeaseReport::Acquired { token: lease.token };
                // Look again under the lease: another reconciler may have acted
                // since we looked.
                let work = async {
                    loaded = load(ctx, scope).await?;
                    the_plan = plan_of(&loaded, ctx.clock.now_ms());
                    let (done, lost) = execute(ctx, &lease, &loaded, &the_plan).await;
                    actions = done;
                    lost.map_or(Ok(()), Err)
                };
                let result = while_renewed(ctx, &lease, deadline, work).await;
                if let Err(e) = ctx.store.release_lease(&lease).await {
                    warn!(error = %e, "could not release the lease; it expires by itself");
                }
                match result {
                    Ok(()) => {}
                    Err(StoreError::LeaseLost { token, .. }) => {
                        warn!(
                            token,
                            "lease taken over by another reconciler; cycle stopped"
                        );
                        lease_report = LeaseReport::Lost { token };
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    let mut report = CycleReport {
        started_at,
        duration_ms: timer.elapsed().as_millis(),
        specs: loaded.specs.len(),
        states: loaded.states.len(),
        clusters: loaded
            .observed
            .iter()
            .map(|(name, o)| {
                let v = match o {
                    Observation::Reachable(jobs) => Ok(jobs.len()),
                    Observation::Unreachable(why) => Err(why.clone()),
                };
                (name.clone(), v)
            })
            .collect(),
        plan: the_plan,
        lease: lease_report,
        actions,
        store: diff_store(ctx.store.stats(), store0),
        flink: diff_flink(ctx.flink_stats(), flink0),
        flink_errors: BTreeMap::new(),
        breakers: health::next_breakers(&loaded, ctx.clock.now_ms(), &ctx.settings.breaker),
        loaded,
        correlation_id: correlation_id.to_string(),
    };
    health::record(ctx, &report, matches!(scope, Scope::All)).await;
    // Breaker and heartbeat writes (and the heartbeat's `/overview` reads) count too.
    report.store = diff_store(ctx.store.stats(), store0);
    report.flink = diff_flink(ctx.flink_stats(), flink0);
    report.flink_errors = ctx
        .flink_errors()
        .into_iter()
        .map(|(k, n)| (k.to_string(), n - errors0.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    info!(
        specs = report.specs,
        actions = report.actions.len(),
        skipped = report.plan.skipped.len(),
        duration_ms = report.duration_ms as u64,
        store_writes = report.store.writes,
        flink_writes = report.flink.writes,
        "reconcile cycle done"
    );
    Ok(report)
}

/// The plan for what was loaded.
pub fn plan_of(l: &Loaded, now: EpochMs) -> Plan {
    plan(PlanInput {
        specs: &l.specs,
        states: &l.states,
        clusters: &l.observed,
        run_requests: &l.run_requests,
        held: &l.held,
        commands: &l.commands,
        cancel_orphans: l.cancel_orphans,
        now,
    })
}

/// Reads the store and observes every cluster the jobs in scope use (one
/// `/jobs/overview` call each).
pub async fn load<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    scope: &Scope,
) -> Result<Loaded, StoreError>
where
    S: Store,
    F: FlinkApi,
    C: Clock,
{
    let (specs, states, run_requests, commands, control) = futures::try_join!(
        ctx.store.list_specs_in(scope.shard()),
        ctx.store.list_states_in(scope.shard()),
        ctx.store.list_run_requests(),
        ctx.store.list_commands(),
        ctx.store.control()
    )?;
    let specs: BTreeMap<_, _> = specs
        .into_iter()
        .filter(|r| scope.contains(&r.spec.job_id))
        .map(|r| (r.spec.job_id.clone(), r))
        .collect();
    let states: BTreeMap<_, _> = states
        .into_iter()
        .filter(|s| scope.contains(&s.job_id))
        .map(|s| (s.job_id.clone(), s))
        .collect();
    let cancel_orphans =
        scope.is_full() && ctx.settings.orphan_policy == crate::config::OrphanPolicy::CancelOwn;
    let mut wanted: BTreeSet<&str> = specs
        .values()
        .map(|r| r.spec.cluster.as_str())
        .chain(states.values().map(|s| s.cluster.as_str()))
        .collect();
    if cancel_orphans {
        // Leftovers may sit on a cluster no spec uses any more.
        wanted.extend(ctx.clusters.keys().map(String::as_str));
    }
    let (mut observed, calls) = health::observe(ctx, wanted, &control, &states).await;
    crate::scope::drop_other_shards(&mut observed, scope.shard());
    let run_requests = run_requests
        .into_iter()
        .filter(|(job, _)| scope.contains(job))
        .collect();
    let held = ctx
        .security
        .held(specs.values().map(|r: &SpecRecord| &r.spec));
    for (job, why) in &held {
        warn!(job = %job, reason = %why, "spec held by policy");
    }
    let commands = commands
        .into_iter()
        .filter(|(job, _)| scope.contains(job))
        .collect();
    Ok(Loaded {
        held,
        specs,
        states,
        observed,
        run_requests,
        commands,
        // A scoped cycle (artifact event) has not read every job's state: what
        // looks unowned may belong to a job out of scope.
        cancel_orphans,
        control,
        calls,
    })
}

/// Carries out the plan with bounded concurrency. Returns every finished action's
/// report, and the error that must stop the cycle (a lost lease), if any.
async fn execute<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    lease: &crate::store::LeaseGrant,
    loaded: &Loaded,
    the_plan: &Plan,
) -> (Vec<ActionReport>, Option<StoreError>)
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    let executor = Executor {
        ctx,
        lease,
        specs: &loaded.specs,
        states: &loaded.states,
        observed: &loaded.observed,
        commands: &loaded.commands,
        cluster_configs: crate::restore::ClusterConfigs::new(ctx.clusters.keys()),
    };
    let results: Vec<Result<ActionReport, StoreError>> =
        futures::stream::iter(the_plan.actions.iter().map(|a| {
            let span = info_span!("action", job = %a.job_id(), action = a.name());
            // Boxed: the executor's futures are large, and debug builds copy
            // them across stack frames.
            Box::pin(executor.run(a)).instrument(span)
        }))
        .buffer_unordered(ctx.settings.max_concurrency.max(1))
        .collect()
        .await;
    let mut reports = Vec::with_capacity(results.len());
    let mut lost = None;
    for r in results {
        match r {
            Ok(report) => reports.push(report),
            Err(e) => lost = Some(e),
        }
    }
    reports.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    (reports, lost)
}

fn diff_store(a: StoreStats, b: StoreStats) -> StoreStats {
    StoreStats {
        reads: a.reads - b.reads,
        writes: a.writes - b.writes,
    }
}

fn diff_flink(a: FlinkStats, b: FlinkStats) -> FlinkStats {
    FlinkStats {
        reads: a.reads - b.reads,
        writes: a.writes - b.writes,
    }
}

#[cfg(test)]
mod tests {
    use super::lease_expiry;

    #[test]
    fn a_lease_never_outlives_the_invocation() {
        assert_eq!(lease_expiry(1_000, 30_000, None), 31_000);
        assert_eq!(lease_expiry(1_000, 30_000, Some(11_000)), 11_000);
        // A cycle starting at its deadline still gets a moment to take the lease.
        assert_eq!(lease_expiry(1_000, 30_000, Some(500)), 2_000);
    }
}
