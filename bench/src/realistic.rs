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
//!   checkpoints discovered on disk. Its first cycle, and the sum until RUNNING.
//!
//! Between scenarios, unmeasured cycles run until the fleet is at rest again
//! (changed jobs recorded RUNNING, then STABLE after `stable_after`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use fjc_core::artifacts::{
    ArtifactError, ArtifactInfo, ArtifactSource, Artifacts, FetchedArtifact, sha256_file,
};
use fjc_core::clock::SystemClock;
use fjc_core::config::ObserveMode;
use fjc_core::context::{Context, owner_id};
use fjc_core::cycle::{Scope, reconcile};
use fjc_core::state::Lifecycle;
use fjc_core::store::Store;
use fjc_core::store::dynamo::DynamoStore;
use fjc_core::wiring;
use fjc_flink::JobId;
use fjc_spec::JobSpec;
use serde_json::json;

use crate::report::Sample;
use crate::{
    Error, StandInProc, apply_all, batch_spec, bench_config, bench_settings, delta, deltas,
    measure, rand_suffix,
};

/// The jar builds the stream jobs share: S3 key and size in bytes.
const BUILDS: [(&str, u64); 3] = [
    ("builds/orders-stream-1.14.2.jar", 20_000_000),
    ("builds/enrichment-2.3.0.jar", 35_000_000),
    ("builds/analytics-4.1.7-all.jar", 60_000_000),
];

/// `deployment.stable_after` of the fleet (default 1 m): shorter, so the fleet is
/// at rest sooner between scenarios. It changes when the one write that marks a
/// job STABLE happens, not whether.
const STABLE_AFTER_S: u64 = 20;

/// One jar in S3.
struct Jar {
    path: String,
    digest: String,
}

/// The spec of job `i` of `n`; `note` is the argument a change changes.
fn fleet_spec(i: usize, n: usize, note: &str, jars: &[Jar]) -> Result<JobSpec, Error> {
    let id = format!("fleet-{n}-{i:05}");
    let value = if i % 5 == 4 {
        batch_spec(&id, i)
    } else {
        let jar = &jars[i % jars.len()];
        let interval = 10 + (i * 37) % 51;
        json!({
            "job_id": id, "job_type": "stream",
            "artifact_path": jar.path, "artifact_signature": jar.digest,
            "entry_class": "bench.Stream", "args": ["--i", i.to_string(), "--note", note],
            "deployment": {
                "parallelism": 2, "upgrade_mode": "savepoint",
                "checkpoint_interval": format!("{interval}s"),
                "stable_after": format!("{STABLE_AFTER_S}s"),
            },
            "env_vars": {"REGION": "eu-west-1", "TEAM": format!("team-{}", i % 40)},
        })
    };
    Ok(serde_json::from_value(value)?)
}

/// Writes `size` pseudo-random bytes (a zip's magic first) to `path`.
fn write_jar(path: &Path, size: u64, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    let mut first = true;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        if first {
            buf[..4].copy_from_slice(b"PK\x03\x04");
            first = false;
        }
        let k = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        file.write_all(&buf[..k])?;
        left -= k as u64;
    }
    file.flush()
}

/// Builds the jars and puts them into `bucket`, through `sdk`'s endpoint (moto
/// itself, not the counting relay).
async fn upload_jars(
    sdk: &aws_config::SdkConfig,
    bucket: &str,
    dir: &Path,
) -> Result<Vec<Jar>, Error> {
    let s3 = wiring::s3_client(sdk);
    if let Err(e) = s3.create_bucket().bucket(bucket).send().await {
        let text = format!("{e:?}");
        if !text.contains("BucketAlreadyOwnedByYou") {
            return Err(format!("create bucket {bucket}: {text}").into());
        }
    }
    let mut jars = Vec::new();
    for (seed, (key, size)) in (1u64..).zip(BUILDS) {
        let file = dir.join(format!("jar-{seed}.jar"));
        write_jar(&file, size, seed.wrapping_mul(0x2545_f491_4f6c_dd1d))?;
        let (digest, _) = sha256_file(&file).await?;
        let bytes = tokio::fs::read(&file).await?;
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| format!("put s3://{bucket}/{key}: {e:?}"))?;
        let _ = std::fs::remove_file(&file);
        jars.push(Jar {
            path: format!("s3://{bucket}/{key}"),
            digest,
        });
    }
    Ok(jars)
}

/// The artifact source of the initial `apply` only: the real one, asked once per
/// distinct jar. `apply` downloads each spec's jar in full to take its digest;
/// for thousands of specs sharing three jars that would read tens of GB from
/// moto before anything is measured. What a spec change applies later goes
/// through the real source, one download per spec, as `fjc apply` does.
struct SetupArtifacts<'a> {
    inner: &'a Artifacts,
    kept: std::sync::Mutex<BTreeMap<String, FetchedArtifact>>,
}

impl SetupArtifacts<'_> {
    fn cached(&self, path: &str) -> Option<FetchedArtifact> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(path).map(|f| FetchedArtifact {
            path: f.path.clone(),
            info: f.info.clone(),
            _temp: None,
        })
    }
}

impl ArtifactSource for SetupArtifacts<'_> {
    async fn describe(&self, path: &str) -> Result<ArtifactInfo, ArtifactError> {
        Ok(self.fetch(path, None).await?.info)
    }

    async fn fetch_signature(&self, path: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        self.inner.fetch_signature(path).await
    }

    async fn fetch(
        &self,
        path: &str,
        version: Option<&str>,
    ) -> Result<FetchedArtifact, ArtifactError> {
        if version.is_some() {
            return self.inner.fetch(path, version).await;
        }
        if let Some(f) = self.cached(path) {
            return Ok(f);
        }
        let fetched = self.inner.fetch(path, None).await?;
        let copy = FetchedArtifact {
            path: fetched.path.clone(),
            info: fetched.info.clone(),
            _temp: None,
        };
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), fetched);
        Ok(copy)
    }
}

/// The Flink job ids the stored states of `ids` name.
async fn flink_ids<S: Store>(
    store: &S,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, Option<JobId>>, Error> {
    Ok(store
        .list_states()
        .await?
        .into_iter()
        .filter(|s| ids.contains(&s.job_id))
        .map(|s| (s.job_id, s.flink_job_id))
        .collect())
}

/// Whether every job of `old` runs under a new Flink job id, recorded RUNNING
/// (or STABLE) with no operation in flight.
async fn all_replaced<S: Store>(
    store: &S,
    old: &BTreeMap<String, Option<JobId>>,
) -> Result<bool, Error> {
    let states = store.list_states().await?;
    Ok(old.iter().all(|(id, was)| {
        states.iter().find(|s| &s.job_id == id).is_some_and(|s| {
            matches!(s.lifecycle, Lifecycle::Running | Lifecycle::Stable)
                && s.operation.is_none()
                && s.flink_job_id.is_some()
                && &s.flink_job_id != was
        })
    }))
}

/// Unmeasured cycles until the fleet is at rest: a cycle with no action, at
/// least `STABLE_AFTER_S` + 3 s after the last cycle that had one (so jobs that
/// were just recorded RUNNING have also been recorded STABLE).
async fn settle<S, F, A, C, K>(ctx: &Context<S, F, A, C, K>, why: &str) -> Result<(), Error>
where
    S: Store,
    F: fjc_flink::FlinkApi,
    A: ArtifactSource,
    C: fjc_core::clock::Clock,
    K: fjc_core::secrets::SecretSource,
{
    let quiet = Duration::from_secs(STABLE_AFTER_S + 3);
    let started = Instant::now();
    let mut last_action = Instant::now();
    let mut cycles = 0;
    loop {
        let r = reconcile(ctx, &Scope::All).await?;
        cycles += 1;
        crate::report_failures(why, &r);
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

/// What a scenario needs.
struct Bench<'a, S, F, A, C, K> {
    ctx: &'a Context<S, F, A, C, K>,
    stand_in: &'a StandInProc,
    n: usize,
    jars: &'a [Jar],
}

impl<S, F, A, C, K> Bench<'_, S, F, A, C, K>
where
    S: Store,
    F: fjc_flink::FlinkApi,
    A: ArtifactSource,
    C: fjc_core::clock::Clock,
    K: fjc_core::secrets::SecretSource,
{
    /// The first cycle, then cycles until every job of `old` is RUNNING again
    /// under a new Flink job id: both samples.
    async fn until_replaced(
        &self,
        label: &'static str,
        first: &'static str,
        sum: &'static str,
        old: &BTreeMap<String, Option<JobId>>,
    ) -> Result<(Sample, Sample), Error> {
        let (one, _) = measure(self.ctx, self.stand_in, self.n, label, first).await?;
        let mut all = one.clone();
        all.phase = sum;
        while !all_replaced(&self.ctx.store, old).await? {
            if all.cycles >= 20 {
                return Err(format!("{sum}: not all RUNNING again after 20 cycles").into());
            }
            let (s, _) = measure(self.ctx, self.stand_in, self.n, label, sum).await?;
            all.add(&s);
        }
        Ok((one, all))
    }

    /// Every 100th job (those with `i % 100 == k`) gets a new argument and is
    /// upgraded with a savepoint.
    async fn changed(
        &self,
        label: &'static str,
        k: usize,
        note: &str,
        samples: &mut Vec<Sample>,
    ) -> Result<(), Error> {
        let picked: Vec<usize> = (0..self.n).filter(|i| i % 100 == k).collect();
        let specs: Vec<JobSpec> = picked
            .iter()
            .map(|&i| fleet_spec(i, self.n, note, self.jars))
            .collect::<Result<_, _>>()?;
        let ids: BTreeSet<String> = specs.iter().map(|s| s.job_id.clone()).collect();
        let old = flink_ids(&self.ctx.store, &ids).await?;
        let before = self.stand_in.stats()?;
        let t = Instant::now();
        apply_all(&self.ctx.store, &self.ctx.artifacts, specs).await?;
        let applied = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} changed specs applied in {:.1} s, {:.1} MB read from S3 (apply takes each jar's digest)",
            ids.len(),
            t.elapsed().as_secs_f64(),
            delta(&before, &applied, "s3_bytes_read") as f64 / 1e6
        );
        let (one, all) = self
            .until_replaced(
                label,
                "1% changed: first cycle",
                "1% changed: until all RUNNING (sum)",
                &old,
            )
            .await?;
        let after = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} jobs upgraded in {} cycles; stand-in: {}",
            ids.len(),
            all.cycles,
            deltas(&applied, &after)
        );
        if delta(&applied, &after, "run_from_savepoint") < ids.len() as u64 {
            eprintln!("[bench] {label}: WARNING: fewer runs from a savepoint than changed jobs");
        }
        samples.push(one);
        samples.push(all);
        Ok(())
    }

    /// Every 100th job (`i % 100 == k`) vanishes from the stand-in and is
    /// recovered from its checkpoints, found in storage.
    async fn vanished(
        &self,
        label: &'static str,
        k: usize,
        samples: &mut Vec<Sample>,
    ) -> Result<(), Error> {
        let ids: BTreeSet<String> = (0..self.n)
            .filter(|i| i % 100 == k)
            .map(|i| format!("fleet-{}-{i:05}", self.n))
            .collect();
        let old = flink_ids(&self.ctx.store, &ids).await?;
        let gone: Vec<String> = old.values().flatten().map(|j| j.to_string()).collect();
        let before = self.stand_in.stats()?;
        let answer = self
            .stand_in
            .call("POST", "/stand-in/vanish", Some(&json!(gone)))?;
        let (one, all) = self
            .until_replaced(
                label,
                "1% vanished: first cycle",
                "1% vanished: until all RUNNING (sum)",
                &old,
            )
            .await?;
        let after = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} of {} jobs vanished, recovered in {} cycles; stand-in: {}",
            answer["vanished"],
            ids.len(),
            all.cycles,
            deltas(&before, &after)
        );
        if delta(&before, &after, "run_from_checkpoint") < ids.len() as u64 {
            eprintln!("[bench] {label}: WARNING: fewer runs from a checkpoint than vanished jobs");
        }
        samples.push(one);
        samples.push(all);
        Ok(())
    }
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
        Some(local_root),
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
        wiring::flink_clients(&config, &secrets)?,
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
