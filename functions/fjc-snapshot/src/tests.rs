use super::*;

fn controller() -> Controller {
    Controller {
        heartbeat_at: 1_000_000,
        cycle_started_at: 999_000,
        cycle_duration_ms: 1_000,
        interval_seconds: 30,
        heartbeat_refresh_seconds: 60,
        actions: 0,
        failed_actions: 0,
        waiting: 0,
    }
}

#[test]
fn stale_after_refresh_plus_three_intervals() {
    let c = controller();
    assert_eq!(c.stale_after_ms(), 150_000);
    assert!(!c.is_stale(1_000_000 + 150_000));
    assert!(c.is_stale(1_000_000 + 150_001));
    // A clock behind the controller's is not "negative age".
    assert_eq!(c.heartbeat_age_ms(0), 0);
}

#[test]
fn readers_tolerate_newer_documents() {
    let text = r#"{
        "schema_version": 1, "generated_at": 5, "future_field": true,
        "controller": {"heartbeat_at": 5, "cycle_started_at": 4, "cycle_duration_ms": 1,
                       "interval_seconds": 30, "heartbeat_refresh_seconds": 60},
        "clusters": [{"name": "c", "health": "on_fire"}],
        "jobs": [{"job_id": "a", "job_type": "micro", "cluster": "c",
                  "lifecycle": "HIBERNATING", "has_spec": true, "drift": false}]
    }"#;
    let s: Snapshot = serde_json::from_str(text).expect("parses");
    assert_eq!(s.clusters[0].health, ClusterHealth::Unknown);
    let j = &s.jobs[0];
    assert_eq!(j.namespace, DEFAULT_NAMESPACE);
    assert_eq!(j.lifecycle, Shown::Unknown);
    assert_eq!(j.job_type, JobType::Unknown);
    assert!(j.runs.is_empty() && j.revisions.is_empty() && j.next_fire_at.is_none());
}

#[test]
fn without_heartbeat_ignores_only_times() {
    let a = Snapshot::empty(10, controller());
    let mut b = a.clone();
    b.generated_at = 20;
    b.controller.heartbeat_at += 5_000;
    b.controller.cycle_duration_ms = 7;
    assert_eq!(a.without_heartbeat(), b.without_heartbeat());
    b.controller.failed_actions = 1;
    assert_ne!(a.without_heartbeat(), b.without_heartbeat());
}

#[test]
fn one_line_keeps_the_first_line_only() {
    assert_eq!(one_line("boom\n\tat x.y(Z.java:1)", 100), "boom");
    assert_eq!(one_line("abcdef", 4), "abc…");
    assert_eq!(Shown::parse("RUNNING"), Shown::Is(Lifecycle::Running));
    assert_eq!(Shown::parse("PENDING"), Shown::Pending);
    assert_eq!(Shown::parse("nope"), Shown::Unknown);
}

#[test]
fn every_lifecycle_round_trips_by_name() {
    for &l in Lifecycle::ALL {
        assert_eq!(Lifecycle::parse(l.as_str()), Some(l));
        let json = serde_json::to_string(&Shown::Is(l)).expect("encodes");
        assert_eq!(json, format!("\"{}\"", l.as_str()));
        let back: Lifecycle = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, l);
    }
    assert_eq!(Shown::all().count(), Lifecycle::ALL.len() + 1);
}
