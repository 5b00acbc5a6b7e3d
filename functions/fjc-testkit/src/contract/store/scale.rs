//! Size: DynamoDB's request limits, paging, and each shard's own key range.

use super::*;

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
