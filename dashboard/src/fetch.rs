//! Loading the snapshot over HTTP with `If-None-Match`. Knows nothing about views.

use fjc_snapshot::{JobDetail, JobDocument, SCHEMA_VERSION, Snapshot};
use gloo_net::http::Request;
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCache;

use crate::lite::{Reader, parse};

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

/// The name of the download `index.html` starts before the app has loaded, so the
/// first download of the snapshot overlaps loading and compiling the app.
const EARLY: &str = "fjcFirstLoad";

/// The first load: takes over the download `index.html` started for `url`
/// (`window.fjcFirstLoad`: `{url, head, next}`, where the promise `head` resolves
/// once the status is known, to the object itself with `status`, `etag`,
/// `length` and `error` set, and `next()` to each chunk of the body, then
/// `null`), and parses each job as its bytes arrive. Without it, a normal load.
pub async fn first_load(url: &str) -> Result<Fetched, FetchError> {
    let Some(window) = web_sys::window() else {
        return load(url, None).await;
    };
    let key = JsValue::from_str(EARLY);
    let early = js_sys::Reflect::get(&window, &key).unwrap_or(JsValue::UNDEFINED);
    let _ = js_sys::Reflect::delete_property(&window, &key);
    let get = |o: &JsValue, name: &str| {
        js_sys::Reflect::get(o, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    };
    let head = get(&early, "head").dyn_into::<js_sys::Promise>();
    let next = get(&early, "next").dyn_into::<js_sys::Function>();
    let (Ok(head), Ok(next)) = (head, next) else {
        return load(url, None).await;
    };
    if get(&early, "url").as_string().as_deref() != Some(url) {
        return load(url, None).await;
    }
    let unreachable = |message: String| FetchError::Unreachable {
        url: url.into(),
        message,
    };
    let _ = JsFuture::from(head).await;
    if let Some(message) = get(&early, "error").as_string() {
        return Err(unreachable(message));
    }
    let status = get(&early, "status").as_f64().unwrap_or(0.0) as u16;
    if status != 200 {
        return Err(FetchError::Status {
            url: url.into(),
            status,
        });
    }
    let etag = get(&early, "etag").as_string();
    let length = get(&early, "length").as_f64().unwrap_or(0.0) as usize;
    let mut reader = Reader::new(length);
    loop {
        let chunk = next
            .call0(&early)
            .and_then(|p| p.dyn_into::<js_sys::Promise>())
            .map_err(|e| unreachable(js_message(&e)))?;
        let chunk = JsFuture::from(chunk)
            .await
            .map_err(|e| unreachable(js_message(&e)))?;
        match chunk.dyn_into::<js_sys::Uint8Array>() {
            Ok(bytes) => reader.feed_with(bytes.length() as usize, |to| bytes.copy_to(to)),
            Err(_) => break,
        }
    }
    if let Some(message) = get(&early, "error").as_string() {
        return Err(unreachable(message));
    }
    crate::perf::mark("fjc-fetched");
    decode(url, reader.finish(), etag)
}

fn js_message(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the request failed".into())
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
    // The bytes, not a JS string: no UTF-16 round trip of a document that can be
    // megabytes.
    let body = resp.binary().await.map_err(|e| FetchError::Unreachable {
        url: url.into(),
        message: e.to_string(),
    })?;
    crate::perf::mark("fjc-fetched");
    decode(url, parse(body), new_etag)
}

/// The outcome of parsing a downloaded document.
fn decode(
    url: &str,
    (parsed, bytes): (Result<Snapshot, serde_json::Error>, Vec<u8>),
    etag: Option<String>,
) -> Result<Fetched, FetchError> {
    crate::perf::mark("fjc-parsed");
    match parsed {
        Ok(s) if s.schema_version != SCHEMA_VERSION => Err(FetchError::Version {
            url: url.into(),
            found: s.schema_version,
        }),
        Ok(s) => Ok(Fetched::Fresh {
            snapshot: Box::new(s),
            etag,
        }),
        // A document of another layout may not parse at all: say which version it is.
        Err(e) => Err(match serde_json::from_slice::<VersionOnly>(&bytes) {
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

/// Fetches one job's detail document (`url` names its version, so a cached copy
/// is the right one).
pub async fn load_job(url: &str) -> Result<JobDetail, FetchError> {
    let resp = Request::get(url)
        .send()
        .await
        .map_err(|e| FetchError::Unreachable {
            url: url.into(),
            message: e.to_string(),
        })?;
    if resp.status() != 200 {
        return Err(FetchError::Status {
            url: url.into(),
            status: resp.status(),
        });
    }
    let body = resp.binary().await.map_err(|e| FetchError::Unreachable {
        url: url.into(),
        message: e.to_string(),
    })?;
    match serde_json::from_slice::<JobDocument>(&body) {
        Ok(d) if d.schema_version != SCHEMA_VERSION => Err(FetchError::Version {
            url: url.into(),
            found: d.schema_version,
        }),
        Ok(d) => Ok(d.detail),
        Err(e) => Err(FetchError::Invalid {
            url: url.into(),
            message: e.to_string(),
        }),
    }
}
