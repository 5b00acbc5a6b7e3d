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
        "schema_version": 2, "generated_at": 5, "future_field": true,
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
    assert!(j.detail.is_none() && j.recoveries.is_empty() && j.next_fire_at.is_none());
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

#[test]
fn job_document_keys_are_one_safe_path_segment() {
    assert_eq!(
        job_document_key("orders-enricher_2"),
        "jobs/orders-enricher_2.json"
    );
    assert_eq!(
        job_document_key("../etc/passwd"),
        "jobs/~2e~2e~2fetc~2fpasswd.json"
    );
    assert_eq!(job_document_key("a b.c"), "jobs/a~20b~2ec.json");
    assert_eq!(job_document_key("é"), "jobs/~c3~a9.json");
    // Distinct ids never share a key (`~` itself is encoded).
    assert_ne!(job_document_key("a~2e"), job_document_key("a."));
}

#[test]
fn a_job_row_leaves_out_what_is_empty() {
    let j = JobView::new("a", JobType::Stream, "c", Shown::Pending);
    let text = serde_json::to_string(&j).expect("encodes");
    assert_eq!(
        text,
        r#"{"job_id":"a","namespace":"default","job_type":"stream","cluster":"c","lifecycle":"PENDING","has_spec":true,"drift":false}"#
    );
    let back: JobView = serde_json::from_str(&text).expect("decodes");
    assert_eq!(back, j);
}
