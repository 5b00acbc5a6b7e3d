//! One reconcile cycle: load, observe, plan; and only when there is something to do,
//! take the lease, look again, and act.
//!
//! A cycle with nothing to do makes one `/jobs/overview` call per cluster, reads the
//! store, and writes nothing — not even the lease.

//!
//! What a cycle reads and reports is in `report`, how it reads (the store and one
//! look at each cluster) in `load`, how it holds the lease in `lease`, and the
//! circuit breakers and heartbeat in `health`.

mod health;
mod lease;
mod load;
mod probe;
mod report;

use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;
use tracing::{Instrument, info, info_span, warn};

use crate::clock::{Clock, EpochMs};
use crate::context::{Context, Ports};
use crate::counted::FlinkStats;
use crate::executor::{ActionReport, Executor};
use crate::planner::{Observation, Plan};
pub use crate::scope::Scope;
use crate::store::{LeaseOutcome, StateStore, Store, StoreError, StoreStats};
pub use health::ClusterCall;
pub use lease::lease_expiry;
use lease::while_renewed;
pub use load::{load, plan_of};
pub use report::{CycleReport, LeaseReport, Loaded};

/// Runs one reconcile cycle. Errors are returned only when the store cannot be read
/// (then nothing was done); everything else is in the report.
pub async fn reconcile<P: Ports>(
    ctx: &Context<P>,
    scope: &Scope,
) -> Result<CycleReport, StoreError> {
    reconcile_traced(ctx, scope, &new_correlation_id()).await
}

/// [`reconcile`] with the caller's correlation id (the Lambda request id), which
/// every log line of the cycle carries.
pub async fn reconcile_traced<P: Ports>(
    ctx: &Context<P>,
    scope: &Scope,
    correlation_id: &str,
) -> Result<CycleReport, StoreError> {
    reconcile_until(ctx, scope, correlation_id, None).await
}

/// [`reconcile_traced`] in a process that ends at `deadline` (epoch ms; the
/// Lambda invocation's): the lease never outlives it, so a function killed at its
/// timeout blocks nobody for longer than that.
pub async fn reconcile_until<P: Ports>(
    ctx: &Context<P>,
    scope: &Scope,
    correlation_id: &str,
    deadline: Option<EpochMs>,
) -> Result<CycleReport, StoreError> {
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
pub async fn view_fleet<P: Ports>(
    ctx: &Context<P>,
    correlation_id: &str,
) -> Result<CycleReport, StoreError> {
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

/// A fresh correlation id for a cycle started locally (`local-` and 16 hex digits).
pub fn new_correlation_id() -> String {
    format!("local-{:016x}", rand::random::<u64>())
}

async fn reconcile_inner<P: Ports>(
    ctx: &Context<P>,
    scope: &Scope,
    correlation_id: &str,
    act: bool,
    deadline: Option<EpochMs>,
) -> Result<CycleReport, StoreError> {
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
                    let probes = std::mem::take(&mut loaded.probes);
                    loaded = load::load_with(ctx, scope, Some(probes)).await?;
                    the_plan = plan_of(&loaded, ctx.clock.now_ms());
                    let (done, lost) =
                        execute(ctx, &lease, &loaded, &the_plan, correlation_id).await;
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

/// Carries out the plan with bounded concurrency. Returns every finished action's
/// report, and the error that must stop the cycle (a lost lease), if any.
async fn execute<P: Ports>(
    ctx: &Context<P>,
    lease: &crate::store::LeaseGrant,
    loaded: &Loaded,
    the_plan: &Plan,
    correlation_id: &str,
) -> (Vec<ActionReport>, Option<StoreError>) {
    let executor = Executor {
        ctx,
        lease,
        specs: &loaded.specs,
        states: &loaded.states,
        observed: &loaded.observed,
        commands: &loaded.commands,
        cluster_configs: crate::executor::ClusterConfigs::new(ctx.clusters.keys()),
        looks: crate::executor::Looks::default(),
        runs: crate::executor::RunGate::default(),
        correlation_id,
        unsent: Default::default(),
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
