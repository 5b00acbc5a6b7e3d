//! What `fjc dashboard serve` answers: static files from the dashboard's `dist/`
//! and `snapshot.json`, `jobs/<namespace>/<job>.json` and
//! `snapshots/ns/<namespace>.json` from the snapshot directory, with
//! ETag / If-None-Match.
//! No I/O besides reading the requested file.

use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderValue, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};

/// Where files come from.
#[derive(Debug, Clone)]
pub struct Roots {
    /// The built dashboard (`dist/`).
    pub site: PathBuf,
    /// The directory holding `snapshot.json`.
    pub snapshot: PathBuf,
}

/// The file a request path names, or `None` for anything outside the roots.
pub fn resolve(roots: &Roots, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    if rel == "snapshot.json" {
        return Some(roots.snapshot.join(rel));
    }
    let documents = [("jobs/", 2), ("snapshots/ns/", 1)];
    if let Some((rest, dir, segments)) = documents
        .iter()
        .find_map(|(dir, n)| Some((rel.strip_prefix(dir)?, dir, *n)))
    {
        // Plain segments as `fjc_snapshot::job_document_key` and
        // `namespace_overview_key` make them: `<namespace>/<job>.json`, `<namespace>.json`.
        let parts: Vec<&str> = rest.split('/').collect();
        let plain = parts.len() == segments
            && rest.ends_with(".json")
            && parts
                .iter()
                .all(|p| !p.is_empty() && !p.starts_with('.') && !p.contains('\\'));
        return plain.then(|| roots.snapshot.join(dir).join(rest));
    }
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let p = Path::new(rel);
    // Plain names only: no `..`, no absolute paths, no hidden files.
    let safe = p.components().all(|c| match c {
        Component::Normal(s) => !s.to_string_lossy().starts_with('.'),
        _ => false,
    });
    (safe && !rel.contains('\\')).then(|| roots.site.join(p))
}

/// Content type by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A validator from size and modification time (the snapshot is replaced by
/// rename, so every write changes it).
pub fn etag_of(meta: &std::fs::Metadata) -> String {
    let nanos = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("\"{:x}-{:x}\"", meta.len(), nanos)
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Answers one request.
pub async fn answer<B>(roots: &Roots, req: &Request<B>) -> Response<Full<Bytes>> {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(path) = resolve(roots, req.uri().path()) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => m,
        _ => return plain(StatusCode::NOT_FOUND, "not found"),
    };
    let etag = etag_of(&meta);
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches(v, &etag));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else if head {
        (StatusCode::OK, Bytes::new())
    } else {
        match tokio::fs::read(&path).await {
            Ok(b) => (StatusCode::OK, Bytes::from(b)),
            Err(_) => return plain(StatusCode::NOT_FOUND, "not found"),
        }
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    // Always revalidate: cheap with the ETag, and never a stale snapshot.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if status == StatusCode::OK {
        h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn roots(dir: &Path) -> Roots {
        Roots {
            site: dir.join("dist"),
            snapshot: dir.join("snap"),
        }
    }

    fn get(path: &str, etag: Option<&str>) -> Request<()> {
        let mut b = Request::builder().uri(path);
        if let Some(t) = etag {
            b = b.header(IF_NONE_MATCH, t);
        }
        b.body(()).expect("request")
    }

    #[test]
    fn paths_stay_inside_the_roots() {
        let r = roots(Path::new("/srv"));
        assert_eq!(
            resolve(&r, "/"),
            Some(PathBuf::from("/srv/dist/index.html"))
        );
        assert_eq!(
            resolve(&r, "/snapshot.json"),
            Some(PathBuf::from("/srv/snap/snapshot.json"))
        );
        assert_eq!(
            resolve(&r, "/jobs/payments/a~2eb.json"),
            Some(PathBuf::from("/srv/snap/jobs/payments/a~2eb.json"))
        );
        assert_eq!(
            resolve(&r, "/snapshots/ns/payments.json"),
            Some(PathBuf::from("/srv/snap/snapshots/ns/payments.json"))
        );
        for bad in [
            "/jobs/../x.json",
            "/jobs/ns/../x.json",
            "/jobs/../../x.json",
            "/jobs/.x.json",
            "/jobs/ns/.x.json",
            "/jobs/a.json",
            "/jobs/a/b/c.json",
            "/jobs//b.json",
            "/jobs/ns/x.txt",
            "/snapshots/ns/../x.json",
            "/snapshots/ns/a/b.json",
        ] {
            assert_eq!(resolve(&r, bad), None, "{bad}");
        }
        assert_eq!(resolve(&r, "/jobs"), Some(PathBuf::from("/srv/dist/jobs")));
        assert_eq!(
            resolve(&r, "/fjc_dashboard_bg.wasm"),
            Some(PathBuf::from("/srv/dist/fjc_dashboard_bg.wasm"))
        );
        for bad in ["/../etc/passwd", "/a/../../x", "/.env", "/a\\..\\b"] {
            assert_eq!(resolve(&r, bad), None, "{bad}");
        }
        // Leading slashes never escape the root.
        assert_eq!(
            resolve(&r, "//etc/passwd"),
            Some(PathBuf::from("/srv/dist/etc/passwd"))
        );
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        assert!(matches("\"a-1\"", "\"a-1\""));
        assert!(matches("W/\"a-1\", \"b\"", "\"a-1\""));
        assert!(matches("*", "\"x\""));
        assert!(!matches("\"a-2\"", "\"a-1\""));
    }

    #[tokio::test]
    async fn serves_files_and_answers_304_for_a_known_etag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = roots(dir.path());
        std::fs::create_dir_all(&r.site).expect("mkdir");
        std::fs::create_dir_all(&r.snapshot).expect("mkdir");
        std::fs::write(r.site.join("index.html"), "<html>").expect("write");
        std::fs::write(r.snapshot.join("snapshot.json"), "{}").expect("write");

        let first = answer(&r, &get("/snapshot.json", None)).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[CONTENT_TYPE], "application/json");
        let etag = first.headers()[ETAG].to_str().expect("etag").to_string();
        let body = first.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"{}");

        let again = answer(&r, &get("/snapshot.json", Some(&etag))).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        let index = answer(&r, &get("/", None)).await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(index.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(
            answer(&r, &get("/missing.js", None)).await.status(),
            StatusCode::NOT_FOUND
        );
        let post = Request::builder()
            .method(Method::POST)
            .uri("/")
            .body(())
            .expect("request");
        assert_eq!(
            answer(&r, &post).await.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
