//! The restore points that exist: in memory, or, with storage, as `_metadata`
//! files on disk where the controller's restore discovery finds them.

use std::path::Path;

use super::{Cluster, METADATA, Point, canonical, local};

impl Cluster {
    pub(super) fn point(&self, location: &str) -> Option<Point> {
        let key = canonical(location);
        match (&self.settings.storage, local(&key)) {
            (Some(_), Some(path)) => {
                let text = std::fs::read_to_string(path.join(METADATA)).ok()?;
                let checkpoint_id = match self.points.get(&key) {
                    Some(p) => p.checkpoint_id,
                    None => text
                        .trim()
                        .rsplit(' ')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0),
                };
                Some(Point { checkpoint_id })
            }
            _ => self.points.get(&key).copied(),
        }
    }

    pub(in crate::flink) fn add_point(&mut self, location: &str, checkpoint_id: u64) {
        let key = canonical(location);
        if self.settings.storage.is_some()
            && let Some(dir) = local(&key)
        {
            // Best effort, like Flink's own files: a test looks at what exists.
            let _ = std::fs::create_dir_all(&dir).and_then(|()| {
                std::fs::write(
                    dir.join(METADATA),
                    format!("scripted-flink checkpoint {checkpoint_id}\n"),
                )
            });
        }
        self.points.insert(key, Point { checkpoint_id });
    }

    /// Removes a restore point; whether it existed.
    pub(in crate::flink) fn remove_point(&mut self, location: &str) -> bool {
        let existed = self.point(location).is_some();
        let key = canonical(location);
        self.points.remove(&key);
        if self.settings.storage.is_some()
            && let Some(dir) = local(&key)
        {
            let _ = std::fs::remove_dir_all(&dir);
        }
        existed
    }

    pub(super) fn location_in(dir: &str, name: &str) -> String {
        canonical(&format!("{}/{name}", dir.trim_end_matches('/')))
    }

    /// Whether a restore point exists at `location`.
    pub(in crate::flink) fn has_point(&self, location: &str) -> bool {
        self.point(location).is_some()
    }

    pub(in crate::flink) fn storage(&self) -> Option<&Path> {
        self.settings.storage.as_deref()
    }
}
