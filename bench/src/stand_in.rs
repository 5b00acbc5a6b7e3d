//! A Flink REST stand-in for the scale benchmark — a fake, named as such: one
//! machine cannot run 10,000 real Flink jobs. It answers the calls a reconcile
//! cycle makes with the shapes the real Flink 2.3 REST API uses (checked against
//! the adapter's parsers and `tests/flink_rest.rs`), keeps every submitted job
//! RUNNING, and counts requests by kind.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Job {
    name: String,
    state: &'static str,
    start: i64,
}

/// Requests served, by kind (`GET /stand-in/stats` reports them).
#[derive(Debug, Default)]
struct Served {
    overview: AtomicU64,
    job: AtomicU64,
    other: AtomicU64,
}

#[derive(Default)]
struct Cluster {
    jobs: Mutex<BTreeMap<String, Job>>,
    served: Served,
}

/// A running stand-in.
pub struct StandIn {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    _cluster: Arc<Cluster>,
}

impl StandIn {
    /// Starts serving on a free local port.
    pub async fn start() -> std::io::Result<StandIn> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let cluster = Arc::new(Cluster::default());
        let c = cluster.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let c = c.clone();
                        async move { Ok::<_, Infallible>(answer(&c, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(StandIn {
            url: format!("http://{addr}"),
            _cluster: cluster,
        })
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn overview_entry(id: &str, j: &Job) -> Value {
    let running = u32::from(j.state == "RUNNING");
    json!({
        "jid": id, "name": j.name, "state": j.state,
        "start-time": j.start, "end-time": if running == 1 { -1 } else { j.start + 1 },
        "duration": now_ms() - j.start, "last-modification": j.start,
        "tasks": {"running": running, "canceling": 0, "canceled": 1 - running,
                  "total": 1, "created": 0, "scheduled": 0, "deploying": 0,
                  "reconciling": 0, "finished": 0, "initializing": 0, "failed": 0}
    })
}

async fn answer(c: &Cluster, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let count = |a: &AtomicU64| a.fetch_add(1, Ordering::Relaxed);
    match (method, parts.as_slice()) {
        (Method::GET, ["jobs", "overview"]) => {
            count(&c.served.overview);
            let jobs = c.jobs.lock().map(|j| j.clone()).unwrap_or_default();
            let list: Vec<Value> = jobs.iter().map(|(id, j)| overview_entry(id, j)).collect();
            reply(StatusCode::OK, json!({ "jobs": list }))
        }
        (Method::GET, ["stand-in", "stats"]) => {
            let s = &c.served;
            let running = c
                .jobs
                .lock()
                .map(|j| j.values().filter(|j| j.state == "RUNNING").count())
                .unwrap_or(0);
            reply(
                StatusCode::OK,
                json!({"overview": s.overview.load(Ordering::Relaxed),
                       "job": s.job.load(Ordering::Relaxed),
                       "other": s.other.load(Ordering::Relaxed),
                       "running": running}),
            )
        }
        (Method::GET, ["overview"]) => {
            count(&c.served.other);
            let n = c.jobs.lock().map(|j| j.len()).unwrap_or(0);
            reply(
                StatusCode::OK,
                json!({"taskmanagers": 100, "slots-total": 20000, "slots-available": 20000 - n.min(20000),
                       "jobs-running": n, "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0,
                       "flink-version": "2.3.0", "flink-commit": "stand-in"}),
            )
        }
        (Method::GET, ["jobs", id]) => {
            count(&c.served.job);
            let job = c.jobs.lock().ok().and_then(|j| j.get(*id).cloned());
            match job {
                Some(j) => {
                    let mut v = overview_entry(id, &j);
                    v["vertices"] = json!([{"id": "v1", "name": "Source", "parallelism": 1,
                        "status": j.state, "tasks": {(j.state): 1}}]);
                    reply(StatusCode::OK, v)
                }
                None => reply(
                    StatusCode::NOT_FOUND,
                    json!({"errors": ["org.apache.flink.runtime.rest.NotFoundException: Job could not be found."]}),
                ),
            }
        }
        (Method::POST, ["jars", "upload"]) => {
            let n = count(&c.served.other);
            reply(
                StatusCode::OK,
                json!({"filename": format!("/tmp/flink-web/flink-web-upload/{n:08x}_job.jar"), "status": "success"}),
            )
        }
        (Method::POST, ["jars", _, "run"]) => {
            count(&c.served.other);
            let req: Value = serde_json::from_slice(&body).unwrap_or_default();
            let Some(id) = req["jobId"].as_str().map(str::to_string) else {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"errors": ["jobId required"]}),
                );
            };
            let name = req["flinkConfiguration"]["pipeline.name"]
                .as_str()
                .unwrap_or("job")
                .to_string();
            let Ok(mut jobs) = c.jobs.lock() else {
                return reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"errors": ["lock"]}),
                );
            };
            if jobs.contains_key(&id) {
                return reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"errors": [format!("org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted. {id}")]}),
                );
            }
            jobs.insert(
                id.clone(),
                Job {
                    name,
                    state: "RUNNING",
                    start: now_ms(),
                },
            );
            reply(StatusCode::OK, json!({ "jobid": id }))
        }
        (Method::DELETE, ["jars", _]) => {
            count(&c.served.other);
            reply(StatusCode::OK, json!({}))
        }
        (Method::PATCH, ["jobs", id]) => {
            count(&c.served.other);
            if let Ok(mut jobs) = c.jobs.lock()
                && let Some(j) = jobs.get_mut(*id)
            {
                j.state = "CANCELED";
                return reply(StatusCode::ACCEPTED, json!({}));
            }
            reply(
                StatusCode::NOT_FOUND,
                json!({"errors": ["Job could not be found."]}),
            )
        }
        _ => {
            count(&c.served.other);
            reply(
                StatusCode::NOT_FOUND,
                json!({"errors": [format!("stand-in: {path} is not served")]}),
            )
        }
    }
}
