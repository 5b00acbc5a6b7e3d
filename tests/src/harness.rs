//! A per-test world: its own DynamoDB table and artifact root, real adapters, and
//! helpers to apply specs, run cycles and watch the real Flink cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fjc_aws::artifacts::Artifacts;
use fjc_aws::dynamo::DynamoStore;
use fjc_aws::wiring::{self, RealSecrets};
use fjc_core::apply::{Applied, Caller, SourcedSpec, apply};
use fjc_core::clock::{OffsetClock, SystemClock};
use fjc_core::config::{Config, ReconcileConfig};
use fjc_core::context::{Context, owner_id};
use fjc_core::cycle::{CycleReport, Scope, reconcile};
use fjc_core::error::CoreError;
use fjc_core::flink_auth::AuthedFlink;
use fjc_core::policy::Security;
use fjc_core::state::JobState;
use fjc_core::store::{ControlStore, SpecRecord, SpecStore, StateStore, Store};
use fjc_core::tick::{TickPlan, tick};
use fjc_flink::rest::{RestClient, RestClientConfig};
use fjc_flink::{FlinkApi, FlinkJobState, JobId, JobSummary};
use fjc_spec::JobSpec;

use crate::LocalEnv;

/// The context tests use: real adapters, and a clock the test can jump forward.
pub type TestContext = Context<(
    DynamoStore,
    AuthedFlink<RealSecrets>,
    Artifacts,
    OffsetClock,
    RealSecrets,
)>;

/// How a world's controller reaches its cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterAccess {
    /// REST URL (default: the real local cluster).
    pub url: Option<String>,
    /// Credentials secret id.
    pub credentials_secret: Option<String>,
}

/// One test's isolated world.
pub struct World {
    /// Service locations.
    pub env: LocalEnv,
    /// This test's table.
    pub table: String,
    /// This test's artifact root.
    pub artifact_root: tempfile::TempDir,
    /// This test's output dir for job files.
    pub out_dir: PathBuf,
    /// A reconcile context with real adapters.
    pub ctx: TestContext,
    /// The context's clock (jump it forward to reach fire times).
    pub clock: OffsetClock,
    /// A direct Flink client, for checking what really runs.
    pub flink: RestClient,
    /// The cluster's credentials secret, when the world has one.
    pub secret_id: Option<String>,
}

/// A unique, valid name for tables and job ids.
pub fn unique(prefix: &str) -> String {
    let n: u32 = rand_u32();
    format!("{prefix}-{n:08x}")
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}

/// An S3 client for moto (path-style addressing).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A Flink client for `url` with the users' default settings but `timeout` per
/// request.
pub fn flink_client(url: &str, timeout: Duration) -> RestClient {
    RestClient::new(RestClientConfig {
        request_timeout: timeout,
        ..fjc_core::setup::rest_config(&fjc_core::config::FlinkClientConfig::default(), url)
    })
    .expect("flink client")
}

/// A controller-side Flink client, plain or with credentials from a secret, with
/// the timeouts and retries users get by default (`flink.*` of the
/// configuration): a PyFlink run on a JobManager just restarted takes over 10 s.
pub fn authed_client(
    url: &str,
    secret: Option<String>,
    secrets: &std::sync::Arc<RealSecrets>,
) -> AuthedFlink<RealSecrets> {
    let base = fjc_core::setup::rest_config(&fjc_core::config::FlinkClientConfig::default(), url);
    AuthedFlink::new(base, secret, secrets.clone()).expect("flink client")
}

impl World {
    /// A new world with a fresh table; the test jars are copied into its root.
    pub async fn new(name: &str) -> World {
        Self::with_flink_url(name, None).await
    }

    /// Same, with the controller pointed at `flink_url` instead of the real cluster.
    pub async fn with_flink_url(name: &str, flink_url: Option<&str>) -> World {
        let access = ClusterAccess {
            url: flink_url.map(str::to_string),
            credentials_secret: None,
        };
        Self::with_access(name, access, Security::default()).await
    }

    /// Same, with the cluster's URL and credentials secret and security settings
    /// chosen by the test.
    pub async fn with_access(name: &str, access: ClusterAccess, security: Security) -> World {
        let env = LocalEnv::from_env();
        let table = unique(&format!("fjc-it-{name}"));
        let artifact_root = tempfile::tempdir().expect("tempdir");
        for jar in ["stream-counter.jar", "batch-sum.jar"] {
            std::fs::copy(env.job_jar(jar), artifact_root.path().join(jar)).expect("copy jar");
        }
        let out_dir = env.out_dir.join(&table);
        std::fs::create_dir_all(&out_dir).expect("out dir");
        let config = Config {
            table: table.clone(),
            ..Config::default()
        };
        wiring::bootstrap(&config).await.expect("bootstrap table");
        let sdk = wiring::aws_config().await;
        let secrets = wiring::secrets(&sdk, &config);
        let url = access.url.as_deref().unwrap_or(&env.flink_url);
        let clusters = BTreeMap::from([(
            "default".to_string(),
            authed_client(url, access.credentials_secret.clone(), &secrets),
        )]);
        let artifacts = Artifacts::new(
            fjc_core::artifacts::ArtifactRoots::new([artifact_root.path().to_path_buf()]),
            Some(s3_client(&sdk)),
            std::env::temp_dir().join("fjc-it"),
        );
        let settings = ReconcileConfig {
            cancel_wait_seconds: 30,
            ..ReconcileConfig::default()
        };
        let clock = OffsetClock::new();
        let ctx = Context::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table),
            clusters,
            artifacts,
            clock.clone(),
            secrets,
            settings,
            owner_id("it"),
        )
        .with_security(security)
        .with_runners(env.runners());
        let flink = flink_client(&env.flink_url, Duration::from_secs(10));
        World {
            env,
            table,
            artifact_root,
            out_dir,
            ctx,
            clock,
            flink,
            secret_id: access.credentials_secret,
        }
    }

    /// A second context on the same table (another reconciler).
    pub async fn another_reconciler(&self) -> TestContext {
        self.reconciler_with(
            |store, flink| (store, flink),
            ReconcileConfig::default(),
            "it2",
        )
        .await
    }

    /// A reconciler on this world's table and cluster whose store and Flink client
    /// `wrap` may put something in front of (a fault plan, a counter).
    pub async fn reconciler_with<S, F>(
        &self,
        wrap: impl FnOnce(DynamoStore, AuthedFlink<RealSecrets>) -> (S, F),
        settings: ReconcileConfig,
        owner: &str,
    ) -> Context<(S, F, Artifacts, OffsetClock, RealSecrets)>
    where
        S: Store,
        F: FlinkApi,
    {
        let sdk = wiring::aws_config().await;
        let secrets = wiring::secrets(&sdk, &Config::default());
        let (store, flink) = wrap(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &self.table),
            authed_client(&self.env.flink_url, None, &secrets),
        );
        Context::new(
            store,
            BTreeMap::from([("default".to_string(), flink)]),
            Artifacts::new(
                fjc_core::artifacts::ArtifactRoots::new([self.artifact_root.path().to_path_buf()]),
                None,
                std::env::temp_dir().join("fjc-it"),
            ),
            self.clock.clone(),
            secrets,
            settings,
            owner_id(owner),
        )
        .with_runners(self.env.runners())
    }

    /// Where the real cluster keeps checkpoints and savepoints, on this machine
    /// (Flink 2 key names, else 1.x ones).
    pub async fn storage_dirs(&self) -> StorageDirs {
        let config = self.flink.cluster_config().await.expect("cluster config");
        let dir = |new: &str, old: &str| {
            on_disk(
                config
                    .get(new)
                    .or_else(|| config.get(old))
                    .unwrap_or_else(|| panic!("{new} configured")),
            )
        };
        StorageDirs {
            checkpoints: dir("execution.checkpointing.dir", "state.checkpoints.dir"),
            savepoints: dir(
                "execution.checkpointing.savepoint-dir",
                "state.savepoints.dir",
            ),
        }
    }

    /// A streaming counter spec (parallelism 1) writing below this world's out dir.
    pub fn stream_spec(&self, job_id: &str) -> JobSpec {
        let out = self.out_dir.join(job_id);
        serde_json::from_value(serde_json::json!({
            "job_id": job_id,
            "job_type": "stream",
            "artifact_path": "stream-counter.jar",
            "entry_class": "fjc.testjobs.StreamCounter",
            "args": ["--out-dir", out.display().to_string(), "--rate", "10"],
            "deployment": {"parallelism": 1, "checkpoint_interval": "2s"},
            "stream_config": {"checkpoint_timeout": "60s"},
            // Awkward values: Flink must accept them as global job parameters.
            "env_vars": {"APP_MODE": "demo", "LIST": "a,b", "URL": "http://h:1/x", "Q": "it's"},
        }))
        .expect("stream spec")
    }

    /// A PyFlink stream spec running `examples/py-counts.py` (the example
    /// `scripts/local.sh` deploys), copied below this world's artifact root as
    /// `<job_id>.py`, with `args`, checkpoints every 5 s and savepoint upgrades.
    pub fn python_spec(&self, job_id: &str, args: &[&str]) -> JobSpec {
        let example =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/py-counts.py");
        let file = format!("{job_id}.py");
        std::fs::copy(&example, self.artifact_root.path().join(&file))
            .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        serde_json::from_value(serde_json::json!({
            "job_id": job_id,
            "job_type": "stream",
            "artifact_path": file,
            "args": args,
            "deployment": {"parallelism": 1, "checkpoint_interval": "5s", "upgrade_mode": "savepoint"},
        }))
        .expect("python spec")
    }

    /// A batch spec summing 1..=n into a file of this world's out dir.
    pub fn batch_spec(&self, job_id: &str, n: u64) -> JobSpec {
        let out = self.out_dir.join(format!("{job_id}.txt"));
        serde_json::from_value(serde_json::json!({
            "job_id": job_id,
            "job_type": "batch",
            "artifact_path": "batch-sum.jar",
            "entry_class": "fjc.testjobs.BatchSum",
            "args": ["--n", n.to_string(), "--out", out.display().to_string()],
            "deployment": {"parallelism": 1},
            "batch_config": {"cleanup_on_completion": true},
        }))
        .expect("batch spec")
    }

    /// Applies specs through the same code as `fjc apply`.
    pub async fn apply(&self, specs: Vec<JobSpec>) -> Vec<Applied> {
        self.try_apply(specs).await.expect("apply")
    }

    /// Applies specs; the error when they are refused.
    pub async fn try_apply(&self, specs: Vec<JobSpec>) -> Result<Vec<Applied>, CoreError> {
        let sourced = specs
            .into_iter()
            .map(|spec| SourcedSpec {
                source: "test".into(),
                spec,
            })
            .collect();
        let caller = Caller {
            actor: "local:it@test",
            security: &self.ctx.security,
        };
        apply(
            &self.ctx.store,
            &self.ctx.artifacts,
            &SystemClock,
            caller,
            sourced,
        )
        .await
    }

    /// Deletes a spec through the same code as `fjc delete`.
    pub async fn delete(&self, job_id: &str) -> Result<(), CoreError> {
        fjc_core::apply::delete(&self.ctx.store, &self.ctx.clock, "local:it@test", job_id).await
    }

    /// One tick over everything, as the `reconcile` Lambda and `fjc reconcile`
    /// run it: a cycle, then the cycles of the jobs whose operations asked to be
    /// looked at again (within `cancel_wait_seconds`), told as one report
    /// ([`fjc_core::tick::TickReport::combined`]).
    pub async fn cycle(&self) -> CycleReport {
        let scopes = [Scope::All];
        let plan = TickPlan {
            scopes: &scopes,
            view: false,
            publish: false,
            correlation_id: None,
            deadline: None,
            stop: None,
        };
        tick::<_, fjc_aws::dashboard::Publisher>(&self.ctx, None, plan, |_, _| {})
            .await
            .expect("cycle")
            .combined()
            .expect("a tick runs a cycle")
    }

    /// Exactly one reconcile cycle over everything: operations that ask to be
    /// looked at again pause (the next cycle goes on with them).
    pub async fn one_cycle(&self) -> CycleReport {
        reconcile(&self.ctx, &Scope::All).await.expect("cycle")
    }

    /// The stored state of a job.
    pub async fn state(&self, job_id: &str) -> Option<JobState> {
        self.ctx
            .store
            .list_states()
            .await
            .expect("states")
            .into_iter()
            .find(|s| s.job_id == job_id)
    }

    /// The stored spec of a job.
    pub async fn spec_record(&self, job_id: &str) -> Option<SpecRecord> {
        self.ctx.store.get_spec(job_id).await.expect("spec")
    }

    /// What the real cluster shows for a Flink job id.
    pub async fn flink_job(&self, id: &JobId) -> Option<JobSummary> {
        self.flink
            .list_jobs()
            .await
            .expect("list jobs")
            .into_iter()
            .find(|j| &j.id == id)
    }

    /// Every job on the real cluster with this name.
    pub async fn jobs_named(&self, name: &str) -> Vec<JobSummary> {
        self.flink
            .list_jobs()
            .await
            .expect("list jobs")
            .into_iter()
            .filter(|j| j.name == name)
            .collect()
    }

    /// The jobs of spec `job_id` on the real cluster that have not ended.
    pub async fn live_jobs(&self, job_id: &str) -> Vec<JobSummary> {
        self.jobs_named(&format!("fjc:{job_id}"))
            .await
            .into_iter()
            .filter(|j| !j.state.is_globally_terminal())
            .collect()
    }

    /// Waits until the real cluster shows `id` in `state` (panics after `timeout`);
    /// RUNNING also means every task runs.
    pub async fn wait_flink_state(&self, id: &JobId, state: FlinkJobState, timeout: Duration) {
        let all_tasks = state == FlinkJobState::Running;
        self.wait_flink(id, &state, timeout, |j| {
            !all_tasks || j.tasks_running == j.tasks_total
        })
        .await
    }

    /// Waits until the real cluster shows `id` in `state`, whatever its tasks do
    /// (a BATCH-mode job runs its stages one after another).
    pub async fn wait_flink_job_state(&self, id: &JobId, state: FlinkJobState, timeout: Duration) {
        self.wait_flink(id, &state, timeout, |_| true).await
    }

    async fn wait_flink(
        &self,
        id: &JobId,
        state: &FlinkJobState,
        timeout: Duration,
        ready: impl Fn(&JobSummary) -> bool,
    ) {
        let start = Instant::now();
        loop {
            let seen = self.flink_job(id).await;
            if seen.as_ref().is_some_and(|j| &j.state == state && ready(j)) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "job {id} not {state} within {timeout:?}; last seen {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Waits until a checkpoint completes that started after this call (a later
    /// one than the newest now, and never the first, which often fails): restoring
    /// from it includes everything the job had done by now.
    pub async fn wait_newer_checkpoint(&self, id: &JobId, timeout: Duration) {
        let seen = self
            .flink
            .checkpoints(id)
            .await
            .ok()
            .and_then(|c| c.latest_completed)
            .map_or(0, |c| c.id);
        self.wait_checkpoint(id, seen.max(1) + 1, timeout).await;
    }

    /// Waits (asking Flink directly) until job `id` completed a checkpoint numbered
    /// at least `at_least` (panics after `timeout`).
    pub async fn wait_checkpoint(&self, id: &JobId, at_least: u64, timeout: Duration) {
        let start = Instant::now();
        loop {
            let newest = self
                .flink
                .checkpoints(id)
                .await
                .ok()
                .and_then(|c| c.latest_completed)
                .map(|c| c.id);
            if newest.is_some_and(|n| n >= at_least) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "job {id}: no checkpoint {at_least} within {timeout:?} (newest {newest:?})"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Runs cycles until `done(state)` holds (panics after `timeout`).
    pub async fn cycle_until(
        &self,
        job_id: &str,
        timeout: Duration,
        mut done: impl FnMut(&JobState) -> bool,
    ) -> JobState {
        let start = Instant::now();
        loop {
            self.cycle().await;
            if let Some(s) = self.state(job_id).await {
                if done(&s) {
                    return s;
                }
                assert!(
                    start.elapsed() < timeout,
                    "{job_id} did not converge within {timeout:?}; state {s:?}"
                );
            } else {
                assert!(start.elapsed() < timeout, "{job_id} has no state");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits (without running cycles: other reconcilers do) until every job in
    /// `ids` is RUNNING with no operation and the matching fingerprint deployed.
    pub async fn wait_deployed(&self, ids: &[String], fingerprints: &[String], wait: Duration) {
        let start = Instant::now();
        loop {
            let mut all = true;
            for (id, fp) in ids.iter().zip(fingerprints) {
                all &= self.state(id).await.is_some_and(|s| {
                    s.lifecycle == fjc_core::state::Lifecycle::Running
                        && s.operation.is_none()
                        && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str())
                            == Some(fp.as_str())
                });
            }
            if all {
                return;
            }
            assert!(
                start.elapsed() < wait,
                "jobs did not converge within {wait:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Cancels every job this world's table knows of (test cleanup).
    pub async fn cleanup(&self) {
        for s in self.ctx.store.list_states().await.unwrap_or_default() {
            if let Some(id) = &s.flink_job_id {
                let _ = self.flink.cancel(id).await;
            }
            for id in s.operation.iter().flat_map(|o| o.flink_jobs()) {
                let _ = self.flink.cancel(id).await;
            }
        }
    }

    /// Cancels the active runs of a batch job (test cleanup).
    pub async fn cleanup_runs(&self, job_id: &str) {
        for r in self.ctx.store.list_runs(job_id).await.unwrap_or_default() {
            let _ = self.flink.cancel(&r.flink_job_id).await;
        }
    }

    /// Whether Flink still has an uploaded jar (`GET /jars`).
    pub async fn jar_exists(&self, jar_id: &str) -> bool {
        let out = std::process::Command::new("curl")
            .args([
                "-fsS",
                "--max-time",
                "10",
                &format!("{}/jars", self.env.flink_url),
            ])
            .output()
            .expect("curl");
        assert!(out.status.success(), "GET /jars failed");
        String::from_utf8_lossy(&out.stdout).contains(jar_id)
    }

    /// Records an operator command (`fjc restart|savepoint|rollback`) now.
    pub async fn request(&self, job_id: &str, command: fjc_core::revisions::Command) {
        use fjc_core::clock::Clock;
        let at = self.ctx.clock.now_ms();
        let audit = fjc_core::audit::entry(job_id, at, "test", command.kind(), None, None);
        self.ctx
            .store
            .request_command(job_id, command, at, &audit)
            .await
            .expect("request command");
    }

    /// The fingerprint of the version deployed for a job.
    pub async fn deployed_fingerprint(&self, job_id: &str) -> String {
        let state = self.state(job_id).await.expect("state");
        state.deployed_fingerprint.expect("deployed").0
    }

    /// The `fjc` binary set up for this world's table, artifacts and cluster.
    pub fn fjc_command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(fjc_binary());
        c.args(args)
            .env("FJC_TABLE", &self.table)
            .env("FJC_ARTIFACT_ROOT", self.artifact_root.path())
            .env("FJC_FLINK_URL", &self.env.flink_url)
            .env("FJC_CONFIG_DIR", "/nonexistent");
        c
    }

    /// Runs the `fjc` binary against this world's table, artifacts and cluster.
    pub fn fjc(&self, args: &[&str]) -> std::process::Output {
        self.fjc_command(args).output().expect("run fjc")
    }

    /// Path of a jar in this world's artifact root.
    pub fn artifact(&self, name: &str) -> PathBuf {
        self.artifact_root.path().join(name)
    }
}

/// The real cluster's storage directories (see [`World::storage_dirs`]).
#[derive(Debug, Clone)]
pub struct StorageDirs {
    /// Checkpoints: `<dir>/<flink job id>/chk-<n>`.
    pub checkpoints: PathBuf,
    /// Savepoints: `<dir>/savepoint-<first 6 of the job id>-…`.
    pub savepoints: PathBuf,
}

/// `file:/path/…` or `file:///path/…` → the path on this machine.
pub fn on_disk(location: &str) -> PathBuf {
    PathBuf::from(
        location
            .trim_start_matches("file:")
            .trim_start_matches("//"),
    )
}

/// The built `fjc` binary (next to the test executable's directory).
pub fn fjc_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("fjc");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}
