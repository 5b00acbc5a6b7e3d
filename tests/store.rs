//! What only the DynamoDB store has, against moto: a missing table is a clear
//! error, and bootstrap is idempotent and moves pre-sharding items. What every
//! store must do (stale writers refused, lease fencing, paging, run ids once,
//! shard key ranges) is the store contract, which `tests/contract.rs` runs
//! against this same adapter.

use fjc_aws::dynamo::DynamoStore;
use fjc_aws::dynamo::bootstrap::Bootstrapped;
use fjc_aws::wiring;
use fjc_core::config::Config;
use fjc_core::store::SpecStore;
use fjc_core::store::{SpecRecord, StoreError};
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::harness::unique;
use fjc_spec::{Fingerprint, JobSpec};

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
async fn missing_table_is_a_clear_error() {
    let _ = LocalEnv::from_env();
    let sdk = wiring::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "fjc-no-such-table");
    let err = store.list_specs().await.unwrap_err();
    assert!(matches!(err, StoreError::NoTable { .. }), "{err:?}");
    assert!(err.to_string().contains("fjc bootstrap"), "{err}");
}

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
