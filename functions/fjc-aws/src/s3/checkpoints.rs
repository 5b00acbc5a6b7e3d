//! Checkpoint storage on S3: the [`ObjectStore`] behind the engine's
//! [`Storage`](fjc_core::restore::Storage) for `s3://` (and `s3a://`, `s3p://`)
//! checkpoint and savepoint directories.

use aws_sdk_s3::error::DisplayErrorContext;
use fjc_core::restore::{ObjectStore, StoredObject};
use futures::future::BoxFuture;

/// Lists and checks objects with one S3 client.
#[derive(Debug, Clone)]
pub struct S3Checkpoints {
    client: aws_sdk_s3::Client,
}

impl S3Checkpoints {
    /// With an existing client.
    pub fn new(client: aws_sdk_s3::Client) -> S3Checkpoints {
        S3Checkpoints { client }
    }
}

impl ObjectStore for S3Checkpoints {
    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoredObject>, String>> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| DisplayErrorContext(&e).to_string())?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    let modified_at = o
                        .last_modified()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0);
                    out.push(StoredObject {
                        key: key.to_string(),
                        modified_at,
                    });
                }
            }
            Ok(out)
        })
    }

    fn exists<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            match self
                .client
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
                Err(e) => Err(DisplayErrorContext(&e).to_string()),
            }
        })
    }
}
