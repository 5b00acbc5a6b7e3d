//! The edge's key store: a CloudFront KeyValueStore, written with the
//! `cloudfront-keyvaluestore` API (SigV4A-signed by the SDK). Both keys change in one
//! `UpdateKeys`, conditional on the store's ETag, so the edge never reads a kid with
//! another kid's key.

use async_trait::async_trait;
use aws_sdk_cloudfrontkeyvaluestore::Client;
use aws_sdk_cloudfrontkeyvaluestore::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudfrontkeyvaluestore::types::PutKeyRequestListItem;

use crate::error::AuthError;
use crate::ports::EdgeKeys;
use crate::session::SessionKey;

const S: &str = "key value store";

/// The KVS key holding the current kid (the edge function reads it).
pub const KID_KEY: &str = "session-key-id";
/// The KVS key holding the current key, standard base64.
pub const KEY_KEY: &str = "session-key";

fn failed<E>(e: &SdkError<E>) -> AuthError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let retryable = matches!(
        e.code(),
        Some("ThrottlingException" | "InternalServerException" | "ConflictException")
    ) || matches!(e, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_));
    AuthError::upstream(S, DisplayErrorContext(e).to_string(), retryable)
}

/// [`EdgeKeys`] in a CloudFront KeyValueStore.
pub struct KeyValueStore {
    client: Client,
    arn: String,
}

impl KeyValueStore {
    /// The store `arn`.
    pub fn new(client: Client, arn: impl Into<String>) -> KeyValueStore {
        KeyValueStore {
            client,
            arn: arn.into(),
        }
    }
}

fn item(key: &str, value: String) -> Result<PutKeyRequestListItem, AuthError> {
    PutKeyRequestListItem::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| AuthError::upstream(S, e.to_string(), false))
}

#[async_trait]
impl EdgeKeys for KeyValueStore {
    async fn publish(&self, key: &SessionKey) -> Result<(), AuthError> {
        let described = self
            .client
            .describe_key_value_store()
            .kvs_arn(&self.arn)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        self.client
            .update_keys()
            .kvs_arn(&self.arn)
            .if_match(described.e_tag)
            .puts(item(KID_KEY, key.kid().to_string())?)
            .puts(item(KEY_KEY, key.key_base64())?)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn current_kid(&self) -> Result<Option<String>, AuthError> {
        match self
            .client
            .get_key()
            .kvs_arn(&self.arn)
            .key(KID_KEY)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.value)),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(failed(&e)),
        }
    }
}
