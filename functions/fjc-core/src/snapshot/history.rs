//! The part of a job's snapshot that lives outside its state item: its revisions
//! and its audit trail. Reading them for every job every cycle would make an idle
//! fleet cost two queries per job, so they are read again only for a job whose spec
//! or state changed since they were last read (a revision or an audit entry is only
//! ever written together with such a change), and at most
//! [`MAX_REFRESHES_PER_CYCLE`] jobs per cycle. What was read is kept in memory; a
//! fresh process seeds it from the snapshot it published before.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use fjc_snapshot::{AuditView, Revision, Snapshot, one_line};
use futures::StreamExt;
use tracing::debug;

use crate::clock::EpochMs;
use crate::revisions::Revision as StoredRevision;
use crate::state::JobState;
use crate::store::{AuditEntry, SpecRecord, Store};

/// Audit entries shown per job (the newest).
pub const AUDIT_SHOWN: usize = 10;

/// Jobs whose history is re-read in one cycle, at most: a constant bound, so a
/// cycle in which every job changed (the first deployment of a fleet) reads no more
/// than this; the rest follow in the next cycles.
pub const MAX_REFRESHES_PER_CYCLE: usize = 200;

/// Concurrent history reads.
const READS_IN_FLIGHT: usize = 16;

/// Longest reason copied from a revision.
const MAX_REASON_CHARS: usize = 300;

/// A job's revisions (newest first) and last audit entries (newest first), as the
/// snapshot shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobHistory {
    /// Revisions, newest first.
    pub revisions: Vec<Revision>,
    /// The last [`AUDIT_SHOWN`] audit entries, newest first.
    pub audit: Vec<AuditView>,
}

impl JobHistory {
    /// From what the store returned (both oldest first).
    pub fn of(revisions: &[StoredRevision], audit: &[AuditEntry]) -> JobHistory {
        JobHistory {
            revisions: revisions
                .iter()
                .rev()
                .map(|r| Revision {
                    number: r.number,
                    fingerprint: r.fingerprint.0.clone(),
                    deployed_at: Some(r.deployed_at),
                    outcome: Some(r.outcome),
                    reason: r.reason.as_deref().map(|m| one_line(m, MAX_REASON_CHARS)),
                    restored_from: r.restored_from.clone(),
                })
                .collect(),
            audit: audit
                .iter()
                .rev()
                .take(AUDIT_SHOWN)
                .map(|a| AuditView {
                    at: a.at,
                    actor: a.actor.clone(),
                    action: a.action.clone(),
                    from: a.from.clone(),
                    to: a.to.clone(),
                    detail: a.detail.as_deref().map(|d| one_line(d, MAX_REASON_CHARS)),
                })
                .collect(),
        }
    }
}

/// What a job's history was read for: the last change of its state and of its
/// spec. Equal keys mean nothing new can have been written.
type Key = (Option<EpochMs>, Option<EpochMs>);

fn key_of(spec: Option<&SpecRecord>, state: Option<&JobState>) -> Key {
    (state.map(|s| s.updated_at), spec.map(|r| r.updated_at))
}

#[derive(Debug, Default)]
struct Cache {
    seeded: bool,
    jobs: BTreeMap<String, (Key, JobHistory)>,
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
    /// Whether the cache was seeded (or refreshed) in this process.
    pub fn is_seeded(&self) -> bool {
        self.lock().seeded
    }

    /// Takes the histories of `previous` (the snapshot published before this
    /// process started) for the jobs whose spec and state are unchanged since.
    pub fn seed(&self, previous: Option<&Snapshot>) {
        let mut c = self.lock();
        if c.seeded {
            return;
        }
        c.seeded = true;
        for j in previous.map(|p| p.jobs.as_slice()).unwrap_or_default() {
            let key = (j.updated_at, j.spec.as_ref().and_then(|s| s.applied_at));
            c.jobs.insert(
                j.job_id.clone(),
                (
                    key,
                    JobHistory {
                        revisions: j.revisions.clone(),
                        audit: j.audit.clone(),
                    },
                ),
            );
        }
    }

    /// Re-reads the history of the jobs that changed (at most
    /// [`MAX_REFRESHES_PER_CYCLE`], most recently changed first), forgets jobs that
    /// are gone, and returns every job's history.
    pub async fn refresh<S: Store>(
        &self,
        store: &S,
        specs: &BTreeMap<String, SpecRecord>,
        states: &BTreeMap<String, JobState>,
    ) -> (BTreeMap<String, JobHistory>, Refreshed) {
        let mut ids: Vec<&String> = specs.keys().chain(states.keys()).collect();
        ids.sort();
        ids.dedup();
        let mut stale: Vec<(&String, Key)> = {
            let c = self.lock();
            ids.iter()
                .map(|id| (*id, key_of(specs.get(*id), states.get(*id))))
                .filter(|(id, key)| c.jobs.get(*id).is_none_or(|(k, _)| k != key))
                .collect()
        };
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
                    c.jobs.insert(id, (key, h));
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
