//! The stand-in's storage: checkpoints and savepoints as real files with a
//! `_metadata`, written, retained and deleted on a tick as Flink would.

use super::*;

/// `file:/abs`, as Flink writes a location.
pub(super) fn location(path: &Path) -> String {
    format!("file:{}", path.display())
}

/// The local path of a `file:` location (or a plain absolute path).
pub(super) fn local(location: &str) -> Option<PathBuf> {
    let rest = location
        .strip_prefix("file://")
        .or_else(|| location.strip_prefix("file:"))
        .unwrap_or(location);
    rest.starts_with('/').then(|| PathBuf::from(rest))
}

pub(super) const METADATA: &str = "_metadata";

/// Writes a restore point's `_metadata` (its checkpoint id, read back on restore).
pub(super) fn write_metadata(dir: &Path, id: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(METADATA), format!("stand-in checkpoint {id}\n"))
}

/// The checkpoint id a restore point's `_metadata` holds.
pub(super) fn read_metadata(dir: &Path) -> std::io::Result<u64> {
    let text = std::fs::read_to_string(dir.join(METADATA))?;
    Ok(text
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

/// What one tick does on disk, decided under the locks, done outside them.
#[derive(Default)]
pub(super) struct Work {
    write: Vec<(PathBuf, u64)>,
    delete: Vec<PathBuf>,
    /// `<checkpoint dir>/<job id>` of ended jobs, removed after their checkpoints.
    job_dirs: Vec<PathBuf>,
    /// (trigger key, savepoint directory, checkpoint id).
    savepoints: Vec<((String, String), PathBuf, u64)>,
}

/// Every 200 ms: due checkpoints are written (older ones deleted), due savepoints
/// are written and their triggers completed, ended jobs' checkpoints discarded.
pub(super) async fn tick(c: &Arc<Cluster>) {
    let now = now_ms();
    let mut work = Work::default();
    {
        let mut jobs = c.jobs();
        for (id, j) in jobs.iter_mut() {
            if j.discard {
                j.discard = false;
                work.delete
                    .extend(j.retained.drain(..).filter_map(|p| local(&p.location)));
                work.job_dirs.push(c.checkpoint_dir.join(id));
                continue;
            }
            let Some(interval) = j.interval else { continue };
            if j.state != "RUNNING" || j.due_at > now {
                continue;
            }
            let n = j.next_id;
            j.next_id += 1;
            j.due_at = now + interval;
            j.completed += 1;
            let dir = c.checkpoint_dir.join(id).join(format!("chk-{n}"));
            j.retained.push_back(Point {
                id: n,
                location: location(&dir),
                at: now,
                is_savepoint: false,
            });
            work.write.push((dir, n));
            while j.retained.len() > j.retain {
                if let Some(old) = j.retained.pop_front().and_then(|p| local(&p.location)) {
                    work.delete.push(old);
                }
            }
        }
        let mut triggers = c.triggers();
        for (key, t) in triggers.iter_mut() {
            if t.location.is_some() || t.asked == 0 || t.ready_at > now {
                continue;
            }
            let Some(j) = jobs.get_mut(&t.job) else {
                continue;
            };
            let id = j.next_id;
            j.next_id += 1;
            let prefix = t.job.get(..6).unwrap_or(&t.job).to_string();
            let dir = t
                .target
                .join(format!("savepoint-{prefix}-{}", c.random_hex()));
            work.savepoints.push((key.clone(), dir, id));
        }
    }
    let written = work.write.len() as u64;
    let deleted = work.delete.len() as u64;
    let savepoints = std::mem::take(&mut work.savepoints);
    let done = tokio::task::spawn_blocking(move || {
        for (dir, n) in &work.write {
            let _ = write_metadata(dir, *n);
        }
        for dir in work.delete.iter().chain(&work.job_dirs) {
            let _ = std::fs::remove_dir_all(dir);
        }
        savepoints
            .into_iter()
            .filter(|(_, dir, id)| write_metadata(dir, *id).is_ok())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    add(&c.served.checkpoints_written, written);
    add(&c.served.checkpoints_deleted, deleted);
    add(&c.served.savepoints_written, done.len() as u64);
    if done.is_empty() {
        return;
    }
    let mut jobs = c.jobs();
    let mut triggers = c.triggers();
    for (key, dir, id) in done {
        let Some(t) = triggers.get_mut(&key) else {
            continue;
        };
        let at = now_ms();
        t.location = Some(location(&dir));
        if let Some(j) = jobs.get_mut(&t.job) {
            j.savepoint = Some(Point {
                id,
                location: location(&dir),
                at,
                is_savepoint: true,
            });
            if let Some(state) = t.then {
                j.state = state;
                j.end = at;
                j.discard = true;
            }
        }
    }
}
