//! The dashboard snapshot published by real cycles (real Flink, moto S3): written to
//! S3 only when its content changes, remembered across processes through the
//! object's metadata, and never carrying argument or environment values.
//!
//! The snapshot includes the cluster's free slots, which change whenever another
//! test starts or stops a job, so this test runs in the serial phase of
//! scripts/test.sh (its name starts with `quiet_`).

use fjc_aws::dashboard::Publisher;
use fjc_aws::s3::publisher::{META_CONTENT, S3Publisher};
use fjc_aws::wiring;
use fjc_core::snapshot::Timing;
use fjc_core::snapshot::publish::{Dashboard, PublishOutcome};
use fjc_integration_tests::harness::{World, s3_client, unique};

fn dashboard(s3: &aws_sdk_s3::Client, bucket: &str) -> Dashboard<Publisher> {
    Dashboard::new(
        vec![Publisher::S3(S3Publisher::new(s3.clone(), bucket))],
        Timing {
            interval_seconds: 30,
            heartbeat_refresh_seconds: 3600,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_s3_snapshot_is_written_only_when_it_changes_and_holds_no_secrets() {
    let w = World::new("dash").await;
    let s3 = s3_client(&wiring::aws_config().await);
    let bucket = unique("fjc-dashboard");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let job = unique("dash");
    let mut spec = w.stream_spec(&job);
    spec.args
        .extend(["--password".to_string(), "hunter2".to_string()]);
    spec.env_vars
        .insert("SECRET_TOKEN".into(), "s3cr3t-value".into());
    let env_vars = spec.env_vars.len() as u32;
    w.apply(vec![spec]).await;

    let d = dashboard(&s3, &bucket);
    let first = w.cycle().await;
    let out = d.after_cycle(&w.ctx, &first).await;
    assert_eq!(out[0].result, Ok(PublishOutcome::Written), "{out:?}");
    // Let the job settle, then an idle cycle writes nothing.
    let mut last = first;
    for _ in 0..20 {
        last = w.cycle().await;
        if last.actions.is_empty() {
            break;
        }
        d.after_cycle(&w.ctx, &last).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(last.actions.is_empty(), "the job did not settle: {last:?}");
    d.after_cycle(&w.ctx, &last).await;
    // The snapshot also shows the shared cluster (free slots, orphans), which other
    // jobs can change at any moment; an idle cycle in a quiet moment writes nothing.
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let idle = w.cycle().await;
        if !idle.actions.is_empty() {
            // The job changed after all (promoted, or its health signals
            // recorded): published as any cycle, and not an idle one to judge.
            d.after_cycle(&w.ctx, &idle).await;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            continue;
        }
        // An idle cycle reads no job history (revisions, audit): nothing changed.
        let before = fjc_core::store::Store::stats(&w.ctx.store).reads;
        let out = d.after_cycle(&w.ctx, &idle).await;
        assert_eq!(
            fjc_core::store::Store::stats(&w.ctx.store).reads,
            before,
            "an idle snapshot read the store"
        );
        outcomes.push(out[0].result.clone());
        if out[0].result == Ok(PublishOutcome::Unchanged) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(
        outcomes.last(),
        Some(&Ok(PublishOutcome::Unchanged)),
        "{outcomes:?}"
    );
    // A new process learns what is published from the object's metadata.
    let mut fresh_outcomes = Vec::new();
    for _ in 0..10 {
        let fresh = dashboard(&s3, &bucket);
        let cycle = w.cycle().await;
        // The new process takes the histories from the published snapshot.
        let before = fjc_core::store::Store::stats(&w.ctx.store).reads;
        let out = fresh.after_cycle(&w.ctx, &cycle).await;
        if cycle.actions.is_empty() {
            assert_eq!(fjc_core::store::Store::stats(&w.ctx.store).reads, before);
            // Nor does it write the job documents again: the overview names the
            // versions the bucket holds.
            assert_eq!(out[0].documents.written, 0, "{out:?}");
        }
        fresh_outcomes.push(out[0].result.clone());
        if out[0].result == Ok(PublishOutcome::Unchanged) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(
        fresh_outcomes.last(),
        Some(&Ok(PublishOutcome::Unchanged)),
        "{fresh_outcomes:?}"
    );

    let obj = s3
        .get_object()
        .bucket(&bucket)
        .key("snapshot.json")
        .send()
        .await
        .unwrap();
    assert_eq!(obj.content_type(), Some("application/json"));
    assert!(obj.metadata().is_some_and(|m| m.contains_key(META_CONTENT)));
    let body = obj.body.collect().await.unwrap().into_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    for secret in ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"] {
        assert!(!text.contains(secret), "{secret} leaked into the snapshot");
    }
    let snap: fjc_snapshot::Snapshot = serde_json::from_str(&text).unwrap();
    let j = snap
        .jobs
        .iter()
        .find(|j| j.job_id == job)
        .expect("job listed");
    // What `fjc status` and `fjc history` know is in the snapshot too: the job's
    // history and spec in its own document.
    assert_eq!(j.namespace, "default");
    assert_eq!(j.revision, Some(1));
    assert!(j.detail.is_none(), "the overview carries no job detail");
    // The namespace's own overview (what a viewer of `default` alone reads) lists it.
    let ns_key = fjc_snapshot::namespace_overview_key("default");
    let ns: fjc_snapshot::Snapshot =
        serde_json::from_str(&object_text(&s3, &bucket, &ns_key).await).unwrap();
    assert!(ns.jobs.iter().all(|j| j.namespace == "default"));
    assert!(
        ns.jobs.iter().any(|j| j.job_id == job),
        "{ns_key} lists {job}"
    );
    let key = fjc_snapshot::job_document_key(&j.namespace, &job);
    let text = object_text(&s3, &bucket, &key).await;
    for secret in ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"] {
        assert!(!text.contains(secret), "{secret} leaked into {key}");
    }
    let doc: fjc_snapshot::JobDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(doc.job_id, job);
    let detail = doc.detail;
    assert_eq!(
        detail.spec.as_ref().map(|s| s.env_var_count),
        Some(env_vars)
    );
    assert_eq!(
        detail
            .revisions
            .iter()
            .map(|r| r.number)
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(
        detail.revisions[0].fingerprint,
        detail.deployed_fingerprint.clone().unwrap_or_default()
    );
    assert_eq!(
        detail
            .audit
            .iter()
            .map(|a| a.action.as_str())
            .collect::<Vec<_>>(),
        ["create"]
    );
    assert_eq!(detail.audit[0].actor, "local:it@test");
    assert!(j.recovery_budget.is_some() && j.flink_state_seen.is_some());

    // Deleting the spec changes the content: written again.
    w.delete(&job).await.ok();
    let out = d.after_cycle(&w.ctx, &w.cycle().await).await;
    assert_eq!(out[0].result, Ok(PublishOutcome::Written));
    w.cleanup().await;
}

/// The text of the object at `key`.
async fn object_text(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key}: {e:?}"));
    let body = obj.body.collect().await.expect("body").into_bytes();
    String::from_utf8(body.to_vec()).expect("UTF-8")
}
