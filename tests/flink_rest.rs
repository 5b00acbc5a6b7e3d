//! The REST adapter against the real local Flink (start it with `localstack/up.sh`,
//! then `source .local/env.sh`). No mocks: every answer here comes from Flink 2.3.

use std::time::{Duration, Instant};

use fjc_flink::rest::new_trigger_id;
use fjc_flink::{FlinkApi, FlinkError, FlinkJobState, JobId, RunRequest};
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::flink::{
    Cleanup, client, client_with, stream_counter, unique_out_dir, wait_for_job, wait_for_savepoint,
};

/// Generous limits: the machine has two cores and other tests share the cluster.
const START: Duration = Duration::from_secs(60);
const SAVEPOINT: Duration = Duration::from_secs(60);
const BATCH: Duration = Duration::from_secs(90);

fn running(j: &fjc_flink::JobSummary) -> bool {
    j.state == FlinkJobState::Running && j.tasks_total > 0 && j.tasks_running == j.tasks_total
}

#[tokio::test]
async fn stream_job_runs_under_its_id_rejects_a_duplicate_and_stops_with_a_savepoint() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    let overview = flink.cluster_overview().await.unwrap();
    assert!(overview.taskmanagers >= 1, "{overview:?}");

    let jar = flink
        .upload_jar(&env.job_jar("stream-counter.jar"))
        .await
        .unwrap();
    cleanup.jar(&jar);
    assert!(jar.0.ends_with("_stream-counter.jar"), "{jar}");

    let id = JobId::random();
    cleanup.job(&id);
    let request = stream_counter(&id, "fjc:rest-test", &unique_out_dir(&env, "rest-stream"));
    assert_eq!(flink.run_jar(&jar, &request).await.unwrap(), id);
    let job = wait_for_job(&flink, &id, START, "RUNNING", running).await;
    assert_eq!(job.name, "fjc:rest-test");
    assert_eq!(job.end_time_ms, -1);

    // The same job id again: Flink refuses, and the job is still the only one.
    let err = flink.run_jar(&jar, &request).await.unwrap_err();
    assert_eq!(
        err,
        FlinkError::DuplicateJob {
            job: id.to_string()
        }
    );
    let same: Vec<_> = flink
        .list_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.id == id)
        .collect();
    assert_eq!(same.len(), 1);
    assert_eq!(same[0].state, FlinkJobState::Running);

    let details = flink.job(&id).await.unwrap();
    assert_eq!(
        (details.name.as_str(), &details.state),
        ("fjc:rest-test", &FlinkJobState::Running)
    );
    assert_eq!(flink.job_failure_cause(&id).await.unwrap(), None);

    // Stop with a savepoint; a retried trigger with the same id is the same operation.
    let trigger = new_trigger_id();
    let request_id = flink
        .trigger_stop_with_savepoint(&id, None, &trigger, false)
        .await
        .unwrap();
    assert_eq!(request_id, trigger);
    let retried = flink
        .trigger_stop_with_savepoint(&id, None, &trigger, false)
        .await
        .unwrap();
    assert_eq!(retried, trigger);
    let location = wait_for_savepoint(&flink, &id, &trigger, SAVEPOINT).await;
    assert!(location.starts_with("file:/"), "{location}");
    wait_for_job(&flink, &id, START, "FINISHED", |j| {
        j.state == FlinkJobState::Finished
    })
    .await;
    let stats = flink.checkpoints(&id).await.unwrap();
    assert_eq!(
        stats.latest_savepoint.and_then(|s| s.external_path),
        Some(location.clone())
    );

    // Cancelling a finished job: nothing to cancel.
    let err = flink.cancel(&id).await.unwrap_err();
    assert_eq!(
        err,
        FlinkError::AlreadyTerminal {
            job: id.to_string()
        }
    );

    // Restore from the savepoint under a new id; Flink reports where it restored from.
    let restored = JobId::random();
    cleanup.job(&restored);
    let mut request = stream_counter(
        &restored,
        "fjc:rest-test",
        &unique_out_dir(&env, "rest-restore"),
    );
    request.savepoint_path = Some(location.clone());
    assert_eq!(flink.run_jar(&jar, &request).await.unwrap(), restored);
    wait_for_job(&flink, &restored, START, "RUNNING", running).await;
    let stats = flink.checkpoints(&restored).await.unwrap();
    assert_eq!(stats.counts.restored, 1);
    assert_eq!(
        stats.latest_restored.and_then(|r| r.external_path),
        Some(location)
    );
    flink.cancel(&restored).await.unwrap();
    wait_for_job(&flink, &restored, START, "CANCELED", |j| {
        j.state == FlinkJobState::Canceled
    })
    .await;

    // Deleting a jar twice is fine.
    flink.delete_jar(&jar).await.unwrap();
    flink.delete_jar(&jar).await.unwrap();
}

#[tokio::test]
async fn cancel_of_an_unknown_job_is_not_found() {
    let env = LocalEnv::from_env();
    let id = JobId::random();
    let err = client(&env).cancel(&id).await.unwrap_err();
    assert_eq!(
        err,
        FlinkError::NotFound {
            what: format!("job {id}")
        }
    );
    let err = client(&env).job(&id).await.unwrap_err();
    assert_eq!(err.kind(), "not_found");
}

#[tokio::test]
async fn bad_entry_class_is_a_short_server_error() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    let jar = flink
        .upload_jar(&env.job_jar("stream-counter.jar"))
        .await
        .unwrap();
    cleanup.jar(&jar);
    let id = JobId::random();
    cleanup.job(&id);
    let mut request = stream_counter(&id, "fjc:rest-bad-class", &unique_out_dir(&env, "rest-bad"));
    request.entry_class = Some("foo.Bar".into());

    let err = flink.run_jar(&jar, &request).await.unwrap_err();
    let FlinkError::Server { status, message } = &err else {
        panic!("expected a server error, got {err:?}");
    };
    assert_eq!(*status, 500);
    assert!(
        message.contains("ClassNotFoundException: foo.Bar"),
        "{message}"
    );
    assert!(err.to_string().len() < 600, "{err}");
    assert!(
        !message.contains("\tat ") && !message.contains('\n'),
        "{message:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn missing_savepoint_is_rejected_and_leaves_a_failed_job_under_that_id() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    let jar = flink
        .upload_jar(&env.job_jar("stream-counter.jar"))
        .await
        .unwrap();
    cleanup.jar(&jar);
    let id = JobId::random();
    cleanup.job(&id);
    let mut request = stream_counter(
        &id,
        "fjc:rest-no-savepoint",
        &unique_out_dir(&env, "rest-nosp"),
    );
    let missing = unique_out_dir(&env, "no-such-savepoint");
    request.savepoint_path = Some(format!("file://{}", missing.display()));

    let err = flink.run_jar(&jar, &request).await.unwrap_err();
    let FlinkError::BadRequest { message } = &err else {
        panic!("expected a bad request, got {err:?}");
    };
    assert!(
        message.contains("Cannot find checkpoint or savepoint"),
        "{message}"
    );
    assert!(message.len() < 600, "{message}");

    // Flink still records the submission as a FAILED job with no tasks...
    let job = wait_for_job(&flink, &id, START, "FAILED", |j| {
        j.state == FlinkJobState::Failed
    })
    .await;
    assert_eq!(job.tasks_total, 0);
    // ...so the same id cannot be submitted again.
    request.savepoint_path = None;
    let err = flink.run_jar(&jar, &request).await.unwrap_err();
    assert_eq!(
        err,
        FlinkError::DuplicateJob {
            job: id.to_string()
        }
    );
}

#[tokio::test]
async fn deleting_an_unknown_jar_is_ok() {
    let env = LocalEnv::from_env();
    let jar = fjc_flink::JarId(format!("{}_nothing.jar", JobId::random()));
    client(&env).delete_jar(&jar).await.unwrap();
}

#[tokio::test]
async fn batch_job_runs_to_finished() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    let jar = flink
        .upload_jar(&env.job_jar("batch-sum.jar"))
        .await
        .unwrap();
    cleanup.jar(&jar);
    let id = JobId::random();
    cleanup.job(&id);
    let out = unique_out_dir(&env, "rest-batch").join("sum.txt");
    let request = RunRequest {
        job_id: Some(id.clone()),
        program_args: vec![
            "--n".into(),
            "1000".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        flink_configuration: [("pipeline.name".to_string(), "fjc:rest-batch".to_string())].into(),
        ..RunRequest::default()
    };
    assert_eq!(flink.run_jar(&jar, &request).await.unwrap(), id);
    let job = wait_for_job(&flink, &id, BATCH, "terminal", |j| {
        j.state.is_globally_terminal()
    })
    .await;
    assert_eq!(job.state, FlinkJobState::Finished);
    assert!(job.end_time_ms >= job.start_time_ms);
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "500500");
    assert_eq!(flink.job_failure_cause(&id).await.unwrap(), None);
}

#[tokio::test]
async fn failing_batch_job_reports_its_cause_in_one_line() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    let jar = flink
        .upload_jar(&env.job_jar("batch-sum.jar"))
        .await
        .unwrap();
    cleanup.jar(&jar);
    let id = JobId::random();
    cleanup.job(&id);
    let request = RunRequest {
        job_id: Some(id.clone()),
        program_args: vec!["--fail".into()],
        flink_configuration: [(
            "pipeline.name".to_string(),
            "fjc:rest-batch-fail".to_string(),
        )]
        .into(),
        ..RunRequest::default()
    };
    flink.run_jar(&jar, &request).await.unwrap();
    let job = wait_for_job(&flink, &id, BATCH, "terminal", |j| {
        j.state.is_globally_terminal()
    })
    .await;
    assert_eq!(job.state, FlinkJobState::Failed);
    let cause = flink.job_failure_cause(&id).await.unwrap().unwrap();
    assert!(cause.contains("injected batch failure"), "{cause}");
    assert!(cause.len() < 600 && !cause.contains('\n'), "{cause:?}");
}

#[tokio::test]
async fn closed_port_is_connection_refused_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let flink = client_with(&format!("http://127.0.0.1:{port}"), |_| {});
    let started = Instant::now();
    let err = flink.list_jobs().await.unwrap_err();
    assert!(
        matches!(err, FlinkError::ConnectionRefused { .. }),
        "{err:?}"
    );
    assert!(err.is_unreachable() && err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_millisecond_request_timeout_is_a_timeout() {
    // Fault injection: a server that takes the connection and never answers. (Real
    // Flink 1.20 answered /jobs/overview within 1 ms in CI, so it cannot show this.)
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let flink = client_with(&url, |c| c.request_timeout = Duration::from_millis(1));
    let started = Instant::now();
    let err = flink.list_jobs().await.unwrap_err();
    let FlinkError::Timeout { operation, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(operation.starts_with("list_jobs"), "{operation}");
    assert!(err.is_ambiguous());
    assert!(started.elapsed() < Duration::from_secs(1));
    held.abort();
}
