//! The cluster the fake models: jars, jobs, their checkpoints and savepoints,
//! the savepoint and disposal operations, and the restore points that exist.
//! Everything here is synchronous and runs under the fake's lock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use fjc_core::clock::EpochMs;
use fjc_flink::rest::reduce_stack_trace;
use fjc_flink::{
    CheckpointCounts, CheckpointRef, CheckpointStats, ClusterOverview, DisposalStatus,
    ExecutionResult, FlinkError, FlinkJobState, JarId, JobDetails, JobId, JobSummary, RunRequest,
    SavepointStatus,
};

use super::messages;

mod points;

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

    // --- restore points ---------------------------------------------------

    fn point(&self, location: &str) -> Option<Point> {
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

    pub(super) fn add_point(&mut self, location: &str, checkpoint_id: u64) {
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
    pub(super) fn remove_point(&mut self, location: &str) -> bool {
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

    fn location_in(dir: &str, name: &str) -> String {
        canonical(&format!("{}/{name}", dir.trim_end_matches('/')))
    }

    // --- jars -------------------------------------------------------------

    pub(super) fn upload(&mut self, file_name: &str) -> JarId {
        let h = self.hex(32);
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        );
        let id = format!("{uuid}_{file_name}");
        self.jars.insert(id.clone());
        JarId(id)
    }

    pub(super) fn delete_jar(&mut self, jar: &JarId) {
        self.jars.remove(&jar.0);
    }

    pub(super) fn jar_ids(&self) -> Vec<JarId> {
        self.jars.iter().cloned().map(JarId).collect()
    }

    // --- jobs -------------------------------------------------------------

    pub(super) fn run(
        &mut self,
        jar: &JarId,
        request: &RunRequest,
        now: EpochMs,
    ) -> Result<JobId, FlinkError> {
        if !self.jars.contains(&jar.0) {
            return Err(messages::unknown_jar(&self.settings.upload_dir, jar));
        }
        let id = match &request.job_id {
            Some(id) => id.clone(),
            None => loop {
                let id = JobId::random();
                if !self.jobs.contains_key(&id) {
                    break id;
                }
            },
        };
        if self.jobs.contains_key(&id) {
            return Err(FlinkError::DuplicateJob {
                job: id.to_string(),
            });
        }
        let config = request.flink_configuration.clone();
        let name = config
            .get("pipeline.name")
            .cloned()
            .unwrap_or_else(|| "Flink Streaming Job".to_string());
        let parallelism = request
            .parallelism
            .or_else(|| {
                self.setting(None, &["parallelism.default"])
                    .and_then(|p| p.trim().parse().ok())
            })
            .unwrap_or(1)
            .max(1);
        let mut job = Job {
            name,
            state: FlinkJobState::Running,
            start: now,
            end: -1,
            parallelism,
            tasks: parallelism,
            config,
            failure: None,
            next_checkpoint: 1,
            counts: CheckpointCounts::default(),
            retained: VecDeque::new(),
            latest_completed: None,
            latest_savepoint: None,
            restored: None,
        };
        if let Some(from) = &request.savepoint_path {
            let Some(point) = self.point(from) else {
                // Flink 2.3 refuses the run, and a FAILED job with no tasks stays
                // under its id.
                job.state = FlinkJobState::Failed;
                job.end = now;
                job.tasks = 0;
                job.failure = Some(messages::job_master_not_started(from));
                let refused = messages::missing_restore_point(from, &job.name);
                self.jobs.insert(id, job);
                return Err(refused);
            };
            job.next_checkpoint = point.checkpoint_id + 1;
            job.counts.restored = 1;
            job.restored = Some(CheckpointRef {
                id: point.checkpoint_id,
                external_path: Some(from.clone()),
                // Flink 2.3 reports whatever `savepointPath` restored from as a
                // savepoint, a retained `chk-<n>` too.
                is_savepoint: true,
                completed_at: Some(now),
            });
        }
        self.jobs.insert(id.clone(), job);
        Ok(id)
    }

    pub(super) fn job(&self, id: &JobId) -> Result<&Job, FlinkError> {
        self.jobs.get(id).ok_or_else(|| job_not_found(id))
    }

    pub(super) fn list(&self) -> Vec<JobSummary> {
        let mut jobs: Vec<JobSummary> = self.jobs.iter().map(|(id, j)| j.summary(id)).collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.start_time_ms));
        jobs
    }

    pub(super) fn details(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        let s = self.job(id)?.summary(id);
        Ok(JobDetails {
            id: s.id,
            name: s.name,
            state: s.state,
            start_time_ms: s.start_time_ms,
            end_time_ms: s.end_time_ms,
            tasks_total: s.tasks_total,
            tasks_running: s.tasks_running,
        })
    }

    pub(super) fn failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        Ok(self
            .job(id)?
            .failure
            .as_deref()
            .map(reduce_stack_trace)
            .filter(|l| !l.is_empty()))
    }

    pub(super) fn execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        let job = self.job(id)?;
        if !job.state.is_globally_terminal() {
            return Ok(None);
        }
        let cause = match job.state {
            FlinkJobState::Failed => job
                .failure
                .as_deref()
                .map(reduce_stack_trace)
                .filter(|l| !l.is_empty()),
            _ => None,
        };
        Ok(Some(ExecutionResult {
            state: job.state.clone(),
            cause,
        }))
    }

    pub(super) fn overview(&self) -> ClusterOverview {
        let s = &self.settings;
        let total = s.taskmanagers * s.slots_per_taskmanager;
        let used: u32 = self
            .jobs
            .values()
            .filter(|j| !j.state.is_globally_terminal())
            .map(|j| j.parallelism)
            .sum();
        ClusterOverview {
            taskmanagers: s.taskmanagers,
            slots_total: total,
            slots_available: total.saturating_sub(used),
            jobs_running: self
                .jobs
                .values()
                .filter(|j| j.state == FlinkJobState::Running)
                .count() as u32,
            flink_version: s.flink_version.clone(),
        }
    }

    /// Ends a job: its state, end time, and its checkpoints kept or discarded as
    /// its retention says for that end.
    pub(super) fn end(
        &mut self,
        id: &JobId,
        state: FlinkJobState,
        failure: Option<String>,
        now: EpochMs,
    ) {
        let policy = {
            let job = self.jobs.get(id);
            self.setting(job, &[RETENTION])
                .unwrap_or_else(|| "NO_EXTERNALIZED_CHECKPOINTS".into())
        };
        let Some(job) = self.jobs.get_mut(id) else {
            return;
        };
        job.state = state.clone();
        job.end = now;
        if failure.is_some() {
            job.failure = failure;
        }
        let discard = match state {
            FlinkJobState::Finished => true,
            FlinkJobState::Canceled => policy != "RETAIN_ON_CANCELLATION",
            FlinkJobState::Failed => policy == "NO_EXTERNALIZED_CHECKPOINTS",
            _ => false,
        };
        if discard {
            let gone: Vec<String> = job.retained.drain(..).collect();
            for location in gone {
                self.remove_point(&location);
            }
        }
    }

    /// Sets a job's state as a test says (RESTARTING, CANCELLING, …); ends it
    /// when the state is terminal.
    pub(super) fn set_state(
        &mut self,
        id: &JobId,
        state: FlinkJobState,
        now: EpochMs,
    ) -> Result<(), FlinkError> {
        self.job(id)?;
        if state.is_globally_terminal() {
            self.end(id, state, None, now);
        } else if let Some(job) = self.jobs.get_mut(id) {
            job.state = state;
            job.end = -1;
        }
        Ok(())
    }

    /// Cancels a job; a CANCELED one again is fine (Flink answers 202), one
    /// that ended otherwise is refused (409).
    pub(super) fn cancel(&mut self, id: &JobId, now: EpochMs) -> Result<(), FlinkError> {
        match self.job(id)?.state {
            FlinkJobState::Canceled => Ok(()),
            ref s if s.is_globally_terminal() => Err(FlinkError::AlreadyTerminal {
                job: id.to_string(),
            }),
            _ => {
                self.end(id, FlinkJobState::Canceled, None, now);
                Ok(())
            }
        }
    }

    /// Every job forgotten, as after a JobManager restart without HA; jars,
    /// checkpoints and savepoints stay.
    pub(super) fn forget_jobs(&mut self) {
        self.jobs.clear();
        self.triggers.clear();
    }

    // --- checkpoints ------------------------------------------------------

    /// Whether a restore point exists at `location`.
    pub(super) fn has_point(&self, location: &str) -> bool {
        self.point(location).is_some()
    }

    pub(super) fn storage(&self) -> Option<&Path> {
        self.settings.storage.as_deref()
    }
}
