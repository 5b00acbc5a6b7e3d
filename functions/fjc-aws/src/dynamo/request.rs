//! How the adapter makes a request: an unconditional put or a transaction of puts,
//! a query paged to the end (optionally one shard's key range), and the mapping of
//! an SDK error to a [`StoreError`] that says whether to retry.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::DynamoStore;
use super::codec::{Item, s};
use fjc_core::shard::Shard;
use fjc_core::store::StoreError;

impl DynamoStore {
    /// An unconditional put; `what` names the item in errors ("write heartbeat").
    pub(super) async fn put_plain(&self, item: Item, what: &str) -> Result<(), StoreError> {
        self.write();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.map_err(e, what))?;
        Ok(())
    }

    /// Unconditional puts in one transaction: all are written or none.
    pub(super) async fn put_together(
        &self,
        items: Vec<Item>,
        what: &str,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let mut tx = self.client.transact_write_items();
        for item in items {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(build_err)?;
            tx = tx.transact_items(TransactWriteItem::builder().put(put).build());
        }
        self.write();
        tx.send().await.map_err(|e| self.map_err(e, what))?;
        Ok(())
    }

    pub(super) async fn query_all(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.query_pages(pk, None).await
    }

    /// The items of one shard's key range of partition `pk` (all of it for the
    /// whole fleet).
    pub(super) async fn query_shard(
        &self,
        pk: &str,
        shard: Shard,
    ) -> Result<Vec<Item>, StoreError> {
        let range = (!shard.is_whole()).then(|| shard.key_range());
        self.query_pages(pk, range).await
    }

    async fn query_pages(
        &self,
        pk: &str,
        range: Option<(String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            self.read();
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk));
            query = match &range {
                None => query.key_condition_expression("pk = :pk"),
                Some((lo, hi)) => query
                    .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
                    .expression_attribute_values(":lo", s(lo))
                    .expression_attribute_values(":hi", s(hi)),
            };
            let out = query
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| self.map_err(e, &format!("query {pk}")))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    pub(super) fn map_err<E, R>(&self, err: SdkError<E, R>, what: &str) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = err.code().map(str::to_string);
        let message = format!("{what}: {}", DisplayErrorContext(&err));
        match code.as_deref() {
            Some("ResourceNotFoundException") => StoreError::NoTable {
                table: self.table.clone(),
            },
            Some(
                "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "TransactionInProgressException",
            ) => StoreError::Unavailable { message },
            Some(_) => StoreError::Other { message },
            // No service error code: the request did not get an answer (connection,
            // timeout, DNS). Treat as unavailable.
            None => StoreError::Unavailable { message },
        }
    }
}

pub(super) fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other {
        message: format!("building request: {e}"),
    }
}

pub(super) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// Condition for writing an item we read at `version` (0 = must not exist yet).
pub(super) fn version_condition(version: u64) -> &'static str {
    if version == 0 {
        "attribute_not_exists(pk)"
    } else {
        "#v = :v"
    }
}
