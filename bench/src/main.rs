//! `fjc-bench`: the scale benchmark (issue 9). Run it with `scripts/bench.sh`.
//!
//! For each size N it loads N specs (80% stream, 20% batch on a yearly schedule)
//! into moto's DynamoDB, then runs real reconcile cycles against a Flink REST
//! stand-in (a child process serving N jobs; see `stand_in.rs`): the first
//! deploy, a steady-state cycle (nothing changed) and a cycle after 1% of the
//! stream specs changed. The same workload runs twice: observing each cluster
//! with one `/jobs/overview` (ours) and with one `/jobs/:id` per job (the Flink
//! Kubernetes Operator's way). It prints one table and the ratios.

mod probe;
mod stand_in;

use std::io::BufRead;
use std::time::{Duration, Instant};

use fjc_core::apply::{Caller, SourcedSpec, apply};
use fjc_core::artifacts::Artifacts;
use fjc_core::clock::SystemClock;
use fjc_core::config::{ClusterConfig, Config, ObserveMode, ReconcileConfig};
use fjc_core::context::{Context, owner_id};
use fjc_core::handler::{CycleReport, Scope, load, plan_of, reconcile};
use fjc_core::runtime;
use fjc_core::store::dynamo::DynamoStore;
use fjc_spec::JobSpec;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One measured cycle.
struct Row {
    n: usize,
    mode: &'static str,
    phase: &'static str,
    wall_ms: u128,
    cpu_ms: u64,
    flink_calls: u64,
    dynamo_reads: u64,
    dynamo_writes: u64,
    actions: usize,
    rss_mib: f64,
}

fn spec(i: usize, n: usize, note: &str) -> Result<JobSpec, Error> {
    let id = format!("bench-{n}-{i:05}");
    let value = if i % 5 == 4 {
        serde_json::json!({
            "job_id": id, "job_type": "batch", "artifact_path": "job.jar",
            "entry_class": "bench.Batch", "args": ["--i", i.to_string()],
            "batch_config": {"cron": "0 0 1 1 *"},
        })
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

async fn apply_all<A: fjc_core::artifacts::ArtifactSource>(
    store: &DynamoStore,
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

/// Starts the stand-in as a child process (its CPU is not ours); its URL.
fn stand_in() -> Result<(std::process::Child, String), Error> {
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("stand-in")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().ok_or("stand-in stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line)?;
    Ok((child, line.trim().to_string()))
}

async fn run_stand_in() -> Result<(), Error> {
    let s = stand_in::StandIn::start().await?;
    println!("{}", s.url);
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

struct Phase {
    wall: Instant,
    cpu: u64,
}

fn begin() -> Phase {
    probe::reset_peak();
    Phase {
        wall: Instant::now(),
        cpu: probe::cpu_ms(),
    }
}

fn row(n: usize, mode: &'static str, phase: &'static str, p: Phase, r: &CycleReport) -> Row {
    Row {
        n,
        mode,
        phase,
        wall_ms: p.wall.elapsed().as_millis(),
        cpu_ms: probe::cpu_ms().saturating_sub(p.cpu),
        flink_calls: r.flink.reads + r.flink.writes,
        dynamo_reads: r.store.reads,
        dynamo_writes: r.store.writes,
        actions: r.actions.len(),
        rss_mib: probe::peak_rss_mib(),
    }
}

async fn workload(n: usize, mode: ObserveMode, rows: &mut Vec<Row>) -> Result<(), Error> {
    let label = match mode {
        ObserveMode::Overview => "overview",
        ObserveMode::PerJob => "per-job",
    };
    let (mut child, url) = stand_in()?;
    let table = format!("fjc-bench-{label}-{n}-{:08x}", rand_suffix());
    let artifacts_dir = tempfile::tempdir()?;
    std::fs::write(artifacts_dir.path().join("job.jar"), vec![0x50u8; 4096])?;
    let mut config = Config {
        table: table.clone(),
        ..Config::default()
    };
    config.clusters.insert(
        "default".into(),
        ClusterConfig {
            url: url.clone(),
            credentials_secret: None,
        },
    );
    runtime::bootstrap(&config).await?;
    let sdk = runtime::aws_config().await;
    let secrets = runtime::secrets(&sdk, &config);
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
        runtime::flink_clients(&config, &secrets)?,
        artifacts,
        SystemClock,
        secrets,
        ReconcileConfig {
            observe: mode,
            max_concurrency: 32,
            lease_ttl_seconds: 3600,
            ..ReconcileConfig::default()
        },
        owner_id("bench"),
    );

    let p = begin();
    let r = reconcile(&ctx, &Scope::All).await?;
    rows.push(row(n, label, "first deploy", p, &r));
    // Jobs reach RUNNING: one recording write each, then nothing to do.
    for _ in 0..5 {
        let r = reconcile(&ctx, &Scope::All).await?;
        if r.actions.is_empty() && r.store.writes == 0 {
            break;
        }
    }
    let p = begin();
    let r = reconcile(&ctx, &Scope::All).await?;
    rows.push(row(n, label, "steady state", p, &r));
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
        sharded_steady_state(&mut ctx, n, label, rows).await?;
    }

    let changed: Vec<JobSpec> = (0..n)
        .filter(|i| i % 5 != 4)
        .step_by(80)
        .map(|i| spec(i, n, "v2"))
        .collect::<Result<_, _>>()?;
    let k = changed.len();
    apply_all(&ctx.store, &ctx.artifacts, changed).await?;
    let p = begin();
    let r = reconcile(&ctx, &Scope::All).await?;
    rows.push(row(n, label, "1% changed", p, &r));
    eprintln!("[bench] {k} specs changed; {} actions", r.actions.len());
    let stats = stand_in_stats(&url);
    eprintln!("[bench] stand-in served {stats}");
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}

/// The steady-state cycle again, split into `SHARDS` shard cycles run one after
/// the other: their sum (the work) and the slowest (the wall time when the
/// shards run in parallel, as fanned-out invocations do).
async fn sharded_steady_state<S, F, A, C, K>(
    ctx: &mut Context<S, F, A, C, K>,
    n: usize,
    label: &'static str,
    rows: &mut Vec<Row>,
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
    let (mut sum, mut slowest) = (Row::zero(n, label, "steady, 4 shards (sum)"), 0);
    for shard in fjc_core::shard::Shard::all(SHARDS) {
        let p = begin();
        let r = reconcile(ctx, &Scope::Shard(shard)).await?;
        let one = row(n, label, "", p, &r);
        slowest = slowest.max(one.wall_ms);
        sum.add(&one);
    }
    ctx.settings.shards = 1;
    eprintln!(
        "[bench] {n} jobs in {SHARDS} shards: sum {} ms, slowest shard {slowest} ms, {} reads",
        sum.wall_ms, sum.dynamo_reads
    );
    rows.push(sum);
    Ok(())
}

impl Row {
    fn zero(n: usize, mode: &'static str, phase: &'static str) -> Row {
        Row {
            n,
            mode,
            phase,
            wall_ms: 0,
            cpu_ms: 0,
            flink_calls: 0,
            dynamo_reads: 0,
            dynamo_writes: 0,
            actions: 0,
            rss_mib: 0.0,
        }
    }

    fn add(&mut self, o: &Row) {
        self.wall_ms += o.wall_ms;
        self.cpu_ms += o.cpu_ms;
        self.flink_calls += o.flink_calls;
        self.dynamo_reads += o.dynamo_reads;
        self.dynamo_writes += o.dynamo_writes;
        self.actions += o.actions;
        self.rss_mib = self.rss_mib.max(o.rss_mib);
    }
}

/// The stand-in's request counts (`GET /stand-in/stats`).
fn stand_in_stats(url: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    match std::net::TcpStream::connect(addr) {
        Ok(mut s) => {
            let _ = write!(
                s,
                "GET /stand-in/stats HTTP/1.1\r\nhost: stand-in\r\nconnection: close\r\n\r\n"
            );
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
        }
        Err(e) => e.to_string(),
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

fn print(rows: &[Row]) {
    println!(
        "| jobs | observation | cycle | wall ms | controller CPU ms | Flink calls | DynamoDB reads (pages) | DynamoDB writes | actions | peak RSS MiB |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} |",
            r.n,
            r.mode,
            r.phase,
            r.wall_ms,
            r.cpu_ms,
            r.flink_calls,
            r.dynamo_reads,
            r.dynamo_writes,
            r.actions,
            r.rss_mib
        );
    }
    println!();
    let find = |n: usize, mode: &str, phase: &str| {
        rows.iter()
            .find(|r| r.n == n && r.mode == mode && r.phase == phase)
    };
    let sizes: std::collections::BTreeSet<usize> = rows.iter().map(|r| r.n).collect();
    for n in sizes {
        for phase in ["steady state", "1% changed"] {
            if let (Some(o), Some(p)) = (find(n, "overview", phase), find(n, "per-job", phase)) {
                println!(
                    "{n} jobs, {phase}: per-job / overview = {:.1}x wall time, {:.0}x Flink calls",
                    p.wall_ms as f64 / (o.wall_ms.max(1)) as f64,
                    p.flink_calls as f64 / (o.flink_calls.max(1)) as f64
                );
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("stand-in") {
        return run_stand_in().await;
    }
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--jobs") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--jobs needs a list, e.g. 1000,10000")?
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<usize>()
                    .map_err(|e| format!("--jobs {s:?}: {e}"))
            })
            .collect::<Result<_, _>>()?,
        None => vec![1000, 10000],
    };
    let mut rows = Vec::new();
    for n in sizes {
        for mode in [ObserveMode::Overview, ObserveMode::PerJob] {
            workload(n, mode, &mut rows).await?;
        }
    }
    print(&rows);
    Ok(())
}
