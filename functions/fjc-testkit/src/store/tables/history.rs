//! The `AUDIT#<job>` and `REV#<job>` partitions: what
//! [`HistoryStore`](fjc_core::store::HistoryStore) reads and writes.

use fjc_core::revisions::Revision;
use fjc_core::store::{AuditEntry, StoreError};

use super::{Stored, Tables, listed};
use crate::store::size::{Size, through_json};

impl Tables {
    pub(in crate::store) fn audit(&self, job_id: &str) -> (Vec<AuditEntry>, u64) {
        listed(self.audit.get(job_id).into_iter().flat_map(|m| m.values()))
    }

    pub(in crate::store) fn put_revision(&mut self, r: &Revision) -> Result<(), StoreError> {
        let what = format!("write revision {} of {}", r.number, r.job_id);
        let (value, json) = through_json(r, &what)?;
        let size = Size::key(&format!("REV#{}", r.job_id), &format!("{:010}", r.number))
            .s("revision", &json)
            .s("outcome", r.outcome.as_str())
            .check(&what)?;
        self.revisions
            .entry(r.job_id.clone())
            .or_default()
            .insert(r.number, Stored { value, size });
        Ok(())
    }

    pub(in crate::store) fn delete_revision(&mut self, job_id: &str, number: u64) {
        if let Some(revisions) = self.revisions.get_mut(job_id) {
            revisions.remove(&number);
        }
    }

    pub(in crate::store) fn revisions(&self, job_id: &str) -> (Vec<Revision>, u64) {
        listed(
            self.revisions
                .get(job_id)
                .into_iter()
                .flat_map(|m| m.values()),
        )
    }
}
