//! `CMD` (operator commands) and `CTRL` (circuit breakers, the heartbeat): what
//! [`ControlStore`](fjc_core::store::ControlStore) reads and writes.

use fjc_core::breaker::Breaker;
use fjc_core::clock::EpochMs;
use fjc_core::health::{Control, Heartbeat};
use fjc_core::revisions::Command;
use fjc_core::store::{AuditEntry, StoreError};

use super::{Stored, Tables, conflict, version_ok};
use crate::store::size::{Size, pages, through_json};

impl Tables {
    pub(in crate::store) fn request_command(
        &mut self,
        job_id: &str,
        command: Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let audit = self.audit_item(audit)?;
        self.commands
            .entry(job_id.to_string())
            .or_default()
            .set(command, at);
        self.insert_audit(Some(audit));
        Ok(())
    }

    pub(in crate::store) fn control(&self) -> (Control, u64) {
        let sizes = self
            .breakers
            .values()
            .map(|b| b.size)
            .chain(self.heartbeat.as_ref().map(|h| h.size));
        let control = Control {
            breakers: self
                .breakers
                .iter()
                .map(|(c, b)| (c.clone(), b.value.clone()))
                .collect(),
            heartbeat: self.heartbeat.as_ref().map(|h| h.value.clone()),
        };
        (control, pages(sizes))
    }

    pub(in crate::store) fn put_breaker(&mut self, b: &Breaker) -> Result<u64, StoreError> {
        let what = format!("breaker of cluster {}", b.cluster);
        let next = b.version + 1;
        let (mut value, json) = through_json(b, &what)?;
        value.version = next;
        let size = Size::key("CTRL", &format!("BREAKER#{}", b.cluster))
            .s("body", &json)
            .n("version", next)
            .check(&format!("write {what}"))?;
        if !version_ok(
            self.breakers.get(&b.cluster).map(|s| s.value.version),
            b.version,
        ) {
            return Err(conflict(&what, b.version));
        }
        self.breakers
            .insert(b.cluster.clone(), Stored { value, size });
        Ok(next)
    }

    pub(in crate::store) fn put_heartbeat(&mut self, h: &Heartbeat) -> Result<(), StoreError> {
        let (value, json) = through_json(h, "heartbeat")?;
        let size = Size::key("CTRL", "HEARTBEAT")
            .s("body", &json)
            .check("write heartbeat")?;
        self.heartbeat = Some(Stored { value, size });
        Ok(())
    }
}
