//! The lease: held until it expires, renewed by its holder, fencing every state write.

use super::*;

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
