//! What the snapshot shows of a job's history (its revisions and audit trail),
//! which lives outside its state item; the engine reads and caches it.

use fjc_snapshot::{AuditView, Revision, one_line};

use crate::clock::EpochMs;
use crate::record::{AuditEntry, SpecRecord};
use crate::revisions::Revision as StoredRevision;
use crate::state::JobState;

/// Audit entries shown per job (the newest).
pub const AUDIT_SHOWN: usize = 10;

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

/// What is known of a job's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Read from the store (or empty for a job not read yet).
    Read(JobHistory),
    /// Not read by this process: the job is unchanged since the detail document
    /// with this version was published, which stays as it is.
    Published {
        /// [`fjc_snapshot::JobView::detail_version`] of that document.
        version: String,
    },
}

/// What a job's history was read for: the last change of its state and of its
/// spec. Equal keys mean nothing new can have been written.
pub type Key = (Option<EpochMs>, Option<EpochMs>);

/// The key a job's history is read for, from its spec and state.
pub fn key_of(spec: Option<&SpecRecord>, state: Option<&JobState>) -> Key {
    (state.map(|s| s.updated_at), spec.map(|r| r.updated_at))
}
