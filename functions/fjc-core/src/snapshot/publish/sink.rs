//! The write-only-when-changed rule: a [`Sink`] remembers what its target holds, so
//! in steady state it neither reads nor writes, writes a job's detail document only
//! when its version changed (or its namespace), a namespace's overview only when
//! its content changed or its heartbeat is due, and deletes the documents of jobs
//! and namespaces that are gone.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use fjc_snapshot::{Snapshot, job_document_key, namespace_overview_key};

use super::{DocumentRef, EncodedOverview};
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
    /// Where and at which version this target holds every job's document, by job id.
    documents: Mutex<BTreeMap<String, DocumentRef>>,
    /// The namespace overviews this process wrote, by key.
    overviews: Mutex<BTreeMap<String, Published>>,
    refresh_ms: i64,
}

/// Detail documents a publish wrote and deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Documents {
    /// Written (new or changed).
    pub written: usize,
    /// Deleted (the job is gone).
    pub deleted: usize,
    /// Namespace overviews written.
    pub namespaces: usize,
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
            overviews: Mutex::new(BTreeMap::new()),
            refresh_ms: i64::try_from(refresh_seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
        }
    }

    /// The wrapped publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Takes the detail documents and namespace overviews the target holds from its
    /// overview (`previous`; the namespace overviews are written with it), so a new
    /// process writes only those that changed.
    pub fn seed_documents(&self, previous: Option<&Snapshot>) {
        if let Some(p) = previous {
            let overviews = p
                .by_namespace()
                .into_iter()
                .filter_map(|(ns, view)| {
                    let meta = Published {
                        content_sha256: super::content_sha256(&view).ok()?,
                        heartbeat_at: view.controller.heartbeat_at,
                    };
                    Some((namespace_overview_key(&ns), meta))
                })
                .collect();
            *self.overviews_lock() = overviews;
        }
        let seeded = previous
            .map(|p| p.jobs.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|j| {
                let at = DocumentRef {
                    key: job_document_key(&j.namespace, &j.job_id),
                    version: j.detail_version.clone()?,
                };
                Some((j.job_id.clone(), at))
            })
            .collect();
        *self.documents_lock() = seeded;
    }

    /// Writes the detail documents whose version changed, then the namespaces'
    /// overviews and the overview, each unless its content is the same and its
    /// heartbeat less than the refresh period old, then deletes the documents of
    /// jobs no longer in it and the overviews of namespaces with no job left. A
    /// failed document write leaves the overviews as they were (retried next
    /// cycle), so no overview names a version its target does not hold because of
    /// this publish.
    pub async fn publish(
        &self,
        doc: &Encoded,
    ) -> Result<(PublishOutcome, Documents), PublishError> {
        let mut done = Documents::default();
        let changed: Vec<&EncodedDocument> = {
            let held = self.documents_lock();
            doc.documents
                .iter()
                .filter(|d| held.get(&d.job_id) != Some(&d.at))
                .collect()
        };
        let written = self
            .put_each(changed, |d: &EncodedDocument| (&d.at.key, &d.json))
            .await;
        let mut failed = None;
        let mut moved = Vec::new();
        {
            let mut held = self.documents_lock();
            for (d, result) in written {
                match result {
                    Ok(()) => {
                        done.written += 1;
                        // A job moved to another namespace leaves its old document.
                        if let Some(old) = held.insert(d.job_id.clone(), d.at.clone())
                            && old.key != d.at.key
                        {
                            moved.push(old.key);
                        }
                    }
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        for key in moved {
            self.delete(&key).await;
        }
        done.namespaces = self.publish_namespaces(&doc.namespaces).await?;
        let outcome = self.publish_overview(doc).await?;
        let gone: Vec<(String, String)> = self
            .documents_lock()
            .iter()
            .filter(|(id, _)| !doc.versions.contains_key(*id))
            .map(|(id, at)| (id.clone(), at.key.clone()))
            .collect();
        for (id, key) in gone {
            // One not deleted stays in the list: deleted again next cycle.
            if self.delete(&key).await {
                done.deleted += 1;
                self.documents_lock().remove(&id);
            }
        }
        let emptied: Vec<String> = self
            .overviews_lock()
            .keys()
            .filter(|k| !doc.namespaces.iter().any(|n| &n.key == *k))
            .cloned()
            .collect();
        for key in emptied {
            if self.delete(&key).await {
                self.overviews_lock().remove(&key);
            }
        }
        Ok((outcome, done))
    }

    /// Writes each namespace overview whose content changed or whose heartbeat is
    /// due (all of them once per process); how many it wrote.
    async fn publish_namespaces(
        &self,
        overviews: &[EncodedOverview],
    ) -> Result<usize, PublishError> {
        let due: Vec<&EncodedOverview> = {
            let held = self.overviews_lock();
            overviews
                .iter()
                .filter(|o| !held.get(&o.key).is_some_and(|p| self.current(p, &o.meta)))
                .collect()
        };
        let written = self
            .put_each(due, |o: &EncodedOverview| (&o.key, &o.json))
            .await;
        let mut count = 0;
        let mut failed = None;
        let mut held = self.overviews_lock();
        for (o, result) in written {
            match result {
                Ok(()) => {
                    count += 1;
                    held.insert(o.key.clone(), o.meta.clone());
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        failed.map_or(Ok(count), Err)
    }

    /// Writes each of `docs` (at the key with the JSON `doc` names),
    /// [`DOCUMENTS_IN_FLIGHT`] at once; each with its result.
    async fn put_each<'a, T: Sync>(
        &self,
        docs: Vec<&'a T>,
        doc: fn(&'a T) -> (&'a String, &'a Vec<u8>),
    ) -> Vec<(&'a T, Result<(), PublishError>)> {
        futures::stream::iter(docs.into_iter().map(|d| async move {
            let (key, json) = doc(d);
            (d, self.publisher.put_document(key, json).await)
        }))
        .buffer_unordered(DOCUMENTS_IN_FLIGHT)
        .collect()
        .await
    }

    /// Deletes the document at `key`; whether it is gone (a failure is logged).
    async fn delete(&self, key: &str) -> bool {
        match self.publisher.delete_document(key).await {
            Ok(()) => true,
            Err(e) => {
                debug!(%key, error = %e, "dashboard: document not deleted");
                false
            }
        }
    }

    /// Whether `held` (what the target has) may stay for `next`: same content, and
    /// a heartbeat less than the refresh period older.
    fn current(&self, held: &Published, next: &Published) -> bool {
        held.content_sha256 == next.content_sha256
            && next.heartbeat_at.saturating_sub(held.heartbeat_at) < self.refresh_ms
    }

    async fn publish_overview(&self, doc: &Encoded) -> Result<PublishOutcome, PublishError> {
        let cached = self.remembered();
        let prev = match cached {
            Some(p) => Some(p),
            None => self.publisher.published().await?,
        };
        if let Some(p) = prev
            && self.current(&p, &doc.meta)
        {
            self.remember(p);
            return Ok(PublishOutcome::Unchanged);
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

    fn documents_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, DocumentRef>> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn overviews_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Published>> {
        self.overviews
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
