//! The publisher port, the write-only-when-changed rule, and the after-cycle hook.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use fjc_flink::FlinkApi;
use fjc_snapshot::Snapshot;
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
use crate::handler::CycleReport;
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

/// A snapshot ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The document (compact JSON).
    pub json: Vec<u8>,
    /// Content identity and heartbeat.
    pub meta: Published,
}

/// Encodes a snapshot and computes its content hash (heartbeat fields excluded, so
/// an idle controller produces the same hash every cycle).
pub fn encode(snapshot: &Snapshot) -> Result<Encoded, PublishError> {
    let json = serde_json::to_vec(snapshot).map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(Encoded {
        json,
        meta: Published {
            content_sha256: content_sha256(snapshot)?,
            heartbeat_at: snapshot.controller.heartbeat_at,
        },
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
    /// Replaces the published document.
    fn put(&self, doc: &Encoded) -> impl Future<Output = Result<(), PublishError>> + Send;
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
    fn target(&self) -> String {
        match self {
            Publisher::Dir(p) => p.target(),
            Publisher::S3(p) => p.target(),
        }
    }
}

/// A publisher that remembers what it last saw published, so that in steady state
/// it neither reads nor writes the target.
#[derive(Debug)]
pub struct Sink<P> {
    publisher: P,
    last: Mutex<Option<Published>>,
    refresh_ms: i64,
}

impl<P: SnapshotPublisher> Sink<P> {
    /// Writes through `publisher`; rewrites unchanged content after `refresh_seconds`.
    pub fn new(publisher: P, refresh_seconds: u64) -> Self {
        Sink {
            publisher,
            last: Mutex::new(None),
            refresh_ms: i64::try_from(refresh_seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
        }
    }

    /// The wrapped publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Writes `doc` unless the published content is the same and its heartbeat is
    /// less than the refresh period old.
    pub async fn publish(&self, doc: &Encoded) -> Result<PublishOutcome, PublishError> {
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
}

/// What publishing after a cycle did, per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// Where.
    pub target: String,
    /// Outcome.
    pub result: Result<PublishOutcome, PublishError>,
}

/// The after-cycle hook: builds the snapshot from the cycle and publishes it to
/// every configured target.
#[derive(Debug)]
pub struct Dashboard {
    sinks: Vec<Sink<Publisher>>,
    timing: Timing,
    history: HistoryCache,
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
        }
    }

    /// The hook for `config.dashboard`, or `None` when no target is configured.
    pub async fn from_config(config: &Config) -> Option<Dashboard> {
        let d = &config.dashboard;
        if !d.is_enabled() {
            return None;
        }
        let mut publishers = Vec::new();
        if let Some(dir) = &d.dir {
            publishers.push(Publisher::Dir(DirPublisher::new(dir.clone())));
        }
        if let Some(bucket) = &d.bucket {
            let sdk = crate::runtime::aws_config().await;
            publishers.push(Publisher::S3(S3Publisher::from_sdk(&sdk, bucket)));
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
        if !self.history.is_seeded() {
            let previous = match self.sinks.first() {
                Some(sink) => sink.publisher().previous().await.unwrap_or_else(|e| {
                    debug!(error = %e, "dashboard: previous snapshot not read; histories are read again");
                    None
                }),
                None => None,
            };
            self.history.seed(previous.as_ref());
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
        let doc = match encode(&snapshot) {
            Ok(d) => d,
            Err(e) => {
                warn!(error = %e, "dashboard: snapshot not published");
                return self
                    .sinks
                    .iter()
                    .map(|s| PublishReport {
                        target: s.publisher().target(),
                        result: Err(e.clone()),
                    })
                    .collect();
            }
        };
        let mut out = Vec::with_capacity(self.sinks.len());
        for sink in &self.sinks {
            let target = sink.publisher().target();
            let result = sink.publish(&doc).await;
            match &result {
                Ok(o) => {
                    debug!(%target, outcome = ?o, bytes = doc.json.len(), "dashboard snapshot")
                }
                Err(e) => {
                    warn!(%target, kind = e.kind(), error = %e, "dashboard snapshot not published")
                }
            }
            out.push(PublishReport { target, result });
        }
        out
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
