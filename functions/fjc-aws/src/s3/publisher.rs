//! S3 adapter of the snapshot publisher port: object `snapshot.json` in the
//! dashboard bucket, and one object per job under `jobs/` (see
//! [`fjc_snapshot::job_document_key`]). The content hash and heartbeat travel as
//! object metadata, so deciding whether to write costs one HEAD (once per
//! process; the [`Sink`](fjc_core::snapshot::publish::Sink) remembers it after
//! that). S3 errors become [`PublishError::S3`].

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use fjc_core::snapshot::dir::SNAPSHOT_FILE;
use fjc_core::snapshot::port::{Encoded, PublishError, Published, SnapshotPublisher};

/// Metadata key of the content hash (`x-amz-meta-fjc-content-sha256`).
pub const META_CONTENT: &str = "fjc-content-sha256";
/// Metadata key of the heartbeat, epoch ms (`x-amz-meta-fjc-heartbeat-at`).
pub const META_HEARTBEAT: &str = "fjc-heartbeat-at";

/// Publishes to `s3://<bucket>/snapshot.json`.
#[derive(Debug, Clone)]
pub struct S3Publisher {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Publisher {
    /// With an existing client.
    pub fn new(client: aws_sdk_s3::Client, bucket: &str) -> Self {
        S3Publisher {
            client,
            bucket: bucket.to_string(),
        }
    }

    /// A client from the standard AWS configuration (path-style, so emulators work).
    pub fn from_sdk(sdk: &aws_config::SdkConfig, bucket: &str) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build();
        S3Publisher::new(aws_sdk_s3::Client::from_conf(conf), bucket)
    }

    fn err(&self, what: &str, detail: String) -> PublishError {
        PublishError::S3 {
            target: self.target(),
            message: format!("{what}: {detail}"),
        }
    }
}

impl SnapshotPublisher for S3Publisher {
    async fn previous(&self) -> Result<Option<fjc_snapshot::Snapshot>, PublishError> {
        let got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(SNAPSHOT_FILE)
            .send()
            .await;
        let out = match got {
            Ok(o) => o,
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || matches!(e.code(), Some("NotFound" | "NoSuchKey")) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(self.err("get", DisplayErrorContext(&e).to_string())),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| self.err("get", e.to_string()))?
            .into_bytes();
        // A foreign or unreadable document is replaced, not read.
        Ok(serde_json::from_slice(&bytes).ok())
    }

    async fn published(&self) -> Result<Option<Published>, PublishError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(SNAPSHOT_FILE)
            .send()
            .await;
        let out = match head {
            Ok(o) => o,
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_not_found())
                    || matches!(e.code(), Some("NotFound" | "NoSuchKey")) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(self.err("head", DisplayErrorContext(&e).to_string())),
        };
        let meta = out.metadata();
        let content = meta.and_then(|m| m.get(META_CONTENT)).cloned();
        let heartbeat = meta
            .and_then(|m| m.get(META_HEARTBEAT))
            .and_then(|v| v.parse::<i64>().ok());
        Ok(match (content, heartbeat) {
            (Some(content_sha256), Some(heartbeat_at)) => Some(Published {
                content_sha256,
                heartbeat_at,
            }),
            // Written by something else: replace it.
            _ => None,
        })
    }

    async fn put(&self, doc: &Encoded) -> Result<(), PublishError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(SNAPSHOT_FILE)
            .content_type("application/json")
            // Browsers and CloudFront revalidate with the ETag every time.
            .cache_control("no-cache")
            .metadata(META_CONTENT, &doc.meta.content_sha256)
            .metadata(META_HEARTBEAT, doc.meta.heartbeat_at.to_string())
            .body(ByteStream::from(doc.json.clone()))
            .send()
            .await
            .map_err(|e| self.err("put", DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    async fn put_document(&self, key: &str, json: &[u8]) -> Result<(), PublishError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .cache_control("no-cache")
            .body(ByteStream::from(json.to_vec()))
            .send()
            .await
            .map_err(|e| self.err(&format!("put {key}"), DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    async fn delete_document(&self, key: &str) -> Result<(), PublishError> {
        // S3 answers a delete of a missing key with success.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                self.err(
                    &format!("delete {key}"),
                    DisplayErrorContext(&e).to_string(),
                )
            })?;
        Ok(())
    }

    fn target(&self) -> String {
        format!("s3://{}/{SNAPSHOT_FILE}", self.bucket)
    }
}
