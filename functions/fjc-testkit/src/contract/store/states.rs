//! Job states and runs: stale writers refused, a state read back as written, run ids once.

use super::*;

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
