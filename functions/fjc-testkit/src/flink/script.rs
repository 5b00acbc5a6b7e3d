//! What a test scripts: what Flink would do by itself (a job finishing or
//! failing, a checkpoint completing, a JobManager restart), failures of the
//! next calls, and reading back what the fake was asked and holds.

use fjc_flink::{FlinkError, FlinkJobState, JarId, JobId, JobSummary};

use super::{Call, FLINK_CALLS, Injected, ScriptedFlink, lock, messages};

impl ScriptedFlink {
    // --- scripting what Flink does by itself ---------------------------------

    /// The job completes (a batch job's end): FINISHED.
    pub fn finish_job(&self, id: &JobId) -> Result<(), FlinkError> {
        let now = self.now();
        self.cluster().set_state(id, FlinkJobState::Finished, now)
    }

    /// The job fails for good with `cause` (an exception line, e.g.
    /// `java.lang.RuntimeException: boom`): FAILED, its exception history and
    /// execution result say `Recovery is suppressed … / Caused by: <cause>`.
    pub fn fail_job(&self, id: &JobId, cause: &str) -> Result<(), FlinkError> {
        let now = self.now();
        let mut c = self.cluster();
        c.job(id)?;
        c.end(
            id,
            FlinkJobState::Failed,
            Some(messages::job_failed(cause)),
            now,
        );
        Ok(())
    }

    /// Puts the job in `state` (RESTARTING, CANCELLING, …; a terminal state ends
    /// it as Flink would).
    pub fn set_job_state(&self, id: &JobId, state: FlinkJobState) -> Result<(), FlinkError> {
        let now = self.now();
        self.cluster().set_state(id, state, now)
    }

    /// A checkpoint of a RUNNING job completes; its location (`None` when the
    /// job is not running or the cluster has no checkpoint directory).
    pub fn complete_checkpoint(&self, id: &JobId) -> Option<String> {
        let now = self.now();
        self.cluster().complete_checkpoint(id, now)
    }

    /// Flink restarts the job by itself (its `numRestarts` grows; still RUNNING).
    pub fn restart_job(&self, id: &JobId) -> Result<(), FlinkError> {
        self.cluster().restart(id)
    }

    /// The job's most backpressured vertex spends `share` of its time
    /// backpressured (`None`: nothing measured yet).
    pub fn set_backpressure(&self, id: &JobId, share: Option<f64>) -> Result<(), FlinkError> {
        self.cluster().set_backpressure(id, share)
    }

    /// A checkpoint of the job fails.
    pub fn fail_checkpoint(&self, id: &JobId) -> Result<(), FlinkError> {
        self.cluster().fail_checkpoint(id)
    }

    /// Completes every savepoint still in progress.
    pub fn settle(&self) {
        let now = self.now();
        self.cluster().settle(now);
    }

    /// The JobManager restarts without HA: every job and savepoint operation is
    /// forgotten; jars, checkpoints and savepoints stay.
    pub fn forget_jobs(&self) {
        self.cluster().forget_jobs();
    }

    /// A restore point made elsewhere (another cluster, a copy) exists at
    /// `location` from now on.
    pub fn add_restore_point(&self, location: &str) {
        self.cluster().add_point(location, 0);
    }

    /// The restore point at `location` is lost; whether it existed.
    pub fn remove_restore_point(&self, location: &str) -> bool {
        self.cluster().remove_point(location)
    }

    /// Whether a restore point exists at `location`.
    pub fn has_restore_point(&self, location: &str) -> bool {
        self.cluster().has_point(location)
    }

    /// The next call named `call` (one of [`FLINK_CALLS`]) is refused with
    /// `error` and changes nothing. Several queue up in order. `Err` names an
    /// unknown call.
    pub fn fail_next(&self, call: &str, error: FlinkError) -> Result<(), String> {
        self.inject(call, Injected::Refused(error))
    }

    /// The next call named `call` is carried out, but its answer is `error` (a
    /// timeout after Flink acted: the ambiguous case). `Err` names an unknown call.
    pub fn lose_next_answer(&self, call: &str, error: FlinkError) -> Result<(), String> {
        self.inject(call, Injected::AnswerLost(error))
    }

    fn inject(&self, call: &str, how: Injected) -> Result<(), String> {
        let Some(name) = FLINK_CALLS.iter().find(|n| **n == call) else {
            return Err(format!(
                "no Flink call {call:?}; the calls are {FLINK_CALLS:?}"
            ));
        };
        lock(&self.inner.injected)
            .entry(*name)
            .or_default()
            .push_back(how);
        Ok(())
    }

    // --- reading back ----------------------------------------------------------

    /// Every call answered so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).clone()
    }

    /// The calls answered so far, forgetting them.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *lock(&self.inner.calls))
    }

    /// Every job the cluster knows, newest first.
    pub fn jobs(&self) -> Vec<JobSummary> {
        self.cluster().list()
    }

    /// The uploaded jars.
    pub fn jar_ids(&self) -> Vec<JarId> {
        self.cluster().jar_ids()
    }
}
