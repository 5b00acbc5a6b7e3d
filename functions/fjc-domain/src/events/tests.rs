//! What `stamp` adds to the outbox for each transition, and what it leaves alone.

use fjc_flink::{JobId, JobMetrics};
use fjc_spec::{Fingerprint, JobType};

use super::*;
use crate::signals::{Probe, fold};
use crate::state::{LastError, RollbackRecord};

const NOW: EpochMs = 1_700_000_000_000;

fn spec(monitoring: serde_json::Value) -> SpecRecord {
    crate::record::test_record(
        "f",
        serde_json::json!({
            "namespace": "team", "monitoring": monitoring,
            "deployment": {"max_backpressure": 0.5}
        }),
    )
}

fn fresh() -> JobState {
    let mut s = JobState::new("a", JobType::Stream, "default", 0);
    s.flink_job_id = Some(JobId::parse(&format!("{:032x}", 7)).unwrap());
    s
}

fn kinds(s: &JobState) -> Vec<(EventKind, Option<AlertKind>, Option<Lifecycle>, Lifecycle)> {
    s.outbox
        .iter()
        .map(|e| (e.kind, e.alert, e.from, e.to))
        .collect()
}

#[test]
fn each_transition_is_told_once_in_order() {
    let spec = spec(serde_json::json!({}));
    let mut s = fresh();
    s.lifecycle = Lifecycle::Deploying;
    stamp(&mut s, Some(&spec), "c1", NOW);
    // Written again with nothing new: nothing added.
    stamp(&mut s, Some(&spec), "c1", NOW);
    s.lifecycle = Lifecycle::Running;
    stamp(&mut s, Some(&spec), "c2", NOW + 1);
    assert_eq!(
        kinds(&s),
        vec![
            (
                EventKind::StateChange,
                None,
                Some(Lifecycle::Created),
                Lifecycle::Deploying
            ),
            (
                EventKind::StateChange,
                None,
                Some(Lifecycle::Deploying),
                Lifecycle::Running
            ),
        ]
    );
    let e = &s.outbox[1];
    assert_eq!(e.id, "a:2");
    assert_eq!(
        (e.namespace.as_str(), e.correlation_id.as_str()),
        ("team", "c2")
    );
    assert_eq!(e.flink_job_id.as_deref(), Some(&*format!("{:032x}", 7)));
    // Sent and cleared: the next transition numbers on.
    s.outbox.clear();
    s.lifecycle = Lifecycle::Stable;
    stamp(&mut s, Some(&spec), "c3", NOW + 2);
    assert_eq!(s.outbox[0].id, "a:3");
}

#[test]
fn failures_and_rollbacks_alert_when_alert_on_failure() {
    let mut s = fresh();
    s.lifecycle_told = Some(Lifecycle::Running);
    s.lifecycle = Lifecycle::Failed;
    s.last_error = Some(LastError::new(
        "recovery budget exhausted (3 within 3600s); last failure: boom",
        NOW,
        false,
    ));
    let mut quiet = s.clone();
    stamp(&mut s, Some(&spec(serde_json::json!({}))), "c", NOW);
    assert_eq!(
        kinds(&s)[1],
        (
            EventKind::Alert,
            Some(AlertKind::RecoveryBudgetExhausted),
            Some(Lifecycle::Running),
            Lifecycle::Failed
        )
    );
    assert!(
        s.outbox[1]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("boom"))
    );
    // alert_on_failure: false: the state change only.
    stamp(
        &mut quiet,
        Some(&spec(serde_json::json!({"alert_on_failure": false}))),
        "c",
        NOW,
    );
    assert_eq!(kinds(&quiet).len(), 1);
    assert_eq!(quiet.outbox[0].kind, EventKind::StateChange);

    let mut r = fresh();
    r.lifecycle_told = Some(Lifecycle::Running);
    r.lifecycle = Lifecycle::RolledBack;
    r.rollback = Some(RollbackRecord {
        from_revision: 2,
        to_revision: 1,
        rejected: Fingerprint("b".into()),
        reason: "not promoted within readiness_timeout (300s): no completed checkpoint in 5m"
            .into(),
        at: NOW,
    });
    stamp(&mut r, Some(&spec(serde_json::json!({}))), "c", NOW);
    assert_eq!(r.outbox[1].alert, Some(AlertKind::RolledBack));
    assert!(
        r.outbox[1]
            .reason
            .as_deref()
            .is_some_and(|x| x.contains("no completed checkpoint"))
    );
}

#[test]
fn a_record_from_before_events_is_taken_as_told() {
    let mut s = fresh();
    s.lifecycle_told = None;
    s.lifecycle = Lifecycle::Stable;
    stamp(&mut s, Some(&spec(serde_json::json!({}))), "c", NOW);
    assert!(s.outbox.is_empty());
    assert_eq!(s.lifecycle_told, Some(Lifecycle::Stable));
}

#[test]
fn sustained_backpressure_alerts_once_per_episode() {
    let watched = spec(serde_json::json!({"alert_on_backpressure": true}));
    let mut s = fresh();
    s.lifecycle = Lifecycle::Stable;
    s.lifecycle_told = Some(Lifecycle::Stable);
    s.running_since = Some(NOW - 3_600_000);
    let flink_job_id = s.flink_job_id.clone().unwrap();
    let probe = |at: EpochMs, share: f64| Probe {
        flink_job_id: flink_job_id.clone(),
        at,
        metrics: JobMetrics::default(),
        backpressure: Some(share),
    };
    // Over the threshold: not yet sustained.
    let p = probe(NOW, 0.9);
    s.health = fold(&watched, &s, &p);
    stamp(&mut s, Some(&watched), "c", NOW);
    assert!(s.outbox.is_empty());
    // 5 minutes later, still over: sustained, written, alerted.
    let p = probe(NOW + 300_000, 0.92);
    let h = fold(&watched, &s, &p);
    assert!(h.as_ref().is_some_and(|h| h.backpressure_sustained));
    s.health = h;
    stamp(&mut s, Some(&watched), "c", NOW + 300_000);
    assert_eq!(s.outbox.len(), 1);
    assert_eq!(s.outbox[0].alert, Some(AlertKind::Backpressure));
    assert!(
        s.outbox[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("92%"))
    );
    // Written again in the same episode: no second alert.
    stamp(&mut s, Some(&watched), "c", NOW + 300_000 + 1);
    assert_eq!(s.outbox.len(), 1);
    // Without alert_on_backpressure: nothing.
    let mut q = s.clone();
    q.outbox.clear();
    q.backpressure_told = None;
    stamp(&mut q, Some(&spec(serde_json::json!({}))), "c", NOW);
    assert!(q.outbox.is_empty());
}

#[test]
fn the_outbox_keeps_the_newest_when_it_cannot_be_sent() {
    let spec = spec(serde_json::json!({}));
    let mut s = fresh();
    for i in 0..(OUTBOX_MAX + 10) {
        s.lifecycle = if i % 2 == 0 {
            Lifecycle::Running
        } else {
            Lifecycle::Recovering
        };
        stamp(&mut s, Some(&spec), "c", NOW);
    }
    assert_eq!(s.outbox.len(), OUTBOX_MAX);
    assert_eq!(
        s.outbox.last().map(|e| e.id.clone()),
        Some(format!("a:{}", OUTBOX_MAX + 10))
    );
}
