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

/// A duration in the largest whole unit: `45s`, `12m`, `3h`, `2d` (negative counts
/// as 0).
pub fn human_age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A duration in milliseconds (saturating), for arithmetic with [`EpochMs`].
pub fn millis(d: std::time::Duration) -> EpochMs {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Formats epoch milliseconds as RFC 3339 (UTC) for humans.
pub fn rfc3339(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

/// The system clock shifted by an adjustable offset: time flows normally and can be
/// jumped forward. Tests drive schedules with it against real services without
/// waiting for wall-clock minutes.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl OffsetClock {
    /// A clock equal to the system clock until advanced.
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }

    /// Jumps forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the clock so that now is `at` (it keeps flowing from there).
    pub fn set(&self, at: EpochMs) {
        let real = chrono::Utc::now().timestamp_millis();
        self.offset_ms
            .store(at - real, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> EpochMs {
        chrono::Utc::now().timestamp_millis()
            + self.offset_ms.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_the_largest_whole_unit() {
        assert_eq!(human_age(-5), "0s");
        assert_eq!(human_age(59_999), "59s");
        assert_eq!(human_age(60_000), "1m");
        assert_eq!(human_age(7_200_000), "2h");
        assert_eq!(human_age(3 * 86_400_000), "3d");
    }

    #[test]
    fn offset_clock_jumps_and_flows() {
        let c = OffsetClock::new();
        let a = c.now_ms();
        c.advance(3_600_000);
        let b = c.now_ms();
        assert!(b - a >= 3_600_000 && b - a < 3_700_000);
        c.set(1_000_000);
        assert!((c.now_ms() - 1_000_000).abs() < 1_000);
    }
}
