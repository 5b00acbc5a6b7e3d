//! What a spec says about keeping a stream job alive: recovery budget, readiness,
//! stability, rollback and savepoint history, with defaults applied.

use std::time::Duration;

use crate::model::JobSpec;
use crate::units::parse_duration;

/// Recoveries allowed per window by default.
pub const DEFAULT_RECOVERY_ATTEMPTS: u32 = 3;
/// Default recovery window.
pub const DEFAULT_RECOVERY_WINDOW: Duration = Duration::from_secs(3600);
/// Default first recovery backoff.
pub const DEFAULT_RECOVERY_BACKOFF: Duration = Duration::from_secs(10);
/// Longest recovery backoff.
pub const MAX_RECOVERY_BACKOFF: Duration = Duration::from_secs(600);
/// Default readiness timeout of a new version.
pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_secs(300);
/// Default time a version must run to be STABLE.
pub const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(60);
/// Default time backpressure must stay over its threshold to be sustained.
pub const DEFAULT_BACKPRESSURE_ALERT_AFTER: Duration = Duration::from_secs(300);
/// Savepoints kept by default.
pub const DEFAULT_SAVEPOINT_HISTORY: usize = 5;
/// Default savepoint age limit.
pub const DEFAULT_SAVEPOINT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

fn dur(value: Option<&str>, default: Duration) -> Duration {
    value
        .and_then(|d| parse_duration(d).ok())
        .unwrap_or(default)
}

impl JobSpec {
    /// Recoveries allowed per [`JobSpec::recovery_window`].
    pub fn recovery_attempts(&self) -> u32 {
        self.deployment
            .recovery_attempts
            .and_then(|a| u32::try_from(a).ok())
            .unwrap_or(DEFAULT_RECOVERY_ATTEMPTS)
    }

    /// The window recoveries are counted in.
    pub fn recovery_window(&self) -> Duration {
        dur(
            self.deployment.recovery_window.as_deref(),
            DEFAULT_RECOVERY_WINDOW,
        )
    }

    /// The wait before recovery number `n` (1-based) within the window:
    /// `recovery_backoff * 2^(n-1)`, at most [`MAX_RECOVERY_BACKOFF`].
    pub fn recovery_backoff(&self, n: u32) -> Duration {
        let base = dur(
            self.deployment.recovery_backoff.as_deref(),
            DEFAULT_RECOVERY_BACKOFF,
        );
        let factor = 1u32 << n.saturating_sub(1).min(16);
        base.saturating_mul(factor)
            .min(MAX_RECOVERY_BACKOFF.max(base))
    }

    /// How long a new version may take to run with all tasks.
    pub fn readiness_timeout(&self) -> Duration {
        dur(
            self.deployment.readiness_timeout.as_deref(),
            DEFAULT_READINESS_TIMEOUT,
        )
    }

    /// How long a version must run to be STABLE.
    pub fn stable_after(&self) -> Duration {
        dur(
            self.deployment.stable_after.as_deref(),
            DEFAULT_STABLE_AFTER,
        )
    }

    /// Whether a failing new version is rolled back by itself.
    pub fn auto_rollback(&self) -> bool {
        self.deployment.auto_rollback.unwrap_or(true)
    }

    /// How often the job checkpoints, when the spec says it does
    /// (`deployment.checkpoint_interval`; a cluster-wide default the spec does
    /// not name is not known here).
    pub fn checkpoint_interval(&self) -> Option<Duration> {
        self.deployment
            .checkpoint_interval
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
            .filter(|d| !d.is_zero())
    }

    /// How long backpressure must stay over its threshold to be sustained.
    pub fn backpressure_alert_after(&self) -> Duration {
        dur(
            self.monitoring.backpressure_alert_after.as_deref(),
            DEFAULT_BACKPRESSURE_ALERT_AFTER,
        )
    }

    /// The backpressure share that holds a rollout, when set.
    pub fn max_backpressure(&self) -> Option<f64> {
        self.deployment.max_backpressure
    }

    /// How often the controller takes a savepoint, if at all.
    pub fn savepoint_interval(&self) -> Option<Duration> {
        self.stream_config
            .as_ref()
            .and_then(|c| c.savepoint_trigger_interval.as_deref())
            .and_then(|d| parse_duration(d).ok())
            .filter(|d| !d.is_zero())
    }

    /// Savepoints kept (at least 1).
    pub fn savepoint_history(&self) -> usize {
        self.stream_config
            .as_ref()
            .and_then(|c| c.savepoint_history_max_count)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_SAVEPOINT_HISTORY)
            .max(1)
    }

    /// Savepoints older than this are disposed of (the newest excepted).
    pub fn savepoint_max_age(&self) -> Duration {
        dur(
            self.stream_config
                .as_ref()
                .and_then(|c| c.savepoint_history_max_age.as_deref()),
            DEFAULT_SAVEPOINT_MAX_AGE,
        )
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
        .expect("valid spec")
    }

    #[test]
    fn defaults_apply_when_fields_are_absent() {
        let s = spec("job_type: stream\n");
        assert_eq!(s.recovery_attempts(), 3);
        assert_eq!(s.recovery_window(), DEFAULT_RECOVERY_WINDOW);
        assert_eq!(s.readiness_timeout(), DEFAULT_READINESS_TIMEOUT);
        assert_eq!(s.stable_after(), DEFAULT_STABLE_AFTER);
        assert!(s.auto_rollback());
        assert_eq!(s.savepoint_interval(), None);
        assert_eq!(s.savepoint_history(), 5);
    }

    #[test]
    fn recovery_backoff_doubles_and_is_capped() {
        let s = spec("job_type: stream\ndeployment: {recovery_backoff: 10s}\n");
        let secs: Vec<u64> = (1..=8).map(|n| s.recovery_backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![10, 20, 40, 80, 160, 320, 600, 600]);
    }

    #[test]
    fn written_values_are_used() {
        let s = spec(
            "job_type: stream\ndeployment: {recovery_attempts: 0, readiness_timeout: 45s, \
             auto_rollback: false}\nstream_config: {savepoint_trigger_interval: 2m, \
             savepoint_history_max_count: 2}\n",
        );
        assert_eq!(s.recovery_attempts(), 0);
        assert_eq!(s.readiness_timeout(), Duration::from_secs(45));
        assert!(!s.auto_rollback());
        assert_eq!(s.savepoint_interval(), Some(Duration::from_secs(120)));
        assert_eq!(s.savepoint_history(), 2);
    }

    #[test]
    fn bad_values_are_refused_with_their_field() {
        let problems = |yaml: &str| -> Vec<String> {
            match crate::parse_spec(
                "t.yaml",
                &format!("job_id: a\nartifact_path: a.jar\n{yaml}"),
            ) {
                Ok(_) => Vec::new(),
                Err(e) => e.problems.iter().map(|p| p.path.clone()).collect(),
            }
        };
        assert_eq!(
            problems("job_type: stream\ndeployment: {recovery_attempts: -1}\n"),
            vec!["deployment.recovery_attempts"]
        );
        assert_eq!(
            problems("job_type: stream\ndeployment: {readiness_timeout: soon}\n"),
            vec!["deployment.readiness_timeout"]
        );
        assert_eq!(
            problems("job_type: stream\nstream_config: {savepoint_history_max_count: 0}\n"),
            vec!["stream_config.savepoint_history_max_count"]
        );
        assert_eq!(
            problems("job_type: batch\ndesired_state: suspended\n"),
            vec!["desired_state"]
        );
        assert_eq!(
            problems("job_type: stream\ndesired_state: paused\n"),
            vec!["desired_state"]
        );
    }
}
