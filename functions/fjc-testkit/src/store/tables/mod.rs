//! The fake's data, laid out like the DynamoDB table's partitions, and every
//! write's conditions checked before anything changes (a transaction). One
//! module per store port: [`specs`], [`states`] (with runs and leases),
//! [`control`], [`history`].

mod control;
mod history;
mod specs;
mod states;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use fjc_core::breaker::Breaker;
use fjc_core::clock::EpochMs;
use fjc_core::health::Heartbeat;
use fjc_core::revisions::{Commands, Revision};
use fjc_core::runs::Run;
use fjc_core::shard::Shard;
use fjc_core::state::JobState;
use fjc_core::store::{AuditEntry, SpecRecord, StoreError};

use super::size::{Size, pages, through_json};

/// A record as read back from its item, and the item's size.
#[derive(Debug, Clone)]
struct Stored<T> {
    value: T,
    size: usize,
}

#[derive(Debug, Clone)]
struct Lease {
    owner: String,
    token: u64,
    expires_at: EpochMs,
}

/// Every partition of the table.
#[derive(Debug, Default)]
pub(super) struct Tables {
    /// `SPEC`, by sort key (`<bucket>#<job id>`).
    specs: BTreeMap<String, Stored<SpecRecord>>,
    /// `STATE`, by sort key.
    states: BTreeMap<String, Stored<JobState>>,
    /// `LEASE`, by name.
    leases: BTreeMap<String, Lease>,
    /// `ART#<path>`: the job ids whose spec names the artifact.
    artifacts: BTreeMap<String, BTreeSet<String>>,
    /// `ARTEVT`: the latest upload event token per artifact path.
    artifact_events: BTreeMap<String, String>,
    /// `AUDIT#<job>`, by (time, write order).
    audit: BTreeMap<String, BTreeMap<(EpochMs, u64), Stored<AuditEntry>>>,
    /// `RUN#<job>`, by run id.
    runs: BTreeMap<String, BTreeMap<String, Stored<Run>>>,
    /// `RUNREQ`: pending `fjc run` requests.
    pub(super) run_requests: BTreeMap<String, EpochMs>,
    /// `REV#<job>`, by number.
    revisions: BTreeMap<String, BTreeMap<u64, Stored<Revision>>>,
    /// `CMD`: pending operator commands.
    pub(super) commands: BTreeMap<String, Commands>,
    /// `CTRL` `BREAKER#<cluster>`.
    breakers: BTreeMap<String, Stored<Breaker>>,
    /// `CTRL` `HEARTBEAT`.
    heartbeat: Option<Stored<Heartbeat>>,
    /// Orders audit entries written in the same millisecond.
    seq: u64,
}

/// The key of one item, to find two writes of one item in a transaction.
type Key = (String, String);

fn key(pk: &str, sk: &str) -> Key {
    (pk.to_string(), sk.to_string())
}

fn conflict(what: &str, expected: u64) -> StoreError {
    StoreError::Conflict {
        what: what.to_string(),
        expected,
    }
}

/// Whether an item stored at `current` (`None`: absent) may be written by a
/// writer that read it at `expected` (0: must not exist yet).
fn version_ok(current: Option<u64>, expected: u64) -> bool {
    match current {
        None => expected == 0,
        Some(v) => expected > 0 && v == expected,
    }
}

/// The items of a partition in one key range (all of it for the whole fleet).
fn in_shard<T: Clone>(items: &BTreeMap<String, Stored<T>>, shard: Shard) -> (Vec<T>, u64) {
    let chosen: Vec<&Stored<T>> = if shard.is_whole() {
        items.values().collect()
    } else {
        let (lo, hi) = shard.key_range();
        items
            .range::<str, _>((Bound::Included(lo.as_str()), Bound::Included(hi.as_str())))
            .map(|(_, v)| v)
            .collect()
    };
    let pages = pages(chosen.iter().map(|s| s.size));
    (chosen.into_iter().map(|s| s.value.clone()).collect(), pages)
}

fn listed<'a, T: Clone + 'a>(items: impl Iterator<Item = &'a Stored<T>>) -> (Vec<T>, u64) {
    let items: Vec<&Stored<T>> = items.collect();
    let pages = pages(items.iter().map(|s| s.size));
    (items.into_iter().map(|s| s.value.clone()).collect(), pages)
}

impl Tables {
    /// An audit entry as its item, and the item's key in the fake.
    fn audit_item(
        &mut self,
        e: &AuditEntry,
    ) -> Result<((EpochMs, u64), Stored<AuditEntry>), StoreError> {
        let what = format!("audit entry of {}", e.job_id);
        let (value, json) = through_json(e, &what)?;
        // The adapter's sort key: 15 digits of time, '#', 8 hex digits of nonce.
        let size = Size::key(&format!("AUDIT#{}", e.job_id), &"0".repeat(24))
            .s("entry", &json)
            .check(&what)?;
        self.seq += 1;
        Ok(((e.at.max(0), self.seq), Stored { value, size }))
    }

    fn insert_audit(&mut self, entry: Option<((EpochMs, u64), Stored<AuditEntry>)>) {
        if let Some((k, stored)) = entry {
            self.audit
                .entry(stored.value.job_id.clone())
                .or_default()
                .insert(k, stored);
        }
    }
}
