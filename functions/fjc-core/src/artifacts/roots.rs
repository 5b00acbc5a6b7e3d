//! Local artifact roots: the directories a relative `artifact_path` is found in
//! (`artifacts.roots`, `FJC_ARTIFACT_ROOT` with several joined by `:`).
//!
//! A relative path must name a file below exactly one root: a path found
//! below two roots is ambiguous and refused, naming both. Whatever the path
//! leads to (through symlinks) must stay below the root it was found in.

use std::path::{Component, Path, PathBuf};

use super::ArtifactError;

/// The configured local artifact roots, in their configured order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactRoots {
    roots: Vec<PathBuf>,
}

impl ArtifactRoots {
    /// The roots, duplicates removed (the first kept).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> ArtifactRoots {
        let mut kept: Vec<PathBuf> = Vec::new();
        for r in roots {
            if !r.as_os_str().is_empty() && !kept.contains(&r) {
                kept.push(r);
            }
        }
        ArtifactRoots { roots: kept }
    }

    /// `FJC_ARTIFACT_ROOT`'s form: paths joined by `:` (empty parts skipped).
    pub fn parse_list(value: &str) -> Vec<PathBuf> {
        value
            .split(':')
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// The roots as configured.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether no root is configured.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The file `rel` (the relative `artifact_path` `path`) names: below exactly
    /// one root, and (through any symlink) still below it.
    pub fn resolve(&self, path: &str, rel: &Path) -> Result<PathBuf, ArtifactError> {
        if self.roots.is_empty() {
            return Err(ArtifactError::NoRoot {
                path: path.to_string(),
            });
        }
        let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
        for root in &self.roots {
            // A root that does not exist (yet) holds nothing.
            let Ok(real_root) = root.canonicalize() else {
                continue;
            };
            let full = real_root.join(rel);
            match full.symlink_metadata() {
                Ok(_) => found.push((real_root, full)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ArtifactError::Io {
                        path: path.to_string(),
                        message: format!("{}: {e}", full.display()),
                        retryable: true,
                    });
                }
            }
        }
        let (root, full) = match found.len() {
            0 => {
                return Err(ArtifactError::NotFound {
                    path: path.to_string(),
                });
            }
            1 => found.remove(0),
            _ => {
                let places: Vec<String> =
                    found.iter().map(|(r, _)| r.display().to_string()).collect();
                return Err(ArtifactError::BadPath {
                    path: path.to_string(),
                    reason: format!(
                        "ambiguous: found below more than one artifact root ({})",
                        places.join(" and ")
                    ),
                });
            }
        };
        let real = full.canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ArtifactError::NotFound {
                path: path.to_string(),
            },
            _ => ArtifactError::Io {
                path: path.to_string(),
                message: e.to_string(),
                retryable: true,
            },
        })?;
        // A symlink must not lead outside the root.
        if !real.starts_with(&root) {
            return Err(ArtifactError::BadPath {
                path: path.to_string(),
                reason: format!("resolves outside the artifact root {}", root.display()),
            });
        }
        Ok(real)
    }

    /// The relative `artifact_path` a file at `file` (absolute, or relative to
    /// the working directory) has below one of the roots, if it is below one.
    pub fn relative(&self, file: &Path) -> Option<String> {
        for root in &self.roots {
            let candidates = [Some(root.clone()), root.canonicalize().ok()];
            for r in candidates.into_iter().flatten() {
                if let Ok(rest) = file.strip_prefix(&r)
                    && !rest.as_os_str().is_empty()
                    && rest.components().all(|c| matches!(c, Component::Normal(_)))
                {
                    let parts: Vec<String> = rest
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    return Some(parts.join("/"));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> (tempfile::TempDir, ArtifactRoots) {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["a", "b", "outside"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("dir");
        }
        let r = ArtifactRoots::new([dir.path().join("a"), dir.path().join("b")]);
        (dir, r)
    }

    #[test]
    fn a_path_resolves_to_the_one_root_that_has_it() {
        let (dir, r) = roots();
        std::fs::write(dir.path().join("b/job.jar"), b"x").expect("write");
        let found = r.resolve("job.jar", Path::new("job.jar")).expect("found");
        assert!(found.ends_with("b/job.jar"), "{}", found.display());
        assert!(matches!(
            r.resolve("none.jar", Path::new("none.jar")),
            Err(ArtifactError::NotFound { .. })
        ));
    }

    #[test]
    fn a_path_below_two_roots_is_refused_naming_both() {
        let (dir, r) = roots();
        for sub in ["a", "b"] {
            std::fs::write(dir.path().join(sub).join("job.jar"), b"x").expect("write");
        }
        let err = r
            .resolve("job.jar", Path::new("job.jar"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ambiguous"), "{err}");
        assert!(err.contains("/a") && err.contains("/b"), "{err}");
    }

    #[test]
    fn a_symlink_out_of_its_root_is_refused() {
        let (dir, r) = roots();
        std::fs::write(dir.path().join("outside/secret.jar"), b"x").expect("write");
        std::os::unix::fs::symlink(
            dir.path().join("outside/secret.jar"),
            dir.path().join("a/link.jar"),
        )
        .expect("symlink");
        let err = r
            .resolve("link.jar", Path::new("link.jar"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("resolves outside the artifact root"), "{err}");
    }

    #[test]
    fn no_root_and_missing_roots() {
        assert!(matches!(
            ArtifactRoots::default().resolve("x.jar", Path::new("x.jar")),
            Err(ArtifactError::NoRoot { .. })
        ));
        let r = ArtifactRoots::new([PathBuf::from("/nonexistent-fjc-root")]);
        assert!(matches!(
            r.resolve("x.jar", Path::new("x.jar")),
            Err(ArtifactError::NotFound { .. })
        ));
    }

    #[test]
    fn a_file_below_a_root_has_its_relative_path() {
        let (dir, r) = roots();
        assert_eq!(
            r.relative(&dir.path().join("b/jobs/x.jar")).as_deref(),
            Some("jobs/x.jar")
        );
        assert_eq!(r.relative(&dir.path().join("outside/x.jar")), None);
        assert_eq!(r.relative(&dir.path().join("a")), None);
    }

    #[test]
    fn the_environment_form_joins_roots_with_colons() {
        assert_eq!(
            ArtifactRoots::parse_list("/a::/b:"),
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
        let r = ArtifactRoots::new([
            PathBuf::from("/a"),
            PathBuf::from("/a"),
            PathBuf::from("/b"),
        ]);
        assert_eq!(r.dirs().len(), 2);
    }
}
