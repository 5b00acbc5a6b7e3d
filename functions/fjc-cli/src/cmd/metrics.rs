//! `fjc reconcile --every … --metrics-addr ADDR`: Prometheus text on
//! `GET /metrics`, from the registry the reconcile loop fills after each cycle.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use fjc_telemetry::metrics::Registry;

use crate::exit::Failure;

/// The registry shared between the loop and the server.
pub type Shared = Arc<Mutex<Registry>>;

fn answer(registry: &Shared, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (status, body, content_type) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
            let text = match registry.lock() {
                Ok(r) => r.render(),
                Err(poisoned) => poisoned.into_inner().render(),
            };
            (
                StatusCode::OK,
                text,
                "text/plain; version=0.0.4; charset=utf-8",
            )
        }
        (&Method::GET, _) => (
            StatusCode::NOT_FOUND,
            "not found (try /metrics)\n".to_string(),
            "text/plain; charset=utf-8",
        ),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET\n".to_string(),
            "text/plain; charset=utf-8",
        ),
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Binds `addr` (an error names it) and serves `/metrics` in the background.
pub async fn serve(addr: SocketAddr, registry: Shared) -> Result<SocketAddr, Failure> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::User(format!("--metrics-addr {addr}: cannot listen: {e}")))?;
    let local = listener.local_addr().unwrap_or(addr);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let registry = registry.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let registry = registry.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&registry, &req)) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(error = %e, "metrics connection ended with an error");
                }
            });
        }
    });
    Ok(local)
}
