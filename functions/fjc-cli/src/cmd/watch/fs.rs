//! The file system side of `fjc watch`: what is watched (spec files and
//! directories, artifact roots), inotify watches (through `notify`) kept on
//! directories that are removed and created again, and looks at files.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fjc_core::artifacts::ArtifactRoots;
use notify::{RecursiveMode, Watcher};

use super::settle::{Seen, zip_is_whole};

/// What a changed path is to the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A spec file (watched by name, or in a watched spec directory).
    Spec,
    /// An artifact, named as a spec's `artifact_path` would name it (a
    /// signature counts for its artifact).
    Artifact(String),
}

/// The watched places.
#[derive(Debug)]
pub struct Targets {
    spec_files: Vec<PathBuf>,
    spec_dirs: Vec<PathBuf>,
    roots: ArtifactRoots,
    /// Each watched directory, and the identity (device, inode) it was
    /// watched with (`None`: not there, not watched).
    watched: BTreeMap<PathBuf, Option<(u64, u64)>>,
}

/// Whether a file name is one of a spec's (`.yaml`, `.yml`, `.json`).
pub fn is_spec_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Targets {
    /// `paths` as given to `-f` (files and directories), and the artifact roots.
    pub fn new(paths: &[PathBuf], roots: &ArtifactRoots) -> Targets {
        let (mut spec_files, mut spec_dirs) = (Vec::new(), Vec::new());
        for p in paths {
            let p = absolute(p);
            if p.is_dir() {
                spec_dirs.push(p);
            } else {
                spec_files.push(p);
            }
        }
        let roots = ArtifactRoots::new(roots.dirs().iter().map(|r| absolute(r)));
        let mut watched = BTreeMap::new();
        for dir in spec_dirs
            .iter()
            .cloned()
            .chain(
                spec_files
                    .iter()
                    .filter_map(|f| f.parent().map(Path::to_path_buf)),
            )
            .chain(roots.dirs().iter().cloned())
        {
            watched.insert(dir, None);
        }
        Targets {
            spec_files,
            spec_dirs,
            roots,
            watched,
        }
    }

    /// The artifact roots, absolute.
    pub fn roots(&self) -> &ArtifactRoots {
        &self.roots
    }

    /// What `path` is to the watcher, if anything.
    pub fn kind(&self, path: &Path) -> Option<Kind> {
        if self.spec_files.iter().any(|f| f == path)
            || (is_spec_name(path)
                && path
                    .parent()
                    .is_some_and(|d| self.spec_dirs.iter().any(|s| s == d)))
        {
            return Some(Kind::Spec);
        }
        let rel = self.roots.relative(path)?;
        let rel = rel.strip_suffix(".sig").map(str::to_string).unwrap_or(rel);
        Some(Kind::Artifact(rel))
    }

    /// The spec files now present (watched by name, or in a watched
    /// directory), sorted.
    pub fn spec_files_now(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .spec_files
            .iter()
            .filter(|f| f.is_file())
            .cloned()
            .collect();
        for d in &self.spec_dirs {
            out.extend(files_in(d, false).into_iter().filter(|f| is_spec_name(f)));
        }
        out.sort();
        out.dedup();
        out
    }

    /// Watches every watched directory that is there and not watched yet, or
    /// was created again since it was watched. Returns the directories newly
    /// watched after the first call's (their files are new to the watcher).
    pub fn refresh(&mut self, watcher: &mut impl Watcher) -> Vec<PathBuf> {
        let mut appeared = Vec::new();
        let recursive: Vec<PathBuf> = self.roots.dirs().to_vec();
        for (dir, seen) in &mut self.watched {
            let now = std::fs::metadata(dir)
                .ok()
                .filter(std::fs::Metadata::is_dir)
                .map(|m| (m.dev(), m.ino()));
            if now == *seen {
                continue;
            }
            if seen.is_some() {
                let _ = watcher.unwatch(dir);
            }
            *seen = None;
            let Some(id) = now else {
                continue;
            };
            let mode = if recursive.contains(dir) {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match watcher.watch(dir, mode) {
                Ok(()) => {
                    *seen = Some(id);
                    appeared.push(dir.clone());
                }
                Err(e) => eprintln!("watch {}: {e}", dir.display()),
            }
        }
        appeared
    }

    /// Whether `dir` is watched as an artifact root (recursively).
    pub fn is_root(&self, dir: &Path) -> bool {
        self.roots.dirs().iter().any(|r| r == dir)
    }
}

/// The files below `dir` (recursively when `deep`), skipping what cannot be read.
pub fn files_in(dir: &Path, deep: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() && deep => out.extend(files_in(&p, true)),
            Ok(t) if t.is_file() || t.is_symlink() => out.push(p),
            _ => {}
        }
    }
    out
}

/// A look at `path` now.
pub fn look(path: &Path) -> Seen {
    let Ok(meta) = std::fs::metadata(path) else {
        return Seen::Gone;
    };
    if meta.is_dir() {
        return Seen::Dir;
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let zip = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jar" | "zip")
    );
    Seen::File {
        size: meta.len(),
        modified,
        complete: !zip || zip_tail_whole(path, meta.len()),
    }
}

/// Whether the zip at `path` (`len` bytes) ends with its central directory.
fn zip_tail_whole(path: &Path, len: u64) -> bool {
    const TAIL: u64 = 65_535 + 22;
    let read = || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(path)?;
        let from = len.saturating_sub(TAIL);
        f.seek(SeekFrom::Start(from))?;
        let mut tail = Vec::with_capacity(usize::try_from(len - from).unwrap_or(0));
        f.take(TAIL).read_to_end(&mut tail)?;
        Ok(tail)
    };
    read().is_ok_and(|t| zip_is_whole(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_apart_as_specs_artifacts_or_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let specs = dir.path().join("specs");
        let (a, b) = (dir.path().join("jars-a"), dir.path().join("jars-b"));
        for d in [&specs, &a, &b] {
            std::fs::create_dir_all(d).expect("dir");
        }
        let one = dir.path().join("one.yaml");
        let roots = ArtifactRoots::new([a.clone(), b.clone()]);
        let t = Targets::new(&[specs.clone(), one.clone()], &roots);
        assert_eq!(t.kind(&specs.join("x.yaml")), Some(Kind::Spec));
        assert_eq!(t.kind(&specs.join("x.yaml.swp")), None);
        assert_eq!(t.kind(&specs.join("deeper/x.yaml")), None, "not recursive");
        assert_eq!(t.kind(&one), Some(Kind::Spec));
        assert_eq!(t.kind(&dir.path().join("two.yaml")), None);
        assert_eq!(
            t.kind(&b.join("lib/job.jar")),
            Some(Kind::Artifact("lib/job.jar".into()))
        );
        assert_eq!(
            t.kind(&a.join("job.jar.sig")),
            Some(Kind::Artifact("job.jar".into()))
        );
    }

    #[test]
    fn a_jar_is_complete_once_its_central_directory_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let jar = dir.path().join("x.jar");
        std::fs::write(&jar, b"PK\x03\x04 the first chunk").expect("write");
        assert!(matches!(
            look(&jar),
            Seen::File {
                complete: false,
                ..
            }
        ));
        let mut whole = b"PK\x03\x04 all of it".to_vec();
        whole.extend_from_slice(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        std::fs::write(&jar, &whole).expect("write");
        assert!(matches!(look(&jar), Seen::File { complete: true, .. }));
        assert_eq!(look(&dir.path().join("none")), Seen::Gone);
        assert_eq!(look(dir.path()), Seen::Dir);
    }

    #[test]
    fn a_directory_removed_and_created_again_is_watched_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("jars");
        std::fs::create_dir(&root).expect("dir");
        let mut t = Targets::new(&[], &ArtifactRoots::new([root.clone()]));
        let mut watcher = notify::recommended_watcher(|_| {}).expect("inotify");
        assert_eq!(t.refresh(&mut watcher), vec![root.clone()]);
        assert!(t.refresh(&mut watcher).is_empty(), "watched once");
        std::fs::remove_dir_all(&root).expect("rm");
        assert!(t.refresh(&mut watcher).is_empty(), "gone: nothing to watch");
        std::fs::create_dir(&root).expect("dir");
        assert_eq!(t.refresh(&mut watcher), vec![root], "created again");
    }
}
