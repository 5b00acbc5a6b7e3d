//! What a reconcile needs, built once (at Lambda cold start or CLI start) and shared.

use std::collections::BTreeMap;
use std::sync::Arc;

use fjc_flink::FlinkApi;

use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::config::ReconcileConfig;
use crate::counted::{Counted, FlinkStats};
use crate::secrets::SecretSource;
use crate::store::Store;

/// The five ports a reconcile talks to the world through, named once.
///
/// A [`Context`] and everything that works with one (the cycle, the executor,
/// restore discovery, the snapshot hook, the bench) is generic over a single
/// `P: Ports` instead of five type parameters each with its own bound: code
/// names `P::Store`, `P::Flink` and so on where it needs one of them.
///
/// It is implemented for the tuple `(store, flink, artifacts, clock, secrets)`
/// of types that implement the five traits, which is what
/// [`Context::new`] builds from its arguments; callers never name a `Ports` type
/// unless they write down a context's type, as `Context<(DynamoStore, …)>`
/// (see `fjc_aws::wiring::RealContext`).
pub trait Ports {
    /// Specs, job states, the lease, control items and history.
    type Store: Store;
    /// A client for one Flink cluster (the context holds one per cluster).
    type Flink: FlinkApi;
    /// Where job artifacts come from.
    type Artifacts: ArtifactSource;
    /// What time it is.
    type Clock: Clock;
    /// Secrets: `secret://` references in specs and Flink credentials.
    type Secrets: SecretSource;
}

impl<S, F, A, C, K> Ports for (S, F, A, C, K)
where
    S: Store,
    F: FlinkApi,
    A: ArtifactSource,
    C: Clock,
    K: SecretSource,
{
    type Store = S;
    type Flink = F;
    type Artifacts = A;
    type Clock = C;
    type Secrets = K;
}

/// The ports and settings a reconcile works with. Generic over every side
/// effect through one [`Ports`] type.
#[derive(Debug)]
pub struct Context<P: Ports> {
    /// Specs, states and the lease.
    pub store: P::Store,
    /// One Flink client per configured cluster, counted.
    pub clusters: BTreeMap<String, Counted<P::Flink>>,
    /// Artifact source.
    pub artifacts: P::Artifacts,
    /// The clock.
    pub clock: P::Clock,
    /// Secrets (`secret://` references in specs; Flink credentials share it).
    pub secrets: Arc<P::Secrets>,
    /// Artifact signature keys and namespace policy.
    pub security: crate::policy::Security,
    /// Tuning.
    pub settings: ReconcileConfig,
    /// This process's lease owner id.
    pub owner: String,
    /// Checkpoint storage, read when a restore point is needed.
    pub storage: crate::restore::Storage,
    /// The programs submitted for jobs that are not jars.
    pub runners: Runners,
    /// The health probes' turn: one step per cycle in this process (a warm
    /// Lambda or `fjc reconcile --every` takes the jobs strictly in turn), from a
    /// random start in a new one. A hint kept in memory, never state.
    pub probe_turns: std::sync::atomic::AtomicU64,
    /// Where lifecycle events and alerts go (`FJC_EVENT_BUS`); none: no events
    /// are made.
    pub events: Option<Arc<dyn crate::events::EventSink>>,
}

/// The programs the controller submits for job types that are not jars.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runners {
    /// The SQL runner jar (`fjc-sql-runner.jar`, built by `sql-runner/build.sh`),
    /// on local disk: it runs a `sql` job's script as one Flink job.
    pub sql: Option<std::path::PathBuf>,
    /// The Python runner jar (`fjc-python-runner.jar`, built by
    /// `python-runner/build.sh`: Flink's `flink-python` jar with the runner
    /// added), on local disk: it runs a `python` job's script or package through
    /// Flink's Python driver.
    pub python: Option<std::path::PathBuf>,
}

impl<S, F, A, C, K> Context<(S, F, A, C, K)>
where
    (S, F, A, C, K): Ports<Store = S, Flink = F, Artifacts = A, Clock = C, Secrets = K>,
{
    /// Builds a context; `owner` should be unique per process (e.g. host + pid +
    /// random). Security settings start permissive; see [`Context::with_security`].
    pub fn new(
        store: S,
        clusters: BTreeMap<String, F>,
        artifacts: A,
        clock: C,
        secrets: Arc<K>,
        settings: ReconcileConfig,
        owner: String,
    ) -> Self {
        Context {
            store,
            clusters: clusters
                .into_iter()
                .map(|(k, v)| (k, Counted::new(v)))
                .collect(),
            artifacts,
            clock,
            secrets,
            security: Default::default(),
            settings,
            owner,
            storage: crate::restore::Storage::local(),
            runners: Runners::default(),
            probe_turns: std::sync::atomic::AtomicU64::new(rand::random()),
            events: None,
        }
    }
}

impl<P: Ports> Context<P> {
    /// Replaces the checkpoint storage reader (e.g. one that can read S3).
    pub fn with_storage(mut self, storage: crate::restore::Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Sends lifecycle events and alerts to `sink`.
    pub fn with_events(mut self, sink: Arc<dyn crate::events::EventSink>) -> Self {
        self.events = Some(sink);
        self
    }

    /// Replaces the programs submitted for jobs that are not jars.
    pub fn with_runners(mut self, runners: Runners) -> Self {
        self.runners = runners;
        self
    }

    /// Replaces the security settings.
    pub fn with_security(mut self, security: crate::policy::Security) -> Self {
        self.security = security;
        self
    }

    /// Flink calls so far, over all clusters.
    pub fn flink_stats(&self) -> FlinkStats {
        self.clusters
            .values()
            .map(Counted::stats)
            .fold(FlinkStats::default(), |a, b| FlinkStats {
                reads: a.reads + b.reads,
                writes: a.writes + b.writes,
            })
    }

    /// Failed Flink calls so far, by error class, over every cluster.
    pub fn flink_errors(&self) -> std::collections::BTreeMap<&'static str, u64> {
        let mut all = std::collections::BTreeMap::new();
        for c in self.clusters.values() {
            for (k, n) in c.errors() {
                *all.entry(k).or_default() += n;
            }
        }
        all
    }
}

/// A lease owner id unique to this process.
pub fn owner_id(prefix: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_STREAM_NAME"))
        .unwrap_or_else(|_| "host".into());
    let nonce: u32 = rand::random();
    format!("{prefix}:{host}:{}:{nonce:08x}", std::process::id())
}
