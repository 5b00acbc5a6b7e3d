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
//!   of the specs changed (see `workload`).
//! - `--fleet realistic` (issue 15): 80% checkpointing stream jobs in `savepoint`
//!   mode with 20–60 MB jars in S3, 20% batch jobs; one table per size, measured
//!   repeatedly (see `realistic.rs`).

mod probe;
mod realistic;
mod report;
mod stand_in;

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use fjc_core::apply::{Caller, SourcedSpec, apply};
use fjc_core::artifacts::Artifacts;
use fjc_core::clock::SystemClock;
use fjc_core::config::{ClusterConfig, Config, ObserveMode, ReconcileConfig};
use fjc_core::context::{Context, owner_id};
use fjc_core::cycle::{CycleReport, Scope, load, plan_of, reconcile};
use fjc_core::store::dynamo::DynamoStore;
use fjc_core::wiring;
use fjc_spec::JobSpec;
use serde_json::Value;

use report::{Sample, begin};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Which fleet to benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fleet {
    Stateless,
    Realistic,
}

fn spec(i: usize, n: usize, note: &str) -> Result<JobSpec, Error> {
    let id = format!("bench-{n}-{i:05}");
    let value = if i % 5 == 4 {
        batch_spec(&id, i)
    } else {
        serde_json::json!({
            "job_id": id, "job_type": "stream", "artifact_path": "job.jar",
            "entry_class": "bench.Stream", "args": ["--i", i.to_string(), "--note", note],
            "deployment": {"parallelism": 2, "upgrade_mode": "stateless"},
            "env_vars": {"REGION": "eu-west-1", "TEAM": format!("team-{}", i % 40)},
        })
    };
    Ok(serde_json::from_value(value)?)
}

/// A batch job on a yearly schedule (scheduled, never run), with the local jar.
fn batch_spec(id: &str, i: usize) -> Value {
    serde_json::json!({
        "job_id": id, "job_type": "batch", "artifact_path": "job.jar",
        "entry_class": "bench.Batch", "args": ["--i", i.to_string()],
        "batch_config": {"cron": "0 0 1 1 *"},
    })
}

/// Applies specs through the real `apply` path, 500 at a time.
async fn apply_all<S: fjc_core::store::Store, A: fjc_core::artifacts::ArtifactSource>(
    store: &S,
    artifacts: &A,
    specs: Vec<JobSpec>,
) -> Result<(), Error> {
    let security = fjc_core::policy::Security::default();
    for chunk in specs.chunks(500) {
        let sourced = chunk
            .iter()
            .map(|s| SourcedSpec {
                source: "bench".into(),
                spec: s.clone(),
            })
            .collect();
        let caller = Caller {
            actor: "local:bench",
            security: &security,
        };
        apply(store, artifacts, &SystemClock, caller, sourced).await?;
    }
    Ok(())
}

/// The stand-in, a child process (its CPU is not ours). Killed on drop.
struct StandInProc {
    child: std::process::Child,
    /// Its Flink REST URL.
    url: String,
    /// Its counting S3 relay, when started with one.
    s3_url: Option<String>,
}

impl StandInProc {
    /// Starts `fjc-bench stand-in` with its storage below `storage` and, when
    /// `s3_upstream` is given, a counting relay to that S3 endpoint.
    fn start(storage: &Path, s3_upstream: Option<&str>) -> Result<StandInProc, Error> {
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("stand-in").arg("--storage").arg(storage);
        if let Some(up) = s3_upstream {
            cmd.arg("--s3-upstream").arg(up);
        }
        let mut child = cmd.stdout(std::process::Stdio::piped()).spawn()?;
        let out = child.stdout.take().ok_or("stand-in stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(out).read_line(&mut line)?;
        let mut words = line.split_whitespace();
        let url = words.next().ok_or("stand-in printed no URL")?.to_string();
        let s3_url = words.next().filter(|w| *w != "-").map(str::to_string);
        Ok(StandInProc { child, url, s3_url })
    }

    /// `GET /stand-in/stats`: its counters.
    fn stats(&self) -> Result<Value, Error> {
        self.call("GET", "/stand-in/stats", None)
    }

    /// One HTTP/1.1 call to the stand-in (outside the controller's client).
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, Error> {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr)?;
        let body = body.map(Value::to_string).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nhost: stand-in\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        let json = text.split("\r\n\r\n").nth(1).ok_or("stand-in: no body")?;
        Ok(serde_json::from_str(json)?)
    }
}

impl Drop for StandInProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `after[key] - before[key]`.
fn delta(before: &Value, after: &Value, key: &str) -> u64 {
    after[key]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(before[key].as_u64().unwrap_or(0))
}

/// Every counter that moved, `key +n`.
fn deltas(before: &Value, after: &Value) -> String {
    let Some(keys) = after.as_object() else {
        return String::new();
    };
    keys.keys()
        .filter(|k| !matches!(k.as_str(), "running" | "finished" | "jars"))
        .filter_map(|k| {
            let d = delta(before, after, k);
            (d > 0).then(|| format!("{k} +{d}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One measured reconcile cycle, with the stand-in's upload and S3 byte counts.
async fn measure<S, F, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    stand_in: &StandInProc,
    n: usize,
    mode: &'static str,
    phase: &'static str,
) -> Result<(Sample, CycleReport), Error>
where
    S: fjc_core::store::Store,
    F: fjc_flink::FlinkApi,
    A: fjc_core::artifacts::ArtifactSource,
    C: fjc_core::clock::Clock,
    K: fjc_core::secrets::SecretSource,
{
    let before = stand_in.stats()?;
    let p = begin();
    let r = reconcile(ctx, &Scope::All).await?;
    let mut sample = Sample::of(n, mode, phase, p, &r);
    let after = stand_in.stats()?;
    sample.upload_bytes = Some(delta(&before, &after, "upload_bytes"));
    sample.s3_bytes = stand_in
        .s3_url
        .as_ref()
        .map(|_| delta(&before, &after, "s3_bytes_read"));
    report_failures(phase, &r);
    Ok((sample, r))
}

/// Prints the first few failed actions of a cycle (a stand-in the controller
/// does not understand shows here).
fn report_failures(phase: &str, r: &CycleReport) {
    let failed: Vec<String> = r
        .actions
        .iter()
        .filter_map(|a| match &a.outcome {
            fjc_core::executor::Outcome::Failed(why) => Some(format!("{}: {why}", a.job_id)),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "[bench] {phase}: {} failed actions, e.g. {}",
            failed.len(),
            failed
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
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

/// Issue 9's workload on a fresh table: first deploy, steady state (and, in
/// overview mode, the same as 4 shard cycles), then 1% of the specs changed.
async fn workload(n: usize, mode: ObserveMode, samples: &mut Vec<Sample>) -> Result<(), Error> {
    let label = match mode {
        ObserveMode::Overview => "overview",
        ObserveMode::PerJob => "per-job",
    };
    let storage = tempfile::tempdir()?;
    let stand_in = StandInProc::start(storage.path(), None)?;
    let table = format!("fjc-bench-{label}-{n}-{:08x}", rand_suffix());
    let artifacts_dir = tempfile::tempdir()?;
    std::fs::write(artifacts_dir.path().join("job.jar"), vec![0x50u8; 4096])?;
    let config = bench_config(&table, &stand_in.url);
    wiring::bootstrap(&config).await?;
    let sdk = wiring::aws_config().await;
    let secrets = wiring::secrets(&sdk, &config);
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    let artifacts = Artifacts::new(
        Some(artifacts_dir.path().to_path_buf()),
        None,
        std::env::temp_dir().join("fjc-bench"),
    );
    let specs: Vec<JobSpec> = (0..n).map(|i| spec(i, n, "v1")).collect::<Result<_, _>>()?;
    let loading = Instant::now();
    apply_all(&store, &artifacts, specs).await?;
    eprintln!(
        "[bench] {n} specs applied in {:.1} s ({label})",
        loading.elapsed().as_secs_f64()
    );
    let mut ctx = Context::new(
        store,
        wiring::flink_clients(&config, &secrets)?,
        artifacts,
        SystemClock,
        secrets,
        bench_settings(mode),
        owner_id("bench"),
    );

    let (s, _) = measure(&ctx, &stand_in, n, label, "first deploy").await?;
    samples.push(s);
    // Jobs reach RUNNING: one recording write each, then nothing to do.
    for _ in 0..5 {
        let r = reconcile(&ctx, &Scope::All).await?;
        if r.actions.is_empty() && r.store.writes == 0 {
            break;
        }
    }
    let (s, _) = measure(&ctx, &stand_in, n, label, "steady state").await?;
    samples.push(s);
    // The planner alone on what that cycle loaded (no I/O).
    let loaded = load(&ctx, &Scope::All).await?;
    let started = Instant::now();
    let plan = plan_of(&loaded, fjc_core::clock::Clock::now_ms(&SystemClock));
    eprintln!(
        "[bench] planner alone: {} jobs in {:.1} ms ({} actions)",
        loaded.specs.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        plan.actions.len()
    );

    if mode == ObserveMode::Overview {
        sharded_steady_state(&mut ctx, &stand_in, n, label, samples).await?;
    }

    let changed: Vec<JobSpec> = (0..n)
        .filter(|i| i % 5 != 4)
        .step_by(80)
        .map(|i| spec(i, n, "v2"))
        .collect::<Result<_, _>>()?;
    let k = changed.len();
    apply_all(&ctx.store, &ctx.artifacts, changed).await?;
    let (s, r) = measure(&ctx, &stand_in, n, label, "1% changed").await?;
    samples.push(s);
    eprintln!("[bench] {k} specs changed; {} actions", r.actions.len());
    eprintln!("[bench] stand-in: {}", stand_in.stats()?);
    Ok(())
}

/// The controller configuration of a benchmark: one cluster, the stand-in.
fn bench_config(table: &str, url: &str) -> Config {
    let mut config = Config {
        table: table.to_string(),
        ..Config::default()
    };
    config.clusters.insert(
        "default".into(),
        ClusterConfig {
            url: url.to_string(),
            credentials_secret: None,
        },
    );
    config
}

/// Reconcile settings of the benchmark: 32 actions at once, a long lease.
fn bench_settings(mode: ObserveMode) -> ReconcileConfig {
    ReconcileConfig {
        observe: mode,
        max_concurrency: 32,
        lease_ttl_seconds: 3600,
        ..ReconcileConfig::default()
    }
}

/// The steady-state cycle again, split into `SHARDS` shard cycles run one after
/// the other: their sum (the work) and the slowest (the wall time when the
/// shards run in parallel, as fanned-out invocations do).
async fn sharded_steady_state<S, F, A, C, K>(
    ctx: &mut Context<S, F, A, C, K>,
    stand_in: &StandInProc,
    n: usize,
    label: &'static str,
    samples: &mut Vec<Sample>,
) -> Result<(), Error>
where
    S: fjc_core::store::Store,
    F: fjc_flink::FlinkApi,
    A: fjc_core::artifacts::ArtifactSource,
    C: fjc_core::clock::Clock,
    K: fjc_core::secrets::SecretSource,
{
    const SHARDS: u32 = 4;
    ctx.settings.shards = SHARDS;
    let (mut sum, mut slowest) = (Sample::zero(n, label, "steady, 4 shards (sum)"), 0);
    for shard in fjc_core::shard::Shard::all(SHARDS) {
        let before = stand_in.stats()?;
        let p = begin();
        let r = reconcile(ctx, &Scope::Shard(shard)).await?;
        let mut one = Sample::of(n, label, "", p, &r);
        one.upload_bytes = Some(delta(&before, &stand_in.stats()?, "upload_bytes"));
        slowest = slowest.max(one.wall_ms);
        sum.add(&one);
    }
    ctx.settings.shards = 1;
    eprintln!(
        "[bench] {n} jobs in {SHARDS} shards: sum {} ms, slowest shard {slowest} ms, {} reads",
        sum.wall_ms, sum.dynamo_reads
    );
    samples.push(sum);
    Ok(())
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
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
