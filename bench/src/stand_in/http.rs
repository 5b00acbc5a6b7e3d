//! The stand-in's REST answers, in the shapes Flink 2.3 uses: the router, savepoint
//! triggers and the stats. The JSON bodies Flink answers with are in `shapes`; jar
//! uploads and job submission in `submit`.

use super::*;

mod shapes;
mod submit;

use shapes::*;
use submit::*;

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
        (Method::GET, ["jobs", id, "metrics"]) => {
            count(&s.metrics);
            // Flink answers `[]` for a job it does not know.
            let body = c.jobs().get(*id).map_or_else(|| json!([]), job_metrics);
            reply(StatusCode::OK, body)
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
            "metrics": v(&s.metrics), "config": v(&s.config), "savepoint_trigger": v(&s.savepoint_trigger),
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
