//! Which specs a settled spec file leads to applying or deleting. Pure: the
//! watcher keeps, per file, the job ids it last applied from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fjc_spec::JobSpec;

/// What a settled spec file holds now.
#[derive(Debug)]
pub enum FileNow {
    /// Valid specs.
    Specs(Vec<JobSpec>),
    /// Not valid: the problems, formatted with the file, line and field.
    Invalid(String),
    /// Removed.
    Gone,
}

/// What to do about one file.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    /// Specs to apply (every spec of the file: an unchanged one writes nothing).
    pub apply: Vec<JobSpec>,
    /// Job ids whose specs to delete (`--prune`).
    pub delete: Vec<String>,
    /// What to tell the user besides.
    pub note: Option<String>,
}

/// The job ids last applied from each watched spec file.
#[derive(Debug, Default)]
pub struct SpecFiles {
    known: BTreeMap<PathBuf, BTreeSet<String>>,
}

impl SpecFiles {
    /// What `file`, now as `now`, leads to; `prune` deletes the specs of a
    /// removed file, and those a file no longer holds (never a job another
    /// watched file still defines).
    pub fn decide(&self, file: &Path, now: FileNow, prune: bool) -> Decision {
        let before = self.known.get(file).cloned().unwrap_or_default();
        let elsewhere = |id: &String| {
            self.known
                .iter()
                .any(|(f, ids)| f.as_path() != file && ids.contains(id))
        };
        let name = file.display();
        match now {
            FileNow::Invalid(problems) => Decision {
                note: Some(format!(
                    "{problems}\n{name}: not applied; the jobs keep their current specs"
                )),
                ..Decision::default()
            },
            FileNow::Specs(specs) => {
                let ids: BTreeSet<&String> = specs.iter().map(|s| &s.job_id).collect();
                let dropped: Vec<String> = before
                    .iter()
                    .filter(|id| !ids.contains(id) && !elsewhere(id))
                    .cloned()
                    .collect();
                let (delete, note) = match (prune, dropped.is_empty()) {
                    (_, true) => (Vec::new(), None),
                    (true, false) => (dropped, None),
                    (false, false) => (
                        Vec::new(),
                        Some(format!(
                            "{name}: no longer defines {}; kept (run with --prune to delete)",
                            dropped.join(", ")
                        )),
                    ),
                };
                Decision {
                    apply: specs,
                    delete,
                    note,
                }
            }
            FileNow::Gone => {
                let ids: Vec<String> = before.into_iter().filter(|id| !elsewhere(id)).collect();
                if ids.is_empty() {
                    return Decision::default();
                }
                if prune {
                    return Decision {
                        delete: ids,
                        ..Decision::default()
                    };
                }
                Decision {
                    note: Some(format!(
                        "{name}: removed; {} kept (run with --prune to delete)",
                        ids.join(", ")
                    )),
                    ..Decision::default()
                }
            }
        }
    }

    /// `file` now defines `ids` (applied), or nothing (removed or pruned).
    pub fn record(&mut self, file: &Path, ids: BTreeSet<String>) {
        if ids.is_empty() {
            self.known.remove(file);
        } else {
            self.known.insert(file.to_path_buf(), ids);
        }
    }

    /// Files watched with specs applied.
    pub fn len(&self) -> usize {
        self.known.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> JobSpec {
        serde_json::from_value(serde_json::json!({
            "job_id": id, "job_type": "stream", "artifact_path": "x.jar"
        }))
        .expect("spec")
    }

    fn ids(d: &Decision) -> Vec<&str> {
        d.apply.iter().map(|s| s.job_id.as_str()).collect()
    }

    fn known() -> SpecFiles {
        let mut f = SpecFiles::default();
        f.record(Path::new("a.yaml"), ["a1".into(), "a2".into()].into());
        f.record(Path::new("b.yaml"), ["b1".into(), "a2".into()].into());
        f
    }

    #[test]
    fn a_changed_file_applies_its_specs_and_prunes_only_with_prune() {
        let f = known();
        let now = || FileNow::Specs(vec![spec("a2"), spec("a3")]);
        let d = f.decide(Path::new("a.yaml"), now(), false);
        assert_eq!(ids(&d), ["a2", "a3"]);
        assert!(d.delete.is_empty());
        assert!(
            d.note
                .as_deref()
                .is_some_and(|n| n.contains("no longer defines a1; kept"))
        );
        let d = f.decide(Path::new("a.yaml"), now(), true);
        assert_eq!(d.delete, ["a1"]);
        assert_eq!(d.note, None);
    }

    #[test]
    fn a_removed_file_deletes_with_prune_never_a_job_another_file_defines() {
        let f = known();
        let d = f.decide(Path::new("a.yaml"), FileNow::Gone, true);
        assert_eq!(d.delete, ["a1"], "a2 is still in b.yaml");
        let d = f.decide(Path::new("a.yaml"), FileNow::Gone, false);
        assert!(d.delete.is_empty() && d.apply.is_empty());
        assert!(d.note.is_some_and(|n| n.contains("removed; a1 kept")));
        let d = f.decide(Path::new("unknown.yaml"), FileNow::Gone, true);
        assert_eq!(d, Decision::default());
    }

    #[test]
    fn an_invalid_file_changes_nothing_and_says_why() {
        let f = known();
        let d = f.decide(
            Path::new("a.yaml"),
            FileNow::Invalid("a.yaml:3: deployment.parallelism: must be >= 1".into()),
            true,
        );
        assert!(d.apply.is_empty() && d.delete.is_empty());
        let note = d.note.expect("a note");
        assert!(
            note.starts_with("a.yaml:3: deployment.parallelism: must be >= 1"),
            "{note}"
        );
        assert!(note.contains("not applied"), "{note}");
    }

    #[test]
    fn recording_nothing_forgets_the_file() {
        let mut f = known();
        f.record(Path::new("a.yaml"), BTreeSet::new());
        assert_eq!(f.len(), 1);
        let d = f.decide(Path::new("b.yaml"), FileNow::Gone, true);
        assert_eq!(d.delete, ["a2", "b1"]);
    }
}
