//! Starting a rollback to a recorded revision (default: the last stable one).
//! Manual, on a running job: its state is carried over as for an upgrade.
//! Automatic (the new version failed): it is cancelled and the revision starts
//! from the state the failing version started from. The deployment that follows
//! is [`super::deploy`]'s.

use fjc_flink::JobId;
use fjc_spec::{Fingerprint, UpgradeMode};

use crate::clock::EpochMs;
use crate::revisions::Revision;
use crate::state::{
    JobState, Lifecycle, Operation as Recorded, Purpose, RollbackRecord, UpgradeProgress,
};

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Save this state (the rollback's deployment recorded), then carry it on.
    /// When `rolled_back` is set, the version left is marked rolled back (with
    /// that reason) in its revision first.
    Record {
        /// The state to save.
        state: JobState,
        /// The reason to mark the version left with, when it differs.
        rolled_back: Option<String>,
    },
    /// Save this state: the rollback is not possible, and why.
    Refused {
        /// The state to save.
        state: JobState,
        /// Why.
        message: String,
    },
}

/// A rollback about to start.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    /// The revision to roll back to, or why it cannot be had.
    pub target: Result<&'a Revision, String>,
    /// The fingerprint of the spec being rejected.
    pub rejected: &'a Fingerprint,
    /// The running job, if the cycle saw one live.
    pub live: Option<JobId>,
    /// Why (the planner's or the operator's reason).
    pub reason: &'a str,
    /// Asked for by `fjc rollback`.
    pub manual: bool,
    /// Now.
    pub now: EpochMs,
}

/// Decides how the rollback starts, given a fresh Flink job id for it.
pub fn intent(mut state: JobState, start: Start<'_>, fresh: JobId) -> Intent {
    let now = start.now;
    let target = match start.target {
        Ok(t) => t,
        Err(e) => {
            let message = format!("rollback not possible: {e}");
            state.set_error(message.clone(), now, false);
            return Intent::Refused { state, message };
        }
    };
    let reason = format!(
        "rolled back from revision {} to {}: {}",
        state.revision, target.number, start.reason
    );
    tracing::warn!(job = %state.job_id, %reason, "rolling back");
    let rolled_back = (state.revision != target.number).then(|| reason.clone());
    let upgrade = if start.manual && start.live.is_some() {
        UpgradeProgress::new(target.spec.upgrade_mode(), None)
    } else {
        // The failing version's own state may not suit the old one: start from
        // what the failing version started from (or the newest known).
        let failed_to_start = state.deployed_fingerprint != state.attempted_fingerprint;
        let newest = state.last_savepoint.as_ref().map(|s| s.location.clone());
        let from = if failed_to_start {
            newest
        } else {
            state.restored_from.clone().or(newest)
        };
        UpgradeProgress::new(UpgradeMode::Stateless, from)
    };
    state.rollback = Some(RollbackRecord {
        from_revision: state.revision,
        to_revision: target.number,
        rejected: start.rejected.clone(),
        reason: reason.clone(),
        at: now,
    });
    state.set_error(reason, now, false);
    state.lifecycle = Lifecycle::RollingBack;
    state.operation = Some(Recorded::Deploy {
        fingerprint: target.fingerprint.clone(),
        flink_job_id: fresh,
        replaces: start.live,
        started_at: now,
        upgrade: Some(upgrade),
        purpose: Purpose::Rollback { to: target.number },
    });
    Intent::Record { state, rolled_back }
}
