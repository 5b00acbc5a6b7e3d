//! The stateless fleet (issue 9's benchmark, `--fleet stateless`): 80% stream jobs
//! in `stateless` mode without checkpointing, 20% batch jobs on a yearly schedule,
//! a 4 KB local jar; each run on a fresh table.

use std::time::Instant;

use fjc_aws::artifacts::Artifacts;
use fjc_aws::dynamo::DynamoStore;
use fjc_aws::wiring;
use fjc_core::clock::SystemClock;
use fjc_core::config::ObserveMode;
use fjc_core::context::{Context, Ports, owner_id};
use fjc_core::cycle::{Scope, load, plan_of, reconcile};
use fjc_spec::JobSpec;
use serde_json::Value;

use crate::Error;
use crate::harness::{
    StandInProc, apply_all, bench_config, bench_settings, delta, measure, rand_suffix,
};
use crate::report::{Sample, begin};

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
pub(crate) fn batch_spec(id: &str, i: usize) -> Value {
    serde_json::json!({
        "job_id": id, "job_type": "batch", "artifact_path": "job.jar",
        "entry_class": "bench.Batch", "args": ["--i", i.to_string()],
        "batch_config": {"cron": "0 0 1 1 *"},
    })
}

/// Issue 9's workload on a fresh table: first deploy, steady state (and, in
/// overview mode, the same as 4 shard cycles), then 1% of the specs changed.
pub(crate) async fn workload(
    n: usize,
    mode: ObserveMode,
    samples: &mut Vec<Sample>,
) -> Result<(), Error> {
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
        fjc_core::artifacts::ArtifactRoots::new([artifacts_dir.path().to_path_buf()]),
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
        fjc_core::setup::flink_clients(&config, &secrets)?,
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

/// The steady-state cycle again, split into `SHARDS` shard cycles run one after
/// the other: their sum (the work) and the slowest (the wall time when the
/// shards run in parallel, as fanned-out invocations do).
async fn sharded_steady_state<P: Ports>(
    ctx: &mut Context<P>,
    stand_in: &StandInProc,
    n: usize,
    label: &'static str,
    samples: &mut Vec<Sample>,
) -> Result<(), Error> {
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
