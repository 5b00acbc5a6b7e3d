//! Loading the snapshot over HTTP with `If-None-Match`. Knows nothing about views.

use fjc_snapshot::{SCHEMA_VERSION, Snapshot};
use gloo_net::http::Request;
use thiserror::Error;
use web_sys::RequestCache;

/// Why the snapshot could not be loaded.
#[derive(Debug, Clone, Error)]
pub enum FetchError {
    /// No answer (network, CORS, server down).
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    /// An HTTP error status.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    /// Not a snapshot this dashboard can read.
    #[error("{url} is not a readable snapshot: {message}")]
    Invalid { url: String, message: String },
    /// Written by an incompatible controller.
    #[error("{url} has schema version {found}; this dashboard reads version {SCHEMA_VERSION}")]
    Version { url: String, found: u32 },
}

/// A successful answer.
pub enum Fetched {
    /// Same as the copy we have (HTTP 304).
    NotModified,
    /// A new document and its ETag.
    Fresh {
        snapshot: Box<Snapshot>,
        etag: Option<String>,
    },
}

#[derive(serde::Deserialize)]
struct VersionOnly {
    schema_version: u32,
}

/// Fetches `url`, sending `etag` as `If-None-Match` when we have one.
pub async fn load(url: &str, etag: Option<&str>) -> Result<Fetched, FetchError> {
    let mut req = Request::get(url).cache(RequestCache::NoStore);
    if let Some(tag) = etag {
        req = req.header("If-None-Match", tag);
    }
    let resp = req.send().await.map_err(|e| FetchError::Unreachable {
        url: url.into(),
        message: e.to_string(),
    })?;
    match resp.status() {
        304 => return Ok(Fetched::NotModified),
        200 => {}
        status => {
            return Err(FetchError::Status {
                url: url.into(),
                status,
            });
        }
    }
    let new_etag = resp.headers().get("etag");
    let text = resp.text().await.map_err(|e| FetchError::Unreachable {
        url: url.into(),
        message: e.to_string(),
    })?;
    match serde_json::from_str::<Snapshot>(&text) {
        Ok(s) if s.schema_version == SCHEMA_VERSION => Ok(Fetched::Fresh {
            snapshot: Box::new(s),
            etag: new_etag,
        }),
        Ok(s) => Err(FetchError::Version {
            url: url.into(),
            found: s.schema_version,
        }),
        Err(e) => Err(match serde_json::from_str::<VersionOnly>(&text) {
            Ok(v) if v.schema_version != SCHEMA_VERSION => FetchError::Version {
                url: url.into(),
                found: v.schema_version,
            },
            _ => FetchError::Invalid {
                url: url.into(),
                message: e.to_string(),
            },
        }),
    }
}
