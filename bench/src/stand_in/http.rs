//! The stand-in's REST answers, in the shapes Flink 2.3 uses.

use super::*;

pub(super) fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

pub(super) fn error(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    reply(status, json!({ "errors": [message] }))
}

pub(super) fn not_found(id: &str) -> Response<Full<Bytes>> {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "org.apache.flink.runtime.rest.NotFoundException: Job {id} not found\n\
             Caused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: \
             Could not find Flink job ({id})"
        ),
    )
}

pub(super) fn overview_entry(id: &str, j: &Job) -> Value {
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

pub(super) fn point(p: &Point, parallelism: u32) -> Value {
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
pub(super) fn checkpoints(j: &Job) -> Value {
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
pub(super) fn flink_ms(text: &str) -> Option<i64> {
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

pub(super) async fn answer(c: &Cluster, req: Request<Incoming>) -> Response<Full<Bytes>> {
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
pub(super) fn trigger(
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
pub(super) async fn upload(c: &Cluster, req: Request<Incoming>) -> Response<Full<Bytes>> {
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
pub(super) fn run(c: &Cluster, jar: &str, body: &[u8]) -> Response<Full<Bytes>> {
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

pub(super) fn stats(c: &Cluster) -> Response<Full<Bytes>> {
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
