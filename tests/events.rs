//! Lifecycle events and alerts on a real EventBridge API (moto), read where a
//! user's rule sends them: a rule for source `fjc` targets an SQS queue, and the
//! tests read the queue (issue 19, item 3).
//!
//! - The EventBridge adapter keeps the event sink contract (the in-memory sink
//!   keeps it in the test kit's unit tests).
//! - Jobs on the real Flink cluster fail for good: with `alert_on_failure: true`
//!   one `FJC Job Alert` arrives, with `false` none; every state change arrives
//!   once, in order (ids numbered without a gap, each `from` the previous `to`).
//! - A bus that fails the first sends (fault injection: a stand-in for a crash
//!   at the send step, named as such below) loses nothing and repeats nothing:
//!   the outbox stays in the job's record and a later cycle sends it once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fjc_aws::events::EventBridgeSink;
use fjc_core::events::{AlertKind, EventError, EventKind, EventSink, JobEvent};
use fjc_core::state::Lifecycle;
use fjc_integration_tests::bus::Bus;
use fjc_integration_tests::harness::{World, unique};
use fjc_spec::JobSpec;
use futures::future::BoxFuture;

const WAIT: Duration = Duration::from_secs(150);

/// FAULT INJECTION (a fake, on purpose): an event sink that fails its first
/// `failures` sends and hands the rest to the real adapter. It stands in for a
/// controller dying at the send step, which a real bus cannot be made to do.
#[derive(Debug)]
struct FlakyBus {
    inner: EventBridgeSink,
    failures: AtomicU32,
}

impl EventSink for FlakyBus {
    fn send<'a>(&'a self, events: &'a [JobEvent]) -> BoxFuture<'a, Result<(), EventError>> {
        Box::pin(async move {
            let left = self.failures.load(Ordering::SeqCst);
            if left > 0 {
                self.failures.store(left - 1, Ordering::SeqCst);
                return Err(EventError::Send {
                    bus: "flaky".into(),
                    message: "injected: the controller died at the send step".into(),
                    retryable: true,
                });
            }
            self.inner.send(events).await
        })
    }
}

/// A stream job that fails on its first event, which Flink does not restart and
/// the controller may not recover: FAILED for good.
fn failing(w: &World, name: &str, alert_on_failure: bool) -> JobSpec {
    let mut spec = w.stream_spec(&unique(name));
    spec.args.extend(["--fail-after-events".into(), "1".into()]);
    spec.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    spec.deployment.recovery_attempts = Some(0);
    spec.monitoring.alert_on_failure = alert_on_failure;
    spec
}

/// The job's events arrived once each, in order: ids `<job>:1..n` without a gap
/// or repeat, each state change starting where the one before ended.
fn once_in_order(job: &str, got: &[(String, JobEvent)]) -> Vec<JobEvent> {
    let mut events: Vec<JobEvent> = got.iter().map(|(_, e)| e.clone()).collect();
    let number = |e: &JobEvent| {
        e.id.rsplit(':')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    events.sort_by_key(number);
    for e in &events {
        println!(
            "{} {} {:?} {:?} -> {:?} {:?}",
            e.id,
            e.kind.detail_type(),
            e.alert,
            e.from,
            e.to,
            e.reason
        );
    }
    let numbers: Vec<u64> = events.iter().map(number).collect();
    let want: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(
        numbers, want,
        "{job}: every event once, none missing: {got:?}"
    );
    for (detail_type, e) in got {
        assert_eq!(detail_type, e.kind.detail_type(), "{e:?}");
        assert_eq!(e.job_id, job);
        assert!(!e.correlation_id.is_empty(), "{e:?}");
    }
    let changes: Vec<&JobEvent> = events
        .iter()
        .filter(|e| e.kind == EventKind::StateChange)
        .collect();
    assert_eq!(changes[0].from, Some(Lifecycle::Created), "{changes:?}");
    for pair in changes.windows(2) {
        assert_eq!(pair[1].from, Some(pair[0].to), "{changes:?}");
    }
    events
}

async fn until_failed(w: &World, id: &str) {
    w.cycle_until(id, WAIT, |s| {
        s.lifecycle == Lifecycle::Failed && s.operation.is_none() && s.outbox.is_empty()
    })
    .await;
}

async fn until_arrived(bus: &Bus, job: &str, last: Lifecycle) -> Vec<(String, JobEvent)> {
    let start = Instant::now();
    loop {
        let got = bus.of(job).await;
        if got
            .iter()
            .any(|(_, e)| e.to == last && e.kind == EventKind::StateChange)
        {
            // Whatever else was sent with it has arrived too.
            bus.drain().await;
            return bus.of(job).await;
        }
        assert!(start.elapsed() < WAIT, "{job}: no {last:?} event: {got:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eventbridge_adapter_keeps_the_events_contract() {
    let bus = Bus::new("events-contract").await;
    let sink = bus.sink();
    let job = unique("contract");
    fjc_testkit::events_contract(&sink, &job, |n| {
        let bus = &bus;
        let job = job.clone();
        async move {
            let start = Instant::now();
            loop {
                let got = bus.of(&job).await;
                if got.len() >= n || start.elapsed() > Duration::from_secs(20) {
                    return got;
                }
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_alert_as_asked_and_every_transition_arrives_once_in_order() {
    let bus = Bus::new("events").await;
    let mut w = World::new("events").await;
    w.ctx.events = Some(Arc::new(bus.sink()));
    let loud = failing(&w, "ev-loud", true);
    let quiet = failing(&w, "ev-quiet", false);
    let (a, b) = (loud.job_id.clone(), quiet.job_id.clone());
    w.apply(vec![loud, quiet]).await;
    until_failed(&w, &a).await;
    until_failed(&w, &b).await;

    let got = until_arrived(&bus, &a, Lifecycle::Failed).await;
    let events = once_in_order(&a, &got);
    let alerts: Vec<&JobEvent> = events
        .iter()
        .filter(|e| e.kind == EventKind::Alert)
        .collect();
    assert_eq!(alerts.len(), 1, "one alert for the failure: {events:?}");
    let alert = alerts[0];
    assert_eq!(
        alert.alert,
        Some(AlertKind::RecoveryBudgetExhausted),
        "{alert:?}"
    );
    assert_eq!(alert.to, Lifecycle::Failed);
    assert!(
        alert
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("injected failure")),
        "Flink's cause is in the alert: {alert:?}"
    );
    assert!(
        alert.flink_job_id.is_some() && alert.namespace == "default",
        "{alert:?}"
    );

    let got = until_arrived(&bus, &b, Lifecycle::Failed).await;
    let events = once_in_order(&b, &got);
    assert!(
        events.iter().all(|e| e.kind == EventKind::StateChange),
        "alert_on_failure: false sends no alert: {events:?}"
    );

    // Quiet cycles send nothing more.
    let before = (bus.of(&a).await.len(), bus.of(&b).await.len());
    for _ in 0..3 {
        w.cycle().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!((bus.of(&a).await.len(), bus.of(&b).await.len()), before);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_fails_is_repeated_later_and_nothing_arrives_twice() {
    let bus = Bus::new("events-flaky").await;
    let mut w = World::new("events-flaky").await;
    w.ctx.events = Some(Arc::new(FlakyBus {
        inner: bus.sink(),
        failures: AtomicU32::new(2),
    }));
    let spec = failing(&w, "ev-flaky", true);
    let id = spec.job_id.clone();
    w.apply(vec![spec]).await;
    // The first sends fail: the record keeps its outbox.
    let first = w.cycle().await;
    assert!(!first.actions.is_empty());
    let s = w.state(&id).await.expect("state");
    assert!(!s.outbox.is_empty(), "the events wait in the record: {s:?}");
    until_failed(&w, &id).await;
    let got = until_arrived(&bus, &id, Lifecycle::Failed).await;
    let events = once_in_order(&id, &got);
    assert_eq!(
        events.iter().filter(|e| e.kind == EventKind::Alert).count(),
        1,
        "{events:?}"
    );
    w.cleanup().await;
}
