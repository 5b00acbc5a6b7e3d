//! The write-only-when-changed rule: a [`Sink`] remembers what its target holds, so
//! in steady state it neither reads nor writes, writes a job's detail document only
//! when its version changed, and deletes the documents of jobs that are gone.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use fjc_snapshot::{Snapshot, job_document_key};
use futures::StreamExt;
use tracing::debug;

use super::{Encoded, EncodedDocument, PublishError, PublishOutcome, Published, SnapshotPublisher};

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
