use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn parses_cluster_overview() {
    let o = parse_overview(&fixture("overview-2.3.json")).unwrap();
    assert_eq!(
        o,
        ClusterOverview {
            taskmanagers: 1,
            slots_total: 8,
            slots_available: 8,
            jobs_running: 0,
            flink_version: "2.3.0".into(),
        }
    );
}

#[test]
fn parses_jobs_overview_of_flink_2_3() {
    let jobs = parse_jobs_overview(&fixture("jobs-overview-2.3.json")).unwrap();
    assert_eq!(jobs.len(), 7);
    let capture = jobs.iter().find(|j| j.name == "fjc:capture").unwrap();
    assert_eq!(capture.id.as_str(), "3f724ec59d5f1348fe049f643ffcfc60");
    assert_eq!(capture.state, FlinkJobState::Finished);
    assert_eq!(capture.start_time_ms, 1_795_700_822_366);
    assert!(capture.end_time_ms > capture.start_time_ms);
    assert_eq!((capture.tasks_total, capture.tasks_running), (2, 0));
    // The submission whose savepoint was missing: FAILED with no tasks.
    let nosp = jobs.iter().find(|j| j.name == "fjc:capture-nosp").unwrap();
    assert_eq!(nosp.state, FlinkJobState::Failed);
    assert_eq!(nosp.tasks_total, 0);
}

#[test]
fn parses_jobs_overview_of_flink_1_x() {
    let jobs = parse_jobs_overview(&fixture("jobs-overview-1.x-handwritten.json")).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].state, FlinkJobState::Running);
    assert_eq!((jobs[0].tasks_total, jobs[0].tasks_running), (3, 3));
    assert_eq!(jobs[0].end_time_ms, -1);
}

#[test]
fn lenient_to_missing_and_unknown_fields() {
    let body =
        br#"{"jobs":[{"jid":"0123456789ABCDEF0123456789abcdef","state":"SOMETHING_NEW","x":1}]}"#;
    let jobs = parse_jobs_overview(body).unwrap();
    assert_eq!(jobs[0].id.as_str(), "0123456789abcdef0123456789abcdef");
    assert_eq!(jobs[0].state, FlinkJobState::Other("SOMETHING_NEW".into()));
    assert_eq!((jobs[0].start_time_ms, jobs[0].tasks_total), (-1, 0));
    assert!(parse_jobs_overview(b"{}").unwrap().is_empty());
}

#[test]
fn bad_job_id_is_a_decode_error() {
    let body = br#"{"jobs":[{"jid":"nope","state":"RUNNING"}]}"#;
    assert_eq!(parse_jobs_overview(body).unwrap_err().kind(), "decode");
    assert_eq!(parse_jobs_overview(b"<html>").unwrap_err().kind(), "decode");
}

#[test]
fn parses_job_details() {
    let running = parse_job(&fixture("job-running-2.3.json")).unwrap();
    assert_eq!(running.state, FlinkJobState::Running);
    assert_eq!(running.name, "fjc:capture");
    assert_eq!(running.end_time_ms, -1);
    assert_eq!((running.tasks_total, running.tasks_running), (2, 2));
    let finished = parse_job(&fixture("job-finished-2.3.json")).unwrap();
    assert_eq!(finished.id, running.id);
    assert_eq!(finished.state, FlinkJobState::Finished);
    assert_eq!((finished.tasks_total, finished.tasks_running), (2, 0));
}

#[test]
fn backpressure_is_the_most_backpressured_vertex_share() {
    let running = parse_job(&fixture("job-running-2.3.json")).unwrap();
    let idle = running.backpressure.unwrap_or(0.0);
    assert!(idle < 0.01, "{idle}");
    let slow = parse_job(&fixture("job-backpressured-2.3.json")).unwrap();
    // Source: 29,204 ms backpressured of 29,204 + 337 + 680.
    let share = slow.backpressure.unwrap();
    assert!((share - 29_204.0 / 30_221.0).abs() < 1e-9, "{share}");
    // Nothing measured yet: no share, rather than 0.
    let body = br#"{"jid":"aaaabbbbccccddddeeeeffff00003333","state":"RUNNING","vertices":[
        {"tasks":{"RUNNING":1},"metrics":{"accumulated-backpressured-time":0,
        "accumulated-idle-time":0,"accumulated-busy-time":0.0}}]}"#;
    assert_eq!(parse_job(body).unwrap().backpressure, None);
    // A finished vertex's busy time is the string "NaN" (a PyFlink job stopped
    // with a savepoint): the answer still parses, that time counts as 0.
    let finished = parse_job(&fixture("job-finished-python-2.3.json")).unwrap();
    assert_eq!(finished.state, FlinkJobState::Finished);
    assert_eq!(finished.backpressure, Some(0.0));
}

#[test]
fn parses_job_metrics() {
    let m = parse_job_metrics(&fixture("job-metrics-2.3.json")).unwrap();
    assert_eq!(
        m,
        JobMetrics {
            restarts: Some(0),
            checkpoints_completed: Some(3),
            checkpoints_failed: Some(1),
            last_checkpoint_at: Some(1_796_295_668_342),
        }
    );
    // A job Flink does not know answers `[]`; odd values are not numbers.
    assert_eq!(parse_job_metrics(b"[]").unwrap(), JobMetrics::default());
    let odd = br#"[{"id":"numRestarts","value":"-1"},{"id":"lastCheckpointCompletedTimestamp","value":"0"},{"id":"numberOfFailedCheckpoints"},{"id":"numberOfCompletedCheckpoints","value":"NaN"}]"#;
    assert_eq!(parse_job_metrics(odd).unwrap(), JobMetrics::default());
    let numbers =
        br#"[{"id":"numRestarts","value":2},{"id":"numberOfFailedCheckpoints","value":null}]"#;
    assert_eq!(parse_job_metrics(numbers).unwrap().restarts, Some(2));
    assert_eq!(parse_job_metrics(b"{}").unwrap_err().kind(), "decode");
}

#[test]
fn checkpoint_facts_come_from_the_statistics() {
    // Stale metrics (Flink answers from its previous fetch) and the current
    // statistics of the same job: the restarts stay, the checkpoint facts are the
    // statistics'.
    let stale = JobMetrics {
        restarts: Some(1),
        checkpoints_completed: Some(1),
        checkpoints_failed: Some(0),
        last_checkpoint_at: Some(1),
    };
    let stats =
        crate::rest::savepoints::parse_checkpoints(&fixture("checkpoints-running-2.3.json"))
            .unwrap();
    let latest = stats.latest_completed.clone().unwrap();
    let fresh = stale.clone().with_checkpoints(&stats);
    assert_eq!(fresh.restarts, Some(1));
    assert_eq!(fresh.checkpoints_completed, Some(stats.counts.completed));
    assert_eq!(fresh.checkpoints_failed, Some(stats.counts.failed));
    assert_eq!(fresh.last_checkpoint_at, latest.completed_at);
    assert!(fresh.last_checkpoint_at.is_some_and(|t| t > 1));
    // No completed checkpoint yet: none, whatever the metrics said.
    let none = crate::CheckpointStats {
        latest_completed: None,
        ..stats
    };
    assert_eq!(stale.with_checkpoints(&none).last_checkpoint_at, None);
}

#[test]
fn failure_cause_of_a_failed_batch_job() {
    let cause = parse_failure_cause(&fixture("exceptions-batch-fail-2.3.json"))
        .unwrap()
        .unwrap();
    assert_eq!(
        cause,
        "org.apache.flink.runtime.JobException: Recovery is suppressed by \
         NoRestartBackoffTimeStrategy / Caused by: java.lang.RuntimeException: \
         injected batch failure"
    );
}

#[test]
fn no_failure_cause_for_a_healthy_job() {
    assert_eq!(
        parse_failure_cause(&fixture("exceptions-none-2.3.json")).unwrap(),
        None
    );
    assert_eq!(parse_failure_cause(b"{}").unwrap(), None);
}

#[test]
fn failure_cause_from_flink_1_x_root_exception() {
    let cause = parse_failure_cause(&fixture("exceptions-root-1.x-handwritten.json"))
        .unwrap()
        .unwrap();
    assert!(
        cause.ends_with("Caused by: java.lang.RuntimeException: boom in map"),
        "{cause}"
    );
}

#[test]
fn newest_history_entry_wins() {
    let body = br#"{"exceptionHistory":{"entries":[
        {"exceptionName":"a.Old","stacktrace":"a.Old: first","timestamp":1},
        {"exceptionName":"b.New","stacktrace":"b.New: second","timestamp":2}]}}"#;
    assert_eq!(
        parse_failure_cause(body).unwrap().as_deref(),
        Some("b.New: second")
    );
}

#[test]
fn parses_the_scheduler_and_the_tasks_of_a_rescaled_job() {
    let jobs = parse_jobs_overview(&fixture("jobs-overview-adaptive-2.3.json")).unwrap();
    let job = &jobs[0];
    assert!(job.adaptive, "schedulerType: Adaptive");
    assert_eq!(
        (job.tasks_total, job.tasks_running, job.tasks_finished),
        (4, 4, 0)
    );
    assert!(job.runs_all_tasks());
    let default = parse_jobs_overview(&fixture("jobs-overview-2.3.json")).unwrap();
    assert!(
        default.iter().all(|j| !j.adaptive),
        "schedulerType: Default"
    );
}

#[test]
fn a_finished_subtask_of_a_running_job_counts_as_done() {
    let mut job =
        parse_jobs_overview(&fixture("jobs-overview-adaptive-2.3.json")).unwrap()[0].clone();
    (job.tasks_running, job.tasks_finished) = (3, 1);
    assert!(job.runs_all_tasks());
    (job.tasks_running, job.tasks_finished) = (2, 1);
    assert!(!job.runs_all_tasks(), "one task not running");
    (job.tasks_running, job.tasks_finished) = (0, 4);
    assert!(!job.runs_all_tasks(), "nothing runs");
}

#[test]
fn resource_requirements_round_trip() {
    let r = parse_resource_requirements(&fixture("resource-requirements-2.3.json")).unwrap();
    assert_eq!(r.len(), 2);
    assert!(r.values().all(|b| (b.lower_bound, b.upper_bound) == (1, 2)));
    let body = resource_requirements_body(&r);
    let again = parse_resource_requirements(body.to_string().as_bytes()).unwrap();
    assert_eq!(again, r);
    assert_eq!(
        body[r.keys().next().unwrap()]["parallelism"]["upperBound"],
        2,
        "Flink's shape: {body}"
    );
}
