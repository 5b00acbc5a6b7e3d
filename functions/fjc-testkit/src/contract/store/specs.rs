//! Specs: stale writers refused, the artifact index, the audit trail.

use super::*;

/// Creating an existing spec, or replacing it at a stale version, is refused and
/// changes nothing; a delete at a stale version too.
pub async fn specs_refuse_stale_writers(store: &impl Store) {
    let mut r = record("a", 1);
    assert_eq!(ok("create", store.put_spec(&r, None, None)).await, 1);
    let err = store.put_spec(&r, None, None).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("spec a"), "{err}");
    r.version = 1;
    r.spec.deployment.parallelism = 3;
    assert_eq!(ok("update", store.put_spec(&r, None, None)).await, 2);
    // A writer still at version 1 loses and changes nothing.
    r.spec.deployment.parallelism = 9;
    assert!(matches!(
        store.put_spec(&r, None, None).await,
        Err(StoreError::Conflict { expected: 1, .. })
    ));
    let Some(stored) = ok("get", store.get_spec("a")).await else {
        panic!("spec a is gone");
    };
    assert_eq!(stored.spec.deployment.parallelism, 3);
    assert_eq!(stored.version, 2);
    // Replacing a spec that does not exist is a conflict too.
    let mut ghost = record("ghost", 1);
    ghost.version = 4;
    assert!(matches!(
        store.put_spec(&ghost, None, None).await,
        Err(StoreError::Conflict { expected: 4, .. })
    ));
    assert_eq!(ok("get", store.get_spec("ghost")).await, None);
    let mut stale = stored.clone();
    stale.version = 1;
    assert!(matches!(
        store.delete_spec(&stale, None).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.delete_spec(&record("ghost", 1), None).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        ok("index", store.jobs_for_artifact(&stored.spec.artifact_path)).await,
        vec!["a"]
    );
    ok("delete", store.delete_spec(&stored, None)).await;
    assert_eq!(ok("get", store.get_spec("a")).await, None);
    // The index item went with the spec.
    assert!(
        ok("index", store.jobs_for_artifact(&stored.spec.artifact_path))
            .await
            .is_empty()
    );
    // Created again from scratch.
    assert_eq!(
        ok("re-create", store.put_spec(&record("a", 1), None, None)).await,
        1
    );
}

/// The artifact index names the jobs of each artifact path, moves with a spec's
/// path, and changes (with the audit entry) only when the spec write wins.
pub async fn the_artifact_index_follows_the_spec(store: &impl Store) {
    let mut a = record("a", 1);
    a.spec.artifact_path = "one.jar".into();
    let mut b = record("b", 1);
    b.spec.artifact_path = "one.jar".into();
    a.version = ok(
        "a",
        store.put_spec(&a, None, Some(&audit("a", 10, "create"))),
    )
    .await;
    b.version = ok("b", store.put_spec(&b, None, None)).await;
    assert_eq!(
        ok("index", store.jobs_for_artifact("one.jar")).await,
        vec!["a", "b"]
    );
    assert!(
        ok("index", store.jobs_for_artifact("two.jar"))
            .await
            .is_empty()
    );
    // a moves to two.jar.
    a.spec.artifact_path = "two.jar".into();
    a.version = ok(
        "move",
        store.put_spec(&a, Some("one.jar"), Some(&audit("a", 20, "update"))),
    )
    .await;
    assert_eq!(
        ok("index", store.jobs_for_artifact("one.jar")).await,
        vec!["b"]
    );
    assert_eq!(
        ok("index", store.jobs_for_artifact("two.jar")).await,
        vec!["a"]
    );
    // The same path named as the old one keeps the index item.
    a.version = ok("same", store.put_spec(&a, Some("two.jar"), None)).await;
    assert_eq!(
        ok("index", store.jobs_for_artifact("two.jar")).await,
        vec!["a"]
    );
    // A losing write moves nothing and records no audit entry.
    let mut stale = a.clone();
    stale.version = 1;
    stale.spec.artifact_path = "three.jar".into();
    let lost = store
        .put_spec(&stale, Some("two.jar"), Some(&audit("a", 30, "update")))
        .await;
    assert!(matches!(lost, Err(StoreError::Conflict { .. })), "{lost:?}");
    assert_eq!(
        ok("index", store.jobs_for_artifact("two.jar")).await,
        vec!["a"]
    );
    assert!(
        ok("index", store.jobs_for_artifact("three.jar"))
            .await
            .is_empty()
    );
    let actions: Vec<String> = ok("audit", store.list_audit("a"))
        .await
        .into_iter()
        .map(|e| format!("{}@{}", e.action, e.at))
        .collect();
    assert_eq!(actions, ["create@10", "update@20"]);
    // A delete takes the index item of the record's path and records its entry.
    ok(
        "delete",
        store.delete_spec(&a, Some(&audit("a", 40, "delete"))),
    )
    .await;
    assert!(
        ok("index", store.jobs_for_artifact("two.jar"))
            .await
            .is_empty()
    );
    assert_eq!(ok("audit", store.list_audit("a")).await.len(), 3);
    assert!(ok("audit", store.list_audit("b")).await.is_empty());
}

/// Audit entries come back whole, oldest first, whatever order they were written in.
pub async fn audit_entries_are_listed_oldest_first(store: &impl Store) {
    let mut r = record("a", 1);
    for at in [300, 100, 200] {
        r.version = ok(
            "put",
            store.put_spec(&r, None, Some(&audit("a", at, "update"))),
        )
        .await;
    }
    let mut entry = audit("a", 50, "restart");
    entry.from = Some("f1".into());
    entry.detail = Some("v7".into());
    ok(
        "command",
        store.request_command("a", Command::Restart(RestartFrom::Newest), 50, &entry),
    )
    .await;
    let entries = ok("audit", store.list_audit("a")).await;
    let times: Vec<EpochMs> = entries.iter().map(|e| e.at).collect();
    assert_eq!(times, [50, 100, 200, 300]);
    assert_eq!(entries[0], entry);
}
