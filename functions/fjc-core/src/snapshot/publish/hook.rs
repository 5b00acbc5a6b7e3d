//! The after-cycle hook ([`Dashboard`]): builds the snapshot from what the cycle
//! loaded and publishes it to every configured target, seeding each target's known
//! documents and the job histories once per process.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use fjc_flink::FlinkApi;
use fjc_snapshot::Snapshot;
use tracing::{debug, warn};

use super::{Documents, PublishError, PublishOutcome, Sink, SnapshotPublisher, encode};
use crate::clock::Clock;
use crate::context::{Context, Ports};
use crate::cycle::CycleReport;
use crate::snapshot::history::HistoryCache;
use crate::snapshot::{Inputs, Timing, build};
use crate::store::StateStore;

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
/// every configured target, each a `P` (the process picks the publisher type:
/// `fjc_aws::dashboard::Publisher` for the configured directory and bucket).
#[derive(Debug)]
pub struct Dashboard<P> {
    sinks: Vec<Sink<P>>,
    timing: Timing,
    history: HistoryCache,
    seeded: AtomicBool,
}

impl<P: SnapshotPublisher> Dashboard<P> {
    /// A hook over explicit publishers.
    pub fn new(publishers: Vec<P>, timing: Timing) -> Dashboard<P> {
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

    /// Builds the snapshot of `report`'s cycle and publishes it. Reuses what the
    /// cycle loaded; re-reads the job states only when the cycle acted, and asks each
    /// reachable cluster for `/overview` (slots). Failures are logged and returned,
    /// never raised.
    pub async fn after_cycle<Q: Ports>(
        &self,
        ctx: &Context<Q>,
        report: &CycleReport,
    ) -> Vec<PublishReport> {
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
            cycle: report.facts(),
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

impl<P: SnapshotPublisher> Dashboard<P> {
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

async fn overviews<P: Ports>(
    ctx: &Context<P>,
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
