//! What Flink's `print` connector printed, read the way a user reads it: the
//! TaskManagers' stdout through Flink's REST API. SQL and PyFlink test jobs
//! print keyed counts as `<ident>> +U[k3, 17]`; a count that restarts from
//! empty state shows up as a second `+I` of its key.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

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
