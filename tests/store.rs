//! The DynamoDB store against moto: conditional writes refuse stale writers, the
//! lease fences out a reconciler whose token is stale, queries page, bootstrap is
//! idempotent.

use fjc_core::config::Config;
use fjc_core::runs::{Run, RunStatus, RunTrigger};
use fjc_core::state::JobState;
use fjc_core::store::bootstrap::Bootstrapped;
use fjc_core::store::{DynamoStore, LeaseOutcome, RunWrite, SpecRecord, Store, StoreError};
use fjc_core::store::{SpecStore, StateStore};
use fjc_core::wiring;
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::harness::unique;
use fjc_spec::{Fingerprint, JobSpec, JobType};

async fn fresh_store(name: &str) -> DynamoStore {
    let _ = LocalEnv::from_env();
    let table = unique(&format!("fjc-store-{name}"));
    let config = Config {
        table: table.clone(),
        ..Config::default()
    };
    assert_eq!(
        wiring::bootstrap(&config).await.unwrap(),
        Bootstrapped::Created
    );
    assert_eq!(
        wiring::bootstrap(&config).await.unwrap(),
        Bootstrapped::AlreadyExisted,
        "bootstrap is idempotent"
    );
    let sdk = wiring::aws_config().await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)
}

fn record(id: &str, padding: usize) -> SpecRecord {
    let spec: JobSpec = serde_json::from_value(serde_json::json!({
        "job_id": id, "job_type": "stream", "artifact_path": "x.jar",
        "args": ["x".repeat(padding)],
    }))
    .unwrap();
    SpecRecord {
        spec,
        fingerprint: Fingerprint("f".repeat(64)),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 1,
        version: 0,
    }
}

#[tokio::test]
async fn stale_spec_writer_is_refused_and_data_is_unchanged() {
    let store = fresh_store("spec").await;
    let mut r = record("a", 1);
    assert_eq!(store.put_spec(&r, None, None).await.unwrap(), 1);
    // Creating again (version 0) conflicts.
    let err = store.put_spec(&r, None, None).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains("spec a"), "{err}");
    r.version = 1;
    r.spec.deployment.parallelism = 3;
    assert_eq!(store.put_spec(&r, None, None).await.unwrap(), 2);
    // A writer still at version 1 loses and changes nothing.
    r.spec.deployment.parallelism = 9;
    assert!(matches!(
        store.put_spec(&r, None, None).await,
        Err(StoreError::Conflict { expected: 1, .. })
    ));
    let stored = store.get_spec("a").await.unwrap().unwrap();
    assert_eq!(stored.spec.deployment.parallelism, 3);
    let mut stale = stored.clone();
    stale.version = 1;
    assert!(matches!(
        store.delete_spec(&stale, None).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store
            .jobs_for_artifact(&stored.spec.artifact_path)
            .await
            .unwrap(),
        vec!["a"]
    );
    store.delete_spec(&stored, None).await.unwrap();
    assert!(store.get_spec("a").await.unwrap().is_none());
    // The index item went with the spec.
    assert!(
        store
            .jobs_for_artifact(&stored.spec.artifact_path)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Renewal extends a lease without changing its token (the holder's writes stay
/// valid); a lease taken over after it expired is not renewed by the old holder.
#[tokio::test]
async fn a_renewed_lease_keeps_its_token_and_a_lost_one_is_not_renewed() {
    let store = fresh_store("renew").await;
    let now = 1_000_000;
    let LeaseOutcome::Acquired(lease) = store.acquire_lease("r", "one", 1_000, now).await.unwrap()
    else {
        panic!("free lease not acquired")
    };
    assert!(store.renew_lease(&lease, now + 5_000).await.unwrap());
    // Still held past its first expiry, and the holder still writes.
    assert!(matches!(
        store.acquire_lease("r", "two", 1_000, now + 3_000).await.unwrap(),
        LeaseOutcome::Held(h) if h.expires_at == now + 5_000
    ));
    let state = JobState::new("job", JobType::Stream, "default", now);
    assert_eq!(store.put_state(&state, &lease).await.unwrap(), 1);
    // Once it expires another owner takes it; the old holder cannot renew it.
    let LeaseOutcome::Acquired(next) = store
        .acquire_lease("r", "two", 1_000, now + 6_000)
        .await
        .unwrap()
    else {
        panic!("expired lease not taken over")
    };
    assert!(!store.renew_lease(&lease, now + 60_000).await.unwrap());
    assert!(store.renew_lease(&next, now + 60_000).await.unwrap());
}

#[tokio::test]
async fn lease_fences_out_a_stale_holder() {
    let store = fresh_store("lease").await;
    let now = 1_000_000;
    let LeaseOutcome::Acquired(first) = store.acquire_lease("r", "one", 1_000, now).await.unwrap()
    else {
        panic!("free lease not acquired")
    };
    // Held until it expires.
    match store
        .acquire_lease("r", "two", 1_000, now + 10)
        .await
        .unwrap()
    {
        LeaseOutcome::Held(h) => {
            assert_eq!(h.owner, "one");
            assert_eq!(h.expires_at, now + 1_000);
        }
        other => panic!("expected held, got {other:?}"),
    }
    // After expiry another owner takes it with a higher token.
    let LeaseOutcome::Acquired(second) = store
        .acquire_lease("r", "two", 1_000, now + 2_000)
        .await
        .unwrap()
    else {
        panic!("expired lease not taken over")
    };
    assert!(second.token > first.token);

    let state = JobState::new("job", JobType::Stream, "default", now);
    // The stale holder cannot write; the new holder can.
    let err = store.put_state(&state, &first).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err:?}");
    assert!(store.list_states().await.unwrap().is_empty());
    let v = store.put_state(&state, &second).await.unwrap();
    assert_eq!(v, 1);
    // A stale version conflicts even under a valid lease.
    let err = store.put_state(&state, &second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    // Releasing a lease we no longer hold is a no-op; the holder's release frees it.
    store.release_lease(&first).await.unwrap();
    assert!(matches!(
        store
            .acquire_lease("r", "three", 1_000, now + 2_500)
            .await
            .unwrap(),
        LeaseOutcome::Held(_)
    ));
    store.release_lease(&second).await.unwrap();
    assert!(matches!(
        store
            .acquire_lease("r", "three", 1_000, now + 2_500)
            .await
            .unwrap(),
        LeaseOutcome::Acquired(_)
    ));
}

#[tokio::test]
async fn listing_reads_every_page() {
    let store = fresh_store("pages").await;
    // ~6 KB per item, 400 items: well over DynamoDB's 1 MB page.
    for i in 0..400 {
        store
            .put_spec(&record(&format!("job-{i:04}"), 6_000), None, None)
            .await
            .unwrap();
    }
    let before = store.stats().reads;
    let all = store.list_specs().await.unwrap();
    assert_eq!(all.len(), 400);
    let pages = store.stats().reads - before;
    assert!(pages >= 2, "expected several pages, got {pages}");
}

#[tokio::test]
async fn missing_table_is_a_clear_error() {
    let _ = LocalEnv::from_env();
    let sdk = wiring::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "fjc-no-such-table");
    let err = store.list_specs().await.unwrap_err();
    assert!(matches!(err, StoreError::NoTable { .. }), "{err:?}");
    assert!(err.to_string().contains("fjc bootstrap"), "{err}");
}

#[tokio::test]
async fn a_run_id_is_recorded_once_and_the_losing_commit_writes_nothing() {
    let store = fresh_store("runs").await;
    let LeaseOutcome::Acquired(lease) = store.acquire_lease("r", "me", 60_000, 1).await.unwrap()
    else {
        panic!("lease")
    };
    let run = Run {
        job_id: "nightly".into(),
        run_id: Run::id_for(RunTrigger::Schedule, 1_767_225_600_000),
        trigger: RunTrigger::Schedule,
        scheduled_at: 1_767_225_600_000,
        created_at: 1,
        started_at: None,
        ended_at: None,
        flink_job_id: fjc_flink::JobId::random(),
        fingerprint: Fingerprint("f".repeat(64)),
        status: RunStatus::Starting,
        reason: None,
        jar: None,
    };
    let mut a = JobState::new("nightly", JobType::Batch, "default", 1);
    a.version = store
        .commit(&a, &[RunWrite::Create(run.clone())], &lease)
        .await
        .unwrap();
    // Another writer with a fresh view of the state tries the same fire time.
    let mut other = run.clone();
    other.flink_job_id = fjc_flink::JobId::random();
    let err = store
        .commit(&a, &[RunWrite::Create(other)], &lease)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let runs = store.list_runs("nightly").await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].flink_job_id, run.flink_job_id);
    assert_eq!(store.list_states().await.unwrap()[0].version, a.version);
}

/// Each shard reads exactly its own specs and states (a key range per partition,
/// paged), and together the shards read every item once.
#[tokio::test]
async fn shards_read_their_own_key_ranges_only() {
    use fjc_core::shard::Shard;
    let store = fresh_store("shards").await;
    // ~1.2 MB of specs: the whole fleet's range takes more than one page.
    let ids: Vec<String> = (0..300).map(|i| format!("job-{i:03}")).collect();
    for id in &ids {
        store.put_spec(&record(id, 4000), None, None).await.unwrap();
    }
    let all: std::collections::BTreeSet<String> = ids.iter().cloned().collect();
    for count in [1, 4, 7] {
        let mut seen = std::collections::BTreeSet::new();
        for shard in Shard::all(count) {
            let before = store.stats().reads;
            let specs = store.list_specs_in(shard).await.unwrap();
            let pages = store.stats().reads - before;
            for r in &specs {
                assert!(shard.contains(&r.spec.job_id), "{shard}: {}", r.spec.job_id);
                assert!(
                    seen.insert(r.spec.job_id.clone()),
                    "read twice: {}",
                    r.spec.job_id
                );
            }
            let bytes = specs.len() * 4000;
            assert!(
                pages as usize <= bytes / 1_000_000 + 2,
                "{shard}: {pages} pages for {bytes} bytes"
            );
            if count == 1 {
                assert!(pages >= 2, "1.2 MB in one page?");
            }
        }
        assert_eq!(seen, all, "{count} shards together read every spec once");
    }
}

/// Items written before sharding (sort key = job id) are refused with the remedy,
/// and `bootstrap` moves them to their bucketed keys, keeping their contents.
#[tokio::test]
async fn bootstrap_moves_pre_sharding_items() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = fresh_store("legacy").await;
    store
        .put_spec(&record("old-job", 10), None, None)
        .await
        .unwrap();
    // Rewrite the spec item under its pre-sharding key, as an older build wrote it.
    let key = |sk: String| {
        std::collections::HashMap::from([
            ("pk".to_string(), AttributeValue::S("SPEC".into())),
            ("sk".to_string(), AttributeValue::S(sk)),
        ])
    };
    let bucketed = fjc_core::shard::sort_key("old-job");
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(key(bucketed.clone())))
        .send()
        .await
        .unwrap()
        .item
        .expect("spec item");
    let mut legacy = item.clone();
    legacy.insert("sk".into(), AttributeValue::S("old-job".into()));
    store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(legacy))
        .send()
        .await
        .unwrap();
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .set_key(Some(key(bucketed.clone())))
        .send()
        .await
        .unwrap();

    let err = store.list_specs().await.unwrap_err();
    assert!(err.to_string().contains("run `fjc bootstrap`"), "{err}");
    let config = Config {
        table: store.table().to_string(),
        ..Config::default()
    };
    wiring::bootstrap(&config).await.unwrap();
    let specs = store.list_specs().await.unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(
        (specs[0].spec.job_id.as_str(), specs[0].version),
        ("old-job", 1)
    );
    assert!(store.get_spec("old-job").await.unwrap().is_some());
    // Idempotent: nothing left to move.
    wiring::bootstrap(&config).await.unwrap();
    assert_eq!(store.list_specs().await.unwrap().len(), 1);
}
