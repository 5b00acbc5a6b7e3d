//! The JSON bodies the stand-in answers with, as Flink 2.3 writes them: replies and
//! errors, a job's overview entry, and its checkpoint statistics.

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

/// `GET /jobs/:id/metrics?get=…` (the health probe's names) as Flink 2.3
/// writes it: a list of `{id, value}` with string values.
pub(super) fn job_metrics(j: &Job) -> Value {
    let last = j.retained.back().map_or(0, |p| p.at);
    json!([
        {"id": "numRestarts", "value": "0"},
        {"id": "numberOfCompletedCheckpoints", "value": j.completed.to_string()},
        {"id": "numberOfFailedCheckpoints", "value": "0"},
        {"id": "lastCheckpointCompletedTimestamp", "value": last.to_string()},
    ])
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
