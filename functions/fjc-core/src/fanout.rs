//! Fan-out: with `reconcile.shards` > 1, the scheduled invocation starts one
//! reconcile per shard and reconciles nothing itself. The transport (Lambda's
//! asynchronous `Invoke` of the same function) is behind [`Fanout`].

use std::future::Future;

use serde_json::{Value, json};
use thiserror::Error;

use crate::shard::Shard;

/// A fan-out failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FanoutError {
    /// The invocation was not accepted (throttled, network): a retry may work.
    #[error("could not start the reconcile of {shard}: {message}")]
    Unavailable {
        /// The shard.
        shard: String,
        /// What the service said.
        message: String,
    },
    /// Refused for good (no such function, not allowed).
    #[error("the reconcile of {shard} was refused: {message}")]
    Refused {
        /// The shard.
        shard: String,
        /// What the service said.
        message: String,
    },
}

impl FanoutError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, FanoutError::Unavailable { .. })
    }
}

/// Starts a shard's reconcile somewhere else (and does not wait for it).
pub trait Fanout: Send + Sync {
    /// Starts one shard's cycle with `event` as its input.
    fn start(
        &self,
        shard: Shard,
        event: Value,
    ) -> impl Future<Output = Result<(), FanoutError>> + Send;
}

/// The event a shard's invocation gets: `{"shard": {"index": i, "count": n}}`.
pub fn shard_event(shard: Shard, correlation_id: &str) -> Value {
    json!({
        "shard": {"index": shard.index(), "count": shard.count()},
        "fanned_out_by": correlation_id,
    })
}

/// What an invocation's event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// One shard's cycle.
    Shard(Shard),
    /// The scheduled (or manual) invocation: the whole fleet, fanned out when
    /// sharded.
    Fleet,
}

/// Reads an event. A `shard` field must name a shard of the configured count:
/// an event from before a shard-count change is refused (its range would
/// overlap another shard's), and the next scheduled fan-out covers the fleet.
pub fn request(event: &Value, shards: u32) -> Result<Request, String> {
    let Some(s) = event.get("shard") else {
        return Ok(Request::Fleet);
    };
    let field = |name: &str| {
        s.get(name)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("event field shard.{name}: missing or not a number"))
    };
    let (index, count) = (field("index")?, field("count")?);
    if count != shards {
        return Err(format!(
            "event for shard {index} of {count}, but reconcile.shards is {shards}; ignored"
        ));
    }
    Shard::new(index, count)
        .map(Request::Shard)
        .ok_or_else(|| format!("event field shard.index: {index} is not below {count}"))
}

/// Starts every shard's cycle concurrently; the failures, by shard.
pub async fn fan_out<F: Fanout>(
    fanout: &F,
    shards: u32,
    correlation_id: &str,
) -> Vec<(Shard, FanoutError)> {
    let starts = Shard::all(shards).map(|shard| async move {
        let result = fanout
            .start(shard, shard_event(shard, correlation_id))
            .await;
        result.err().map(|e| (shard, e))
    });
    futures::future::join_all(starts)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_a_shard_of_the_configured_count() {
        let event = shard_event(Shard::new(2, 4).unwrap(), "c");
        assert_eq!(
            request(&event, 4),
            Ok(Request::Shard(Shard::new(2, 4).unwrap()))
        );
        assert!(
            request(&event, 8)
                .unwrap_err()
                .contains("reconcile.shards is 8")
        );
        assert_eq!(
            request(&json!({"detail-type": "Scheduled Event"}), 4),
            Ok(Request::Fleet)
        );
        let bad = json!({"shard": {"index": 4, "count": 4}});
        assert!(request(&bad, 4).unwrap_err().contains("shard.index"));
        let bad = json!({"shard": {"index": "x", "count": 4}});
        assert!(
            request(&bad, 4)
                .unwrap_err()
                .contains("shard.index: missing")
        );
    }
}
