//! `fjc status`: every job as stored, with Flink's state as the clusters say it
//! now (one `/jobs/overview` per cluster); a stored Flink state is marked as such
//! with its age.
//!
//! `--json` prints the list of rows ([`JobStatus`]); `--json --full` prints
//! [`FullStatus`]: the rows, each cluster's health (the dashboard's
//! [`ClusterView`]) and the orphans.

use std::collections::BTreeMap;

use fjc_aws::wiring::{self, aws_config, store};
use fjc_core::clock::{Clock, SystemClock};
use fjc_core::planner::Observation;
use fjc_core::setup::{flink_clients, offline_security};
use fjc_core::status::{JobStatus, describe_seen, job_statuses};
use fjc_core::store::{ControlStore, SpecStore, StateStore};
use fjc_flink::{ClusterOverview, FlinkApi};
use fjc_snapshot::{ClusterHealth, ClusterView, FlinkStateSeen, Orphan, Slots, one_line};
use serde::Serialize;

use crate::exit::Failure;

/// What `fjc status --json --full` prints.
#[derive(Debug, Serialize)]
pub struct FullStatus {
    /// One row per job, as `fjc status --json` prints them.
    pub jobs: Vec<JobStatus>,
    /// Every configured cluster: health now, slots, breaker.
    pub clusters: Vec<ClusterView>,
    /// Flink jobs on a managed cluster that no job accounts for.
    pub orphans: Vec<Orphan>,
}

/// What one cluster said just now.
struct Seen {
    observation: Observation,
    overview: Option<ClusterOverview>,
}

/// One `/jobs/overview` (and, with `slots`, `/overview`) per configured cluster
/// (credentials from their secrets), except clusters whose circuit breaker is
/// open: those are not called.
async fn observe(
    config: &fjc_core::config::Config,
    sdk: &aws_config::SdkConfig,
    control: &fjc_core::health::Control,
    slots: bool,
) -> Result<BTreeMap<String, Seen>, Failure> {
    let secrets = wiring::secrets(sdk, config);
    let clients = flink_clients(config, &secrets)?;
    let now = SystemClock.now_ms();
    Ok(
        futures::future::join_all(clients.iter().map(|(name, c)| async move {
            if let Some(fjc_core::breaker::Admission::Refuse(why)) =
                control.breakers.get(name).map(|b| b.admit(now))
            {
                let observation = Observation::Unreachable(why);
                return (
                    name.clone(),
                    Seen {
                        observation,
                        overview: None,
                    },
                );
            }
            let (jobs, overview) = tokio::join!(c.list_jobs(), async {
                if slots {
                    c.cluster_overview().await.ok()
                } else {
                    None
                }
            });
            let observation = match jobs {
                Ok(jobs) => Observation::from_jobs(jobs),
                Err(e) => Observation::Unreachable(e.to_string()),
            };
            (
                name.clone(),
                Seen {
                    observation,
                    overview,
                },
            )
        }))
        .await
        .into_iter()
        .collect(),
    )
}

/// Each cluster's health as the dashboard shows it.
fn cluster_views(
    seen: &BTreeMap<String, Seen>,
    control: &fjc_core::health::Control,
) -> Vec<ClusterView> {
    seen.iter()
        .map(|(name, s)| {
            let (health, error, jobs_seen) = match &s.observation {
                Observation::Reachable(jobs) => {
                    (ClusterHealth::Healthy, None, u32::try_from(jobs.len()).ok())
                }
                Observation::Unreachable(why) => {
                    (ClusterHealth::Unreachable, Some(one_line(why, 300)), None)
                }
            };
            let o = s.overview.as_ref();
            ClusterView {
                name: name.clone(),
                health,
                error,
                jobs_seen,
                slots: o.map(|o| Slots {
                    total: o.slots_total,
                    available: o.slots_available,
                }),
                taskmanagers: o.map(|o| o.taskmanagers),
                flink_version: o.map(|o| o.flink_version.clone()),
                breaker: control
                    .breakers
                    .get(name)
                    .and_then(fjc_core::snapshot::breaker_view),
            }
        })
        .collect()
}

/// The FLINK column: the state Flink reports now; `NOT-LISTED` when the cluster
/// answered without the job; `UNKNOWN` when it could not be asked.
fn flink_column(r: &JobStatus) -> &str {
    match r.flink_state_seen {
        Some(FlinkStateSeen::Observed) => r.flink_state.as_deref().unwrap_or("-"),
        Some(FlinkStateSeen::NotListed { .. }) => "NOT-LISTED",
        Some(FlinkStateSeen::Recorded { .. }) | Some(FlinkStateSeen::Unknown) => "UNKNOWN",
        None => "-",
    }
}

/// Prints one row per job (or JSON), and in text the orphans on the clusters.
pub async fn run(json: bool, full: bool) -> Result<(), Failure> {
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
    // Slots are only shown by `--json --full`.
    let seen = observe(&config, &sdk, &control, json && full).await?;
    let observed: BTreeMap<String, Observation> = seen
        .iter()
        .map(|(name, s)| (name.clone(), s.observation.clone()))
        .collect();
    let orphans = fjc_core::snapshot::orphans(&observed, &states);
    let now = SystemClock.now_ms();
    let mut rows = job_statuses(&specs, &states, &observed, now);
    let (security, _) = offline_security(&config).map_err(|e| Failure::User(e.to_string()))?;
    let held = security.held(specs.values().map(|r| &r.spec));
    for r in &mut rows {
        r.held_by_policy = held.get(&r.job_id).cloned();
        if let Some(Observation::Unreachable(why)) = observed.get(&r.cluster) {
            r.cluster_unavailable = Some(why.clone());
        }
    }
    if json {
        let text = if full {
            serde_json::to_string_pretty(&FullStatus {
                clusters: cluster_views(&seen, &control),
                jobs: rows,
                orphans,
            })
        } else {
            serde_json::to_string_pretty(&rows)
        }
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
        let mut lifecycle = r.lifecycle.to_string();
        if let Some(op) = &r.operation {
            lifecycle = format!("{lifecycle}({op})");
        }
        println!(
            "{:<28} {:<6} {:<10} {:<12} {:<12} {:<12} {:<32} {}{}",
            r.job_id,
            r.job_type,
            lifecycle,
            flink_column(&r),
            short(&r.spec_fingerprint),
            short(&r.deployed_fingerprint),
            r.flink_job_id.as_deref().unwrap_or("-"),
            if r.drift { "[drift] " } else { "" },
            r.last_error.as_deref().unwrap_or(""),
        );
        if let (Some(stored), Some(how)) = (&r.flink_state, describe_seen(r.flink_state_seen, now))
        {
            println!("{:<28} flink state {stored}: {how}", "");
        }
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
        if let Some(health) = &r.health {
            println!("{:<28} health: {}", "", health.summary(now));
        }
    }
    Ok(())
}
