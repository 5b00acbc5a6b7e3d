//! Jar uploads (`POST /jars/upload`) and job submission (`POST /jars/:id/run`),
//! including the restore from a savepoint or checkpoint and the checkpoint settings
//! a submitted job is started with.

use super::*;

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
