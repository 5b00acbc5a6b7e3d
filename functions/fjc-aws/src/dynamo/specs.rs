//! Spec writes with their artifact index item and audit entry in one
//! transaction, and the artifact-event (debounce) items.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::codec::{self, ARTEVT_PK, key, n, s};
use super::{DynamoStore, build_err, version_condition};
use fjc_core::clock::EpochMs;
use fjc_core::store::{AuditEntry, SpecRecord, StoreError};

impl DynamoStore {
    fn put_item(&self, item: codec::Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete_item(&self, pk: &str, sk: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The spec first (its condition decides a conflict), then index and audit.
    async fn spec_transaction(
        &self,
        first: TransactWriteItem,
        rest: Vec<TransactWriteItem>,
        what: String,
        expected: u64,
    ) -> Result<(), StoreError> {
        self.write();
        let mut items = vec![first];
        items.extend(rest);
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(t)) =
                    err.as_service_error()
                    && t.cancellation_reasons()
                        .first()
                        .and_then(|r| r.code())
                        .is_some_and(|c| c == "ConditionalCheckFailed")
                {
                    return Err(StoreError::Conflict { what, expected });
                }
                Err(self.map_err(err, &what))
            }
        }
    }

    pub(super) async fn put_spec_tx(
        &self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        let job_id = &record.spec.job_id;
        let next = record.version + 1;
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(codec::spec_to_item(record, next)?))
            .condition_expression(version_condition(record.version));
        if record.version > 0 {
            put = put
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", n(record.version));
        }
        let first = TransactWriteItem::builder()
            .put(put.build().map_err(build_err)?)
            .build();
        let path = &record.spec.artifact_path;
        let mut rest = vec![self.put_item(key(&codec::artifact_pk(path), job_id))?];
        if let Some(old) = old_artifact.filter(|old| old != path) {
            rest.push(self.delete_item(&codec::artifact_pk(old), job_id)?);
        }
        if let Some(a) = audit {
            rest.push(self.put_item(codec::audit_to_item(a)?)?);
        }
        self.spec_transaction(first, rest, format!("spec {job_id}"), record.version)
            .await?;
        Ok(next)
    }

    pub(super) async fn delete_spec_tx(
        &self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        let job_id = &record.spec.job_id;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(codec::spec_key(job_id)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(record.version))
            .build()
            .map_err(build_err)?;
        let first = TransactWriteItem::builder().delete(delete).build();
        let mut rest =
            vec![self.delete_item(&codec::artifact_pk(&record.spec.artifact_path), job_id)?];
        if let Some(a) = audit {
            rest.push(self.put_item(codec::audit_to_item(a)?)?);
        }
        self.spec_transaction(first, rest, format!("spec {job_id}"), record.version)
            .await
    }

    pub(super) async fn mark_artifact_event_item(
        &self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        let mut item = key(ARTEVT_PK, path);
        item.insert("token".into(), s(token));
        item.insert("at".into(), n(at));
        self.put_plain(item, &format!("mark artifact event {path}"))
            .await
    }

    pub(super) async fn artifact_event_item(
        &self,
        path: &str,
    ) -> Result<Option<String>, StoreError> {
        self.read();
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(ARTEVT_PK, path)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.map_err(e, &format!("read artifact event {path}")))?;
        Ok(out.item.as_ref().and_then(|i| codec::get_opt_s(i, "token")))
    }
}
