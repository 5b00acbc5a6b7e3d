//! Creates the table, idempotently. The CLI (`fjc bootstrap`), the LocalStack init
//! hook and the tests all use this one function.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};

use fjc_core::store::StoreError;

/// What bootstrap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrapped {
    /// The table was created.
    Created,
    /// It existed already.
    AlreadyExisted,
}

/// Creates `table` (pk/sk strings, on-demand) unless it exists, then waits until it
/// is ACTIVE (at most 60 s).
pub async fn ensure_table(client: &Client, table: &str) -> Result<Bootstrapped, StoreError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
    };
    let other = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Other {
        message: e.to_string(),
    };
    let res = client
        .create_table()
        .table_name(table)
        .attribute_definitions(attr("pk").map_err(other)?)
        .attribute_definitions(attr("sk").map_err(other)?)
        .key_schema(key("pk", KeyType::Hash).map_err(other)?)
        .key_schema(key("sk", KeyType::Range).map_err(other)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    let outcome = match res {
        Ok(_) => Bootstrapped::Created,
        Err(e) if e.code() == Some("ResourceInUseException") => Bootstrapped::AlreadyExisted,
        Err(e) => {
            return Err(StoreError::Unavailable {
                message: format!("create table {table}: {}", DisplayErrorContext(&e)),
            });
        }
    };
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable {
                message: format!("describe table {table}: {}", DisplayErrorContext(&e)),
            })?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(outcome);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable {
        message: format!("table {table} did not become ACTIVE within 60 s"),
    })
}
