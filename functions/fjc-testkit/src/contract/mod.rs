//! Contract suites: what an adapter must do for the controller to be right, as
//! generic async functions over the port traits. The real adapters run them
//! against moto and a real Flink (`tests/contract.rs`); the fakes run them in this
//! crate's unit tests. A check failing against a real adapter means the suite
//! (and so the fake) is wrong about the real thing, or the adapter has a bug.
//!
//! Each suite runs its checks concurrently, and reports every failing check (by
//! name, with its message) in one panic at the end.

pub mod events;
pub mod flink;
pub mod store;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Instant;

use fjc_core::store::Store;
use futures::FutureExt;

pub use events::events_contract;
pub use flink::{FlinkContract, flink_contract, rescale_contract};
pub use store::{STORE_CHECKS, store_check};

/// A named check, ready to run.
type Check<'a> = (&'static str, Pin<Box<dyn Future<Output = ()> + 'a>>);

/// Runs every check of the store contract ([`STORE_CHECKS`]), each on a fresh
/// store from `fresh` (called with the check's name, e.g. to name a table).
///
/// Panics, naming every check that failed, when a store breaks the contract.
pub async fn store_contract<S, F, Fut>(mut fresh: F)
where
    S: Store,
    F: FnMut(&'static str) -> Fut,
    Fut: Future<Output = S>,
{
    let mut checks: Vec<Check<'_>> = Vec::new();
    for &name in STORE_CHECKS {
        let store = fresh(name).await;
        checks.push((
            name,
            Box::pin(async move { store_check(name, &store).await }),
        ));
    }
    run_all("store contract", checks).await;
}

/// Runs the checks concurrently; panics listing the failed ones.
pub(crate) async fn run_all(suite: &str, checks: Vec<Check<'_>>) {
    let total = checks.len();
    let started = Instant::now();
    let results = futures::future::join_all(checks.into_iter().map(|(name, check)| async move {
        let began = Instant::now();
        let outcome = AssertUnwindSafe(check).catch_unwind().await;
        let ms = began.elapsed().as_millis();
        match outcome {
            Ok(()) => {
                eprintln!("{suite}: {name} passed ({ms} ms)");
                None
            }
            Err(panic) => {
                eprintln!("{suite}: {name} FAILED ({ms} ms)");
                Some(format!("{name}: {}", panic_message(panic.as_ref())))
            }
        }
    }))
    .await;
    let failed: Vec<String> = results.into_iter().flatten().collect();
    eprintln!(
        "{suite}: {} of {total} checks passed in {} ms",
        total - failed.len(),
        started.elapsed().as_millis()
    );
    assert!(
        failed.is_empty(),
        "{suite}: {} of {total} checks failed:\n- {}",
        failed.len(),
        failed.join("\n- ")
    );
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}
