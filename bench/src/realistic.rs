//! The realistic fleet (issue 15, `--fleet realistic`).
//!
//! 80% stream jobs that checkpoint (`checkpoint_interval` spread over 10–60 s) and
//! upgrade with a savepoint, their jars in S3 (moto): three builds of 20, 35 and
//! 60 MB shared by the jobs, as jobs from the same build share one, each spec
//! pinning its jar's sha256. 20% batch jobs as in the stateless fleet. The Flink
//! side is the stand-in (a fake, `stand_in.rs`): it writes and deletes the jobs'
//! checkpoints on disk and takes savepoints, so the controller's restore
//! discovery lists real files.
//!
//! One table per size. It is deployed once (the first deploy is measured once),
//! then measured repeatedly: in each of `runs` rounds, for each observation mode
//! in turn on the same table:
//! - **steady state**: nothing changed, every job recorded RUNNING and STABLE;
//! - **1% changed**: every 100th job's spec changes an argument (a different 1%
//!   each time), so it is upgraded with a savepoint: stop-with-savepoint, the jar
//!   fetched from S3, uploaded, the new job submitted from the savepoint. Its first
//!   cycle, and the sum of the cycles until every changed job is RUNNING again;
//! - **1% vanished**: every 100th job (another 1%) disappears from the stand-in,
//!   as after a JobManager restart without HA, and is recovered from the
//!   checkpoints discovered on disk. Its first tick, and the sum until RUNNING.
//!
//! Between scenarios, unmeasured cycles run until the fleet is at rest again
//! (changed jobs recorded RUNNING, then STABLE after `stable_after`).
//!
//! The fleet itself (specs, jars in S3, the setup's artifact source) is in
//! `fleet`; the measured scenarios in `scenario`.

mod fleet;
mod scenario;

use std::time::{Duration, Instant};

use fjc_aws::artifacts::Artifacts;
use fjc_aws::dynamo::DynamoStore;
use fjc_aws::wiring;
use fjc_core::clock::SystemClock;
use fjc_core::config::ObserveMode;
use fjc_core::context::{Context, Ports, owner_id};
use fjc_spec::JobSpec;

use crate::Error;
use crate::harness::{
    StandInProc, apply_all, bench_config, bench_settings, delta, deltas, measure, rand_suffix,
    report_failures, tick_once,
};
use crate::report::Sample;
use fleet::{STABLE_AFTER_S, SetupArtifacts, fleet_spec, upload_jars};
use scenario::Bench;

/// Unmeasured cycles until the fleet is at rest: a cycle with no action, at
/// least `STABLE_AFTER_S` + 3 s after the last cycle that had one (so jobs that
/// were just recorded RUNNING have also been recorded STABLE).
async fn settle<P: Ports>(ctx: &Context<P>, why: &str) -> Result<(), Error> {
    let quiet = Duration::from_secs(STABLE_AFTER_S + 3);
    let started = Instant::now();
    let mut last_action = Instant::now();
    let mut cycles = 0;
    loop {
        let r = tick_once(ctx).await?;
        cycles += 1;
        report_failures(why, &r);
        if !r.actions.is_empty() {
            last_action = Instant::now();
        } else if last_action.elapsed() >= quiet {
            break;
        } else {
            tokio::time::sleep(quiet.saturating_sub(last_action.elapsed())).await;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err(format!("{why}: the fleet did not come to rest in 30 minutes").into());
        }
    }
    eprintln!(
        "[bench] at rest after {why}: {cycles} cycles, {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The realistic fleet of `n` jobs: set up, deployed once, then `runs` rounds of
/// steady state, 1% changed and 1% vanished in each observation mode.
pub async fn run(n: usize, runs: usize, samples: &mut Vec<Sample>) -> Result<(), Error> {
    let moto = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| "AWS_ENDPOINT_URL (moto) is not set; run scripts/bench.sh")?;
    let work = tempfile::tempdir()?;
    let storage = work.path().join("flink");
    let stand_in = StandInProc::start(&storage, Some(&moto))?;
    let s3_url = stand_in
        .s3_url
        .clone()
        .ok_or("the stand-in started no S3 relay")?;
    let sdk = wiring::aws_config().await;
    let bucket = format!("fjc-bench-jars-{:08x}", rand_suffix());
    let jars = upload_jars(&sdk, &bucket, work.path()).await?;
    let local_root = work.path().join("artifacts");
    std::fs::create_dir_all(&local_root)?;
    std::fs::write(local_root.join("job.jar"), vec![0x50u8; 4096])?;

    let table = format!("fjc-bench-fleet-{n}-{:08x}", rand_suffix());
    let config = bench_config(&table, &stand_in.url);
    wiring::bootstrap(&config).await?;
    let secrets = wiring::secrets(&sdk, &config);
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    // The controller reads S3 through the stand-in's counting relay.
    let relayed = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&s3_url)
        .load()
        .await;
    let artifacts = Artifacts::new(
        fjc_core::artifacts::ArtifactRoots::new([local_root]),
        Some(wiring::s3_client(&relayed)),
        work.path().join("downloads"),
    );
    let specs: Vec<JobSpec> = (0..n)
        .map(|i| fleet_spec(i, n, "v1", &jars))
        .collect::<Result<_, _>>()?;
    let stream = specs
        .iter()
        .filter(|s| s.job_type == fjc_spec::JobType::Stream)
        .count();
    eprintln!(
        "[bench] realistic fleet of {n}: {stream} stream jobs (savepoint mode, checkpoints every 10–60 s, \
         jars of 20/35/60 MB in s3://{bucket}), {} batch jobs; storage {}",
        n - stream,
        storage.display()
    );
    let t = Instant::now();
    let before = stand_in.stats()?;
    {
        let setup = SetupArtifacts {
            inner: &artifacts,
            kept: Default::default(),
        };
        apply_all(&store, &setup, specs).await?;
    }
    eprintln!(
        "[bench] {n} specs applied in {:.1} s ({:.1} MB read from S3: each distinct jar once)",
        t.elapsed().as_secs_f64(),
        delta(&before, &stand_in.stats()?, "s3_bytes_read") as f64 / 1e6
    );
    let mut ctx = Context::new(
        store,
        fjc_core::setup::flink_clients(&config, &secrets)?,
        artifacts,
        SystemClock,
        secrets,
        bench_settings(ObserveMode::Overview),
        owner_id("bench"),
    );

    let before = stand_in.stats()?;
    let (first, _) = measure(&ctx, &stand_in, n, "overview", "first deploy (once)").await?;
    eprintln!(
        "[bench] first deploy: {} ms; stand-in: {}",
        first.wall_ms,
        deltas(&before, &stand_in.stats()?)
    );
    samples.push(first);
    settle(&ctx, "first deploy").await?;

    // Residues k of `i % 100 == k` that pick stream jobs (batch jobs are i % 5 == 4).
    let mut residues = (0..100).filter(|k| k % 5 != 4);
    for round in 1..=runs {
        for mode in [ObserveMode::Overview, ObserveMode::PerJob] {
            let label = match mode {
                ObserveMode::Overview => "overview",
                ObserveMode::PerJob => "per-job",
            };
            ctx.settings.observe = mode;
            eprintln!("[bench] realistic fleet, {n} jobs, run {round}/{runs}, {label}");
            let bench = Bench {
                ctx: &ctx,
                stand_in: &stand_in,
                n,
                jars: &jars,
            };
            let before = stand_in.stats()?;
            let (steady, _) = measure(&ctx, &stand_in, n, label, "steady state").await?;
            eprintln!(
                "[bench] {label} steady state: {} ms; stand-in: {}",
                steady.wall_ms,
                deltas(&before, &stand_in.stats()?)
            );
            samples.push(steady);
            let k = residues.next().ok_or("out of residues")?;
            bench
                .changed(label, k, &format!("r{round}-{label}"), samples)
                .await?;
            settle(&ctx, "1% changed").await?;
            let k = residues.next().ok_or("out of residues")?;
            bench.vanished(label, k, samples).await?;
            settle(&ctx, "1% vanished").await?;
        }
    }
    eprintln!("[bench] stand-in at the end: {}", stand_in.stats()?);
    Ok(())
}
