//! Retries of one REST call: exponential backoff with full jitter, within a
//! per-call deadline, for failures that are safe to repeat.
//!
//! Safe means: the request never reached Flink (connection refused), or the call
//! is idempotent (reads, cancel, jar deletion) and failed in transport, timed out
//! or was answered 429/502/503/504 (500 too for reads). A submission (`run_jar`)
//! or savepoint trigger is never repeated after it may have arrived: the caller
//! looks the job or trigger up by its id instead.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;

use crate::FlinkError;

/// How often and how long one call is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all (1: no retry).
    pub max_attempts: u32,
    /// Upper bound of the first delay; doubles per retry.
    pub base_delay: Duration,
    /// Upper bound of any delay.
    pub max_delay: Duration,
    /// The whole call, every try and delay included, ends by then (uploads use
    /// their own timeout and are never repeated once sent).
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    /// 3 tries, delays up to 200 ms then 400 ms, 20 s per call.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            deadline: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries; the deadline still applies.
    pub fn none(deadline: Duration) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            deadline,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (1-based): uniformly random in
    /// `0..=min(max_delay, base_delay * 2^(retry-1))` ("full jitter").
    pub fn delay(&self, retry: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
            .min(self.max_delay);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=cap_ms))
    }
}

/// Whether a call of this kind may be sent again after this failure.
pub(super) fn retry_error(error: &FlinkError, idempotent: bool) -> bool {
    match error {
        FlinkError::ConnectionRefused { .. } => true,
        FlinkError::Timeout { .. } | FlinkError::Transport { .. } => idempotent,
        _ => false,
    }
}

/// Whether an answer with this status is worth asking for again.
pub(super) fn retry_status(status: StatusCode, idempotent: bool, read: bool) -> bool {
    idempotent
        && match status.as_u16() {
            429 | 502 | 503 | 504 => true,
            500 => read,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_jittered_below_a_doubling_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            deadline: Duration::from_secs(5),
        };
        for (retry, cap) in [(1, 100), (2, 200), (3, 400), (4, 500), (30, 500)] {
            let seen: Vec<u128> = (0..200).map(|_| p.delay(retry).as_millis()).collect();
            assert!(seen.iter().all(|&d| d <= cap), "retry {retry}: {seen:?}");
            // Full jitter: spread over the range, not pinned to the cap.
            assert!(seen.iter().any(|&d| d < cap / 2), "retry {retry}");
            assert!(seen.iter().any(|&d| d > cap / 2), "retry {retry}");
        }
    }

    #[test]
    fn only_safe_failures_are_retried() {
        let refused = FlinkError::ConnectionRefused { url: "u".into() };
        let timeout = FlinkError::Timeout {
            operation: "o".into(),
            seconds: 1,
        };
        let bad = FlinkError::BadRequest {
            message: "m".into(),
        };
        assert!(retry_error(&refused, false));
        assert!(retry_error(&timeout, true));
        assert!(
            !retry_error(&timeout, false),
            "a submission may have arrived"
        );
        assert!(!retry_error(&bad, true));
        for s in [429, 502, 503, 504] {
            let s = StatusCode::from_u16(s).unwrap();
            assert!(retry_status(s, true, false));
            assert!(!retry_status(s, false, false));
        }
        let s500 = StatusCode::INTERNAL_SERVER_ERROR;
        assert!(retry_status(s500, true, true), "a read may be repeated");
        assert!(!retry_status(s500, true, false), "a program error is final");
        assert!(!retry_status(StatusCode::NOT_FOUND, true, true));
    }
}
