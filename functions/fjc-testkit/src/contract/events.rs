//! The event sink contract: a send delivers every event, with its detail-type
//! and its content unchanged, and an empty send delivers nothing.

use std::future::Future;

use fjc_core::events::{EventKind, EventSink, JobEvent};
use fjc_core::state::Lifecycle;

/// `n` events of job `job`, alternating state changes and alerts.
pub fn sample_events(job: &str, n: usize) -> Vec<JobEvent> {
    (1..=n)
        .map(|i| JobEvent {
            id: format!("{job}:{i}"),
            kind: if i % 2 == 0 {
                EventKind::Alert
            } else {
                EventKind::StateChange
            },
            alert: (i % 2 == 0).then_some(fjc_core::events::AlertKind::Failed),
            job_id: job.to_string(),
            namespace: "team".into(),
            from: Some(Lifecycle::Running),
            to: Lifecycle::Failed,
            reason: Some(format!("reason {i}: \"quoted\" ünïcode")),
            flink_job_id: Some("0".repeat(32)),
            correlation_id: "contract".into(),
            at: 1_700_000_000_000 + i as i64,
        })
        .collect()
}

/// Checks `sink` with `delivered`, which returns what has arrived so far as
/// (detail-type, event) pairs (for EventBridge: through a rule and a queue),
/// waiting a little for the expected number.
///
/// Panics when the sink breaks the contract.
pub async fn events_contract<S, R, Fut>(sink: &S, job: &str, mut delivered: R)
where
    S: EventSink,
    R: FnMut(usize) -> Fut,
    Fut: Future<Output = Vec<(String, JobEvent)>>,
{
    // More than one PutEvents call's worth (10).
    let events = sample_events(job, 12);
    sink.send(&events).await.expect("a send of 12 events");
    sink.send(&[]).await.expect("an empty send");
    let mut got = delivered(events.len()).await;
    got.sort_by_key(|(_, e)| e.at);
    assert_eq!(
        got.len(),
        events.len(),
        "every event arrives once: {:?}",
        got.iter().map(|(_, e)| &e.id).collect::<Vec<_>>()
    );
    for ((detail_type, got), want) in got.iter().zip(&events) {
        assert_eq!(detail_type, want.kind.detail_type());
        assert_eq!(got, want, "the event arrives unchanged");
    }
}
