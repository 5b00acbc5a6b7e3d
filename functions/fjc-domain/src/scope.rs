//! Which jobs a reconcile cycle covers, and which lease it takes.

use std::collections::{BTreeMap, BTreeSet};

use fjc_spec::flink_conf::PIPELINE_NAME_PREFIX;

use crate::planner::Observation;
use crate::shard::Shard;

/// Which jobs a cycle looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every job of an unsharded deployment (`reconcile.shards: 1`).
    #[default]
    All,
    /// Every job of one shard, under that shard's lease.
    Shard(Shard),
    /// Only these job ids (e.g. the jobs using an uploaded artifact), all in `shard`.
    Jobs {
        /// The shard every id belongs to (its lease is taken).
        shard: Shard,
        /// The job ids.
        ids: BTreeSet<String>,
    },
}

impl Scope {
    /// The scopes that cover `ids` when there are `shards` shards: one per shard
    /// that has any of them.
    pub fn jobs(ids: impl IntoIterator<Item = String>, shards: u32) -> Vec<Scope> {
        let mut by_shard: BTreeMap<Shard, BTreeSet<String>> = BTreeMap::new();
        for id in ids {
            by_shard
                .entry(Shard::of(&id, shards))
                .or_default()
                .insert(id);
        }
        by_shard
            .into_iter()
            .map(|(shard, ids)| Scope::Jobs { shard, ids })
            .collect()
    }

    /// The scopes of full cycles over the fleet: `All`, or one per shard.
    pub fn full_cycles(shards: u32) -> Vec<Scope> {
        if shards <= 1 {
            vec![Scope::All]
        } else {
            Shard::all(shards).map(Scope::Shard).collect()
        }
    }

    /// The shard whose key range is read and whose lease is taken.
    pub fn shard(&self) -> Shard {
        match self {
            Scope::All => Shard::WHOLE,
            Scope::Shard(s) | Scope::Jobs { shard: s, .. } => *s,
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Shard(s) => s.contains(id),
            Scope::Jobs { ids, .. } => ids.contains(id),
        }
    }

    /// Whether the cycle reads every job of its shard (not just some ids).
    pub fn is_full(&self) -> bool {
        !matches!(self, Scope::Jobs { .. })
    }
}

/// Forgets the observed Flink jobs that this controller submitted for jobs of
/// other shards (`pipeline.name` `fjc:<job id>`): they are another shard's to
/// track, and must not look like this shard's orphans. Foreign jobs stay.
pub fn drop_other_shards(observed: &mut BTreeMap<String, Observation>, shard: Shard) {
    if shard.is_whole() {
        return;
    }
    for o in observed.values_mut() {
        if let Observation::Reachable(jobs) = o {
            jobs.retain(|_, j| {
                j.name
                    .strip_prefix(PIPELINE_NAME_PREFIX)
                    .is_none_or(|id| shard.contains(id))
            });
        }
    }
}
