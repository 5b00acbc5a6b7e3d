//! Restore points found when they are needed, not polled.
//!
//! The controller chooses every Flink job id, so it knows where a job's state is:
//! `<checkpoint dir>/<flink job id>/chk-<n>/_metadata` for retained checkpoints and
//! `<savepoint dir>/savepoint-<first 6 of the job id>-<random>/_metadata` for
//! savepoints (a stop-with-savepoint too). Only a directory with a `_metadata` file
//! is a complete restore point. The directories come from the cluster's own
//! `state.checkpoints.dir` and `state.savepoints.dir` (`GET /jobmanager/config`),
//! or the spec's `deployment.savepoint_path`.
//!
//! [`chain`] orders what storage holds together with the savepoints the controller
//! recorded: newest first by completion time, whatever their kind, so a
//! stop-savepoint comes before the checkpoint it followed. Every candidate taken
//! from a record is checked to exist before it is used.

use fjc_flink::JobId;

use crate::clock::EpochMs;
use crate::state::SavepointRecord;

/// What was found, and whether every place could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Newest first.
    pub chain: Vec<Candidate>,
    /// Whether some place could not be read (storage or Flink unavailable): an
    /// empty chain then does not prove that no state exists.
    pub incomplete: bool,
}

/// A place a stream job's state can be restored from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its location, as Flink takes it for `savepointPath` (`file:/…/chk-7`,
    /// `s3://bucket/…/savepoint-1a2b3c-…`).
    pub location: String,
    /// When it was completed (its `_metadata` file's modification time, or the
    /// recorded time).
    pub completed_at: EpochMs,
    /// `checkpoint` or `savepoint`.
    pub kind: &'static str,
    /// The Flink job it was taken from, when known.
    pub from_job: Option<JobId>,
}

impl Candidate {
    /// The record a job state keeps of it.
    pub fn record(&self, fallback_job: &JobId) -> SavepointRecord {
        SavepointRecord {
            location: self.location.clone(),
            at: self.completed_at,
            from_job: self
                .from_job
                .clone()
                .unwrap_or_else(|| fallback_job.clone()),
            kind: self.kind.to_string(),
        }
    }
}

/// Where a spec's restore points may be, in the order they are listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dirs {
    /// The spec's `checkpoint_dir`, then the cluster's `execution.checkpointing.dir`
    /// (`state.checkpoints.dir` on 1.x); checkpoints are below `<dir>/<job id>/`.
    pub checkpoints: Vec<String>,
    /// The spec's `savepoint_path`, then the cluster's savepoint directory.
    pub savepoints: Vec<String>,
}

/// The name prefix Flink gives a job's savepoint directories.
pub fn savepoint_prefix(job: &JobId) -> String {
    let id = job.as_str();
    format!("savepoint-{}-", id.get(..6).unwrap_or(id))
}

/// The number of a `chk-<n>` directory.
pub fn checkpoint_number(name: &str) -> Option<u64> {
    name.strip_prefix("chk-")?.parse().ok()
}

/// Whether two locations name the same place (a trailing `/` aside).
pub fn same_place(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The last path segment of a location.
pub fn last_segment(location: &str) -> &str {
    location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(location)
}

/// Every candidate, newest first by completion time, each location once (the
/// discovered entry wins over a recorded one for the same place). Ties go to the
/// savepoint, then to the higher checkpoint number.
pub fn chain(discovered: Vec<Candidate>, recorded: Vec<Candidate>) -> Vec<Candidate> {
    let mut all: Vec<Candidate> = Vec::with_capacity(discovered.len() + recorded.len());
    for c in discovered.into_iter().chain(recorded) {
        if !all.iter().any(|a| same_place(&a.location, &c.location)) {
            all.push(c);
        }
    }
    all.sort_by(|a, b| {
        b.completed_at
            .cmp(&a.completed_at)
            .then_with(|| (b.kind == "savepoint").cmp(&(a.kind == "savepoint")))
            .then_with(|| {
                checkpoint_number(last_segment(&b.location))
                    .cmp(&checkpoint_number(last_segment(&a.location)))
            })
    });
    all
}

/// What a restore that found none says: every path tried.
pub fn none_left(tried: &[String]) -> String {
    if tried.is_empty() {
        "no savepoint or retained checkpoint of this job exists (checked checkpoint \
         storage and the recorded savepoints); not starting it with empty state: \
         `fjc restart JOB_ID --from PATH` or `--empty`"
            .to_string()
    } else {
        format!(
            "no restore point left: tried {}; not starting it with empty state: \
             `fjc restart JOB_ID --from PATH` or `--empty`",
            tried.join(", ")
        )
    }
}

/// Whether Flink's answer to a submission says its restore point is (partly)
/// missing, so the next candidate should be tried.
pub fn is_missing_restore_point(message: &str) -> bool {
    [
        "FileNotFoundException",
        "NoSuchFileException",
        "Cannot find checkpoint or savepoint",
        "NoSuchKey",
    ]
    .iter()
    .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(location: &str, at: EpochMs, kind: &'static str) -> Candidate {
        Candidate {
            location: location.into(),
            completed_at: at,
            kind,
            from_job: None,
        }
    }

    #[test]
    fn newest_first_whatever_the_kind_and_each_place_once() {
        let got = chain(
            vec![
                c("file:/ck/a/chk-7", 100, "checkpoint"),
                c("file:/ck/a/chk-8", 200, "checkpoint"),
                c("file:/sp/savepoint-aaaaaa-1", 250, "savepoint"),
            ],
            vec![
                // Recorded earlier: an old checkpoint and the stop-savepoint again.
                c("file:/ck/a/chk-2", 50, "checkpoint"),
                c("file:/sp/savepoint-aaaaaa-1/", 240, "savepoint"),
            ],
        );
        let order: Vec<&str> = got.iter().map(|c| c.location.as_str()).collect();
        assert_eq!(
            order,
            [
                "file:/sp/savepoint-aaaaaa-1",
                "file:/ck/a/chk-8",
                "file:/ck/a/chk-7",
                "file:/ck/a/chk-2"
            ]
        );
    }

    #[test]
    fn ties_prefer_the_savepoint_then_the_higher_checkpoint() {
        let got = chain(
            vec![
                c("file:/ck/a/chk-9", 100, "checkpoint"),
                c("file:/ck/a/chk-10", 100, "checkpoint"),
                c("file:/sp/savepoint-aaaaaa-2", 100, "savepoint"),
            ],
            vec![],
        );
        let order: Vec<&str> = got.iter().map(|c| last_segment(&c.location)).collect();
        assert_eq!(order, ["savepoint-aaaaaa-2", "chk-10", "chk-9"]);
    }

    #[test]
    fn names_and_messages() {
        let job = JobId::parse("28f1ec0000000000000000000000abcd").expect("id");
        assert_eq!(savepoint_prefix(&job), "savepoint-28f1ec-");
        assert_eq!(checkpoint_number("chk-108"), Some(108));
        assert_eq!(checkpoint_number("shared"), None);
        assert!(is_missing_restore_point(
            "java.io.FileNotFoundException: /ck/x/chk-108/_metadata (No such file or directory)"
        ));
        assert!(!is_missing_restore_point("ClassNotFoundException: Foo"));
        assert!(none_left(&["a".into(), "b".into()]).contains("tried a, b"));
    }
}
