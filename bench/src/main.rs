//! `fjc-bench`: the scale benchmark (issues 9 and 15). Run it with `scripts/bench.sh`.
//!
//! ```text
//! fjc-bench [--jobs 1000,10000] [--fleet stateless|realistic] [--runs N]
//! ```
//!
//! For each size N it loads N specs into moto's DynamoDB and runs real reconcile
//! cycles (`fjc_core::cycle::reconcile`) against a Flink REST stand-in, a fake
//! (a child process; see `stand_in.rs`), observing each cluster with one
//! `/jobs/overview` (ours) and with one `/jobs/:id` per job (the Flink Kubernetes
//! Operator's way). It prints one table, each figure min / median / max over the
//! runs, and the per-job / overview ratios.
//!
//! - `--fleet stateless` (default, issue 9's benchmark): 80% stream jobs in
//!   `stateless` mode without checkpointing, 20% batch jobs on a yearly schedule,
//!   a 4 KB local jar. Each run is a fresh table: first deploy, steady state, 1%
//!   of the specs changed (see `stateless`).
//! - `--fleet realistic` (issue 15): 80% checkpointing stream jobs in `savepoint`
//!   mode with 20–60 MB jars in S3, 20% batch jobs; one table per size, measured
//!   repeatedly (see `realistic.rs`).
//!
//! The command line is here; what both fleets use to run and measure a cycle (the
//! stand-in process, `apply`, the configuration) is in `harness`, the stateless
//! fleet in `stateless`.

mod harness;
mod probe;
mod realistic;
mod report;
mod stand_in;
mod stateless;

use std::time::Duration;

use fjc_core::config::ObserveMode;

use stateless::workload;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Which fleet to benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fleet {
    Stateless,
    Realistic,
}

async fn run_stand_in(args: &[String]) -> Result<(), Error> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let storage = value("--storage").ok_or("stand-in: --storage DIR is required")?;
    let savepoint_ms = match value("--savepoint-ms") {
        Some(v) => v
            .parse()
            .map_err(|e| format!("--savepoint-ms {v:?}: {e}"))?,
        None => 0,
    };
    let s = stand_in::StandIn::start(stand_in::Options {
        storage: storage.into(),
        s3_upstream: value("--s3-upstream"),
        savepoint_ms,
    })
    .await?;
    println!("{} {}", s.url, s.s3_url.as_deref().unwrap_or("-"));
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// The command line of a benchmark run.
struct Args {
    sizes: Vec<usize>,
    fleet: Fleet,
    runs: usize,
}

fn parse_args(args: &[String]) -> Result<Args, Error> {
    let mut parsed = Args {
        sizes: vec![1000, 10000],
        fleet: Fleet::Stateless,
        runs: 3,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--jobs" => {
                parsed.sizes = value()?
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<usize>()
                            .map_err(|e| format!("--jobs {s:?}: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--fleet" => {
                parsed.fleet = match value()?.as_str() {
                    "stateless" => Fleet::Stateless,
                    "realistic" => Fleet::Realistic,
                    other => {
                        return Err(format!("--fleet {other:?}: stateless or realistic").into());
                    }
                }
            }
            "--runs" => {
                let v = value()?;
                parsed.runs = v.parse().map_err(|e| format!("--runs {v:?}: {e}"))?;
                if parsed.runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: fjc-bench [--jobs 1000,10000] \
                     [--fleet stateless|realistic] [--runs N]"
                )
                .into());
            }
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("stand-in") {
        return run_stand_in(&args[1..]).await;
    }
    let args = parse_args(&args)?;
    let mut samples = Vec::new();
    for &n in &args.sizes {
        match args.fleet {
            Fleet::Stateless => {
                for run in 1..=args.runs {
                    eprintln!("[bench] stateless fleet, {n} jobs, run {run}/{}", args.runs);
                    for mode in [ObserveMode::Overview, ObserveMode::PerJob] {
                        workload(n, mode, &mut samples).await?;
                    }
                }
            }
            Fleet::Realistic => realistic::run(n, args.runs, &mut samples).await?,
        }
    }
    report::print(&samples);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse_args(&[]).expect("defaults");
        assert_eq!(
            (a.sizes, a.fleet, a.runs),
            (vec![1000, 10000], Fleet::Stateless, 3)
        );
        let a = parse_args(&strings(&[
            "--fleet",
            "realistic",
            "--runs",
            "5",
            "--jobs",
            "200",
        ]))
        .expect("parsed");
        assert_eq!((a.sizes, a.fleet, a.runs), (vec![200], Fleet::Realistic, 5));
        assert!(parse_args(&strings(&["--fleet", "big"])).is_err());
        assert!(parse_args(&strings(&["--runs", "0"])).is_err());
        assert!(parse_args(&strings(&["--runs"])).is_err());
        assert!(parse_args(&strings(&["--verbose"])).is_err());
    }
}
