//! A sample snapshot for the dashboard's browser tests and for looking at the page:
//! one job in every lifecycle value the controller writes (taken from
//! [`Lifecycle::ALL`](fjc_snapshot::Lifecycle::ALL), so a new value is in it by
//! itself) plus a pending spec, built by the real [`build`] from typed specs and job
//! states. `fjc dashboard sample` prints it.
//!
//! Around them: a stream job with a full history (revisions, a rolled-back one with
//! its reason, savepoints, recoveries, audit entries), batch runs, drift, errors, a
//! refused artifact, a policy hold, an unreachable cluster with an open breaker,
//! and an orphan.
//!
//! The jobs themselves are in `jobs`; this module puts the cycle around them
//! (clusters, an orphan, a breaker) and builds the snapshot, or a fleet of copies.

use std::collections::BTreeMap;

use fjc_flink::{ClusterOverview, FlinkJobState};
use fjc_snapshot::Snapshot;

use super::{Inputs, Timing, build};
use crate::breaker::{Breaker, BreakerState};
use crate::clock::EpochMs;
use crate::counted::FlinkStats;
use crate::cycle::{CycleReport, LeaseReport, Loaded};
use crate::planner::{Observation, Plan};
use crate::store::StoreStats;
use jobs::{MIN, Parts, add_jobs, flink_id, summary};

mod jobs;

#[cfg(test)]
mod tests;

/// Why the sample could not be made (a spec in it does not parse: a bug).
#[derive(Debug, thiserror::Error)]
#[error("sample spec {job_id}: {message}")]
pub struct SampleError {
    job_id: String,
    message: String,
}

/// The sample snapshot at `now`.
pub fn sample(now: EpochMs) -> Result<Snapshot, SampleError> {
    let mut p = Parts::default();
    add_jobs(&mut p, now, "", 0)?;
    Ok(finish(p, now))
}

/// A fleet of `jobs` jobs at `now` (for the dashboard benchmark): the sample's jobs
/// again and again, numbered (`stable-job-00001`, ...), with their histories.
pub fn fleet(jobs: usize, now: EpochMs) -> Result<Snapshot, SampleError> {
    let mut p = Parts::default();
    let mut round = 0;
    while p.specs.len().max(p.states.len()) < jobs {
        add_jobs(&mut p, now, &format!("-{round:05}"), round * 1000)?;
        round += 1;
    }
    let mut ids: Vec<String> = p.specs.keys().chain(p.states.keys()).cloned().collect();
    ids.sort();
    ids.dedup();
    for id in ids.iter().skip(jobs) {
        p.specs.remove(id);
        p.states.remove(id);
    }
    Ok(finish(p, now))
}

fn finish(p: Parts, now: EpochMs) -> Snapshot {
    let Parts {
        specs,
        states,
        history,
        held,
        mut seen,
    } = p;
    // An orphan: a Flink job no spec owns.
    let orphan = flink_id(400);
    seen.push(summary(
        &orphan,
        "adhoc-sql-session",
        FlinkJobState::Running,
        now,
    ));

    let observed = BTreeMap::from([
        ("default".to_string(), Observation::from_jobs(seen)),
        (
            "east".to_string(),
            Observation::Unreachable("connection refused".into()),
        ),
    ]);
    let overviews = BTreeMap::from([(
        "default".to_string(),
        ClusterOverview {
            taskmanagers: 2,
            slots_total: 16,
            slots_available: 5,
            jobs_running: 18,
            flink_version: "2.3.0".into(),
        },
    )]);
    let report = CycleReport {
        started_at: now - 2_000,
        duration_ms: 1_200,
        specs: specs.len(),
        states: states.len(),
        clusters: BTreeMap::from([
            ("default".to_string(), Ok(states.len())),
            ("east".to_string(), Err("connection refused".to_string())),
        ]),
        plan: Plan::default(),
        lease: LeaseReport::NotNeeded,
        actions: Vec::new(),
        store: StoreStats::default(),
        flink: FlinkStats::default(),
        loaded: Loaded::default(),
        correlation_id: "sample".into(),
        flink_errors: BTreeMap::new(),
        breakers: BTreeMap::from([(
            "east".to_string(),
            Breaker {
                cluster: "east".into(),
                state: BreakerState::Open { until: now + MIN },
                failures: 4,
                since: Some(now - 50 * MIN),
                open_ms: 120_000,
                last_error: Some("connection refused".into()),
                version: 3,
            },
        )]),
    };
    build(Inputs {
        specs: &specs,
        states: &states,
        observed: &observed,
        overviews: &overviews,
        history: &history,
        held: &held,
        cycle: report.facts(),
        timing: Timing {
            interval_seconds: 60,
            heartbeat_refresh_seconds: 300,
        },
        now,
    })
}
