//! The part of a job's snapshot that lives outside its state item: its revisions
//! and its audit trail. Reading them for every job every cycle would make an idle
//! fleet cost two queries per job, so they are read again only for a job whose spec
//! or state changed since they were last read (a revision or an audit entry is only
//! ever written together with such a change), and at most
//! [`MAX_REFRESHES_PER_CYCLE`] jobs per cycle. What was read is kept in memory. A
//! fresh process does not read every job's history again: it takes from the
//! overview it published before which jobs are unchanged since, and keeps their
//! published detail documents ([`Known::Published`]) until they change.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use fjc_snapshot::Snapshot;
use futures::StreamExt;
use tracing::debug;

use crate::state::JobState;
use crate::store::{HistoryStore, SpecRecord};

pub use fjc_domain::snapshot::history::{AUDIT_SHOWN, JobHistory, Key, Known, key_of};

/// Jobs whose history is re-read in one cycle, at most: a constant bound, so a
/// cycle in which every job changed (the first deployment of a fleet) reads no more
/// than this; the rest follow in the next cycles.
pub const MAX_REFRESHES_PER_CYCLE: usize = 200;

/// Concurrent history reads.
const READS_IN_FLIGHT: usize = 16;

#[derive(Debug, Default)]
struct Cache {
    seeded: bool,
    jobs: BTreeMap<String, (Key, Known)>,
}

/// The in-memory history of every job, refreshed as jobs change.
#[derive(Debug, Default)]
pub struct HistoryCache {
    inner: Mutex<Cache>,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Jobs whose history was read.
    pub read: usize,
    /// Jobs that changed but were left for a later cycle (over the bound) or whose
    /// read failed.
    pub deferred: usize,
}

impl HistoryCache {
    /// Takes from `previous` (the overview published before this process started)
    /// which jobs' detail documents are published, with the spec and state they
    /// were built from: a job unchanged since keeps its document and is not read.
    pub fn seed(&self, previous: Option<&Snapshot>) {
        let mut c = self.lock();
        if c.seeded {
            return;
        }
        c.seeded = true;
        for j in previous.map(|p| p.jobs.as_slice()).unwrap_or_default() {
            if let Some(version) = &j.detail_version {
                let key = (j.updated_at, j.applied_at);
                let known = Known::Published {
                    version: version.clone(),
                };
                c.jobs.insert(j.job_id.clone(), (key, known));
            }
        }
    }

    /// Re-reads the history of the jobs that changed (at most
    /// [`MAX_REFRESHES_PER_CYCLE`], most recently changed first), forgets jobs that
    /// are gone, and returns what is known of every job's history (a job missing
    /// there was not read yet).
    pub async fn refresh<S: HistoryStore>(
        &self,
        store: &S,
        specs: &BTreeMap<String, SpecRecord>,
        states: &BTreeMap<String, JobState>,
    ) -> (BTreeMap<String, Known>, Refreshed) {
        let mut stale = self.stale(specs, states);
        stale.sort_by_key(|s| std::cmp::Reverse(s.1));
        let deferred_by_bound = stale.len().saturating_sub(MAX_REFRESHES_PER_CYCLE);
        stale.truncate(MAX_REFRESHES_PER_CYCLE);
        let read: Vec<(String, Key, Option<JobHistory>)> =
            futures::stream::iter(stale.into_iter().map(|(id, key)| async move {
                let got = tokio::try_join!(store.list_revisions(id), store.list_audit(id));
                let history = match got {
                    Ok((revisions, audit)) => Some(JobHistory::of(&revisions, &audit)),
                    Err(e) => {
                        debug!(job = %id, error = %e, "dashboard: history not read; kept as it was");
                        None
                    }
                };
                (id.clone(), key, history)
            }))
            .buffer_unordered(READS_IN_FLIGHT)
            .collect()
            .await;
        let mut c = self.lock();
        c.seeded = true;
        let mut done = Refreshed {
            deferred: deferred_by_bound,
            ..Refreshed::default()
        };
        for (id, key, history) in read {
            match history {
                Some(h) => {
                    done.read += 1;
                    c.jobs.insert(id, (key, Known::Read(h)));
                }
                None => done.deferred += 1,
            }
        }
        c.jobs
            .retain(|id, _| specs.contains_key(id) || states.contains_key(id));
        let all = c
            .jobs
            .iter()
            .map(|(id, (_, h))| (id.clone(), h.clone()))
            .collect();
        (all, done)
    }

    /// The jobs whose history must be read: changed since it was read or
    /// published, or never read.
    pub fn stale<'a>(
        &self,
        specs: &'a BTreeMap<String, SpecRecord>,
        states: &'a BTreeMap<String, JobState>,
    ) -> Vec<(&'a String, Key)> {
        let mut ids: Vec<&String> = specs.keys().chain(states.keys()).collect();
        ids.sort();
        ids.dedup();
        let c = self.lock();
        ids.into_iter()
            .map(|id| (id, key_of(specs.get(id), states.get(id))))
            .filter(|(id, key)| c.jobs.get(*id).is_none_or(|(k, _)| k != key))
            .collect()
    }

    /// What is known of every job's history.
    pub fn known(&self) -> BTreeMap<String, Known> {
        self.lock()
            .jobs
            .iter()
            .map(|(id, (_, k))| (id.clone(), k.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
