//! Time as a port, so the planner and tests can be driven by a chosen clock.

/// Milliseconds since the Unix epoch.
pub type EpochMs = i64;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, in epoch milliseconds.
    fn now_ms(&self) -> EpochMs;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> EpochMs {
        chrono::Utc::now().timestamp_millis()
    }
}

/// Formats epoch milliseconds as RFC 3339 (UTC) for humans.
pub fn rfc3339(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}
