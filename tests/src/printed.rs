//! What Flink's `print` connector printed, read the way a user reads it: the
//! TaskManagers' stdout through Flink's REST API. SQL and PyFlink test jobs
//! print keyed counts as `<ident>> +U[k3, 17]`; a count that restarts from
//! empty state shows up as a second `+I` of its key.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use fjc_core::state::{JobState, Lifecycle};
use fjc_flink::{FlinkJobState, JobId};

use crate::harness::World;

/// One printed row: (kind, first field, second field as a number), so
/// `+I[k1, 1]` is ("+I", "k1", 1).
pub type Row = (String, String, u64);

/// Every `print` line of `ident` in the TaskManagers' stdout.
pub fn printed(flink_url: &str, ident: &str) -> Vec<Row> {
    let get = |path: &str| {
        let out = Command::new("curl")
            .args(["-fsS", "--max-time", "30", &format!("{flink_url}{path}")])
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tms: serde_json::Value = serde_json::from_str(&get("/taskmanagers")).unwrap_or_default();
    let prefix = format!("{ident}> ");
    let mut lines = Vec::new();
    for tm in tms["taskmanagers"].as_array().into_iter().flatten() {
        let id = tm["id"].as_str().unwrap_or_default();
        for line in get(&format!("/taskmanagers/{id}/stdout")).lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let (kind, body) = rest.split_at(rest.find('[').unwrap_or(0));
            let body = body.trim_start_matches('[').trim_end_matches(']');
            if let Some((k, n)) = body.split_once(", ")
                && let Ok(n) = n.trim().parse()
            {
                lines.push((kind.to_string(), k.to_string(), n));
            }
        }
    }
    lines
}

/// Waits (up to `wait`) until each of `keys` keys printed a count of at least
/// `n`; returns every line printed so far.
pub async fn counted(
    flink_url: &str,
    ident: &str,
    keys: usize,
    n: u64,
    wait: Duration,
) -> Vec<Row> {
    let start = Instant::now();
    loop {
        let lines = printed(flink_url, ident);
        let mut top: BTreeMap<&str, u64> = BTreeMap::new();
        for (kind, k, c) in &lines {
            if kind.starts_with('+') {
                let e = top.entry(k.as_str()).or_default();
                *e = (*e).max(*c);
            }
        }
        if top.len() == keys && top.values().all(|c| *c >= n) {
            return lines;
        }
        assert!(
            start.elapsed() < wait,
            "counts of {ident} did not reach {n}: {top:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// How many times each key was inserted (`+I`): once per key when every count
/// went on from its state, more when one started again from empty.
pub fn inserts(lines: &[Row]) -> BTreeMap<&str, usize> {
    let mut out: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, k, _) in lines {
        if kind == "+I" {
            *out.entry(k.as_str()).or_default() += 1;
        }
    }
    out
}

/// After a change of a job printing keyed counts as `ident` (4 keys) was
/// applied: cycles until `fingerprint` runs, and checks that it replaced
/// `old_job` through a savepoint of it, that it printed, and that every key's
/// count went on from the savepoint (each key inserted once); exactly one job
/// runs. Returns the state.
pub async fn upgraded_keeping_counts(
    w: &World,
    job_id: &str,
    fingerprint: &str,
    old_job: &JobId,
    ident: &str,
    wait: Duration,
) -> JobState {
    let state = w
        .cycle_until(job_id, wait, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(fingerprint)
        })
        .await;
    let job = state.flink_job_id.clone().expect("flink job");
    assert_ne!(&job, old_job);
    let sp = state.last_savepoint.clone().expect("a savepoint was taken");
    assert_eq!((sp.kind.as_str(), &sp.from_job), ("savepoint", old_job));
    assert_eq!(state.restored_from.as_deref(), Some(sp.location.as_str()));
    w.wait_flink_state(&job, FlinkJobState::Running, wait).await;
    // The old version may already have printed past any fixed count: wait for
    // counts beyond the highest printed before, which only the new one prints.
    let printed_before = printed(&w.env.flink_url, ident);
    let before = printed_before.len();
    let highest = printed_before.iter().map(|(_, _, n)| *n).max().unwrap_or(0);
    let lines = counted(&w.env.flink_url, ident, 4, highest.max(22) + 3, wait).await;
    assert!(lines.len() > before, "the new version printed");
    // Each key was inserted once: after the upgrade its count went on from the
    // savepoint, it never started again at 1.
    let inserts = inserts(&lines);
    assert!(
        inserts.values().all(|n| *n == 1) && inserts.len() == 4,
        "a key started again from 1: {inserts:?}"
    );
    assert_eq!(w.live_jobs(job_id).await.len(), 1, "exactly one job runs");
    state
}
