//! What a spec says about replacing a running job: the upgrade mode and its
//! limits, with defaults applied.

use std::time::Duration;

use crate::model::{JobSpec, JobType, UpgradeMode};
use crate::units::parse_duration;

/// Savepoint timeout when neither `deployment.savepoint_timeout` nor
/// `stream_config.checkpoint_timeout` is set.
pub const DEFAULT_SAVEPOINT_TIMEOUT: Duration = Duration::from_secs(600);
/// Oldest checkpoint `last-state` uses by default.
pub const DEFAULT_LAST_STATE_MAX_AGE: Duration = Duration::from_secs(3600);

impl JobSpec {
    /// The upgrade mode: as written, else `savepoint` for streams and `stateless`
    /// for batch jobs (a batch run is never carried over).
    pub fn upgrade_mode(&self) -> UpgradeMode {
        match (self.job_type, self.deployment.upgrade_mode) {
            (JobType::Batch, _) => UpgradeMode::Stateless,
            (JobType::Stream, Some(m)) => m,
            (JobType::Stream, None) => UpgradeMode::Savepoint,
        }
    }

    /// How long a savepoint may take.
    pub fn savepoint_timeout(&self) -> Duration {
        let checkpoint = self
            .stream_config
            .as_ref()
            .and_then(|c| c.checkpoint_timeout.as_deref());
        self.deployment
            .savepoint_timeout
            .as_deref()
            .or(checkpoint)
            .and_then(|d| parse_duration(d).ok())
            .unwrap_or(DEFAULT_SAVEPOINT_TIMEOUT)
    }

    /// The oldest retained checkpoint `last-state` restores from.
    pub fn last_state_max_age(&self) -> Duration {
        self.deployment
            .last_state_max_age
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
            .unwrap_or(DEFAULT_LAST_STATE_MAX_AGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> JobSpec {
        crate::parse_spec(
            "t.yaml",
            &format!("job_id: a\nartifact_path: a.jar\n{yaml}"),
        )
        .unwrap()
    }

    #[test]
    fn defaults_by_job_type() {
        let s = spec("job_type: stream\n");
        assert_eq!(s.upgrade_mode(), UpgradeMode::Savepoint);
        assert_eq!(s.savepoint_timeout(), DEFAULT_SAVEPOINT_TIMEOUT);
        let s = spec(
            "job_type: stream\ndeployment: {upgrade_mode: last-state}\nstream_config: {checkpoint_timeout: 90s}\n",
        );
        assert_eq!(s.upgrade_mode(), UpgradeMode::LastState);
        assert_eq!(s.savepoint_timeout(), Duration::from_secs(90));
        let s =
            spec("job_type: stream\ndeployment: {savepoint_timeout: 2m, last_state_max_age: 5m}\n");
        assert_eq!(s.savepoint_timeout(), Duration::from_secs(120));
        assert_eq!(s.last_state_max_age(), Duration::from_secs(300));
        let s = spec("job_type: batch\ndeployment: {upgrade_mode: savepoint}\n");
        assert_eq!(s.upgrade_mode(), UpgradeMode::Stateless);
    }
}
