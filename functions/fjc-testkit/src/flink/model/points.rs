//! Checkpoints and savepoints of the modelled cluster: a checkpoint completing,
//! savepoint and stop-with-savepoint triggers and their status, disposal.

use super::*;

impl Cluster {
    /// A completed checkpoint of a RUNNING job; its location when the cluster
    /// has a checkpoint directory (then it is a restore point while retained).
    pub(in crate::flink) fn complete_checkpoint(
        &mut self,
        id: &JobId,
        now: EpochMs,
    ) -> Option<String> {
        let job = self.jobs.get(id)?;
        if job.state != FlinkJobState::Running {
            return None;
        }
        let dir = self.setting(Some(job), &CHECKPOINT_DIR);
        let keep: usize = self
            .setting(Some(job), &NUM_RETAINED)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(1usize)
            .max(1);
        let n = job.next_checkpoint;
        let location = dir.map(|d| Cluster::location_in(&d, &format!("{id}/chk-{n}")));
        let mut dropped = Vec::new();
        if let Some(job) = self.jobs.get_mut(id) {
            job.next_checkpoint += 1;
            job.counts.total += 1;
            job.counts.completed += 1;
            job.latest_completed = Some(CheckpointRef {
                id: n,
                external_path: location.clone(),
                is_savepoint: false,
                completed_at: Some(now),
            });
            if let Some(l) = &location {
                job.retained.push_back(l.clone());
                while job.retained.len() > keep {
                    dropped.extend(job.retained.pop_front());
                }
            }
        }
        if let Some(l) = &location {
            self.add_point(l, n);
        }
        for old in dropped {
            self.remove_point(&old);
        }
        location
    }

    pub(in crate::flink) fn checkpoints(
        &mut self,
        id: &JobId,
        now: EpochMs,
    ) -> Result<CheckpointStats, FlinkError> {
        let job = self.job(id)?;
        let interval = self
            .setting(Some(job), &[INTERVAL])
            .is_some_and(|v| positive_duration(&v));
        if interval && self.settings.checkpoint_when_looked_at {
            self.complete_checkpoint(id, now);
        }
        let job = self.job(id)?;
        Ok(CheckpointStats {
            counts: job.counts,
            latest_completed: job.latest_completed.clone(),
            latest_savepoint: job.latest_savepoint.clone(),
            latest_restored: job.restored.clone(),
        })
    }

    /// `GET /jobs/:id/metrics`: a job the cluster does not know has none (as in
    /// Flink, not an error). Looking completes a checkpoint as
    /// [`Cluster::checkpoints`] does, when the fake is set up so.
    pub(in crate::flink) fn job_metrics(&mut self, id: &JobId, now: EpochMs) -> JobMetrics {
        if !self.jobs.contains_key(id) {
            return JobMetrics::default();
        }
        let Ok(stats) = self.checkpoints(id, now) else {
            return JobMetrics::default();
        };
        let restarts = self.jobs.get(id).map_or(0, |j| j.restarts);
        JobMetrics {
            restarts: Some(restarts),
            checkpoints_completed: Some(stats.counts.completed),
            checkpoints_failed: Some(stats.counts.failed),
            last_checkpoint_at: stats.latest_completed.and_then(|c| c.completed_at),
        }
    }

    /// Flink restarts the job by itself (a task failed): counted, still RUNNING.
    pub(in crate::flink) fn restart(&mut self, id: &JobId) -> Result<(), FlinkError> {
        let job = self.jobs.get_mut(id).ok_or_else(|| job_not_found(id))?;
        job.restarts += 1;
        Ok(())
    }

    /// Sets the job's backpressure share (what `GET /jobs/:id` reports).
    pub(in crate::flink) fn set_backpressure(
        &mut self,
        id: &JobId,
        share: Option<f64>,
    ) -> Result<(), FlinkError> {
        let job = self.jobs.get_mut(id).ok_or_else(|| job_not_found(id))?;
        job.backpressure = share;
        Ok(())
    }

    /// A checkpoint of the job fails (counted as failed).
    pub(in crate::flink) fn fail_checkpoint(&mut self, id: &JobId) -> Result<(), FlinkError> {
        let job = self.jobs.get_mut(id).ok_or_else(|| job_not_found(id))?;
        job.counts.total += 1;
        job.counts.failed += 1;
        Ok(())
    }

    // --- savepoints ---------------------------------------------------------

    pub(in crate::flink) fn trigger(
        &mut self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
        stop: bool,
    ) -> Result<(), FlinkError> {
        if !is_trigger_id(trigger_id) {
            return Err(messages::bad_trigger_id(trigger_id));
        }
        let key = (id.clone(), trigger_id.to_ascii_lowercase());
        if self.triggers.contains_key(&key) {
            return Ok(());
        }
        let job = self.jobs.get(id);
        let target = match target_dir
            .map(str::to_string)
            .or_else(|| self.setting(job, &SAVEPOINT_DIR))
        {
            Some(t) => t,
            None => return Err(messages::no_savepoint_dir()),
        };
        let outcome = match job {
            Some(j) if !j.state.is_globally_terminal() => None,
            _ => Some(SavepointStatus::Failed {
                cause: messages::job_not_found(id),
            }),
        };
        self.triggers.insert(
            key,
            Trigger {
                stop,
                target,
                asks: 0,
                outcome,
            },
        );
        Ok(())
    }

    pub(in crate::flink) fn savepoint_status(
        &mut self,
        id: &JobId,
        trigger_id: &str,
        now: EpochMs,
    ) -> Result<SavepointStatus, FlinkError> {
        if !is_trigger_id(trigger_id) {
            return Err(messages::bad_trigger_id(trigger_id));
        }
        let key = (id.clone(), trigger_id.to_ascii_lowercase());
        let polls = self.settings.pending_polls;
        let Some(t) = self.triggers.get_mut(&key) else {
            return Err(FlinkError::NotFound {
                what: format!("savepoint {trigger_id} of job {id}"),
            });
        };
        if let Some(done) = &t.outcome {
            return Ok(done.clone());
        }
        if t.asks < polls {
            t.asks += 1;
            return Ok(SavepointStatus::InProgress);
        }
        let (stop, target) = (t.stop, t.target.clone());
        let outcome = self.take_savepoint(id, &target, stop, now);
        if let Some(t) = self.triggers.get_mut(&key) {
            t.outcome = Some(outcome.clone());
        }
        Ok(outcome)
    }

    /// Completes a savepoint of `id` below `target` (and stops the job after it).
    fn take_savepoint(
        &mut self,
        id: &JobId,
        target: &str,
        stop: bool,
        now: EpochMs,
    ) -> SavepointStatus {
        let state = self.jobs.get(id).map(|j| j.state.clone());
        match state {
            Some(FlinkJobState::Running) => {}
            Some(s) if !s.is_globally_terminal() => {
                return SavepointStatus::Failed {
                    cause: messages::tasks_not_running(id),
                };
            }
            _ => {
                return SavepointStatus::Failed {
                    cause: messages::job_not_found(id),
                };
            }
        }
        let prefix = fjc_core::restore::savepoint_prefix(id);
        let name = format!("{prefix}{}", self.hex(12));
        let location = Cluster::location_in(target, &name);
        let mut n = 0;
        if let Some(job) = self.jobs.get_mut(id) {
            n = job.next_checkpoint;
            job.next_checkpoint += 1;
            job.counts.total += 1;
            job.counts.completed += 1;
            job.latest_savepoint = Some(CheckpointRef {
                id: n,
                external_path: Some(location.clone()),
                is_savepoint: true,
                completed_at: Some(now),
            });
        }
        self.add_point(&location, n);
        if stop {
            self.end(id, FlinkJobState::Finished, None, now);
        }
        SavepointStatus::Completed { location }
    }

    /// Completes every savepoint still in progress, as if its status was asked
    /// until done.
    pub(in crate::flink) fn settle(&mut self, now: EpochMs) {
        let pending: Vec<(JobId, String)> = self
            .triggers
            .iter()
            .filter(|(_, t)| t.outcome.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        for (id, trigger) in pending {
            if let Some(t) = self.triggers.get_mut(&(id.clone(), trigger.clone())) {
                t.asks = u32::MAX;
            }
            let _ = self.savepoint_status(&id, &trigger, now);
        }
    }

    // --- disposal -----------------------------------------------------------

    pub(in crate::flink) fn dispose(&mut self, location: &str) -> String {
        let trigger = self.hex(32);
        self.disposals.insert(
            trigger.clone(),
            Disposal {
                location: location.to_string(),
                asks: 0,
                outcome: None,
            },
        );
        trigger
    }

    pub(in crate::flink) fn disposal_status(
        &mut self,
        trigger_id: &str,
    ) -> Result<DisposalStatus, FlinkError> {
        let polls = self.settings.pending_polls;
        let Some(d) = self.disposals.get_mut(trigger_id) else {
            return Err(FlinkError::NotFound {
                what: format!("disposal {trigger_id}"),
            });
        };
        if let Some(done) = &d.outcome {
            return Ok(done.clone());
        }
        if d.asks < polls {
            d.asks += 1;
            return Ok(DisposalStatus::InProgress);
        }
        let location = d.location.clone();
        let outcome = if self.remove_point(&location) {
            DisposalStatus::Done
        } else {
            DisposalStatus::Failed {
                cause: messages::disposal_failed(&location),
            }
        };
        if let Some(d) = self.disposals.get_mut(trigger_id) {
            d.outcome = Some(outcome.clone());
        }
        Ok(outcome)
    }
}
