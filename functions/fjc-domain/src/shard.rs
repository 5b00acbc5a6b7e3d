//! Shards: how a large fleet is split between concurrent reconcilers.
//!
//! Every job id hashes to one of [`BUCKETS`] fixed buckets (the first 16 bits of
//! its SHA-256). The bucket is part of the job's spec and state keys in the table
//! (`sk = "<bucket:04x>#<job id>"`), so it never changes. A shard is a contiguous
//! range of buckets: shard `i` of `n` owns buckets `[i·B/n, (i+1)·B/n)`. A shard
//! cycle reads just its range (one key-range query per partition), takes its own
//! lease, and acts on its jobs only. Changing the shard count moves no data.

use sha2::{Digest, Sha256};

/// The number of buckets (and so the most shards there can be).
pub const BUCKETS: u32 = 1 << 16;

/// The most shards a deployment may have. Far above what one account's
/// concurrency needs; it keeps every shard at 64 buckets or more.
pub const MAX_SHARDS: u32 = 1024;

/// A job's bucket.
pub fn bucket(job_id: &str) -> u16 {
    let digest = Sha256::digest(job_id.as_bytes());
    u16::from_be_bytes([digest[0], digest[1]])
}

/// The sort key of a job's spec and state items.
pub fn sort_key(job_id: &str) -> String {
    format!("{:04x}#{job_id}", bucket(job_id))
}

/// One shard: `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// The only shard of an unsharded deployment.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`; `None` unless `index < count <= MAX_SHARDS`.
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        ((1..=MAX_SHARDS).contains(&count) && index < count).then_some(Shard { index, count })
    }

    /// Every shard of a deployment with `count` shards (clamped to 1..=MAX_SHARDS).
    pub fn all(count: u32) -> impl Iterator<Item = Shard> {
        let count = count.clamp(1, MAX_SHARDS);
        (0..count).map(move |index| Shard { index, count })
    }

    /// The shard a job belongs to when there are `count` shards.
    pub fn of(job_id: &str, count: u32) -> Shard {
        let count = count.clamp(1, MAX_SHARDS);
        let index = u32::from(bucket(job_id)) * count / BUCKETS;
        Shard { index, count }
    }

    /// 0-based index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether `job_id` is in this shard.
    pub fn contains(&self, job_id: &str) -> bool {
        Shard::of(job_id, self.count) == *self
    }

    /// The first bucket of the shard and the last one (inclusive).
    pub fn buckets(&self) -> (u32, u32) {
        let lo = self.index * BUCKETS / self.count;
        let hi = (self.index + 1) * BUCKETS / self.count;
        (lo, hi - 1)
    }

    /// The sort-key range `[lo, hi]` (for `BETWEEN`) that holds exactly this
    /// shard's items: `"<lo:04x>"` sorts before `"<lo:04x>#…"` and `"<hi:04x>$"`
    /// after `"<hi:04x>#…"` ('$' follows '#').
    pub fn key_range(&self) -> (String, String) {
        let (lo, hi) = self.buckets();
        (format!("{lo:04x}"), format!("{hi:04x}$"))
    }

    /// Whether this is the whole fleet (an unsharded deployment).
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// The name of this shard's reconcile lease: `reconcile` for the whole fleet
    /// (as before sharding), `reconcile#<i>-of-<n>` otherwise.
    pub fn lease_name(&self) -> String {
        if self.is_whole() {
            "reconcile".to_string()
        } else {
            format!("reconcile#{}-of-{}", self.index, self.count)
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {} of {}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_buckets_without_gaps_or_overlap() {
        for count in [1, 2, 3, 7, 8, 100, MAX_SHARDS] {
            let mut next = 0;
            for shard in Shard::all(count) {
                let (lo, hi) = shard.buckets();
                assert_eq!(lo, next, "{shard}");
                assert!(hi >= lo, "{shard}");
                next = hi + 1;
            }
            assert_eq!(next, BUCKETS, "{count} shards");
        }
    }

    #[test]
    fn every_job_is_in_exactly_one_shard_and_its_key_range() {
        for count in [1, 2, 5, 16] {
            for i in 0..2000 {
                let id = format!("job-{i}");
                let owners: Vec<Shard> = Shard::all(count).filter(|s| s.contains(&id)).collect();
                assert_eq!(owners, vec![Shard::of(&id, count)], "{id}");
                let key = sort_key(&id);
                for s in Shard::all(count) {
                    let (lo, hi) = s.key_range();
                    let inside = lo.as_str() <= key.as_str() && key.as_str() <= hi.as_str();
                    assert_eq!(inside, s == owners[0], "{id} {key} vs {s} [{lo}, {hi}]");
                }
            }
        }
    }

    #[test]
    fn jobs_spread_evenly() {
        let count = 8;
        let mut per = vec![0u32; count as usize];
        for i in 0..8000 {
            per[Shard::of(&format!("team-a-job-{i}"), count).index() as usize] += 1;
        }
        assert!(per.iter().all(|&n| (850..=1150).contains(&n)), "{per:?}");
    }

    #[test]
    fn bad_shards_are_refused_and_names_are_stable() {
        assert_eq!(Shard::new(2, 2), None);
        assert_eq!(Shard::new(0, 0), None);
        assert_eq!(Shard::new(0, MAX_SHARDS + 1), None);
        assert_eq!(Shard::WHOLE.lease_name(), "reconcile");
        assert_eq!(
            Shard::new(3, 8).map(|s| s.lease_name()),
            Some("reconcile#3-of-8".into())
        );
        assert_eq!(sort_key("a"), format!("{:04x}#a", bucket("a")));
    }
}
