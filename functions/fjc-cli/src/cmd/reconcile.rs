//! `fjc reconcile` and `fjc plan`.

use std::time::Duration;

use fjc_core::clock::{Clock, rfc3339};
use fjc_core::cycle::{CycleReport, LeaseReport, Scope, load, plan_of};
use fjc_core::executor::Outcome;
use fjc_core::planner::Action;
use fjc_core::shard::Shard;
use fjc_core::tick::{Look, TickPlan, tick};

use crate::exit::Failure;

/// One round (`--once`) or a loop (`--every`, `--cycles` rounds or until
/// interrupted), with Prometheus metrics on
/// `metrics_addr` when given. A round is one cycle; when sharded, one cycle per
/// shard (or just `--shard`) and then a read-only fleet view for the heartbeat
/// and the dashboard.
pub async fn run(
    once: bool,
    every: Option<Duration>,
    cycles: Option<u64>,
    metrics_addr: Option<std::net::SocketAddr>,
    shard: Option<u32>,
) -> Result<(), Failure> {
    let config = super::config()?;
    let wiring = fjc_aws::wiring::wire(&config, "fjc").await?;
    let ctx = wiring.ctx;
    let shards = config.reconcile.shards;
    let scopes = match shard {
        Some(i) => vec![Scope::Shard(Shard::new(i, shards).ok_or_else(|| {
            Failure::User(format!(
                "--shard {i}: reconcile.shards is {shards}, so a shard is 0 to {}",
                shards - 1
            ))
        })?)],
        None => Scope::full_cycles(shards),
    };
    let registry = super::metrics::Shared::default();
    if let Some(addr) = metrics_addr {
        let local = super::metrics::serve(addr, registry.clone()).await?;
        eprintln!("metrics: http://{local}/metrics");
    }
    let round = Round {
        ctx: &ctx,
        scopes: &scopes,
        // The fleet view (heartbeat, dashboard) follows a round over every shard.
        view: shard.is_none() && shards > 1,
        publish: shard.is_none(),
        dashboard: wiring.dashboard.as_ref(),
        registry: &registry,
        stop: None,
    };
    let interval = match (once, every) {
        (_, Some(d)) => d,
        (true, None) => Duration::ZERO,
        (false, None) => Duration::from_secs(config.reconcile.interval_seconds),
    };
    if once {
        if round.run().await? {
            return Err(Failure::Infra(
                "the cycle reported errors (see above)".into(),
            ));
        }
        return Ok(());
    }
    eprintln!(
        "reconciling every {}s; Ctrl-C to stop",
        interval.as_secs_f64()
    );
    let mut done = 0u64;
    loop {
        if let Err(e) = round.run().await {
            eprintln!("cycle failed: {}", e.text());
        }
        done += 1;
        if cycles.is_some_and(|n| done >= n) {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping");
                return Ok(());
            }
        }
    }
}

/// What one round runs.
pub(crate) struct Round<'a> {
    pub(crate) ctx: &'a fjc_aws::wiring::RealContext,
    pub(crate) scopes: &'a [Scope],
    pub(crate) view: bool,
    pub(crate) publish: bool,
    pub(crate) dashboard: Option<&'a fjc_aws::wiring::RealDashboard>,
    pub(crate) registry: &'a super::metrics::Shared,
    /// Cancelled to stop after the cycle under way (`fjc watch`).
    pub(crate) stop: Option<&'a tokio_util::sync::CancellationToken>,
}

impl Round<'_> {
    /// Runs the round's cycles (see [`tick`]); whether any reported errors.
    pub(crate) async fn run(&self) -> Result<bool, Failure> {
        let plan = TickPlan {
            scopes: self.scopes,
            view: self.view,
            publish: self.publish,
            correlation_id: None,
            deadline: None,
            stop: self.stop,
        };
        let done = tick(self.ctx, self.dashboard, plan, |look, report| {
            let samples = fjc_telemetry::metrics::cycle_samples(report);
            if let Ok(mut r) = self.registry.lock() {
                r.observe(&samples);
            }
            if let Look::Cycle(scope) = look {
                match scope {
                    Scope::Shard(s) => println!("{s}:"),
                    Scope::Jobs { ids, .. } => println!(
                        "looking again at {}:",
                        ids.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    Scope::All => {}
                }
                print_report(report);
            }
        })
        .await?;
        super::dashboard::print_published(&done.published);
        Ok(done.has_errors())
    }
}

pub(crate) fn print_report(r: &CycleReport) {
    let lease = match &r.lease {
        LeaseReport::NotNeeded => "not needed".to_string(),
        LeaseReport::Acquired { token } => format!("acquired (token {token})"),
        LeaseReport::Held { owner, .. } => format!("held by {owner}; cycle skipped"),
        LeaseReport::Lost { token } => {
            format!("lost mid-cycle (token {token} taken over); cycle stopped")
        }
    };
    println!(
        "cycle: {} specs, {} actions, {} waiting, lease {lease}, {} ms, store {}r/{}w, flink {}r/{}w",
        r.specs,
        r.actions.len(),
        r.plan.skipped.len(),
        r.duration_ms,
        r.store.reads,
        r.store.writes,
        r.flink.reads,
        r.flink.writes
    );
    for (name, c) in &r.clusters {
        if let Err(e) = c {
            println!("  cluster {name}: UNREACHABLE: {e}");
        }
    }
    for a in &r.actions {
        let (word, text) = match &a.outcome {
            Outcome::Done(t) => ("done", t),
            Outcome::InProgress(t) => ("in progress", t),
            Outcome::Failed(t) => ("FAILED", t),
        };
        println!("  {} {}: {word}: {text}", a.job_id, a.action);
    }
    for s in &r.plan.skipped {
        println!("  {} waiting: {}", s.job_id, s.reason);
    }
}

/// Prints what a cycle would do now (reads only).
pub async fn plan() -> Result<(), Failure> {
    let (_config, ctx) = super::context().await?;
    let loaded = load(&ctx, &Scope::All).await?;
    let p = plan_of(&loaded, ctx.clock.now_ms());
    if p.actions.is_empty() && p.skipped.is_empty() {
        println!("nothing to do: every job matches its spec");
    }
    for a in &p.actions {
        println!("{} {}: {}", a.job_id(), a.name(), describe(a));
    }
    for s in &p.skipped {
        println!("{} waiting: {}", s.job_id, s.reason);
    }
    Ok(())
}

fn describe(a: &Action) -> String {
    match a {
        Action::Deploy {
            replaces, reason, ..
        } => match replaces {
            Some(old) => format!("{reason:?}; replaces Flink job {old}"),
            None => format!("{reason:?}"),
        },
        Action::ContinueOperation { .. } => "continue the operation in flight".into(),
        Action::Adopt { .. } => "record the new spec as deployed (no restart needed)".into(),
        Action::Suspend { flink_job_id, .. } => {
            format!("suspend: stop Flink job {flink_job_id} with a savepoint")
        }
        Action::Rescale {
            flink_job_id,
            from,
            to,
            ..
        } => format!(
            "rescale Flink job {flink_job_id} in place from parallelism {from} to {to} \
             (adaptive scheduler, no savepoint)"
        ),
        Action::Savepoint { manual: true, .. } => "take a savepoint (fjc savepoint)".into(),
        Action::Savepoint { .. } => "take a periodic savepoint".into(),
        Action::Rollback { to, reason, .. } => match to {
            Some(n) => format!("roll back to revision {n}: {reason}"),
            None => format!("roll back to the last stable revision: {reason}"),
        },
        Action::CancelOrphan {
            cluster,
            flink_job_id,
            ..
        } => format!("cancel orphan {flink_job_id} on {cluster} (orphan_policy cancel-own)"),
        Action::Delete { flink_job_ids, .. } if flink_job_ids.is_empty() => {
            "spec deleted; forget the job".into()
        }
        Action::Delete { flink_job_ids, .. } => {
            let ids: Vec<String> = flink_job_ids.iter().map(|j| j.to_string()).collect();
            format!("spec deleted; cancel Flink job(s) {}", ids.join(", "))
        }
        Action::Record {
            lifecycle,
            flink_state,
            ..
        } => format!("record {} (Flink {flink_state})", lifecycle.as_str()),
        Action::Announce { .. } => "send the events a cycle could not send".into(),
        Action::Batch { step, .. } => {
            let mut parts = Vec::new();
            for (run, how) in &step.end {
                parts.push(format!("end {run} ({how:?})"));
            }
            if let Some(s) = &step.start {
                parts.push(format!(
                    "start a {} run for {}",
                    s.trigger.as_str(),
                    rfc3339(s.at)
                ));
            }
            if step.missed > 0 {
                parts.push(format!("{} fire time(s) missed", step.missed));
            }
            if let Some(why) = &step.skipped {
                parts.push(why.clone());
            }
            if step.anchor {
                parts.push("start the schedule from now".into());
            }
            if parts.is_empty() {
                parts.push("schedule bookkeeping".into());
            }
            parts.join("; ")
        }
    }
}
