//! The circuit breaker of one Flink cluster, kept in the store so that
//! consecutive (stateless) invocations honour it. Pure: the cycle feeds it each
//! cycle's observation call and writes it back only when it changed.
//!
//! closed → (`failure_threshold` failed cycles in a row) → open until T →
//! (T passed) half-open: one probe call → closed on success, open again with a
//! doubled wait (up to `max_open_seconds`) on failure.

use serde::{Deserialize, Serialize};

use crate::clock::{EpochMs, rfc3339};

/// Breaker tuning (`reconcile.breaker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// Failed observation cycles in a row that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open the first time.
    pub open_seconds: u64,
    /// Upper bound of the open time (it doubles per failed probe).
    pub max_open_seconds: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 3,
            open_seconds: 60,
            max_open_seconds: 900,
        }
    }
}

impl BreakerConfig {
    /// The reason the settings are unusable, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if self.failure_threshold == 0 {
            return Err("reconcile.breaker.failure_threshold: must be >= 1".into());
        }
        if self.open_seconds == 0 {
            return Err("reconcile.breaker.open_seconds: must be >= 1".into());
        }
        if self.max_open_seconds < self.open_seconds {
            return Err("reconcile.breaker.max_open_seconds: must be >= open_seconds".into());
        }
        Ok(())
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// No calls until `until`.
    Open {
        /// When a probe may be made.
        until: EpochMs,
    },
    /// The open time passed; the next call is a probe (stored only while one is made).
    HalfOpen,
}

/// One cluster's breaker as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    /// Cluster name.
    pub cluster: String,
    /// Where it stands.
    #[serde(flatten)]
    pub state: BreakerState,
    /// Failed cycles in a row.
    pub failures: u32,
    /// When the current run of failures began (the cluster is unavailable since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<EpochMs>,
    /// How long it was opened for the last time (doubles per failed probe).
    #[serde(default)]
    pub open_ms: i64,
    /// The last failure (no secrets: Flink errors are scrubbed of URLs' credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Optimistic version (0: never stored).
    #[serde(default)]
    pub version: u64,
}

/// What the breaker allows this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Call as usual.
    Call,
    /// Call once as the probe.
    Probe,
    /// Do not call; the reason for status.
    Refuse(String),
}

impl Breaker {
    /// A closed breaker never stored.
    pub fn closed(cluster: &str) -> Breaker {
        Breaker {
            cluster: cluster.to_string(),
            state: BreakerState::Closed,
            failures: 0,
            since: None,
            open_ms: 0,
            last_error: None,
            version: 0,
        }
    }

    /// Whether the cluster may be called at `now`.
    pub fn admit(&self, now: EpochMs) -> Admission {
        match self.state {
            BreakerState::Closed => Admission::Call,
            BreakerState::HalfOpen => Admission::Probe,
            BreakerState::Open { until } if now >= until => Admission::Probe,
            BreakerState::Open { until } => Admission::Refuse(self.unavailable(until)),
        }
    }

    /// "cluster unavailable since T (circuit open until U): last error".
    pub fn unavailable(&self, until: EpochMs) -> String {
        let since = self.since.map_or_else(|| "?".to_string(), rfc3339);
        let why = self
            .last_error
            .as_ref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        format!(
            "cluster unavailable since {since} (circuit open until {}){why}",
            rfc3339(until)
        )
    }

    /// Whether calls are refused at `now`.
    pub fn is_open(&self, now: EpochMs) -> bool {
        matches!(self.admit(now), Admission::Refuse(_))
    }

    /// After a successful call: closed, the failures forgotten.
    pub fn succeeded(&self) -> Breaker {
        Breaker {
            state: BreakerState::Closed,
            failures: 0,
            since: None,
            open_ms: 0,
            last_error: None,
            ..self.clone()
        }
    }

    /// After a failed call at `now`: counts it, and opens (or re-opens after a
    /// failed probe, with twice the wait) when the threshold is reached.
    pub fn failed(&self, now: EpochMs, error: &str, config: &BreakerConfig) -> Breaker {
        let failures = self.failures.saturating_add(1);
        let probe_failed = !matches!(self.state, BreakerState::Closed);
        let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
        let mut next = Breaker {
            failures,
            since: self.since.or(Some(now)),
            last_error: Some(error.chars().take(300).collect()),
            ..self.clone()
        };
        if probe_failed || failures >= config.failure_threshold {
            let open_ms = if probe_failed {
                self.open_ms
                    .saturating_mul(2)
                    .min(ms(config.max_open_seconds))
            } else {
                ms(config.open_seconds)
            }
            .max(1000);
            next.open_ms = open_ms;
            next.state = BreakerState::Open {
                until: now.saturating_add(open_ms),
            };
        }
        next
    }

    /// Whether `other` differs in anything worth storing.
    pub fn changed(&self, other: &Breaker) -> bool {
        self.state != other.state
            || self.failures != other.failures
            || self.since != other.since
            || self.open_ms != other.open_ms
    }

    /// A short label for status and metrics: `closed`, `open`, `half_open`.
    pub fn label(&self, now: EpochMs) -> &'static str {
        match self.admit(now) {
            Admission::Call => "closed",
            Admission::Probe => "half_open",
            Admission::Refuse(_) => "open",
        }
    }
}

#[cfg(test)]
mod tests;
