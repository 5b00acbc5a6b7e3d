//! The store contract: what every [`Store`] must do, as named checks. Each check
//! takes a fresh (empty) store, writes through the trait only, and asserts what
//! comes back; [`crate::contract::store_contract`] runs them all.
//!
//! The assertions of the DynamoDB adapter's own tests (`tests/store.rs`: stale
//! writers refused, the lease fencing out a stale holder, renewal, paging, run ids
//! recorded once, shard key ranges) are part of it; DynamoDB-only matters (a
//! missing table, moving pre-sharding items) stay there.

use std::collections::{BTreeMap, BTreeSet};

use fjc_core::breaker::{Breaker, BreakerState};
use fjc_core::clock::EpochMs;
use fjc_core::health::Heartbeat;
use fjc_core::revisions::{Command, RestartFrom, Revision};
use fjc_core::runs::{Run, RunStatus, RunTrigger};
use fjc_core::shard::{Shard, sort_key};
use fjc_core::state::{JobState, LastError, Lifecycle, SavepointRecord};
use fjc_core::store::{
    AuditEntry, LeaseGrant, LeaseOutcome, RunWrite, SpecRecord, Store, StoreError,
};
use fjc_flink::JobId;
use fjc_spec::{Fingerprint, JobSpec, JobType};

macro_rules! checks {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The names of the store contract's checks.
        pub const STORE_CHECKS: &[&str] = &[$(stringify!($name)),*];

        /// Runs the store contract's check `name` on `store`, which must be empty.
        /// Panics when the store breaks the contract (or there is no such check).
        pub async fn store_check<S: Store>(name: &str, store: &S) {
            match name {
                $(stringify!($name) => $name(store).await,)*
                other => panic!("the store contract has no check {other:?}"),
            }
        }
    };
}

checks! {
    specs_refuse_stale_writers,
    the_artifact_index_follows_the_spec,
    audit_entries_are_listed_oldest_first,
    a_lease_is_held_until_it_expires_and_tokens_grow,
    a_renewed_lease_keeps_its_token_and_a_lost_one_is_not_renewed,
    state_writes_are_fenced_by_the_lease_token,
    states_refuse_stale_writers,
    a_state_reads_back_as_written,
    a_run_id_is_recorded_once_and_a_losing_commit_writes_nothing,
    dynamodb_request_limits_are_kept,
    listing_reads_every_page,
    shards_read_their_own_key_ranges,
    a_newer_run_request_replaces_an_older_one,
    revisions_are_kept_by_number,
    the_newest_command_of_each_kind_wins,
    breakers_are_versioned_and_the_heartbeat_is_last_writer_wins,
    the_artifact_event_token_is_last_writer_wins,
    stats_count_requests,
}

/// A spec record of a stream job `id` on `x.jar`, padded with `padding` bytes.
pub fn record(id: &str, padding: usize) -> SpecRecord {
    let spec: Result<JobSpec, _> = serde_json::from_value(serde_json::json!({
        "job_id": id, "job_type": "stream", "artifact_path": "x.jar",
        "args": ["x".repeat(padding)],
    }));
    SpecRecord {
        spec: spec.unwrap_or_else(|e| panic!("test spec {id}: {e}")),
        fingerprint: Fingerprint("f".repeat(64)),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 1,
        version: 0,
    }
}

fn audit(job_id: &str, at: EpochMs, action: &str) -> AuditEntry {
    AuditEntry {
        job_id: job_id.to_string(),
        at,
        actor: "local:contract@test".into(),
        action: action.to_string(),
        from: None,
        to: Some(format!("fp-{at}")),
        detail: None,
    }
}

fn run(job_id: &str, scheduled_at: EpochMs) -> Run {
    Run {
        job_id: job_id.to_string(),
        run_id: Run::id_for(RunTrigger::Schedule, scheduled_at),
        trigger: RunTrigger::Schedule,
        scheduled_at,
        created_at: 1,
        started_at: None,
        ended_at: None,
        flink_job_id: JobId::random(),
        fingerprint: Fingerprint("f".repeat(64)),
        status: RunStatus::Starting,
        reason: None,
        jar: None,
    }
}

/// Takes lease `name` for `owner` at `now`; panics when it is held.
async fn take(
    store: &impl Store,
    name: &str,
    owner: &str,
    ttl_ms: i64,
    now: EpochMs,
) -> LeaseGrant {
    match store.acquire_lease(name, owner, ttl_ms, now).await {
        Ok(LeaseOutcome::Acquired(grant)) => grant,
        other => panic!("lease {name} not acquired by {owner} at {now}: {other:?}"),
    }
}

async fn ok<T, E: std::fmt::Debug>(what: &str, f: impl Future<Output = Result<T, E>>) -> T {
    f.await.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

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

/// A lease is held until it has expired (`expires_at < now`); every acquisition,
/// the holder's own again included, gets a higher token, which fences out the
/// grants before it; a release frees it for anyone.
pub async fn a_lease_is_held_until_it_expires_and_tokens_grow(store: &impl Store) {
    let now = 1_000_000;
    let first = take(store, "r", "one", 1_000, now).await;
    assert_eq!((first.name.as_str(), first.owner.as_str()), ("r", "one"));
    assert_eq!(first.expires_at, now + 1_000);
    // Held by "one" until it expires, at its expiry instant too.
    for at in [now + 10, now + 1_000] {
        match ok("acquire", store.acquire_lease("r", "two", 1_000, at)).await {
            LeaseOutcome::Held(h) => {
                assert_eq!((h.owner.as_str(), h.expires_at), ("one", now + 1_000));
            }
            other => panic!("expected held at {at}, got {other:?}"),
        }
    }
    // Leases are independent by name.
    let other = take(store, "s", "two", 1_000, now + 10).await;
    assert_eq!(other.name, "s");
    // After expiry another owner takes it with a higher token.
    let second = take(store, "r", "two", 1_000, now + 1_001).await;
    assert!(second.token > first.token, "{second:?} after {first:?}");
    // The holder taking it again gets a higher token still; its older grant is stale.
    let third = take(store, "r", "two", 1_000, now + 1_002).await;
    assert!(third.token > second.token, "{third:?} after {second:?}");
    let state = JobState::new("job", JobType::Stream, "default", now);
    assert!(matches!(
        store.put_state(&state, &second).await,
        Err(StoreError::LeaseLost { .. })
    ));
    // Releasing a lease we no longer hold is a no-op; the holder's release frees it.
    ok("stale release", store.release_lease(&first)).await;
    ok("stale release", store.release_lease(&second)).await;
    assert!(matches!(
        ok(
            "acquire",
            store.acquire_lease("r", "three", 1_000, now + 1_003)
        )
        .await,
        LeaseOutcome::Held(_)
    ));
    ok("release", store.release_lease(&third)).await;
    let fourth = take(store, "r", "three", 1_000, now + 1_003).await;
    // Tokens never go back, a release notwithstanding.
    assert!(fourth.token > third.token, "{fourth:?} after {third:?}");
    assert_eq!(ok("commit", store.put_state(&state, &fourth)).await, 1);
}

/// Renewal extends a lease without changing its token (the holder's writes stay
/// valid); a lease taken over after it expired is not renewed by the old holder.
pub async fn a_renewed_lease_keeps_its_token_and_a_lost_one_is_not_renewed(store: &impl Store) {
    let now = 1_000_000;
    let lease = take(store, "r", "one", 1_000, now).await;
    assert!(ok("renew", store.renew_lease(&lease, now + 5_000)).await);
    // Still held past its first expiry, and the holder still writes.
    assert!(matches!(
        ok("acquire", store.acquire_lease("r", "two", 1_000, now + 3_000)).await,
        LeaseOutcome::Held(h) if h.expires_at == now + 5_000
    ));
    let state = JobState::new("job", JobType::Stream, "default", now);
    assert_eq!(ok("commit", store.put_state(&state, &lease)).await, 1);
    // Once it expires another owner takes it; the old holder cannot renew it.
    let next = take(store, "r", "two", 1_000, now + 6_000).await;
    assert!(!ok("renew lost", store.renew_lease(&lease, now + 60_000)).await);
    assert!(ok("renew", store.renew_lease(&next, now + 60_000)).await);
    assert!(matches!(
        ok("acquire", store.acquire_lease("r", "one", 1_000, now + 59_000)).await,
        LeaseOutcome::Held(h) if h.owner == "two" && h.expires_at == now + 60_000
    ));
    // A lease never taken is not renewed.
    let never = LeaseGrant {
        name: "never".into(),
        ..lease.clone()
    };
    assert!(!ok("renew never", store.renew_lease(&never, now)).await);
}

/// Every state write checks the lease's token and owner in the same step: a
/// stale, forged or never-granted lease writes nothing. The check is on the
/// token, not on the time: a grant past its expiry that nobody took over writes.
pub async fn state_writes_are_fenced_by_the_lease_token(store: &impl Store) {
    let now = 1_000_000;
    let first = take(store, "r", "one", 1_000, now).await;
    let second = take(store, "r", "two", 1_000, now + 2_000).await;
    let state = JobState::new("job", JobType::Stream, "default", now);
    let err = store.put_state(&state, &first).await.unwrap_err();
    assert_eq!(
        err,
        StoreError::LeaseLost {
            name: "r".into(),
            token: first.token
        }
    );
    assert!(ok("list", store.list_states()).await.is_empty());
    // The right token under another owner's name, a lease never granted.
    let forged = LeaseGrant {
        owner: "one".into(),
        ..second.clone()
    };
    let never = LeaseGrant {
        name: "never".into(),
        ..second.clone()
    };
    for lease in [&forged, &never] {
        assert!(
            matches!(
                store.put_state(&state, lease).await,
                Err(StoreError::LeaseLost { .. })
            ),
            "{lease:?}"
        );
    }
    assert!(ok("list", store.list_states()).await.is_empty());
    let v = ok("commit", store.put_state(&state, &second)).await;
    assert_eq!(v, 1);
    // Long past its expiry, not taken over: the token still holds.
    let mut later = state.clone();
    later.version = v;
    later.updated_at = now + 60_000;
    let v = ok("commit", store.put_state(&later, &second)).await;
    assert_eq!(v, 2);
    // Deletion is fenced and versioned too.
    assert!(matches!(
        store.delete_state("job", v, &first).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.delete_state("job", 1, &second).await,
        Err(StoreError::Conflict { expected: 1, .. })
    ));
    assert_eq!(ok("list", store.list_states()).await.len(), 1);
    ok("delete", store.delete_state("job", v, &second)).await;
    assert!(ok("list", store.list_states()).await.is_empty());
    assert!(matches!(
        store.delete_state("job", v, &second).await,
        Err(StoreError::Conflict { .. })
    ));
}

/// Creating an existing state, or writing at a stale version, conflicts even
/// under a valid lease, and changes nothing.
pub async fn states_refuse_stale_writers(store: &impl Store) {
    let lease = take(store, "r", "me", 60_000, 1).await;
    let mut st = JobState::new("job", JobType::Stream, "default", 1);
    st.version = ok("create", store.put_state(&st, &lease)).await;
    assert_eq!(st.version, 1);
    let mut fresh = JobState::new("job", JobType::Stream, "default", 2);
    let err = store.put_state(&fresh, &lease).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("state of job"), "{err}");
    st.lifecycle = Lifecycle::Running;
    let stale = st.clone();
    st.version = ok("update", store.put_state(&st, &lease)).await;
    assert_eq!(st.version, 2);
    let mut loser = stale;
    loser.lifecycle = Lifecycle::Failed;
    assert!(matches!(
        store.put_state(&loser, &lease).await,
        Err(StoreError::Conflict { expected: 1, .. })
    ));
    fresh.version = 7;
    assert!(matches!(
        store.put_state(&fresh, &lease).await,
        Err(StoreError::Conflict { expected: 7, .. })
    ));
    let states = ok("list", store.list_states()).await;
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].lifecycle, states[0].version, states[0].updated_at),
        (Lifecycle::Running, 2, 1)
    );
}

/// A state with every kind of field set reads back equal, its version the store's.
pub async fn a_state_reads_back_as_written(store: &impl Store) {
    let lease = take(store, "r", "me", 60_000, 1).await;
    let job = JobId::random();
    let mut st = JobState::new("full", JobType::Stream, "east", 5);
    st.lifecycle = Lifecycle::Running;
    st.flink_state = Some("RUNNING".into());
    st.flink_job_id = Some(job.clone());
    st.deployed_fingerprint = Some(Fingerprint("d".repeat(64)));
    st.failed_attempts = 2;
    st.next_attempt_at = Some(99);
    st.last_error = Some(LastError::new("boom / Caused by: x", 7, true));
    let point = SavepointRecord {
        location: "file:/sp/savepoint-abc123-0123456789ab".into(),
        at: 8,
        from_job: job,
        kind: "savepoint".into(),
    };
    st.last_savepoint = Some(point.clone());
    st.savepoints = vec![point];
    st.recoveries = vec![3, 4];
    st.handled.insert("restart".into(), 6);
    st.version = ok("commit", store.put_state(&st, &lease)).await;
    assert_eq!(ok("list", store.list_states()).await, vec![st.clone()]);
    let shard = Shard::of("full", 4);
    assert_eq!(
        ok("list shard", store.list_states_in(shard)).await,
        vec![st]
    );
}

/// A run id is recorded once: a second `Create` of it loses the whole commit,
/// state included. Puts overwrite, deletes remove, and a consumed request is gone;
/// a commit refused for its lease writes none of its runs.
pub async fn a_run_id_is_recorded_once_and_a_losing_commit_writes_nothing(store: &impl Store) {
    let lease = take(store, "r", "me", 60_000, 1).await;
    let first = run("nightly", 1_767_225_600_000);
    let mut a = JobState::new("nightly", JobType::Batch, "default", 1);
    ok("request", store.request_run("nightly", 5)).await;
    a.version = ok(
        "commit",
        store.commit(&a, &[RunWrite::Create(first.clone())], &lease),
    )
    .await;
    // Another writer with a fresh view of the state tries the same fire time.
    let mut other = first.clone();
    other.flink_job_id = JobId::random();
    let second = run("nightly", 1_767_312_000_000);
    let err = store
        .commit(
            &a,
            &[
                RunWrite::Create(second.clone()),
                RunWrite::Create(other),
                RunWrite::ConsumeRequest {
                    job_id: "nightly".into(),
                },
            ],
            &lease,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains("run write 2"), "{err}");
    let runs = ok("runs", store.list_runs("nightly")).await;
    assert_eq!(runs, vec![first.clone()]);
    assert_eq!(
        ok("states", store.list_states()).await[0].version,
        a.version
    );
    assert_eq!(
        ok("requests", store.list_run_requests()).await,
        BTreeMap::from([("nightly".to_string(), 5)])
    );
    // A stale lease writes no run either.
    let stale = LeaseGrant {
        token: lease.token + 1,
        ..lease.clone()
    };
    assert!(matches!(
        store
            .commit(&a, &[RunWrite::Create(second.clone())], &stale)
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(ok("runs", store.list_runs("nightly")).await.len(), 1);
    // Put overwrites, Create adds (listed by run id), the request is consumed.
    let mut started = first.clone();
    started.status = RunStatus::Running;
    started.started_at = Some(7);
    a.version = ok(
        "commit",
        store.commit(
            &a,
            &[
                RunWrite::Create(second.clone()),
                RunWrite::Put(started.clone()),
                RunWrite::ConsumeRequest {
                    job_id: "nightly".into(),
                },
            ],
            &lease,
        ),
    )
    .await;
    assert_eq!(
        ok("runs", store.list_runs("nightly")).await,
        vec![started, second.clone()]
    );
    assert!(ok("requests", store.list_run_requests()).await.is_empty());
    a.version = ok(
        "commit",
        store.commit(
            &a,
            &[RunWrite::Delete {
                job_id: "nightly".into(),
                run_id: first.run_id.clone(),
            }],
            &lease,
        ),
    )
    .await;
    assert_eq!(ok("runs", store.list_runs("nightly")).await, vec![second]);
    assert_eq!(a.version, 3);
    assert!(ok("runs", store.list_runs("other")).await.is_empty());
}

/// DynamoDB refuses, before any condition and writing nothing: an item over
/// 400 KB, a transaction of more than 100 items, and two writes of one item in
/// one transaction.
pub async fn dynamodb_request_limits_are_kept(store: &impl Store) {
    let lease = take(store, "r", "me", 60_000, 1).await;
    let big = store.put_spec(&record("big", 450 * 1024), None, None).await;
    assert!(matches!(big, Err(StoreError::Other { .. })), "{big:?}");
    assert_eq!(ok("get", store.get_spec("big")).await, None);
    assert_eq!(
        ok(
            "large",
            store.put_spec(&record("large", 300 * 1024), None, None)
        )
        .await,
        1
    );
    let st = JobState::new("job", JobType::Batch, "default", 1);
    let twice = run("job", 1_000_000);
    let err = store
        .commit(
            &st,
            &[
                RunWrite::Create(twice.clone()),
                RunWrite::Put(twice.clone()),
            ],
            &lease,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Other { .. }), "{err:?}");
    // The lease check, the state and 98 runs: 100 items.
    let runs = |n: i64| -> Vec<RunWrite> {
        (0..n)
            .map(|i| RunWrite::Create(run("job", 2_000_000 + i)))
            .collect()
    };
    let err = store.commit(&st, &runs(99), &lease).await.unwrap_err();
    assert!(matches!(err, StoreError::Other { .. }), "{err:?}");
    assert!(ok("states", store.list_states()).await.is_empty());
    assert!(ok("runs", store.list_runs("job")).await.is_empty());
    assert_eq!(ok("commit", store.commit(&st, &runs(98), &lease)).await, 1);
    assert_eq!(ok("runs", store.list_runs("job")).await.len(), 98);
}

/// Listing reads every page: ~2.4 MB of specs (DynamoDB answers 1 MB a page)
/// come back whole, in key order, in more than one read.
pub async fn listing_reads_every_page(store: &impl Store) {
    // ~6 KB per item, 400 items: well over DynamoDB's 1 MB page.
    let mut ids = Vec::new();
    for i in 0..400 {
        let id = format!("job-{i:04}");
        ok("put", store.put_spec(&record(&id, 6_000), None, None)).await;
        ids.push(id);
    }
    let before = store.stats().reads;
    let all = ok("list", store.list_specs()).await;
    let pages = store.stats().reads - before;
    assert_eq!(all.len(), 400);
    assert!(pages >= 2, "expected several pages, got {pages}");
    ids.sort_by_key(|id| sort_key(id));
    let listed: Vec<&str> = all.iter().map(|r| r.spec.job_id.as_str()).collect();
    assert_eq!(listed, ids, "specs come in key order");
}

/// Each shard reads exactly its own specs and states (a key range per partition,
/// paged), and together the shards read every item once.
pub async fn shards_read_their_own_key_ranges(store: &impl Store) {
    let lease = take(store, "r", "me", 60_000, 1).await;
    // ~1.2 MB of specs: the whole fleet's range takes more than one page.
    let ids: Vec<String> = (0..300).map(|i| format!("job-{i:03}")).collect();
    for id in &ids {
        ok("put", store.put_spec(&record(id, 4000), None, None)).await;
    }
    for id in ids.iter().take(40) {
        let st = JobState::new(id, JobType::Stream, "default", 1);
        ok("commit", store.put_state(&st, &lease)).await;
    }
    let all: BTreeSet<String> = ids.iter().cloned().collect();
    let all_states: BTreeSet<String> = ids.iter().take(40).cloned().collect();
    for count in [1, 4, 7] {
        let mut seen = BTreeSet::new();
        let mut seen_states = BTreeSet::new();
        for shard in Shard::all(count) {
            let before = store.stats().reads;
            let specs = ok("list", store.list_specs_in(shard)).await;
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
            for st in ok("list states", store.list_states_in(shard)).await {
                assert!(shard.contains(&st.job_id), "{shard}: {}", st.job_id);
                assert!(
                    seen_states.insert(st.job_id.clone()),
                    "read twice: {}",
                    st.job_id
                );
            }
        }
        assert_eq!(seen, all, "{count} shards together read every spec once");
        assert_eq!(
            seen_states, all_states,
            "{count} shards together read every state once"
        );
    }
}

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
