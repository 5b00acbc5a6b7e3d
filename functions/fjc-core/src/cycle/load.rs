//! What a cycle looks at before deciding: the store's specs, states, run requests,
//! commands and control items in scope, one observation per cluster those jobs
//! use, and the plan made from them.

use std::collections::{BTreeMap, BTreeSet};

use tracing::warn;

use super::{Loaded, Scope, health};
use crate::clock::EpochMs;
use crate::context::{Context, Ports};
use crate::planner::{Plan, PlanInput, plan};
use crate::store::{ControlStore, SpecRecord, SpecStore, StateStore, StoreError};

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
        probes: &l.probes,
        probing: l.probing,
        now,
    })
}

/// Reads the store and observes every cluster the jobs in scope use (one
/// `/jobs/overview` call each), and probes the health of the running stream
/// jobs whose turn it is (within `reconcile.health_probe_budget` calls).
pub async fn load<P: Ports>(ctx: &Context<P>, scope: &Scope) -> Result<Loaded, StoreError> {
    load_with(ctx, scope, None).await
}

/// [`load`], keeping `probes` (the cycle's first look's) instead of probing
/// again, when given.
pub(crate) async fn load_with<P: Ports>(
    ctx: &Context<P>,
    scope: &Scope,
    probes: Option<BTreeMap<String, crate::signals::Probe>>,
) -> Result<Loaded, StoreError> {
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
    let (mut observed, calls) = health::look_at_clusters(ctx, wanted, &control, &states).await;
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
    let probes = match probes {
        Some(kept) => kept,
        None => super::probe::probe_health(ctx, &specs, &states, &observed).await,
    };
    Ok(Loaded {
        probes,
        probing: ctx.settings.health_probe_budget > 0,
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
