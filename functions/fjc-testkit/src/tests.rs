//! The fakes against the contract suites, and what only the fakes do.

use fjc_core::state::JobState;
use fjc_core::store::{LeaseOutcome, Store};
use fjc_spec::JobType;

use crate::InMemoryStore;
use crate::contract;

#[tokio::test]
async fn the_in_memory_store_passes_the_store_contract() {
    contract::store_contract(|_| async { InMemoryStore::new() }).await;
}

#[tokio::test]
async fn clones_of_the_in_memory_store_share_the_table() {
    let one = InMemoryStore::new();
    let two = one.clone();
    let LeaseOutcome::Acquired(lease) = one.acquire_lease("r", "me", 1_000, 1).await.unwrap()
    else {
        panic!("lease")
    };
    let st = JobState::new("a", JobType::Stream, "default", 1);
    two.put_state(&st, &lease).await.unwrap();
    assert_eq!(one.list_states().await.unwrap().len(), 1);
    assert_eq!(one.stats(), two.stats());
}
