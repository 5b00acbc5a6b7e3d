//! The cluster the fake models: jars, jobs, their checkpoints and savepoints,
//! the savepoint and disposal operations, and the restore points that exist.
//! Everything here is synchronous and runs under the fake's lock.
//!
//! Here the cluster's data and settings; [`jobs`] (jars and jobs), [`points`]
//! (checkpoints, savepoints, disposal) and [`restore`] (the restore points that
//! exist) carry out the calls.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use fjc_core::clock::EpochMs;
use fjc_flink::{
    CheckpointCounts, CheckpointRef, CheckpointStats, DisposalStatus, FlinkError, FlinkJobState,
    JobId, JobMetrics, JobSummary, SavepointStatus,
};

use super::messages;

mod jobs;
mod points;
mod restore;

/// The cluster's 2.x configuration keys (and their 1.x names, read too).
pub(super) const CHECKPOINT_DIR: [&str; 2] =
    ["execution.checkpointing.dir", "state.checkpoints.dir"];
pub(super) const SAVEPOINT_DIR: [&str; 2] = [
    "execution.checkpointing.savepoint-dir",
    "state.savepoints.dir",
];
const INTERVAL: &str = "execution.checkpointing.interval";
const RETENTION: &str = "execution.checkpointing.externalized-checkpoint-retention";
const NUM_RETAINED: [&str; 2] = [
    "execution.checkpointing.num-retained",
    "state.checkpoints.num-retained",
];
const METADATA: &str = "_metadata";

/// How the fake is set up.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) flink_version: String,
    pub(super) taskmanagers: u32,
    pub(super) slots_per_taskmanager: u32,
    pub(super) config: BTreeMap<String, String>,
    pub(super) pending_polls: u32,
    pub(super) checkpoint_when_looked_at: bool,
    pub(super) storage: Option<PathBuf>,
    pub(super) upload_dir: String,
    /// `jobmanager.scheduler: adaptive`: jobs rescale in place.
    pub(super) adaptive: bool,
}

/// One job.
#[derive(Debug, Clone)]
pub(super) struct Job {
    name: String,
    pub(super) state: FlinkJobState,
    start: EpochMs,
    end: EpochMs,
    parallelism: u32,
    tasks: u32,
    config: BTreeMap<String, String>,
    /// The exception it failed with, as Flink writes it.
    failure: Option<String>,
    next_checkpoint: u64,
    counts: CheckpointCounts,
    /// Retained checkpoints' locations, oldest first.
    retained: VecDeque<String>,
    latest_completed: Option<CheckpointRef>,
    latest_savepoint: Option<CheckpointRef>,
    restored: Option<CheckpointRef>,
    /// Restarts Flink made of the job (`numRestarts`).
    restarts: u64,
    /// The most backpressured vertex's share of time, when scripted.
    backpressure: Option<f64>,
    /// Submitted to an adaptive-scheduler cluster.
    adaptive: bool,
    /// The lower bound of its parallelism (the adaptive scheduler's).
    lower_bound: u32,
}

impl Job {
    fn summary(&self, id: &JobId) -> JobSummary {
        let running = if self.state == FlinkJobState::Running {
            self.tasks
        } else {
            0
        };
        JobSummary {
            id: id.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            start_time_ms: self.start,
            end_time_ms: self.end,
            tasks_total: self.tasks,
            tasks_running: running,
            tasks_finished: 0,
            adaptive: self.adaptive,
        }
    }
}

#[derive(Debug, Clone)]
struct Trigger {
    stop: bool,
    target: String,
    asks: u32,
    outcome: Option<SavepointStatus>,
}

#[derive(Debug, Clone)]
struct Disposal {
    location: String,
    asks: u32,
    outcome: Option<DisposalStatus>,
}

/// A restore point known to exist (in memory; on disk its `_metadata` decides).
#[derive(Debug, Clone, Copy)]
struct Point {
    checkpoint_id: u64,
}

/// The whole cluster.
#[derive(Debug)]
pub(super) struct Cluster {
    pub(super) settings: Settings,
    jars: BTreeSet<String>,
    pub(super) jobs: BTreeMap<JobId, Job>,
    /// By (job, trigger id): one operation per trigger id and job, as in Flink.
    triggers: BTreeMap<(JobId, String), Trigger>,
    disposals: BTreeMap<String, Disposal>,
    /// By canonical location.
    points: BTreeMap<String, Point>,
    seq: u64,
}

/// `file:/abs/path` for any `file:` spelling or absolute path; other schemes
/// as given; never a trailing `/`.
pub(super) fn canonical(location: &str) -> String {
    let trimmed = location.trim_end_matches('/');
    match local(trimmed) {
        Some(path) => format!("file:{}", path.display()),
        None => trimmed.to_string(),
    }
}

/// The local path of a `file:` location (or an absolute path).
fn local(location: &str) -> Option<PathBuf> {
    let rest = location
        .strip_prefix("file://")
        .or_else(|| location.strip_prefix("file:"))
        .unwrap_or(location);
    rest.starts_with('/').then(|| PathBuf::from(rest))
}

fn job_not_found(id: &JobId) -> FlinkError {
    FlinkError::NotFound {
        what: format!("job {id}"),
    }
}

/// Whether a duration setting (`1 s`, `500ms`, `1min`) is above zero.
fn positive_duration(value: &str) -> bool {
    let digits: String = value
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<u64>().is_ok_and(|n| n > 0)
}

fn is_trigger_id(s: &str) -> bool {
    fjc_flink::rest::is_valid_trigger_id(s)
}

impl Cluster {
    pub(super) fn new(settings: Settings) -> Cluster {
        Cluster {
            settings,
            jars: BTreeSet::new(),
            jobs: BTreeMap::new(),
            triggers: BTreeMap::new(),
            disposals: BTreeMap::new(),
            points: BTreeMap::new(),
            seq: 0,
        }
    }

    /// `n` hex digits, different every time.
    fn hex(&mut self, n: usize) -> String {
        self.seq += 1;
        let mut out = String::new();
        while out.len() < n {
            let r: u64 = rand::random();
            out.push_str(&format!("{:016x}", r ^ self.seq));
        }
        out.truncate(n);
        out
    }

    fn setting(&self, job: Option<&Job>, keys: &[&str]) -> Option<String> {
        let from = |config: &BTreeMap<String, String>| {
            keys.iter()
                .find_map(|k| config.get(*k))
                .filter(|v| !v.trim().is_empty())
                .cloned()
        };
        job.and_then(|j| from(&j.config))
            .or_else(|| from(&self.settings.config))
    }
}
