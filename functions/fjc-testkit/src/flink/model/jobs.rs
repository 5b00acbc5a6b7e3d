//! Jars and jobs of the modelled cluster: upload, run (from a restore point or
//! not), the job's views, its end as cancel or a test says, and forgetting
//! them all.

use std::collections::VecDeque;

use fjc_core::clock::EpochMs;
use fjc_flink::rest::reduce_stack_trace;
use fjc_flink::{
    CheckpointCounts, CheckpointRef, ClusterOverview, ExecutionResult, FlinkError, FlinkJobState,
    JarId, JobDetails, JobId, JobSummary, ParallelismBounds, ResourceRequirements, RunRequest,
};

use super::{Cluster, Job, RETENTION, job_not_found};
use crate::flink::messages;

/// The id of the one vertex a fake job has.
pub(in crate::flink) const VERTEX: &str = "cbc357ccb763df2852fee8c4fc7d55f2";

impl Cluster {
    // --- jars -------------------------------------------------------------

    pub(in crate::flink) fn upload(&mut self, file_name: &str) -> JarId {
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

    pub(in crate::flink) fn delete_jar(&mut self, jar: &JarId) {
        self.jars.remove(&jar.0);
    }

    pub(in crate::flink) fn jar_ids(&self) -> Vec<JarId> {
        self.jars.iter().cloned().map(JarId).collect()
    }

    // --- jobs -------------------------------------------------------------

    pub(in crate::flink) fn run(
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
            restarts: 0,
            backpressure: None,
            adaptive: self.settings.adaptive,
            lower_bound: 1,
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

    pub(in crate::flink) fn job(&self, id: &JobId) -> Result<&Job, FlinkError> {
        self.jobs.get(id).ok_or_else(|| job_not_found(id))
    }

    fn job_mut(&mut self, id: &JobId) -> Result<&mut Job, FlinkError> {
        self.jobs.get_mut(id).ok_or_else(|| job_not_found(id))
    }

    pub(in crate::flink) fn list(&self) -> Vec<JobSummary> {
        let mut jobs: Vec<JobSummary> = self.jobs.iter().map(|(id, j)| j.summary(id)).collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.start_time_ms));
        jobs
    }

    pub(in crate::flink) fn details(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        let job = self.job(id)?;
        let s = job.summary(id);
        Ok(JobDetails {
            backpressure: job.backpressure,
            id: s.id,
            name: s.name,
            state: s.state,
            start_time_ms: s.start_time_ms,
            end_time_ms: s.end_time_ms,
            tasks_total: s.tasks_total,
            tasks_running: s.tasks_running,
            tasks_finished: s.tasks_finished,
            adaptive: s.adaptive,
        })
    }

    pub(in crate::flink) fn failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        Ok(self
            .job(id)?
            .failure
            .as_deref()
            .map(reduce_stack_trace)
            .filter(|l| !l.is_empty()))
    }

    pub(in crate::flink) fn execution_result(
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

    /// The job's one vertex and its parallelism bounds; an error like Flink's
    /// under the default scheduler.
    pub(in crate::flink) fn requirements(
        &self,
        id: &JobId,
    ) -> Result<ResourceRequirements, FlinkError> {
        let job = self.job(id)?;
        if !job.adaptive {
            return Err(messages::default_scheduler());
        }
        let bounds = ParallelismBounds {
            lower_bound: job.lower_bound,
            upper_bound: job.parallelism,
        };
        Ok([(VERTEX.to_string(), bounds)].into())
    }

    /// New bounds: a running job rescales at once to as much of the upper bound
    /// as the free slots allow, from its newest checkpoint (one restart), as
    /// the adaptive scheduler does.
    pub(in crate::flink) fn set_requirements(
        &mut self,
        id: &JobId,
        requirements: &ResourceRequirements,
    ) -> Result<(), FlinkError> {
        self.requirements(id)?;
        let Some(bounds) = requirements.get(VERTEX) else {
            return Err(FlinkError::BadRequest {
                message: format!("no requirements for vertex {VERTEX} of job {id}"),
            });
        };
        let free = self.overview().slots_available;
        let job = self.job_mut(id)?;
        job.lower_bound = bounds.lower_bound;
        let held = job.parallelism;
        let next = bounds.upper_bound.min(held + free).max(1);
        if next != held && job.state == FlinkJobState::Running {
            job.parallelism = next;
            job.tasks = next;
            job.restarts += 1;
            job.restored = job.latest_completed.clone();
        }
        Ok(())
    }

    pub(in crate::flink) fn overview(&self) -> ClusterOverview {
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
    pub(in crate::flink) fn end(
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
    pub(in crate::flink) fn set_state(
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
    pub(in crate::flink) fn cancel(&mut self, id: &JobId, now: EpochMs) -> Result<(), FlinkError> {
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
    pub(in crate::flink) fn forget_jobs(&mut self) {
        self.jobs.clear();
        self.triggers.clear();
    }

    /// Every job holding slots: the ones not ended. (The fake's TaskManagers stop a
    /// forgotten job's tasks at once; the domain tests script lingering ones.)
    pub(in crate::flink) fn slot_holders(&self) -> Vec<JobId> {
        self.jobs
            .iter()
            .filter(|(_, j)| !j.state.is_globally_terminal())
            .map(|(id, _)| id.clone())
            .collect()
    }
}
