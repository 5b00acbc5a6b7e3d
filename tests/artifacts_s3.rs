//! Artifacts from S3 (moto): apply records the object version and digest; a deploy
//! uses exactly those bytes even after the key is overwritten; a missing object is
//! refused at apply.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use fjc_core::state::Lifecycle;
use fjc_core::store::SpecStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::security::versioned_bucket;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_artifact_deploys_the_exact_version_applied() {
    let w = World::new("s3").await;
    let (s3, bucket) = versioned_bucket().await;
    let key = "jobs/stream-counter.jar";
    let put = |path: std::path::PathBuf| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            s3.put_object()
                .bucket(&bucket)
                .key(key)
                .body(ByteStream::from_path(path).await.unwrap())
                .send()
                .await
                .unwrap()
                .version_id()
                .map(str::to_string)
        }
    };
    let v1 = put(w.artifact("stream-counter.jar"))
        .await
        .expect("version id");

    let id = unique("s3-counter");
    let mut spec = w.stream_spec(&id);
    spec.artifact_path = format!("s3://{bucket}/{key}");
    w.apply(vec![spec]).await;
    let record = w.spec_record(&id).await.unwrap();
    assert_eq!(record.artifact_version.as_deref(), Some(v1.as_str()));
    let (local_digest, _) = fjc_core::artifacts::sha256_file(&w.artifact("stream-counter.jar"))
        .await
        .unwrap();
    assert_eq!(record.artifact_digest, local_digest);

    // Someone overwrites the key with other bytes: the deploy still uses version 1.
    put(w.artifact("batch-sum.jar")).await;
    let s = w
        .cycle_until(&id, Duration::from_secs(90), |s| {
            s.lifecycle == Lifecycle::Running
        })
        .await;
    let flink_id = s.flink_job_id.unwrap();
    w.wait_flink_state(&flink_id, FlinkJobState::Running, Duration::from_secs(60))
        .await;
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_s3_object_is_refused_at_apply_and_nothing_is_written() {
    let w = World::new("s3-missing").await;
    let (_s3, bucket) = versioned_bucket().await;
    let mut spec = w.stream_spec(&unique("nope"));
    spec.artifact_path = format!("s3://{bucket}/missing.jar");
    let err = w.try_apply(vec![spec]).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("test: artifact_path") && msg.contains("not found"),
        "{msg}"
    );
    assert!(w.ctx.store.list_specs().await.unwrap().is_empty());
}
