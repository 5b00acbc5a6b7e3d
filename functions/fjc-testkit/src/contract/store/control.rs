//! Run requests, revisions, commands, breakers and the heartbeat, event tokens, and the request counts.

use super::*;

/// A newer `fjc run` request replaces an older one; requests are by job.
pub async fn a_newer_run_request_replaces_an_older_one(store: &impl Store) {
    assert!(ok("list", store.list_run_requests()).await.is_empty());
    ok("request", store.request_run("a", 10)).await;
    ok("request", store.request_run("b", 11)).await;
    ok("request", store.request_run("a", 20)).await;
    assert_eq!(
        ok("list", store.list_run_requests()).await,
        BTreeMap::from([("a".to_string(), 20), ("b".to_string(), 11)])
    );
}

/// Revisions come back by number, whatever order they were written in; writing a
/// number again overwrites it; deleting one (or one that is gone) is fine.
pub async fn revisions_are_kept_by_number(store: &impl Store) {
    let rec = record("a", 1);
    let revision = |n: u64| Revision::of(n, &rec, JobId::random(), None, n as EpochMs * 100);
    for n in [3, 1, 12, 2] {
        ok("put", store.put_revision(&revision(n))).await;
    }
    let mut again = revision(2);
    again.restored_from = Some("file:/sp/savepoint-aaaaaa-000000000000".into());
    again.reason = Some("rolled back".into());
    ok("overwrite", store.put_revision(&again)).await;
    let listed = ok("list", store.list_revisions("a")).await;
    let numbers: Vec<u64> = listed.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [1, 2, 3, 12]);
    assert_eq!(listed[1], again);
    ok("delete", store.delete_revision("a", 3)).await;
    ok("delete again", store.delete_revision("a", 3)).await;
    ok("delete unknown", store.delete_revision("nobody", 1)).await;
    let numbers: Vec<u64> = ok("list", store.list_revisions("a"))
        .await
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(numbers, [1, 2, 12]);
    assert!(ok("list", store.list_revisions("b")).await.is_empty());
}

/// Operator commands: a newer request of a kind replaces the older one, kinds
/// stand side by side, every request leaves its audit entry.
pub async fn the_newest_command_of_each_kind_wins(store: &impl Store) {
    let request = |job: &'static str, command: Command, at: EpochMs| {
        let entry = audit(job, at, command.kind());
        async move { ok("command", store.request_command(job, command, at, &entry)).await }
    };
    request("a", Command::Restart(RestartFrom::Newest), 1).await;
    request(
        "a",
        Command::Restart(RestartFrom::Path("file:/sp/x".into())),
        2,
    )
    .await;
    request("a", Command::Rollback(Some(4)), 3).await;
    request("a", Command::Savepoint, 4).await;
    request("b", Command::Rollback(None), 5).await;
    request("c", Command::Restart(RestartFrom::Empty), 6).await;
    let commands = ok("list", store.list_commands()).await;
    assert_eq!(commands.len(), 3);
    let a = &commands["a"];
    assert_eq!(a.restart, Some((2, RestartFrom::Path("file:/sp/x".into()))));
    assert_eq!(a.rollback, Some((3, Some(4))));
    assert_eq!(a.savepoint, Some(4));
    assert_eq!(commands["b"].rollback, Some((5, None)));
    assert_eq!(commands["b"].restart, None);
    assert_eq!(commands["c"].restart, Some((6, RestartFrom::Empty)));
    let actions: Vec<String> = ok("audit", store.list_audit("a"))
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["restart", "restart", "rollback", "savepoint"]);
}

/// A breaker is written at its version (a stale writer conflicts and changes
/// nothing); the heartbeat is last writer wins.
pub async fn breakers_are_versioned_and_the_heartbeat_is_last_writer_wins(store: &impl Store) {
    let empty = ok("control", store.control()).await;
    assert!(empty.breakers.is_empty() && empty.heartbeat.is_none());
    let mut b = Breaker::closed("east");
    b.version = ok("create", store.put_breaker(&b)).await;
    assert_eq!(b.version, 1);
    let err = store
        .put_breaker(&Breaker::closed("east"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("breaker of cluster east"), "{err}");
    let stale = b.clone();
    b.state = BreakerState::Open { until: 99 };
    b.failures = 3;
    b.since = Some(10);
    b.last_error = Some("connection refused".into());
    b.version = ok("update", store.put_breaker(&b)).await;
    assert_eq!(b.version, 2);
    let mut loser = stale;
    loser.failures = 1;
    assert!(matches!(
        store.put_breaker(&loser).await,
        Err(StoreError::Conflict { expected: 1, .. })
    ));
    let mut west = Breaker::closed("west");
    west.version = ok("west", store.put_breaker(&west)).await;
    let heartbeat = |at: EpochMs, owner: &str| Heartbeat {
        at,
        owner: owner.to_string(),
        correlation_id: format!("c-{at}"),
        cycle_ms: 12,
        specs: 3,
        failed_actions: 0,
        clusters: BTreeMap::new(),
        canaries: BTreeMap::new(),
    };
    ok("heartbeat", store.put_heartbeat(&heartbeat(100, "one"))).await;
    ok("heartbeat", store.put_heartbeat(&heartbeat(50, "two"))).await;
    let control = ok("control", store.control()).await;
    assert_eq!(
        control.breakers,
        BTreeMap::from([("east".to_string(), b), ("west".to_string(), west)])
    );
    assert_eq!(control.heartbeat, Some(heartbeat(50, "two")));
}

/// The latest upload event token of an artifact path: last writer wins, per path.
pub async fn the_artifact_event_token_is_last_writer_wins(store: &impl Store) {
    assert_eq!(
        ok("token", store.artifact_event_token("s3://b/x.jar")).await,
        None
    );
    ok("mark", store.mark_artifact_event("s3://b/x.jar", "t1", 10)).await;
    ok("mark", store.mark_artifact_event("s3://b/y.jar", "t9", 11)).await;
    ok("mark", store.mark_artifact_event("s3://b/x.jar", "t2", 5)).await;
    assert_eq!(
        ok("token", store.artifact_event_token("s3://b/x.jar")).await,
        Some("t2".into())
    );
    assert_eq!(
        ok("token", store.artifact_event_token("s3://b/y.jar")).await,
        Some("t9".into())
    );
}

/// [`Store::stats`]: one read per get and per page of a (small) query, one write
/// per write request, refused ones included.
pub async fn stats_count_requests(store: &impl Store) {
    let delta = |before: fjc_core::store::StoreStats| {
        let now = store.stats();
        (now.reads - before.reads, now.writes - before.writes)
    };
    let s = store.stats();
    ok("put", store.put_spec(&record("a", 1), None, None)).await;
    assert_eq!(delta(s), (0, 1), "put_spec");
    let s = store.stats();
    assert!(store.put_spec(&record("a", 1), None, None).await.is_err());
    assert_eq!(delta(s), (0, 1), "a refused put_spec");
    let s = store.stats();
    ok("get", store.get_spec("a")).await;
    ok("get", store.get_spec("nobody")).await;
    assert_eq!(delta(s), (2, 0), "get_spec");
    let s = store.stats();
    ok("list", store.list_specs()).await;
    ok("list", store.list_states()).await;
    ok("index", store.jobs_for_artifact("x.jar")).await;
    ok("audit", store.list_audit("a")).await;
    ok("runs", store.list_runs("a")).await;
    ok("requests", store.list_run_requests()).await;
    ok("revisions", store.list_revisions("a")).await;
    ok("commands", store.list_commands()).await;
    ok("control", store.control()).await;
    ok("token", store.artifact_event_token("x.jar")).await;
    assert_eq!(delta(s), (10, 0), "one read per small query");
    let s = store.stats();
    let lease = take(store, "r", "me", 60_000, 1).await;
    let st = JobState::new("a", JobType::Stream, "default", 1);
    ok("commit", store.put_state(&st, &lease)).await;
    assert!(store.put_state(&st, &lease).await.is_err());
    assert!(ok("renew", store.renew_lease(&lease, 2)).await);
    ok("release", store.release_lease(&lease)).await;
    assert_eq!(delta(s), (0, 5), "lease and state writes");
}
