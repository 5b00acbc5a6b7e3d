//! `fjc status`.

use std::collections::BTreeMap;

use fjc_core::clock::{Clock, SystemClock};
use fjc_core::planner::Observation;
use fjc_core::runtime::{self, aws_config, offline_security, store};
use fjc_core::status::job_statuses;
use fjc_core::store::Store;
use fjc_flink::FlinkApi;

use crate::exit::Failure;

/// One `/jobs/overview` per configured cluster (credentials from their secrets),
/// except clusters whose circuit breaker is open: those are not called.
async fn observe(
    config: &fjc_core::config::Config,
    sdk: &aws_config::SdkConfig,
    control: &fjc_core::health::Control,
) -> Result<BTreeMap<String, Observation>, Failure> {
    let secrets = runtime::secrets(sdk, config);
    let clients = runtime::flink_clients(config, &secrets)?;
    let now = SystemClock.now_ms();
    Ok(
        futures::future::join_all(clients.iter().map(|(name, c)| async move {
            if let Some(fjc_core::breaker::Admission::Refuse(why)) =
                control.breakers.get(name).map(|b| b.admit(now))
            {
                return (name.clone(), Observation::Unreachable(why));
            }
            let o = match c.list_jobs().await {
                Ok(jobs) => Observation::from_jobs(jobs),
                Err(e) => Observation::Unreachable(e.to_string()),
            };
            (name.clone(), o)
        }))
        .await
        .into_iter()
        .collect(),
    )
}

/// Prints one row per job (or JSON), and in text the orphans on the clusters.
pub async fn run(json: bool) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    let (specs, states, control) =
        tokio::try_join!(store.list_specs(), store.list_states(), store.control())?;
    let specs: BTreeMap<_, _> = specs
        .into_iter()
        .map(|r| (r.spec.job_id.clone(), r))
        .collect();
    let states: BTreeMap<_, _> = states.into_iter().map(|s| (s.job_id.clone(), s)).collect();
    let observed = observe(&config, &sdk, &control).await?;
    let orphans = fjc_core::snapshot::orphans(&observed, &states);
    let mut rows = job_statuses(&specs, &states, SystemClock.now_ms());
    let (security, _) = offline_security(&config).map_err(|e| Failure::User(e.to_string()))?;
    let held = security.held(specs.values().map(|r| &r.spec));
    for r in &mut rows {
        r.held_by_policy = held.get(&r.job_id).cloned();
        if let Some(Observation::Unreachable(why)) = observed.get(&r.cluster) {
            r.cluster_unavailable = Some(why.clone());
        }
    }
    if json {
        let text = serde_json::to_string_pretty(&rows)
            .map_err(|e| Failure::Infra(format!("cannot render status: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    for (cluster, o) in &observed {
        if let Observation::Unreachable(why) = o {
            println!("cluster {cluster} unreachable: {why}");
        }
    }
    if !orphans.is_empty() {
        println!("orphans (running on a cluster, owned by no spec; left alone):");
        for o in &orphans {
            println!(
                "  {:<12} {:<32} {:<12} {}",
                o.cluster, o.flink_job_id, o.flink_state, o.name
            );
        }
    }
    if rows.is_empty() {
        println!("no jobs (apply specs with `fjc apply -f DIR`)");
        return Ok(());
    }
    println!(
        "{:<28} {:<6} {:<10} {:<12} {:<12} {:<12} {:<32} ERROR",
        "JOB", "TYPE", "LIFECYCLE", "FLINK", "SPEC", "DEPLOYED", "FLINK JOB ID"
    );
    for r in rows {
        let short = |f: &Option<String>| {
            f.as_deref()
                .map(|s| s.chars().take(12).collect::<String>())
                .unwrap_or_else(|| "-".into())
        };
        let mut lifecycle = r.lifecycle.clone();
        if let Some(op) = &r.operation {
            lifecycle = format!("{lifecycle}({op})");
        }
        println!(
            "{:<28} {:<6} {:<10} {:<12} {:<12} {:<12} {:<32} {}{}",
            r.job_id,
            r.job_type,
            lifecycle,
            if r.cluster_unavailable.is_some() {
                "UNKNOWN"
            } else {
                r.flink_state.as_deref().unwrap_or("-")
            },
            short(&r.spec_fingerprint),
            short(&r.deployed_fingerprint),
            r.flink_job_id.as_deref().unwrap_or("-"),
            if r.drift { "[drift] " } else { "" },
            r.last_error.as_deref().unwrap_or(""),
        );
        if let Some(next) = &r.next_fire {
            println!("{:<28} next fire: {next}", "");
        }
        if let Some(last) = &r.last_run {
            println!("{:<28} last run: {last}", "");
        }
        if let Some(why) = &r.held_by_policy {
            println!("{:<28} held by policy: {why}", "");
        }
        if let Some(refused) = &r.artifact_refused {
            println!("{:<28} artifact refused: {refused}", "");
        }
        if let Some(rolled) = &r.rolled_back {
            println!("{:<28} {rolled}", "");
        }
        if r.job_type == "stream" && r.revision > 0 {
            println!(
                "{:<28} revision {} (stable: {}), recoveries in window: {}, savepoints kept: {}",
                "",
                r.revision,
                r.stable_revision
                    .map_or_else(|| "none".to_string(), |s| s.to_string()),
                r.recoveries,
                r.savepoints
            );
        }
        if let Some(point) = &r.restore_point {
            println!("{:<28} restore point: {point}", "");
        }
    }
    Ok(())
}
