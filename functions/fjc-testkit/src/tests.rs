//! The fakes against the contract suites, and what only the fakes do.

use std::time::Duration;

use fjc_core::state::JobState;
use fjc_core::store::{LeaseOutcome, StateStore, Store};
use fjc_flink::rest::new_trigger_id;
use fjc_flink::{FlinkApi, FlinkError, FlinkJobState, JobId, RunRequest, SavepointStatus};
use fjc_spec::JobType;

use crate::contract::{self, FlinkContract};
use crate::flink::{Call, FLINK_CALLS};
use crate::{InMemoryStore, ScriptedFlink};

#[tokio::test]
async fn the_in_memory_store_passes_the_store_contract() {
    contract::store_contract(|_| async { InMemoryStore::new() }).await;
}

/// A stand-in jar file (the fake reads only its metadata).
fn jar(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("stream-counter.jar");
    std::fs::write(&path, b"PK\x03\x04 not really a jar").unwrap();
    path
}

fn setup(dir: &tempfile::TempDir, name: &str) -> FlinkContract<'static> {
    let target = format!("file://{}", dir.path().join("chosen").display());
    FlinkContract {
        jar: jar(dir),
        request: Box::new(|id: &JobId, name: &str| RunRequest {
            job_id: Some(id.clone()),
            program_args: vec!["--out-dir".into(), "/tmp/nowhere".into()],
            flink_configuration: [("pipeline.name".to_string(), name.to_string())].into(),
            ..RunRequest::default()
        }),
        name_prefix: format!("fjc:contract-{name}"),
        savepoint_target: target,
        on_submit: Box::new(|_| {}),
        patience: Duration::from_secs(5),
        poll: Duration::ZERO,
        stats_max_age: Duration::ZERO,
    }
}

#[tokio::test]
async fn the_scripted_flink_passes_the_flink_contract() {
    let dir = tempfile::tempdir().unwrap();
    let flink = ScriptedFlink::new();
    contract::flink_contract(&flink, &setup(&dir, "memory")).await;
    // It cleaned up after itself: no jar left, nothing running.
    assert!(flink.jar_ids().is_empty());
    assert!(
        flink.jobs().iter().all(|j| j.state.is_globally_terminal()),
        "{:?}",
        flink.jobs()
    );
}

#[tokio::test]
async fn the_scripted_flink_passes_the_flink_contract_with_files_and_slow_savepoints() {
    let dir = tempfile::tempdir().unwrap();
    let flink = ScriptedFlink::new()
        .with_storage(dir.path().join("storage"))
        .with_pending_polls(3);
    contract::flink_contract(&flink, &setup(&dir, "disk")).await;
    // The savepoints it kept are on disk; the disposed one is gone.
    let kept = std::fs::read_dir(dir.path().join("chosen"))
        .unwrap()
        .count();
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn the_scripted_flink_passes_the_rescale_contract_under_both_schedulers() {
    let dir = tempfile::tempdir().unwrap();
    let patience = std::time::Duration::from_secs(1);
    let default = ScriptedFlink::new();
    contract::rescale_contract(&default, &setup(&dir, "default"), patience).await;
    let adaptive = ScriptedFlink::new().with_adaptive_scheduler();
    contract::rescale_contract(&adaptive, &setup(&dir, "adaptive"), patience).await;
    assert!(
        adaptive
            .jobs()
            .iter()
            .all(|j| j.adaptive && j.state.is_globally_terminal()),
        "{:?}",
        adaptive.jobs()
    );
}

#[tokio::test]
async fn clones_of_the_in_memory_store_share_the_table() {
    let one = InMemoryStore::new();
    let two = one.clone();
    let LeaseOutcome::Acquired(lease) = one.acquire_lease("r", "me", 1_000, 1).await.unwrap()
    else {
        panic!("lease")
    };
    let st = JobState::new("a", JobType::Stream, "default", 1);
    two.put_state(&st, &lease).await.unwrap();
    assert_eq!(one.list_states().await.unwrap().len(), 1);
    assert_eq!(one.stats(), two.stats());
}

async fn running_job(
    flink: &ScriptedFlink,
    dir: &tempfile::TempDir,
    config: &[(&str, &str)],
) -> JobId {
    let jar = flink.upload_jar(&jar(dir)).await.unwrap();
    let id = JobId::random();
    let request = RunRequest {
        job_id: Some(id.clone()),
        flink_configuration: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..RunRequest::default()
    };
    flink.run_jar(&jar, &request).await.unwrap();
    id
}

#[tokio::test]
async fn an_injected_failure_refuses_the_call_or_loses_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let flink = ScriptedFlink::new();
    let jar = flink.upload_jar(&jar(&dir)).await.unwrap();
    let id = JobId::random();
    let request = RunRequest {
        job_id: Some(id.clone()),
        ..RunRequest::default()
    };
    let timeout = FlinkError::Timeout {
        operation: "run_jar".into(),
        seconds: 10,
    };
    flink
        .fail_next("run_jar", FlinkError::ConnectionRefused { url: "x".into() })
        .unwrap();
    flink.lose_next_answer("run_jar", timeout.clone()).unwrap();
    // Refused: nothing ran.
    assert!(matches!(
        flink.run_jar(&jar, &request).await,
        Err(FlinkError::ConnectionRefused { .. })
    ));
    assert!(flink.jobs().is_empty());
    // Carried out, answer lost: the retry finds the job by its id.
    assert_eq!(flink.run_jar(&jar, &request).await, Err(timeout));
    assert_eq!(
        flink.run_jar(&jar, &request).await,
        Err(FlinkError::DuplicateJob {
            job: id.to_string()
        })
    );
    assert_eq!(flink.job(&id).await.unwrap().state, FlinkJobState::Running);
    let err = flink.fail_next("run", FlinkError::ConnectionRefused { url: "x".into() });
    assert!(err.unwrap_err().contains("run_jar"));
    assert_eq!(FLINK_CALLS.len(), 20);
    let calls: Vec<&str> = flink.calls().iter().map(|c| c.name).collect();
    assert_eq!(
        calls,
        ["upload_jar", "run_jar", "run_jar", "run_jar", "job"]
    );
    assert_eq!(
        flink.take_calls()[1],
        Call {
            name: "run_jar",
            subject: id.to_string()
        }
    );
    assert!(flink.calls().is_empty());
}

#[tokio::test]
async fn a_test_scripts_failures_ends_and_restarts_of_the_jobmanager() {
    let dir = tempfile::tempdir().unwrap();
    let flink = ScriptedFlink::new();
    let a = running_job(&flink, &dir, &[]).await;
    let b = running_job(&flink, &dir, &[]).await;
    flink
        .fail_job(&a, "java.lang.RuntimeException: injected batch failure")
        .unwrap();
    let cause = flink.job_failure_cause(&a).await.unwrap().unwrap();
    assert!(cause.contains("Recovery is suppressed"), "{cause}");
    assert!(
        cause.ends_with("Caused by: java.lang.RuntimeException: injected batch failure"),
        "{cause}"
    );
    let result = flink.job_execution_result(&a).await.unwrap().unwrap();
    assert_eq!(result.state, FlinkJobState::Failed);
    assert_eq!(result.cause, Some(cause));
    flink.set_job_state(&b, FlinkJobState::Restarting).unwrap();
    let job = flink.job(&b).await.unwrap();
    assert_eq!(
        (job.state, job.tasks_running),
        (FlinkJobState::Restarting, 0)
    );
    // A savepoint while not all tasks run fails.
    let t = new_trigger_id();
    flink.trigger_savepoint(&b, None, &t).await.unwrap();
    flink.settle();
    assert!(matches!(
        flink.savepoint_status(&b, &t).await.unwrap(),
        SavepointStatus::Failed { cause } if cause.contains("Not all required tasks")
    ));
    flink.set_job_state(&b, FlinkJobState::Running).unwrap();
    flink.finish_job(&b).unwrap();
    assert_eq!(flink.job(&b).await.unwrap().state, FlinkJobState::Finished);
    assert!(flink.finish_job(&JobId::random()).is_err());
    // A JobManager restart without HA forgets every job; ids are free again.
    flink.forget_jobs();
    assert!(flink.list_jobs().await.unwrap().is_empty());
    assert!(matches!(
        flink.cancel(&a).await,
        Err(FlinkError::NotFound { .. })
    ));
    let overview = flink.cluster_overview().await.unwrap();
    assert_eq!((overview.slots_available, overview.jobs_running), (8, 0));
}

#[tokio::test]
async fn checkpoints_are_retained_and_discarded_as_the_job_says() {
    let dir = tempfile::tempdir().unwrap();
    let flink = ScriptedFlink::new()
        .with_storage(dir.path().join("storage"))
        .with_checkpoints_when_looked_at(false);
    // The default retention: discarded when cancelled; two retained.
    let id = running_job(
        &flink,
        &dir,
        &[("execution.checkpointing.num-retained", "2")],
    )
    .await;
    let first = flink.complete_checkpoint(&id).unwrap();
    let second = flink.complete_checkpoint(&id).unwrap();
    let third = flink.complete_checkpoint(&id).unwrap();
    assert!(first.ends_with(&format!("/{id}/chk-1")), "{first}");
    assert!(
        first.starts_with("file:/") && !first.starts_with("file://"),
        "{first}"
    );
    assert!(!flink.has_restore_point(&first));
    assert!(flink.has_restore_point(&second) && flink.has_restore_point(&third));
    let on_disk = |loc: &str| {
        std::path::Path::new(loc.strip_prefix("file:").unwrap())
            .join("_metadata")
            .is_file()
    };
    assert!(on_disk(&third) && !on_disk(&first));
    // Looking at the stats completes none when told so.
    let stats = flink.checkpoints(&id).await.unwrap();
    assert_eq!(stats.counts.completed, 3);
    flink.cancel(&id).await.unwrap();
    assert!(!flink.has_restore_point(&third) && !on_disk(&third));
    // Retained on failure by DELETE_ON_CANCELLATION; a file made by hand restores.
    let kept = running_job(
        &flink,
        &dir,
        &[(
            "execution.checkpointing.externalized-checkpoint-retention",
            "DELETE_ON_CANCELLATION",
        )],
    )
    .await;
    let last = flink.complete_checkpoint(&kept).unwrap();
    flink.fail_job(&kept, "java.lang.Exception: x").unwrap();
    assert!(flink.has_restore_point(&last) && on_disk(&last));
    assert!(flink.remove_restore_point(&last));
    assert!(!on_disk(&last));
    let copy = dir.path().join("copied/savepoint-abcdef-000000000000");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::write(copy.join("_metadata"), b"x").unwrap();
    assert!(flink.has_restore_point(&format!("file://{}/", copy.display())));
    assert!(flink.storage().is_some());
}

#[tokio::test]
async fn the_memory_sink_passes_the_events_contract() {
    let sink = crate::MemoryEvents::new();
    contract::events_contract(&sink, "memory", |_| async {
        sink.sent()
            .into_iter()
            .map(|e| (e.kind.detail_type().to_string(), e))
            .collect()
    })
    .await;
    // Told to fail, it sends nothing, then works again.
    sink.fail_next(1);
    let more = contract::events::sample_events("memory", 2);
    assert!(
        fjc_core::events::EventSink::send(&sink, &more)
            .await
            .is_err()
    );
    assert_eq!(sink.sent().len(), 12);
    fjc_core::events::EventSink::send(&sink, &more)
        .await
        .expect("send");
    assert_eq!(sink.sent().len(), 14);
}
