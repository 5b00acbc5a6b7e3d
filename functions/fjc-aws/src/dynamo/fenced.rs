//! Writes fenced by the reconcile lease: a state commit is one transaction whose
//! first item checks the lease's owner and fencing token (so a holder that lost
//! the lease cannot write), with the run writes that go with it; and renewing or
//! releasing a lease only while it is still ours.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};

use super::codec::{self, LEASE_PK, RUNREQ_PK, key, n, run_pk, s};
use super::{DynamoStore, build_err, is_condition_failure};
use fjc_core::clock::EpochMs;
use fjc_core::store::{LeaseGrant, RunWrite, StoreError};

impl DynamoStore {
    /// Sets the expiry of `lease` while it is still ours (same owner and fencing
    /// token): renewing it, or releasing it with 0. `false` when it is not ours.
    pub(super) async fn set_own_lease_expiry(
        &self,
        lease: &LeaseGrant,
        expires_at: EpochMs,
        what: &str,
    ) -> Result<bool, StoreError> {
        self.write();
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(LEASE_PK, &lease.name)))
            .update_expression("SET expires_at = :exp")
            .condition_expression("#owner = :owner AND #token = :token")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":owner", s(&lease.owner))
            .expression_attribute_values(":token", n(lease.token))
            .expression_attribute_values(":exp", n(expires_at))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(self.map_err(e, &format!("{what} lease {}", lease.name))),
        }
    }

    /// The lease check every fenced write carries.
    fn lease_check(&self, lease: &LeaseGrant) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(LEASE_PK, &lease.name)))
            .condition_expression("#token = :token AND #owner = :owner")
            .expression_attribute_names("#token", "token")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":token", n(lease.token))
            .expression_attribute_values(":owner", s(&lease.owner))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(super) async fn fenced(
        &self,
        lease: &LeaseGrant,
        writes: Vec<TransactWriteItem>,
        what: &str,
        expected: u64,
    ) -> Result<(), StoreError> {
        self.write();
        let mut items = vec![self.lease_check(lease)?];
        items.extend(writes);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(t)) =
                    err.as_service_error()
                {
                    let failed = |i: usize| {
                        t.cancellation_reasons()
                            .get(i)
                            .and_then(|r| r.code())
                            .is_some_and(|c| c == "ConditionalCheckFailed")
                    };
                    if failed(0) {
                        return Err(StoreError::LeaseLost {
                            name: lease.name.clone(),
                            token: lease.token,
                        });
                    }
                    if failed(1) {
                        return Err(StoreError::Conflict {
                            what: what.to_string(),
                            expected,
                        });
                    }
                    if let Some(i) = (2..t.cancellation_reasons().len()).find(|i| failed(*i)) {
                        return Err(StoreError::Conflict {
                            what: format!("{what}: run write {} (already recorded)", i - 1),
                            expected,
                        });
                    }
                }
                Err(self.map_err(err, what))
            }
        }
    }

    pub(super) fn run_write(&self, w: &RunWrite) -> Result<TransactWriteItem, StoreError> {
        let item = match w {
            RunWrite::Create(run) => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(codec::run_to_item(run)?))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().put(put).build()
            }
            RunWrite::Put(run) => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(codec::run_to_item(run)?))
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().put(put).build()
            }
            RunWrite::Delete { job_id, run_id } => {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(&run_pk(job_id), run_id)))
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            RunWrite::ConsumeRequest { job_id } => {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(RUNREQ_PK, job_id)))
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().delete(delete).build()
            }
        };
        Ok(item)
    }
}
