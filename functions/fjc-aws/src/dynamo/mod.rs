//! The DynamoDB adapter of [`Store`]: what each port method reads and writes.
//!
//! The item layout and its conversion to and from records is `codec`. How a
//! request is made (plain puts, paged queries, error mapping) is in `request`;
//! writes fenced by the reconcile lease (state commits with their run writes,
//! lease renewal and release) are in `fenced`. The spec, revision and control
//! items are in `specs`, `revisions` and `control`; [`bootstrap`] creates the
//! table, and `migrate` moves items written before sharding (both for
//! `fjc bootstrap`). Service errors become [`StoreError`]s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use codec::{Item, LEASE_PK, RUNREQ_PK, SPEC_PK, STATE_PK, key, n, run_pk, s};
use fjc_core::clock::EpochMs;
use fjc_core::runs::Run;
use fjc_core::shard::Shard;
use fjc_core::state::JobState;
use fjc_core::store::{
    AuditEntry, ControlStore, HistoryStore, LeaseGrant, LeaseHolder, LeaseOutcome, RunWrite,
    SpecRecord, SpecStore, StateStore, Store, StoreError, StoreStats,
};

pub mod bootstrap;
mod codec;
mod control;
mod fenced;
mod migrate;
mod request;
mod revisions;
mod specs;

use request::{build_err, is_condition_failure, version_condition};

/// Store backed by one DynamoDB table (see `codec` for the item layout).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    reads: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
}

impl DynamoStore {
    /// Wraps a client built once at start.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            reads: Arc::default(),
            writes: Arc::default(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
}

impl SpecStore for DynamoStore {
    async fn list_specs(&self) -> Result<Vec<SpecRecord>, StoreError> {
        self.list_specs_in(Shard::WHOLE).await
    }

    async fn list_specs_in(&self, shard: Shard) -> Result<Vec<SpecRecord>, StoreError> {
        self.query_shard(SPEC_PK, shard)
            .await?
            .iter()
            .map(codec::spec_from_item)
            .collect()
    }

    async fn get_spec(&self, job_id: &str) -> Result<Option<SpecRecord>, StoreError> {
        self.read();
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(codec::spec_key(job_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.map_err(e, &format!("get spec {job_id}")))?;
        out.item.as_ref().map(codec::spec_from_item).transpose()
    }

    async fn put_spec(
        &self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        self.put_spec_tx(record, old_artifact, audit).await
    }

    async fn delete_spec(
        &self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.delete_spec_tx(record, audit).await
    }

    async fn jobs_for_artifact(&self, path: &str) -> Result<Vec<String>, StoreError> {
        let items = self.query_all(&codec::artifact_pk(path)).await?;
        Ok(items
            .iter()
            .filter_map(|i| codec::get_opt_s(i, "sk"))
            .collect())
    }

    async fn mark_artifact_event(
        &self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        self.mark_artifact_event_item(path, token, at).await
    }

    async fn artifact_event_token(&self, path: &str) -> Result<Option<String>, StoreError> {
        self.artifact_event_item(path).await
    }
}

impl StateStore for DynamoStore {
    async fn list_states(&self) -> Result<Vec<JobState>, StoreError> {
        self.list_states_in(Shard::WHOLE).await
    }

    async fn list_states_in(&self, shard: Shard) -> Result<Vec<JobState>, StoreError> {
        self.query_shard(STATE_PK, shard)
            .await?
            .iter()
            .map(codec::state_from_item)
            .collect()
    }

    async fn commit(
        &self,
        state: &JobState,
        runs: &[RunWrite],
        lease: &LeaseGrant,
    ) -> Result<u64, StoreError> {
        let next = state.version + 1;
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(codec::state_to_item(state, next)?))
            .condition_expression(version_condition(state.version));
        if state.version > 0 {
            put = put
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", n(state.version));
        }
        let mut writes = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(build_err)?)
                .build(),
        ];
        for w in runs {
            writes.push(self.run_write(w)?);
        }
        let what = format!("state of {}", state.job_id);
        self.fenced(lease, writes, &what, state.version).await?;
        Ok(next)
    }

    async fn delete_state(
        &self,
        job_id: &str,
        version: u64,
        lease: &LeaseGrant,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(codec::state_key(job_id)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .build()
            .map_err(build_err)?;
        let write = TransactWriteItem::builder().delete(delete).build();
        self.fenced(lease, vec![write], &format!("state of {job_id}"), version)
            .await
    }

    async fn renew_lease(
        &self,
        lease: &LeaseGrant,
        expires_at: EpochMs,
    ) -> Result<bool, StoreError> {
        self.set_own_lease_expiry(lease, expires_at, "renew").await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now: EpochMs,
    ) -> Result<LeaseOutcome, StoreError> {
        let expires_at = now + ttl_ms;
        self.write();
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(LEASE_PK, name)))
            .update_expression("SET #owner = :owner, expires_at = :exp ADD #token :one")
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":exp", n(expires_at))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match res {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(LeaseOutcome::Acquired(LeaseGrant {
                    name: name.to_string(),
                    owner: owner.to_string(),
                    token: codec::get_n(&item, "token", "lease")?,
                    expires_at,
                }))
            }
            Err(e) if is_condition_failure(&e) => {
                let old = match e.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c)) => {
                        c.item().cloned().unwrap_or_default()
                    }
                    _ => Item::new(),
                };
                Ok(LeaseOutcome::Held(LeaseHolder {
                    owner: codec::get_opt_s(&old, "owner").unwrap_or_else(|| "unknown".into()),
                    expires_at: codec::get_n(&old, "expires_at", "lease").unwrap_or(0),
                }))
            }
            Err(e) => Err(self.map_err(e, &format!("acquire lease {name}"))),
        }
    }

    async fn release_lease(&self, lease: &LeaseGrant) -> Result<(), StoreError> {
        // `false`: someone else holds it now, nothing of ours to release.
        self.set_own_lease_expiry(lease, 0, "release")
            .await
            .map(|_| ())
    }

    async fn list_runs(&self, job_id: &str) -> Result<Vec<Run>, StoreError> {
        self.query_all(&run_pk(job_id))
            .await?
            .iter()
            .map(codec::run_from_item)
            .collect()
    }

    async fn request_run(&self, job_id: &str, at: EpochMs) -> Result<(), StoreError> {
        let mut item = key(RUNREQ_PK, job_id);
        item.insert("requested_at".into(), n(at));
        self.put_plain(item, &format!("request run of {job_id}"))
            .await
    }

    async fn list_run_requests(
        &self,
    ) -> Result<std::collections::BTreeMap<String, EpochMs>, StoreError> {
        self.query_all(RUNREQ_PK)
            .await?
            .iter()
            .map(|item| {
                let job = codec::get_opt_s(item, "sk").unwrap_or_default();
                Ok((job, codec::get_n(item, "requested_at", "run request")?))
            })
            .collect()
    }
}

impl ControlStore for DynamoStore {
    async fn request_command(
        &self,
        job_id: &str,
        command: fjc_core::revisions::Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.put_command_item(job_id, command, at, audit).await
    }

    async fn list_commands(
        &self,
    ) -> Result<std::collections::BTreeMap<String, fjc_core::revisions::Commands>, StoreError> {
        self.command_items().await
    }

    async fn control(&self) -> Result<fjc_core::health::Control, StoreError> {
        self.control_items().await
    }

    async fn put_breaker(&self, breaker: &fjc_core::breaker::Breaker) -> Result<u64, StoreError> {
        self.put_breaker_item(breaker).await
    }

    async fn put_heartbeat(
        &self,
        heartbeat: &fjc_core::health::Heartbeat,
    ) -> Result<(), StoreError> {
        self.put_heartbeat_item(heartbeat).await
    }
}

impl HistoryStore for DynamoStore {
    async fn list_audit(&self, job_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.query_all(&codec::audit_pk(job_id))
            .await?
            .iter()
            .map(codec::audit_from_item)
            .collect()
    }

    async fn put_revision(
        &self,
        revision: &fjc_core::revisions::Revision,
    ) -> Result<(), StoreError> {
        self.put_revision_item(revision).await
    }

    async fn list_revisions(
        &self,
        job_id: &str,
    ) -> Result<Vec<fjc_core::revisions::Revision>, StoreError> {
        self.revision_items(job_id).await
    }

    async fn delete_revision(&self, job_id: &str, number: u64) -> Result<(), StoreError> {
        self.delete_revision_item(job_id, number).await
    }
}

impl Store for DynamoStore {
    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}
