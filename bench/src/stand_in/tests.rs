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
