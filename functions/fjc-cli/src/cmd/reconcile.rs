//! `fjc reconcile` and `fjc plan`.

use std::collections::BTreeMap;
use std::time::Duration;

use fjc_core::clock::Clock;
use fjc_core::executor::Outcome;
use fjc_core::handler::{CycleReport, LeaseReport, Scope, reconcile};
use fjc_core::planner::{Action, Observation, PlanInput, plan as make_plan};
use fjc_core::store::Store;
use fjc_flink::FlinkApi;

use crate::exit::Failure;

/// One cycle (`--once`) or a loop (`--every`).
pub async fn run(once: bool, every: Option<Duration>) -> Result<(), Failure> {
    let (config, ctx) = super::context().await?;
    let interval = match (once, every) {
        (_, Some(d)) => d,
        (true, None) => Duration::ZERO,
        (false, None) => Duration::from_secs(config.reconcile.interval_seconds),
    };
    if once {
        let report = reconcile(&ctx, &Scope::All).await?;
        print_report(&report);
        if report.has_errors() {
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
    loop {
        match reconcile(&ctx, &Scope::All).await {
            Ok(report) => print_report(&report),
            Err(e) => eprintln!("cycle failed: {e}"),
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

fn print_report(r: &CycleReport) {
    let lease = match &r.lease {
        LeaseReport::NotNeeded => "not needed".to_string(),
        LeaseReport::Acquired { token } => format!("acquired (token {token})"),
        LeaseReport::Held { owner, .. } => format!("held by {owner}; cycle skipped"),
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
    let (specs, states) = tokio::try_join!(ctx.store.list_specs(), ctx.store.list_states())?;
    let specs: BTreeMap<_, _> = specs
        .into_iter()
        .map(|r| (r.spec.job_id.clone(), r))
        .collect();
    let states: BTreeMap<_, _> = states.into_iter().map(|s| (s.job_id.clone(), s)).collect();
    let mut clusters = BTreeMap::new();
    for (name, client) in &ctx.clusters {
        let o = match client.list_jobs().await {
            Ok(jobs) => Observation::from_jobs(jobs),
            Err(e) => Observation::Unreachable(e.to_string()),
        };
        clusters.insert(name.clone(), o);
    }
    let p = make_plan(PlanInput {
        specs: &specs,
        states: &states,
        clusters: &clusters,
        now: ctx.clock.now_ms(),
    });
    if p.actions.is_empty() && p.skipped.is_empty() {
        println!("nothing to do: every job matches its spec");
    }
    for a in &p.actions {
        let detail = match a {
            Action::Deploy {
                replaces, reason, ..
            } => match replaces {
                Some(old) => format!("{reason:?}; replaces Flink job {old}"),
                None => format!("{reason:?}"),
            },
            Action::ResumeOperation { .. } => "continue the operation in flight".into(),
            Action::Delete { flink_job_id, .. } => match flink_job_id {
                Some(id) => format!("spec deleted; cancel Flink job {id}"),
                None => "spec deleted; forget the job".into(),
            },
            Action::Record {
                lifecycle,
                flink_state,
                ..
            } => {
                format!("record {} (Flink {flink_state})", lifecycle.as_str())
            }
        };
        println!("{} {}: {detail}", a.job_id(), a.name());
    }
    for s in &p.skipped {
        println!("{} waiting: {}", s.job_id, s.reason);
    }
    Ok(())
}
