//! When a watched file has stopped changing, the way editors and builds really
//! write: an atomic save by rename, truncate-then-write, a jar written in
//! several chunks. A file is acted on only after no event touched it for the
//! quiet time *and* two looks a quiet time apart found it the same (size and
//! modification time); a jar or zip must also be whole (its end-of-central-
//! directory record written). A burst of writes is one change.
//!
//! Pure: the caller gives the time and how to look at a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What one look at a path found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Nothing there (removed, or renamed away).
    Gone,
    /// A directory.
    Dir,
    /// A file.
    File {
        /// Bytes.
        size: u64,
        /// Modification time, nanoseconds since the epoch.
        modified: u128,
        /// Whether its content is whole (always, but for a jar or zip still
        /// being written).
        complete: bool,
    },
}

/// Paths that changed, until they settle.
#[derive(Debug)]
pub struct Settling {
    quiet_ms: u64,
    pending: BTreeMap<PathBuf, Pending>,
}

#[derive(Debug)]
struct Pending {
    /// The last event, or the last look that found a change (ms).
    since: u64,
    /// What the last look found, if one was taken since the last event.
    seen: Option<Seen>,
}

impl Settling {
    /// Paths settle after `quiet_ms` without a change.
    pub fn new(quiet_ms: u64) -> Settling {
        Settling {
            quiet_ms,
            pending: BTreeMap::new(),
        }
    }

    /// An event touched `path` at `now` (ms): its quiet time starts again.
    pub fn touched(&mut self, path: PathBuf, now: u64) {
        self.pending.insert(
            path,
            Pending {
                since: now,
                seen: None,
            },
        );
    }

    /// The paths that settled by `now`, with what they are now: quiet since
    /// their last event, and found the same by two looks a quiet time apart
    /// (a jar or zip also whole).
    pub fn settled(&mut self, now: u64, look: impl Fn(&Path) -> Seen) -> Vec<(PathBuf, Seen)> {
        let mut out = Vec::new();
        let quiet = self.quiet_ms;
        self.pending.retain(|path, p| {
            if now.saturating_sub(p.since) < quiet {
                return true;
            }
            let seen = look(path);
            let whole = !matches!(
                seen,
                Seen::File {
                    complete: false,
                    ..
                }
            );
            if whole && p.seen.as_ref() == Some(&seen) {
                out.push((path.clone(), seen));
                return false;
            }
            p.seen = Some(seen);
            p.since = now;
            true
        });
        out
    }

    /// When the next path may settle (ms), if any is pending.
    pub fn next_due(&self) -> Option<u64> {
        self.pending.values().map(|p| p.since + self.quiet_ms).min()
    }
}

/// Whether the bytes of a jar or zip end with its end-of-central-directory
/// record (within the last 64 KiB + 22 bytes, where a zip comment may follow
/// it): `tail` is the end of the file.
pub fn zip_is_whole(tail: &[u8]) -> bool {
    tail.windows(4).any(|w| w == b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn file(size: u64, modified: u128) -> Seen {
        Seen::File {
            size,
            modified,
            complete: true,
        }
    }

    /// A file whose look the test changes.
    struct Disk(RefCell<Seen>);

    impl Disk {
        fn look(&self) -> impl Fn(&Path) -> Seen + '_ {
            |_| self.0.borrow().clone()
        }
        fn set(&self, s: Seen) {
            *self.0.borrow_mut() = s;
        }
    }

    #[test]
    fn a_file_settles_after_two_equal_looks_a_quiet_time_apart() {
        let disk = Disk(RefCell::new(file(10, 1)));
        let mut s = Settling::new(500);
        s.touched("a".into(), 0);
        assert!(s.settled(499, disk.look()).is_empty(), "not quiet yet");
        assert!(s.settled(500, disk.look()).is_empty(), "first look");
        assert_eq!(s.next_due(), Some(1000));
        assert!(s.settled(999, disk.look()).is_empty());
        assert_eq!(
            s.settled(1000, disk.look()),
            vec![(PathBuf::from("a"), file(10, 1))]
        );
        assert_eq!(s.next_due(), None, "nothing pending");
    }

    #[test]
    fn a_burst_of_twenty_writes_settles_once() {
        let disk = Disk(RefCell::new(file(0, 0)));
        let mut s = Settling::new(500);
        let mut settled = Vec::new();
        for i in 0..20u64 {
            disk.set(file(i * 100, u128::from(i)));
            s.touched("spec.yaml".into(), i * 100);
            settled.extend(s.settled(i * 100 + 50, disk.look()));
        }
        for t in (2_000..4_000).step_by(100) {
            settled.extend(s.settled(t, disk.look()));
        }
        assert_eq!(settled.len(), 1, "{settled:?}");
        assert_eq!(settled[0].1, file(1_900, 19));
    }

    #[test]
    fn a_file_that_changes_without_an_event_is_looked_at_again() {
        let disk = Disk(RefCell::new(file(10, 1)));
        let mut s = Settling::new(500);
        s.touched("a".into(), 0);
        assert!(s.settled(500, disk.look()).is_empty());
        disk.set(file(20, 2));
        assert!(
            s.settled(1000, disk.look()).is_empty(),
            "changed between looks"
        );
        assert_eq!(s.settled(1500, disk.look()).len(), 1);
    }

    #[test]
    fn a_jar_still_being_written_waits_until_it_is_whole() {
        let part = Seen::File {
            size: 4096,
            modified: 1,
            complete: false,
        };
        let disk = Disk(RefCell::new(part));
        let mut s = Settling::new(500);
        s.touched("job.jar".into(), 0);
        for t in (500..5_000).step_by(500) {
            assert!(s.settled(t, disk.look()).is_empty(), "at {t}");
        }
        disk.set(file(8192, 2));
        assert!(s.settled(5_000, disk.look()).is_empty());
        assert_eq!(s.settled(5_500, disk.look()).len(), 1);
    }

    #[test]
    fn a_removed_file_settles_as_gone_and_a_renamed_in_one_as_the_new_file() {
        let disk = Disk(RefCell::new(Seen::Gone));
        let mut s = Settling::new(200);
        s.touched("old.yaml".into(), 0);
        s.settled(200, disk.look());
        assert_eq!(
            s.settled(400, disk.look()),
            vec![(PathBuf::from("old.yaml"), Seen::Gone)]
        );
        // An atomic save: the temp file is renamed over the spec (one event
        // for the spec's path), which then settles with its new content.
        disk.set(file(42, 9));
        s.touched("old.yaml".into(), 1_000);
        s.settled(1_200, disk.look());
        assert_eq!(s.settled(1_400, disk.look())[0].1, file(42, 9));
    }

    #[test]
    fn the_end_of_a_zip_tells_it_is_whole() {
        assert!(zip_is_whole(b"....PK\x05\x06\0\0\0\0"));
        assert!(!zip_is_whole(b"PK\x03\x04 half a jar"));
        assert!(!zip_is_whole(b""));
    }
}
