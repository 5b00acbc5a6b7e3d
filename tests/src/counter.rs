//! Reading what the StreamCounter test job wrote: `epochMillis key count` lines
//! in `<out_dir>/<job id>/counter-<subtask>.log`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Per key, the counts in the order the job wrote them.
pub fn counts(dir: &Path) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap_or_default().lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if let [_, key, count] = parts[..]
                && let (Ok(k), Ok(c)) = (key.parse(), count.parse())
            {
                out.entry(k).or_default().push(c);
            }
        }
    }
    out
}

/// Waits until each of `keys` keys counted at least `n` (panics after `timeout`).
pub async fn counted(
    dir: &Path,
    keys: usize,
    n: u64,
    timeout: Duration,
) -> BTreeMap<u64, Vec<u64>> {
    let start = Instant::now();
    loop {
        let c = counts(dir);
        if c.len() == keys && c.values().all(|v| v.last().is_some_and(|last| *last >= n)) {
            return c;
        }
        assert!(
            start.elapsed() < timeout,
            "{}: counts did not reach {n}: {c:?}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Keys whose count went back to 1 after the start (state was lost).
pub fn resets(c: &BTreeMap<u64, Vec<u64>>) -> Vec<u64> {
    c.iter()
        .filter(|(_, seq)| seq.windows(2).any(|p| p[1] == 1 && p[0] > 1))
        .map(|(k, _)| *k)
        .collect()
}

/// Keys whose count jumped forward (an update was lost): a value more than one
/// above the one before. A restore from an older checkpoint may repeat values
/// (the source replays), which is not a gap.
pub fn gaps(c: &BTreeMap<u64, Vec<u64>>) -> Vec<u64> {
    c.iter()
        .filter(|(_, seq)| {
            seq.first().is_some_and(|f| *f != 1) || seq.windows(2).any(|p| p[1] > p[0] + 1)
        })
        .map(|(k, _)| *k)
        .collect()
}

/// Keys whose counts are not exactly 1, 2, 3, ... (no reset, gap or repeat).
pub fn inexact(c: &BTreeMap<u64, Vec<u64>>) -> Vec<u64> {
    c.iter()
        .filter(|(_, seq)| seq.iter().enumerate().any(|(i, v)| *v != i as u64 + 1))
        .map(|(k, _)| *k)
        .collect()
}

/// Each key's newest count.
pub fn latest(c: &BTreeMap<u64, Vec<u64>>) -> BTreeMap<u64, u64> {
    c.iter()
        .filter_map(|(k, seq)| seq.last().map(|l| (*k, *l)))
        .collect()
}
