//! Moves spec and state items written before sharding (sort key = job id) to
//! their bucketed sort key ([`fjc_core::shard::sort_key`]). Run by `fjc bootstrap`;
//! idempotent, and each move is one transaction (put new, delete old at its
//! version), so a crash mid-way leaves every item readable.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::codec::{self, Item, SPEC_PK, STATE_PK, is_legacy, key, n};
use super::{DynamoStore, build_err};
use fjc_core::store::StoreError;

impl DynamoStore {
    /// Moves every legacy spec and state item; how many moved.
    pub async fn migrate_sort_keys(&self) -> Result<usize, StoreError> {
        let mut moved = 0;
        for pk in [SPEC_PK, STATE_PK] {
            for item in self.query_all(pk).await? {
                let Some(sk) = codec::get_opt_s(&item, "sk") else {
                    continue;
                };
                if is_legacy(&sk) {
                    self.move_item(pk, &sk, item).await?;
                    moved += 1;
                }
            }
        }
        Ok(moved)
    }

    async fn move_item(&self, pk: &str, job_id: &str, mut item: Item) -> Result<(), StoreError> {
        let version = codec::get_n::<u64>(&item, "version", "legacy item")?;
        item.extend(key(pk, &fjc_core::shard::sort_key(job_id)));
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(key(pk, job_id)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .build()
            .map_err(build_err)?;
        self.write();
        self.client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .send()
            .await
            .map_err(|e| self.map_err(e, &format!("move {pk} {job_id} to its bucketed key")))?;
        Ok(())
    }
}
