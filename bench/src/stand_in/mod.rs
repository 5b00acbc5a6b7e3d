//! A Flink REST stand-in for the scale benchmark — a **fake**, named as such: one
//! machine cannot run thousands of real Flink jobs. It answers the calls a
//! reconcile cycle makes with the shapes the real Flink 2.3 REST API uses (checked
//! against the adapter's parsers in `functions/fjc-flink/src/rest` and the
//! recorded answers in `functions/fjc-flink/tests/fixtures`), and counts requests
//! by kind (`GET /stand-in/stats`).
//!
//! What it models:
//! - jobs: `/jobs/overview`, `/jobs/:id` (vertex task counts), `/overview`, run
//!   with a controller-chosen `jobId` (a duplicate is refused), cancel; every
//!   submitted job is RUNNING at once;
//! - jars: the real multipart upload (its bytes are read, counted and dropped),
//!   run only with an uploaded jar, delete;
//! - checkpoints: a job with `execution.checkpointing.interval` writes
//!   `<checkpoint dir>/<job id>/chk-<n>/_metadata` every interval and keeps
//!   `execution.checkpointing.num-retained` (default 1) of them, deleting older
//!   ones; a job that ends by cancel or stop discards them, as Flink does without
//!   retention. `GET /jobs/:id/checkpoints` reports them;
//! - savepoints: stop-with-savepoint (`POST /jobs/:id/stop`) and savepoints
//!   (`POST /jobs/:id/savepoints`), idempotent per trigger id; the trigger status
//!   says IN_PROGRESS at least once, then the stand-in writes
//!   `<savepoint dir>/savepoint-<first 6 of the job id>-<12 hex>/_metadata` and
//!   says COMPLETED with that location; a stopped job becomes FINISHED;
//! - restores: a run with `savepointPath` is refused like Flink refuses it
//!   (`FileNotFoundException`) when that directory has no `_metadata`;
//! - `GET /jobmanager/config` with `state.checkpoints.dir` and
//!   `state.savepoints.dir` (`file://` directories below the storage directory),
//!   so the controller's restore discovery lists real files;
//! - `POST /stand-in/vanish` (a list of job ids): those jobs are forgotten, their
//!   checkpoints stay on disk, as after a JobManager restart without HA.
//!
//! What it does not model: latency (it answers at once), JobManager load, the
//! time a savepoint takes beyond `--savepoint-ms`, state size, failures, restarts.
//!
//! It can also run a byte-counting TCP relay in front of the S3 endpoint (moto),
//! so the benchmark sees how many bytes the controller read from S3.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod disk;
mod http;
mod relay;
#[cfg(test)]
mod tests;

use disk::*;
use http::*;
use relay::*;

/// How the stand-in is started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Below it: `checkpoints/` and `savepoints/`, the cluster's storage.
    pub storage: PathBuf,
    /// `http://host:port` of the S3 endpoint to relay and count, if any.
    pub s3_upstream: Option<String>,
    /// How long a savepoint takes at least, in milliseconds (its status says
    /// IN_PROGRESS at least once whatever this is).
    pub savepoint_ms: u64,
}

/// A completed checkpoint or savepoint.
#[derive(Debug, Clone)]
struct Point {
    id: u64,
    /// `file:/…/chk-7` or `file:/…/savepoint-1a2b3c-…`.
    location: String,
    at: i64,
    is_savepoint: bool,
}

#[derive(Debug, Clone)]
struct Job {
    name: String,
    state: &'static str,
    start: i64,
    end: i64,
    parallelism: u32,
    /// Checkpoint interval, ms.
    interval: Option<i64>,
    retain: usize,
    /// The next checkpoint's id and when it is due.
    next_id: u64,
    due_at: i64,
    retained: VecDeque<Point>,
    completed: u64,
    restored: Option<Point>,
    savepoint: Option<Point>,
    /// Ended by cancel or stop: its checkpoints are to be deleted.
    discard: bool,
}

#[derive(Debug, Clone)]
struct Trigger {
    job: String,
    /// Stop the job (FINISHED) or cancel it (CANCELED) once the savepoint is taken.
    then: Option<&'static str>,
    /// Local directory the savepoint goes below.
    target: PathBuf,
    ready_at: i64,
    asked: u32,
    location: Option<String>,
}

/// Counters, by kind (`GET /stand-in/stats` reports them).
#[derive(Debug, Default)]
struct Served {
    overview: AtomicU64,
    job: AtomicU64,
    checkpoints: AtomicU64,
    metrics: AtomicU64,
    config: AtomicU64,
    savepoint_trigger: AtomicU64,
    savepoint_status: AtomicU64,
    upload: AtomicU64,
    upload_bytes: AtomicU64,
    run: AtomicU64,
    run_from_checkpoint: AtomicU64,
    run_from_savepoint: AtomicU64,
    run_refused: AtomicU64,
    cancel: AtomicU64,
    delete_jar: AtomicU64,
    other: AtomicU64,
    checkpoints_written: AtomicU64,
    checkpoints_deleted: AtomicU64,
    savepoints_written: AtomicU64,
    s3_bytes_read: AtomicU64,
    s3_bytes_sent: AtomicU64,
}

struct Cluster {
    jobs: Mutex<BTreeMap<String, Job>>,
    triggers: Mutex<BTreeMap<(String, String), Trigger>>,
    jars: Mutex<BTreeSet<String>>,
    served: Served,
    checkpoint_dir: PathBuf,
    savepoint_dir: PathBuf,
    savepoint_ms: i64,
    seq: AtomicU64,
}

impl Cluster {
    fn jobs(&self) -> MutexGuard<'_, BTreeMap<String, Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn triggers(&self) -> MutexGuard<'_, BTreeMap<(String, String), Trigger>> {
        self.triggers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn jars(&self) -> MutexGuard<'_, BTreeSet<String>> {
        self.jars.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// 12 hex characters, different every time (savepoint names, upload ids).
    fn random_hex(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut x = (now_ms() as u64) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        format!("{:012x}", x & 0xffff_ffff_ffff)
    }
}

/// A running stand-in.
pub struct StandIn {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// `http://127.0.0.1:<port>` of the counting S3 relay, when one was asked for.
    pub s3_url: Option<String>,
    _cluster: Arc<Cluster>,
}

impl StandIn {
    /// Starts serving on a free local port, with its checkpoint ticker and, if
    /// asked, the S3 relay.
    pub async fn start(options: Options) -> std::io::Result<StandIn> {
        let checkpoint_dir = options.storage.join("checkpoints");
        let savepoint_dir = options.storage.join("savepoints");
        std::fs::create_dir_all(&checkpoint_dir)?;
        std::fs::create_dir_all(&savepoint_dir)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let cluster = Arc::new(Cluster {
            jobs: Mutex::default(),
            triggers: Mutex::default(),
            jars: Mutex::default(),
            served: Served::default(),
            checkpoint_dir,
            savepoint_dir,
            savepoint_ms: i64::try_from(options.savepoint_ms).unwrap_or(i64::MAX),
            seq: AtomicU64::new(0),
        });
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
        let c = cluster.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                tick(&c).await;
            }
        });
        let s3_url = match options.s3_upstream {
            Some(upstream) => Some(relay(cluster.clone(), &upstream).await?),
            None => None,
        };
        Ok(StandIn {
            url: format!("http://{addr}"),
            s3_url,
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

fn count(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

fn add(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}
