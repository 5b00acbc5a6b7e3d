//! The publisher port, the write-only-when-changed rule, and the after-cycle hook.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use fjc_flink::FlinkApi;
use fjc_snapshot::{JobDocument, SCHEMA_VERSION, Snapshot, job_document_key};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tracing::{debug, warn};

use super::dir::DirPublisher;
use super::history::HistoryCache;
use super::s3::S3Publisher;
use super::{Inputs, Timing, build};
use crate::clock::{Clock, EpochMs};
use crate::config::Config;
use crate::context::Context;
use crate::cycle::CycleReport;
use crate::store::Store;

/// Publishing failed. Never fails a cycle: it is logged and reported.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// The snapshot could not be encoded.
    #[error("cannot encode the snapshot: {0}")]
    Encode(String),
    /// A local file operation failed.
    #[error("{target}: {message}")]
    Io {
        /// The file or directory.
        target: String,
        /// What failed.
        message: String,
    },
    /// S3 refused or did not answer.
    #[error("{target}: {message}")]
    S3 {
        /// `s3://bucket/key`.
        target: String,
        /// What failed.
        message: String,
    },
}

impl PublishError {
    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            PublishError::Encode(_) => "encode",
            PublishError::Io { .. } => "io",
            PublishError::S3 { .. } => "s3",
        }
    }
}

/// What identifies a published snapshot's content, and when its heartbeat was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// sha256 (hex) of the canonical JSON without the heartbeat fields.
    pub content_sha256: String,
    /// Its controller heartbeat.
    pub heartbeat_at: EpochMs,
}

/// A snapshot ready to write: the overview and the detail documents of the jobs
/// whose detail was built this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The overview (compact JSON; no job's detail).
    pub json: Vec<u8>,
    /// Content identity and heartbeat of the overview.
    pub meta: Published,
    /// Detail documents built this cycle.
    pub documents: Vec<EncodedDocument>,
    /// The detail version of every job of the overview that has one, by job id.
    pub versions: BTreeMap<String, String>,
}

/// One job's detail document ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedDocument {
    /// The job.
    pub job_id: String,
    /// Its [`JobView::detail_version`](fjc_snapshot::JobView::detail_version).
    pub version: String,
    /// The [`JobDocument`] (compact JSON).
    pub json: Vec<u8>,
}

/// Splits a snapshot into the overview and one [`JobDocument`] per job whose
/// detail it holds, encodes them, and computes the overview's content hash
/// (heartbeat fields excluded, so an idle controller produces the same hash every
/// cycle; a changed detail changes its version in the overview, so the hash too).
pub fn encode(mut snapshot: Snapshot) -> Result<Encoded, PublishError> {
    let mut documents = Vec::new();
    let mut versions = BTreeMap::new();
    for job in &mut snapshot.jobs {
        let Some(version) = job.detail_version.clone() else {
            continue;
        };
        versions.insert(job.job_id.clone(), version.clone());
        if let Some(detail) = job.detail.take() {
            let doc = JobDocument {
                schema_version: SCHEMA_VERSION,
                job_id: job.job_id.clone(),
                detail,
            };
            let json = serde_json::to_vec(&doc).map_err(|e| PublishError::Encode(e.to_string()))?;
            documents.push(EncodedDocument {
                job_id: job.job_id.clone(),
                version,
                json,
            });
        }
    }
    let json = serde_json::to_vec(&snapshot).map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(Encoded {
        json,
        meta: Published {
            content_sha256: content_sha256(&snapshot)?,
            heartbeat_at: snapshot.controller.heartbeat_at,
        },
        documents,
        versions,
    })
}

/// sha256 (hex) of the snapshot's canonical JSON with the heartbeat fields zeroed.
pub fn content_sha256(snapshot: &Snapshot) -> Result<String, PublishError> {
    let canonical = serde_json::to_vec(&snapshot.without_heartbeat())
        .map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// Where snapshots go.
pub trait SnapshotPublisher: Send + Sync {
    /// The published document, if there is one this version can read (read once
    /// per process, to seed the job histories; see [`super::history`]).
    fn previous(&self) -> impl Future<Output = Result<Option<Snapshot>, PublishError>> + Send;
    /// What is published now, if anything (`None` also for an unreadable document,
    /// which is then replaced).
    fn published(&self) -> impl Future<Output = Result<Option<Published>, PublishError>> + Send;
    /// Replaces the published overview.
    fn put(&self, doc: &Encoded) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Writes (or replaces) the document at `key` ([`job_document_key`]).
    fn put_document(
        &self,
        key: &str,
        json: &[u8],
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Deletes the document at `key` (done when it is not there).
    fn delete_document(&self, key: &str) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Where, for logs (`/dir/snapshot.json`, `s3://bucket/snapshot.json`).
    fn target(&self) -> String;
}

/// Whether a publish wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The document was written.
    Written,
    /// Same content and a recent enough heartbeat: nothing written.
    Unchanged,
}

/// The configured adapters.
#[derive(Debug)]
pub enum Publisher {
    /// A local directory.
    Dir(DirPublisher),
    /// An S3 bucket.
    S3(S3Publisher),
}

impl SnapshotPublisher for Publisher {
    async fn previous(&self) -> Result<Option<Snapshot>, PublishError> {
        match self {
            Publisher::Dir(p) => p.previous().await,
            Publisher::S3(p) => p.previous().await,
        }
    }
    async fn published(&self) -> Result<Option<Published>, PublishError> {
        match self {
            Publisher::Dir(p) => p.published().await,
            Publisher::S3(p) => p.published().await,
        }
    }
    async fn put(&self, doc: &Encoded) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.put(doc).await,
            Publisher::S3(p) => p.put(doc).await,
        }
    }
    async fn put_document(&self, key: &str, json: &[u8]) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.put_document(key, json).await,
            Publisher::S3(p) => p.put_document(key, json).await,
        }
    }
    async fn delete_document(&self, key: &str) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.delete_document(key).await,
            Publisher::S3(p) => p.delete_document(key).await,
        }
    }
    fn target(&self) -> String {
        match self {
            Publisher::Dir(p) => p.target(),
            Publisher::S3(p) => p.target(),
        }
    }
}

/// A publisher that remembers what it last saw published, so that in steady state
/// it neither reads nor writes the target, and writes a job's detail document only
/// when its version changed.
#[derive(Debug)]
pub struct Sink<P> {
    publisher: P,
    last: Mutex<Option<Published>>,
    /// Detail version of every job document this target holds, by job id.
    documents: Mutex<BTreeMap<String, String>>,
    refresh_ms: i64,
}

/// Detail documents a publish wrote and deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Documents {
    /// Written (new or changed).
    pub written: usize,
    /// Deleted (the job is gone).
    pub deleted: usize,
}

/// Detail documents written at once.
const DOCUMENTS_IN_FLIGHT: usize = 16;

impl<P: SnapshotPublisher> Sink<P> {
    /// Writes through `publisher`; rewrites unchanged content after `refresh_seconds`.
    pub fn new(publisher: P, refresh_seconds: u64) -> Self {
        Sink {
            publisher,
            last: Mutex::new(None),
            documents: Mutex::new(BTreeMap::new()),
            refresh_ms: i64::try_from(refresh_seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
        }
    }

    /// The wrapped publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Takes the detail documents the target holds from its overview (`previous`),
    /// so a new process writes only those that changed.
    pub fn seed_documents(&self, previous: Option<&Snapshot>) {
        let seeded = previous
            .map(|p| p.jobs.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|j| Some((j.job_id.clone(), j.detail_version.clone()?)))
            .collect();
        *self.documents_lock() = seeded;
    }

    /// Writes the detail documents whose version changed, then the overview unless
    /// its content is the same and its heartbeat less than the refresh period old,
    /// then deletes the documents of jobs no longer in it. A failed document write
    /// leaves the overview as it was (retried next cycle), so the overview never
    /// names a version its target does not hold because of this publish.
    pub async fn publish(
        &self,
        doc: &Encoded,
    ) -> Result<(PublishOutcome, Documents), PublishError> {
        let mut done = Documents::default();
        let changed: Vec<&EncodedDocument> = {
            let held = self.documents_lock();
            doc.documents
                .iter()
                .filter(|d| held.get(&d.job_id) != Some(&d.version))
                .collect()
        };
        let written: Vec<(&EncodedDocument, Result<(), PublishError>)> =
            futures::stream::iter(changed.into_iter().map(|d| async move {
                let key = job_document_key(&d.job_id);
                (d, self.publisher.put_document(&key, &d.json).await)
            }))
            .buffer_unordered(DOCUMENTS_IN_FLIGHT)
            .collect()
            .await;
        let mut failed = None;
        {
            let mut held = self.documents_lock();
            for (d, result) in written {
                match result {
                    Ok(()) => {
                        done.written += 1;
                        held.insert(d.job_id.clone(), d.version.clone());
                    }
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let outcome = self.publish_overview(doc).await?;
        let gone: Vec<String> = self
            .documents_lock()
            .keys()
            .filter(|id| !doc.versions.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            match self.publisher.delete_document(&job_document_key(&id)).await {
                Ok(()) => {
                    done.deleted += 1;
                    self.documents_lock().remove(&id);
                }
                // Kept in the list: deleted again next cycle.
                Err(e) => debug!(job = %id, error = %e, "dashboard: job document not deleted"),
            }
        }
        Ok((outcome, done))
    }

    async fn publish_overview(&self, doc: &Encoded) -> Result<PublishOutcome, PublishError> {
        let cached = self.remembered();
        let prev = match cached {
            Some(p) => Some(p),
            None => self.publisher.published().await?,
        };
        if let Some(p) = prev {
            let fresh = doc.meta.heartbeat_at.saturating_sub(p.heartbeat_at) < self.refresh_ms;
            if p.content_sha256 == doc.meta.content_sha256 && fresh {
                self.remember(p);
                return Ok(PublishOutcome::Unchanged);
            }
        }
        self.publisher.put(doc).await?;
        self.remember(doc.meta.clone());
        Ok(PublishOutcome::Written)
    }

    fn remembered(&self) -> Option<Published> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, p: Published) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(p);
    }

    fn documents_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What publishing after a cycle did, per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// Where.
    pub target: String,
    /// Outcome for the overview.
    pub result: Result<PublishOutcome, PublishError>,
    /// Detail documents written and deleted.
    pub documents: Documents,
}

/// The after-cycle hook: builds the snapshot from the cycle and publishes it to
/// every configured target.
#[derive(Debug)]
pub struct Dashboard {
    sinks: Vec<Sink<Publisher>>,
    timing: Timing,
    history: HistoryCache,
    seeded: AtomicBool,
}

impl Dashboard {
    /// A hook over explicit publishers.
    pub fn new(publishers: Vec<Publisher>, timing: Timing) -> Dashboard {
        Dashboard {
            sinks: publishers
                .into_iter()
                .map(|p| Sink::new(p, timing.heartbeat_refresh_seconds))
                .collect(),
            timing,
            history: HistoryCache::default(),
            seeded: AtomicBool::new(false),
        }
    }

    /// The hook for `config.dashboard`, or `None` when no target is configured.
    /// An S3 target's client is made from `sdk`.
    pub fn from_config(config: &Config, sdk: &aws_config::SdkConfig) -> Option<Dashboard> {
        let d = &config.dashboard;
        if !d.is_enabled() {
            return None;
        }
        let mut publishers = Vec::new();
        if let Some(dir) = &d.dir {
            publishers.push(Publisher::Dir(DirPublisher::new(dir.clone())));
        }
        if let Some(bucket) = &d.bucket {
            publishers.push(Publisher::S3(S3Publisher::from_sdk(sdk, bucket)));
        }
        Some(Dashboard::new(
            publishers,
            Timing {
                interval_seconds: config.reconcile.interval_seconds,
                heartbeat_refresh_seconds: d.heartbeat_seconds,
            },
        ))
    }

    /// Builds the snapshot of `report`'s cycle and publishes it. Reuses what the
    /// cycle loaded; re-reads the job states only when the cycle acted, and asks each
    /// reachable cluster for `/overview` (slots). Failures are logged and returned,
    /// never raised.
    pub async fn after_cycle<S, F, A, C, K>(
        &self,
        ctx: &Context<S, F, A, C, K>,
        report: &CycleReport,
    ) -> Vec<PublishReport>
    where
        S: Store,
        F: FlinkApi,
        C: Clock,
    {
        let view = &report.loaded;
        let reread;
        let states = if report.actions.is_empty() {
            &view.states
        } else {
            match ctx.store.list_states().await {
                Ok(list) => {
                    reread = list
                        .into_iter()
                        .filter(|s| {
                            view.specs.contains_key(&s.job_id)
                                || view.states.contains_key(&s.job_id)
                        })
                        .map(|s| (s.job_id.clone(), s))
                        .collect::<BTreeMap<_, _>>();
                    &reread
                }
                Err(e) => {
                    warn!(error = %e, "dashboard: cannot re-read job states; publishing the cycle's view");
                    &view.states
                }
            }
        };
        let overviews = overviews(ctx, report).await;
        if !self.seeded.swap(true, Ordering::SeqCst) {
            self.seed().await;
        }
        let (history, refreshed) = self.history.refresh(&ctx.store, &view.specs, states).await;
        if refreshed.read > 0 || refreshed.deferred > 0 {
            debug!(
                read = refreshed.read,
                deferred = refreshed.deferred,
                "dashboard: job histories"
            );
        }
        let snapshot = build(Inputs {
            specs: &view.specs,
            states,
            observed: &view.observed,
            overviews: &overviews,
            history: &history,
            held: &view.held,
            report,
            timing: self.timing,
            now: ctx.clock.now_ms(),
        });
        let doc = match encode(snapshot) {
            Ok(d) => d,
            Err(e) => {
                warn!(error = %e, "dashboard: snapshot not published");
                return self
                    .sinks
                    .iter()
                    .map(|s| PublishReport {
                        target: s.publisher().target(),
                        result: Err(e.clone()),
                        documents: Documents::default(),
                    })
                    .collect();
            }
        };
        let mut out = Vec::with_capacity(self.sinks.len());
        for sink in &self.sinks {
            let target = sink.publisher().target();
            let (result, documents) = match sink.publish(&doc).await {
                Ok((o, documents)) => {
                    debug!(%target, outcome = ?o, bytes = doc.json.len(), written = documents.written,
                        deleted = documents.deleted, "dashboard snapshot");
                    (Ok(o), documents)
                }
                Err(e) => {
                    warn!(%target, kind = e.kind(), error = %e, "dashboard snapshot not published");
                    (Err(e), Documents::default())
                }
            };
            out.push(PublishReport {
                target,
                result,
                documents,
            });
        }
        out
    }
}

impl Dashboard {
    /// Once per process: each target's overview tells which detail documents it
    /// holds; a job whose document every target holds at the same version, and
    /// whose spec and state are unchanged since, is not read again.
    async fn seed(&self) {
        let mut agreed: Option<Snapshot> = None;
        for (n, sink) in self.sinks.iter().enumerate() {
            let previous = sink.publisher().previous().await.unwrap_or_else(|e| {
                debug!(error = %e, "dashboard: previous snapshot not read; documents are written again");
                None
            });
            sink.seed_documents(previous.as_ref());
            agreed = match (n, agreed, previous) {
                (0, _, p) => p,
                (_, Some(mut a), Some(p)) => {
                    let theirs: BTreeMap<&str, &Option<String>> = p
                        .jobs
                        .iter()
                        .map(|j| (j.job_id.as_str(), &j.detail_version))
                        .collect();
                    a.jobs
                        .retain(|j| theirs.get(j.job_id.as_str()) == Some(&&j.detail_version));
                    Some(a)
                }
                _ => None,
            };
        }
        self.history.seed(agreed.as_ref());
    }
}

async fn overviews<S, F: FlinkApi, A, C, K>(
    ctx: &Context<S, F, A, C, K>,
    report: &CycleReport,
) -> BTreeMap<String, fjc_flink::ClusterOverview> {
    let calls = report
        .clusters
        .iter()
        .filter(|(_, seen)| seen.is_ok())
        .filter_map(|(name, _)| ctx.clusters.get(name).map(|c| (name, c)))
        .map(|(name, client)| async move {
            match client.cluster_overview().await {
                Ok(o) => Some((name.clone(), o)),
                Err(e) => {
                    debug!(cluster = %name, error = %e, "dashboard: no /overview");
                    None
                }
            }
        });
    futures::future::join_all(calls)
        .await
        .into_iter()
        .flatten()
        .collect()
}
