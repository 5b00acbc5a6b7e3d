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

mod control;
mod leases;
mod scale;
mod specs;
mod states;

use control::*;
use leases::*;
use scale::*;
use specs::*;
use states::*;

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
