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

/// `file:/abs`, as Flink writes a location.
fn location(path: &Path) -> String {
    format!("file:{}", path.display())
}

/// The local path of a `file:` location (or a plain absolute path).
fn local(location: &str) -> Option<PathBuf> {
    let rest = location
        .strip_prefix("file://")
        .or_else(|| location.strip_prefix("file:"))
        .unwrap_or(location);
    rest.starts_with('/').then(|| PathBuf::from(rest))
}

const METADATA: &str = "_metadata";

/// Writes a restore point's `_metadata` (its checkpoint id, read back on restore).
fn write_metadata(dir: &Path, id: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(METADATA), format!("stand-in checkpoint {id}\n"))
}

/// The checkpoint id a restore point's `_metadata` holds.
fn read_metadata(dir: &Path) -> std::io::Result<u64> {
    let text = std::fs::read_to_string(dir.join(METADATA))?;
    Ok(text
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

fn count(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

fn add(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

/// What one tick does on disk, decided under the locks, done outside them.
#[derive(Default)]
struct Work {
    write: Vec<(PathBuf, u64)>,
    delete: Vec<PathBuf>,
    /// `<checkpoint dir>/<job id>` of ended jobs, removed after their checkpoints.
    job_dirs: Vec<PathBuf>,
    /// (trigger key, savepoint directory, checkpoint id).
    savepoints: Vec<((String, String), PathBuf, u64)>,
}

/// Every 200 ms: due checkpoints are written (older ones deleted), due savepoints
/// are written and their triggers completed, ended jobs' checkpoints discarded.
async fn tick(c: &Arc<Cluster>) {
    let now = now_ms();
    let mut work = Work::default();
    {
        let mut jobs = c.jobs();
        for (id, j) in jobs.iter_mut() {
            if j.discard {
                j.discard = false;
                work.delete
                    .extend(j.retained.drain(..).filter_map(|p| local(&p.location)));
                work.job_dirs.push(c.checkpoint_dir.join(id));
                continue;
            }
            let Some(interval) = j.interval else { continue };
            if j.state != "RUNNING" || j.due_at > now {
                continue;
            }
            let n = j.next_id;
            j.next_id += 1;
            j.due_at = now + interval;
            j.completed += 1;
            let dir = c.checkpoint_dir.join(id).join(format!("chk-{n}"));
            j.retained.push_back(Point {
                id: n,
                location: location(&dir),
                at: now,
                is_savepoint: false,
            });
            work.write.push((dir, n));
            while j.retained.len() > j.retain {
                if let Some(old) = j.retained.pop_front().and_then(|p| local(&p.location)) {
                    work.delete.push(old);
                }
            }
        }
        let mut triggers = c.triggers();
        for (key, t) in triggers.iter_mut() {
            if t.location.is_some() || t.asked == 0 || t.ready_at > now {
                continue;
            }
            let Some(j) = jobs.get_mut(&t.job) else {
                continue;
            };
            let id = j.next_id;
            j.next_id += 1;
            let prefix = t.job.get(..6).unwrap_or(&t.job).to_string();
            let dir = t
                .target
                .join(format!("savepoint-{prefix}-{}", c.random_hex()));
            work.savepoints.push((key.clone(), dir, id));
        }
    }
    let written = work.write.len() as u64;
    let deleted = work.delete.len() as u64;
    let savepoints = std::mem::take(&mut work.savepoints);
    let done = tokio::task::spawn_blocking(move || {
        for (dir, n) in &work.write {
            let _ = write_metadata(dir, *n);
        }
        for dir in work.delete.iter().chain(&work.job_dirs) {
            let _ = std::fs::remove_dir_all(dir);
        }
        savepoints
            .into_iter()
            .filter(|(_, dir, id)| write_metadata(dir, *id).is_ok())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    add(&c.served.checkpoints_written, written);
    add(&c.served.checkpoints_deleted, deleted);
    add(&c.served.savepoints_written, done.len() as u64);
    if done.is_empty() {
        return;
    }
    let mut jobs = c.jobs();
    let mut triggers = c.triggers();
    for (key, dir, id) in done {
        let Some(t) = triggers.get_mut(&key) else {
            continue;
        };
        let at = now_ms();
        t.location = Some(location(&dir));
        if let Some(j) = jobs.get_mut(&t.job) {
            j.savepoint = Some(Point {
                id,
                location: location(&dir),
                at,
                is_savepoint: true,
            });
            if let Some(state) = t.then {
                j.state = state;
                j.end = at;
                j.discard = true;
            }
        }
    }
}

/// The counting TCP relay to `upstream` (`http://host:port`); its URL.
async fn relay(c: Arc<Cluster>, upstream: &str) -> std::io::Result<String> {
    let target = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let c = c.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&target).await else {
                    return;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let up = pump(cr, sw, c.clone(), false);
                let down = pump(sr, cw, c, true);
                let _ = tokio::join!(up, down);
            });
        }
    });
    Ok(format!("http://{addr}"))
}

/// Copies until end of stream, counting bytes (toward the client: read from S3).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    c: Arc<Cluster>,
    to_client: bool,
) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        let counter = if to_client {
            &c.served.s3_bytes_read
        } else {
            &c.served.s3_bytes_sent
        };
        add(counter, n as u64);
    }
    let _ = to.shutdown().await;
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

fn error(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    reply(status, json!({ "errors": [message] }))
}

fn not_found(id: &str) -> Response<Full<Bytes>> {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "org.apache.flink.runtime.rest.NotFoundException: Job {id} not found\n\
             Caused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: \
             Could not find Flink job ({id})"
        ),
    )
}

fn overview_entry(id: &str, j: &Job) -> Value {
    let running = if j.state == "RUNNING" {
        j.parallelism
    } else {
        0
    };
    let (finished, canceled) = match j.state {
        "FINISHED" => (j.parallelism, 0),
        "CANCELED" => (0, j.parallelism),
        _ => (0, 0),
    };
    let end = if j.end > 0 { j.end } else { -1 };
    json!({
        "jid": id, "name": j.name, "jobType": "STREAMING", "state": j.state,
        "start-time": j.start, "end-time": end,
        "duration": if end > 0 { end - j.start } else { now_ms() - j.start },
        "last-modification": j.end.max(j.start),
        "tasks": {"running": running, "canceling": 0, "canceled": canceled,
                  "total": j.parallelism, "created": 0, "scheduled": 0, "deploying": 0,
                  "reconciling": 0, "finished": finished, "initializing": 0, "failed": 0}
    })
}

fn point(p: &Point, parallelism: u32) -> Value {
    json!({
        "className": "completed", "id": p.id, "status": "COMPLETED",
        "is_savepoint": p.is_savepoint,
        "savepointFormat": if p.is_savepoint { json!("CANONICAL") } else { Value::Null },
        "trigger_timestamp": p.at - 20, "latest_ack_timestamp": p.at,
        "checkpointed_size": 4189, "state_size": 4189, "end_to_end_duration": 20,
        "alignment_buffered": 0, "processed_data": 0, "persisted_data": 0,
        "num_subtasks": parallelism, "num_acknowledged_subtasks": parallelism,
        "checkpoint_type": if p.is_savepoint { "SYNC_SAVEPOINT" } else { "CHECKPOINT" },
        "tasks": {}, "external_path": p.location, "discarded": false
    })
}

/// `GET /jobs/:id/checkpoints` as Flink 2.3 writes it.
fn checkpoints(j: &Job) -> Value {
    let stat = |v: u64| {
        json!({"min": v, "max": v, "avg": v, "p50": v as f64, "p90": v as f64,
               "p95": v as f64, "p99": v as f64, "p999": v as f64})
    };
    let mut history: Vec<&Point> = j.retained.iter().chain(j.savepoint.as_ref()).collect();
    history.sort_by_key(|p| std::cmp::Reverse(p.id));
    json!({
        "counts": {"restored": u64::from(j.restored.is_some()), "total": j.completed,
                   "in_progress": 0, "completed": j.completed, "failed": 0},
        "summary": {"checkpointed_size": stat(4189), "state_size": stat(4189),
                    "end_to_end_duration": stat(20), "alignment_buffered": stat(0),
                    "processed_data": stat(0), "persisted_data": stat(0)},
        "latest": {
            "completed": j.retained.back().map(|p| point(p, j.parallelism)),
            "savepoint": j.savepoint.as_ref().map(|p| point(p, j.parallelism)),
            "failed": null,
            "restored": j.restored.as_ref().map(|p| json!({
                "id": p.id, "restore_timestamp": j.start, "is_savepoint": p.is_savepoint,
                "external_path": p.location})),
        },
        "history": history.iter().map(|p| point(p, j.parallelism)).collect::<Vec<_>>(),
    })
}

/// A duration as Flink's configuration writes it (`30 s`, `30000 ms`, `1 min`), in ms.
fn flink_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: i64 = t.get(..digits)?.parse().ok()?;
    let unit = t.get(digits..)?.trim();
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "min" | "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    Some(n * factor)
}

async fn answer(c: &Cluster, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == Method::POST && parts.as_slice() == ["jars", "upload"] {
        return upload(c, req).await;
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let s = &c.served;
    match (method, parts.as_slice()) {
        (Method::GET, ["jobs", "overview"]) => {
            count(&s.overview);
            let list: Vec<Value> = c
                .jobs()
                .iter()
                .map(|(id, j)| overview_entry(id, j))
                .collect();
            reply(StatusCode::OK, json!({ "jobs": list }))
        }
        (Method::GET, ["stand-in", "stats"]) => stats(c),
        (Method::POST, ["stand-in", "vanish"]) => {
            let ids: Vec<String> = serde_json::from_slice(&body).unwrap_or_default();
            let mut jobs = c.jobs();
            let gone = ids.iter().filter(|id| jobs.remove(*id).is_some()).count();
            reply(StatusCode::OK, json!({ "vanished": gone }))
        }
        (Method::GET, ["overview"]) => {
            count(&s.other);
            let running = c.jobs().values().filter(|j| j.state == "RUNNING").count();
            reply(
                StatusCode::OK,
                json!({"taskmanagers": 100, "slots-total": 20000,
                       "slots-available": 20000 - running.min(20000),
                       "jobs-running": running, "jobs-finished": 0, "jobs-cancelled": 0,
                       "jobs-failed": 0, "flink-version": "2.3.0", "flink-commit": "stand-in"}),
            )
        }
        (Method::GET, ["jobmanager", "config"]) => {
            count(&s.config);
            let entry = |k: &str, v: String| json!({"key": k, "value": v});
            reply(
                StatusCode::OK,
                json!([
                    entry("jobmanager.rpc.address", "localhost".into()),
                    entry("rest.port", "8081".into()),
                    entry("rest.async.store-duration", "5 min".into()),
                    entry("web.refresh-interval", "3 s".into()),
                    entry("state.backend.type", "hashmap".into()),
                    entry(
                        "state.checkpoints.dir",
                        format!("file://{}", c.checkpoint_dir.display())
                    ),
                    entry(
                        "state.savepoints.dir",
                        format!("file://{}", c.savepoint_dir.display())
                    ),
                    entry("execution.checkpointing.num-retained", "1".into()),
                ]),
            )
        }
        (Method::GET, ["jobs", id]) => {
            count(&s.job);
            let job = c.jobs().get(*id).cloned();
            match job {
                Some(j) => {
                    let mut v = overview_entry(id, &j);
                    v["vertices"] = json!([{"id": "v1", "name": "Source -> Sink",
                        "parallelism": j.parallelism, "status": j.state,
                        "tasks": {(j.state): j.parallelism}}]);
                    reply(StatusCode::OK, v)
                }
                None => not_found(id),
            }
        }
        (Method::GET, ["jobs", id, "checkpoints"]) => {
            count(&s.checkpoints);
            match c.jobs().get(*id) {
                Some(j) => reply(StatusCode::OK, checkpoints(j)),
                None => not_found(id),
            }
        }
        (Method::POST, ["jobs", id, "stop"]) => {
            count(&s.savepoint_trigger);
            let req: Value = serde_json::from_slice(&body).unwrap_or_default();
            trigger(
                c,
                id,
                &req["triggerId"],
                &req["targetDirectory"],
                Some("FINISHED"),
            )
        }
        (Method::POST, ["jobs", id, "savepoints"]) => {
            count(&s.savepoint_trigger);
            let req: Value = serde_json::from_slice(&body).unwrap_or_default();
            let then = (req["cancel-job"] == json!(true)).then_some("CANCELED");
            trigger(c, id, &req["triggerId"], &req["target-directory"], then)
        }
        (Method::GET, ["jobs", id, "savepoints", trigger_id]) => {
            count(&s.savepoint_status);
            let mut triggers = c.triggers();
            match triggers.get_mut(&(id.to_string(), trigger_id.to_string())) {
                Some(t) => match &t.location {
                    Some(location) => reply(
                        StatusCode::OK,
                        json!({"status": {"id": "COMPLETED"}, "operation": {"location": location}}),
                    ),
                    None => {
                        t.asked += 1;
                        reply(
                            StatusCode::OK,
                            json!({"status": {"id": "IN_PROGRESS"}, "operation": null}),
                        )
                    }
                },
                None => error(
                    StatusCode::NOT_FOUND,
                    format!(
                        "org.apache.flink.runtime.rest.NotFoundException: Operation not found \
                         under key: org.apache.flink.runtime.rest.handler.job.AsynchronousJobOperationKey@{trigger_id}"
                    ),
                ),
            }
        }
        (Method::POST, ["jars", jar, "run"]) => run(c, jar, &body),
        (Method::DELETE, ["jars", jar]) => {
            count(&s.delete_jar);
            if c.jars().remove(*jar) {
                reply(StatusCode::OK, json!({}))
            } else {
                error(
                    StatusCode::BAD_REQUEST,
                    format!("Jar file /tmp/flink-web-upload/{jar} does not exist"),
                )
            }
        }
        (Method::PATCH, ["jobs", id]) if query.contains("mode=cancel") || query.is_empty() => {
            count(&s.cancel);
            let mut jobs = c.jobs();
            match jobs.get_mut(*id) {
                Some(j) if j.state == "RUNNING" => {
                    j.state = "CANCELED";
                    j.end = now_ms();
                    j.discard = true;
                    reply(StatusCode::ACCEPTED, json!({}))
                }
                Some(_) => error(
                    StatusCode::CONFLICT,
                    format!("Job {id} is not in a cancellable state"),
                ),
                None => not_found(id),
            }
        }
        _ => {
            count(&s.other);
            error(
                StatusCode::NOT_FOUND,
                format!("stand-in: {path} is not served"),
            )
        }
    }
}

/// Triggers a savepoint of `id` (then stops or cancels it when `then`);
/// idempotent per trigger id.
fn trigger(
    c: &Cluster,
    id: &str,
    trigger_id: &Value,
    target: &Value,
    then: Option<&'static str>,
) -> Response<Full<Bytes>> {
    let Some(trigger_id) = trigger_id.as_str().map(str::to_string) else {
        return error(StatusCode::BAD_REQUEST, "triggerId required".into());
    };
    let key = (id.to_string(), trigger_id.clone());
    if c.triggers().contains_key(&key) {
        return reply(StatusCode::ACCEPTED, json!({ "request-id": trigger_id }));
    }
    if c.jobs().get(id).is_none_or(|j| j.state != "RUNNING") {
        return not_found(id);
    }
    let target = match target.as_str().and_then(local) {
        Some(dir) => dir,
        None => c.savepoint_dir.clone(),
    };
    c.triggers().insert(
        key,
        Trigger {
            job: id.to_string(),
            then,
            target,
            ready_at: now_ms() + c.savepoint_ms,
            asked: 0,
            location: None,
        },
    );
    reply(StatusCode::ACCEPTED, json!({ "request-id": trigger_id }))
}

/// `POST /jars/upload`: a multipart form with a `jarfile` part, read to the end
/// and dropped; only its size is kept.
async fn upload(c: &Cluster, req: Request<Incoming>) -> Response<Full<Bytes>> {
    count(&c.served.upload);
    let multipart = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data") && v.contains("boundary="));
    if !multipart {
        return error(
            StatusCode::BAD_REQUEST,
            "Request is not a multipart/form-data request.".into(),
        );
    }
    let mut body = req.into_body();
    let mut head = Vec::new();
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return error(StatusCode::BAD_REQUEST, "upload interrupted".into());
        };
        if let Some(data) = frame.data_ref() {
            size += data.len() as u64;
            if head.len() < 1024 {
                head.extend_from_slice(&data[..data.len().min(1024 - head.len())]);
            }
        }
    }
    add(&c.served.upload_bytes, size);
    let head = String::from_utf8_lossy(&head);
    if !head.contains("name=\"jarfile\"") {
        return error(
            StatusCode::BAD_REQUEST,
            "Exactly 1 file must be sent, received 0.".into(),
        );
    }
    let name = head
        .split("filename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .filter(|n| n.ends_with(".jar"))
        .unwrap_or("job.jar")
        .to_string();
    let id = format!("{}_{name}", c.random_hex());
    c.jars().insert(id.clone());
    reply(
        StatusCode::OK,
        json!({"filename": format!("/tmp/flink-web-stand-in/flink-web-upload/{id}"), "status": "success"}),
    )
}

/// `POST /jars/:id/run`: a job RUNNING at once, from `savepointPath` if given
/// (refused as Flink refuses it when that has no `_metadata`).
fn run(c: &Cluster, jar: &str, body: &[u8]) -> Response<Full<Bytes>> {
    let s = &c.served;
    count(&s.run);
    if !c.jars().contains(jar) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("Jar file /tmp/flink-web-stand-in/flink-web-upload/{jar} does not exist"),
        );
    }
    let req: Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(id) = req["jobId"].as_str().map(str::to_string) else {
        return error(StatusCode::BAD_REQUEST, "jobId required".into());
    };
    let conf = &req["flinkConfiguration"];
    let name = conf["pipeline.name"].as_str().unwrap_or("job").to_string();
    let interval = conf["execution.checkpointing.interval"]
        .as_str()
        .and_then(flink_ms)
        .filter(|ms| *ms > 0);
    let retain = conf["execution.checkpointing.num-retained"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    let restored = match req["savepointPath"].as_str() {
        None => None,
        Some(from) => {
            let id = local(from).and_then(|dir| read_metadata(&dir).ok());
            let Some(point_id) = id else {
                count(&s.run_refused);
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not \
                         execute application.\nCaused by: java.io.FileNotFoundException: Cannot \
                         find checkpoint or savepoint file/directory '{from}' on file system 'file'."
                    ),
                );
            };
            let is_savepoint = !from
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .starts_with("chk-");
            count(if is_savepoint {
                &s.run_from_savepoint
            } else {
                &s.run_from_checkpoint
            });
            Some(Point {
                id: point_id,
                location: from.to_string(),
                at: 0,
                is_savepoint,
            })
        }
    };
    let mut jobs = c.jobs();
    if jobs.contains_key(&id) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: \
                 Application has already been submitted. {id}"
            ),
        );
    }
    let now = now_ms();
    jobs.insert(
        id.clone(),
        Job {
            name,
            state: "RUNNING",
            start: now,
            end: -1,
            parallelism: req["parallelism"]
                .as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(1),
            interval,
            retain,
            next_id: restored.as_ref().map_or(1, |p| p.id + 1),
            due_at: now + interval.unwrap_or(0),
            retained: VecDeque::new(),
            completed: 0,
            restored,
            savepoint: None,
            discard: false,
        },
    );
    reply(StatusCode::OK, json!({ "jobid": id, "applicationId": id }))
}

fn stats(c: &Cluster) -> Response<Full<Bytes>> {
    let s = &c.served;
    let v = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (running, finished) = {
        let jobs = c.jobs();
        (
            jobs.values().filter(|j| j.state == "RUNNING").count(),
            jobs.values().filter(|j| j.state == "FINISHED").count(),
        )
    };
    reply(
        StatusCode::OK,
        json!({
            "overview": v(&s.overview), "job": v(&s.job), "checkpoints": v(&s.checkpoints),
            "config": v(&s.config), "savepoint_trigger": v(&s.savepoint_trigger),
            "savepoint_status": v(&s.savepoint_status), "upload": v(&s.upload),
            "upload_bytes": v(&s.upload_bytes), "run": v(&s.run),
            "run_from_checkpoint": v(&s.run_from_checkpoint),
            "run_from_savepoint": v(&s.run_from_savepoint), "run_refused": v(&s.run_refused),
            "cancel": v(&s.cancel), "delete_jar": v(&s.delete_jar), "other": v(&s.other),
            "checkpoints_written": v(&s.checkpoints_written),
            "checkpoints_deleted": v(&s.checkpoints_deleted),
            "savepoints_written": v(&s.savepoints_written),
            "s3_bytes_read": v(&s.s3_bytes_read), "s3_bytes_sent": v(&s.s3_bytes_sent),
            "running": running, "finished": finished, "jars": c.jars().len(),
        }),
    )
}

#[cfg(test)]
mod tests {
    //! The stand-in against the controller's real Flink client and storage
    //! reader: what it answers is what they parse.

    use super::*;
    use fjc_core::restore::Storage;
    use fjc_flink::rest::{RestClient, RestClientConfig, new_trigger_id};
    use fjc_flink::{FlinkApi, FlinkError, FlinkJobState, JobId, RunRequest, SavepointStatus};

    async fn completed(client: &RestClient, job: &JobId, trigger: &str) -> String {
        let mut in_progress = 0;
        for _ in 0..50 {
            match client.savepoint_status(job, trigger).await.expect("status") {
                SavepointStatus::InProgress => in_progress += 1,
                SavepointStatus::Completed { location } => {
                    assert!(in_progress >= 1, "IN_PROGRESS first");
                    return location;
                }
                SavepointStatus::Failed { cause } => panic!("failed: {cause}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("savepoint never completed");
    }

    #[tokio::test]
    async fn the_real_client_and_storage_reader_understand_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = StandIn::start(Options {
            storage: dir.path().join("flink"),
            s3_upstream: None,
            savepoint_ms: 0,
        })
        .await
        .expect("start");
        let client = RestClient::new(RestClientConfig::new(s.url.clone())).expect("client");
        let jar_file = dir.path().join("job.jar");
        std::fs::write(&jar_file, vec![7u8; 300_000]).expect("jar");
        let jar = client.upload_jar(&jar_file).await.expect("upload");
        assert!(jar.0.ends_with("_job.jar"), "{jar}");
        assert!(
            s._cluster.served.upload_bytes.load(Ordering::Relaxed) > 300_000,
            "multipart bytes counted"
        );

        let job = JobId::random();
        let mut request = RunRequest {
            job_id: Some(job.clone()),
            parallelism: Some(2),
            ..RunRequest::default()
        };
        request.flink_configuration.extend([
            ("pipeline.name".into(), "fjc:t".into()),
            ("execution.checkpointing.interval".into(), "100 ms".into()),
            ("execution.checkpointing.num-retained".into(), "3".into()),
        ]);
        assert_eq!(client.run_jar(&jar, &request).await.expect("run"), job);
        assert!(matches!(
            client.run_jar(&jar, &request).await,
            Err(FlinkError::DuplicateJob { .. })
        ));
        let listed = client.list_jobs().await.expect("overview");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].tasks_running, listed[0].tasks_total), (2, 2));
        let details = client.job(&job).await.expect("job");
        assert_eq!(details.state, FlinkJobState::Running);
        assert_eq!((details.tasks_running, details.tasks_total), (2, 2));

        // Checkpoints accumulate, the newest few retained on disk.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let stats = client.checkpoints(&job).await.expect("checkpoints");
        let latest = stats.latest_completed.clone().expect("a checkpoint");
        assert!(stats.counts.completed >= 4, "{stats:?}");
        let config = client.cluster_config().await.expect("config");
        let ck_dir = config.get("state.checkpoints.dir").expect("checkpoint dir");
        let sp_dir = config.get("state.savepoints.dir").expect("savepoint dir");
        let storage = Storage::local();
        let found = storage
            .complete_under(&format!("{ck_dir}/{job}"), "chk-")
            .await
            .expect("list");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found
                .iter()
                .any(|(l, _)| Some(l) == latest.external_path.as_ref())
        );

        // Stop with a savepoint: IN_PROGRESS, then COMPLETED; the job FINISHED
        // and its checkpoints discarded; the savepoint listed where the
        // controller looks.
        let trigger = new_trigger_id();
        client
            .stop_with_savepoint(&job, None, &trigger)
            .await
            .expect("stop");
        client
            .stop_with_savepoint(&job, None, &trigger)
            .await
            .expect("same trigger again");
        let location = completed(&client, &job, &trigger).await;
        let prefix = fjc_core::restore::savepoint_prefix(&job);
        assert!(location.contains(&format!("/{prefix}")), "{location}");
        assert!(storage.is_complete(&location).await.expect("stat"));
        let found = storage.complete_under(sp_dir, &prefix).await.expect("list");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, location);
        assert_eq!(
            client.job(&job).await.expect("job").state,
            FlinkJobState::Finished
        );
        let stats = client.checkpoints(&job).await.expect("checkpoints");
        assert_eq!(
            stats.latest_savepoint.and_then(|p| p.external_path),
            Some(location.clone())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let left = storage
            .complete_under(&format!("{ck_dir}/{job}"), "chk-")
            .await
            .expect("list");
        assert!(left.is_empty(), "{left:?}");
        assert!(matches!(
            client
                .stop_with_savepoint(&job, None, &new_trigger_id())
                .await,
            Err(FlinkError::NotFound { .. })
        ));

        // A restore from a missing place is refused as Flink refuses it; from
        // the savepoint it works and counts on from its checkpoint id.
        let again = JobId::random();
        let mut from = request.clone();
        from.job_id = Some(again.clone());
        from.savepoint_path = Some(format!("{location}-gone"));
        let refused = client.run_jar(&jar, &from).await.expect_err("refused");
        assert!(
            fjc_core::restore::is_missing_restore_point(&refused.to_string()),
            "{refused}"
        );
        from.savepoint_path = Some(location.clone());
        client.run_jar(&jar, &from).await.expect("restored");
        let stats = client.checkpoints(&again).await.expect("checkpoints");
        let restored = stats.latest_restored.expect("restored");
        assert!(restored.is_savepoint);
        assert_eq!(restored.external_path, Some(location));
        client.cancel(&again).await.expect("cancel");
        assert!(matches!(
            client.cancel(&again).await,
            Err(FlinkError::AlreadyTerminal { .. })
        ));
        client.delete_jar(&jar).await.expect("delete");
        let unknown = client.run_jar(&jar, &request).await;
        assert!(
            matches!(unknown, Err(FlinkError::BadRequest { .. })),
            "{unknown:?}"
        );
    }
}
