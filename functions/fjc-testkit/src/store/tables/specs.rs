//! The `SPEC` partition, the `ART#<path>` index of the jobs naming an artifact,
//! and `ARTEVT`, the latest upload event per artifact: what
//! [`SpecStore`](fjc_core::store::SpecStore) reads and writes.

use fjc_core::clock::EpochMs;
use fjc_core::shard::{Shard, sort_key};
use fjc_core::store::{AuditEntry, SpecRecord, StoreError};

use super::{Stored, Tables, conflict, in_shard, version_ok};
use crate::store::size::{Size, pages, through_json};

impl Tables {
    pub(in crate::store) fn specs_in(&self, shard: Shard) -> (Vec<SpecRecord>, u64) {
        in_shard(&self.specs, shard)
    }

    pub(in crate::store) fn spec(&self, job_id: &str) -> Option<SpecRecord> {
        self.specs.get(&sort_key(job_id)).map(|s| s.value.clone())
    }

    fn unindex(&mut self, path: &str, job_id: &str) {
        if let Some(jobs) = self.artifacts.get_mut(path) {
            jobs.remove(job_id);
            if jobs.is_empty() {
                self.artifacts.remove(path);
            }
        }
    }

    pub(in crate::store) fn put_spec(
        &mut self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        let job_id = &record.spec.job_id;
        let what = format!("spec {job_id}");
        let sk = sort_key(job_id);
        let next = record.version + 1;
        let (spec, json) = through_json(&record.spec, &what)?;
        let trust_json = if record.trust == Default::default() {
            None
        } else {
            Some(through_json(&record.trust, &what)?.1)
        };
        let size = Size::key("SPEC", &sk)
            .n("version", next)
            .s("spec", &json)
            .s("fingerprint", &record.fingerprint.0)
            .s("artifact_digest", &record.artifact_digest)
            .opt_s("artifact_version", record.artifact_version.as_deref())
            .opt_s("trust", trust_json.as_deref())
            .s("job_type", record.spec.job_type.as_str())
            .n("updated_at", record.updated_at)
            .check(&what)?;
        let audit = audit.map(|a| self.audit_item(a)).transpose()?;
        if !version_ok(self.specs.get(&sk).map(|s| s.value.version), record.version) {
            return Err(conflict(&what, record.version));
        }
        let path = &record.spec.artifact_path;
        let stored = SpecRecord {
            spec,
            version: next,
            ..record.clone()
        };
        self.specs.insert(
            sk,
            Stored {
                value: stored,
                size,
            },
        );
        if let Some(old) = old_artifact.filter(|old| old != path) {
            self.unindex(old, job_id);
        }
        self.artifacts
            .entry(path.clone())
            .or_default()
            .insert(job_id.clone());
        self.insert_audit(audit);
        Ok(next)
    }

    pub(in crate::store) fn delete_spec(
        &mut self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        let job_id = &record.spec.job_id;
        let what = format!("spec {job_id}");
        let sk = sort_key(job_id);
        let audit = audit.map(|a| self.audit_item(a)).transpose()?;
        // `#v = :v`: a missing item fails it whatever version was given.
        if self.specs.get(&sk).map(|s| s.value.version) != Some(record.version) {
            return Err(conflict(&what, record.version));
        }
        self.specs.remove(&sk);
        self.unindex(&record.spec.artifact_path, job_id);
        self.insert_audit(audit);
        Ok(())
    }

    pub(in crate::store) fn jobs_for_artifact(&self, path: &str) -> (Vec<String>, u64) {
        let jobs: Vec<String> = self
            .artifacts
            .get(path)
            .map(|j| j.iter().cloned().collect())
            .unwrap_or_default();
        let pk = format!("ART#{path}");
        let pages = pages(jobs.iter().map(|j| Size::key(&pk, j).bytes()));
        (jobs, pages)
    }

    pub(in crate::store) fn mark_artifact_event(
        &mut self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        let what = format!("mark artifact event {path}");
        Size::key("ARTEVT", path)
            .s("token", token)
            .n("at", at)
            .check(&what)?;
        self.artifact_events
            .insert(path.to_string(), token.to_string());
        Ok(())
    }

    pub(in crate::store) fn artifact_event(&self, path: &str) -> Option<String> {
        self.artifact_events.get(path).cloned()
    }
}
