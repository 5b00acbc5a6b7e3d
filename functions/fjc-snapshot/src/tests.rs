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
fn job_document_keys_are_safe_path_segments_under_the_namespace() {
    assert_eq!(
        job_document_key("payments", "orders-enricher_2"),
        "jobs/payments/orders-enricher_2.json"
    );
    assert_eq!(
        job_document_key("default", "../etc/passwd"),
        "jobs/default/~2e~2e~2fetc~2fpasswd.json"
    );
    assert_eq!(
        job_document_key("..", "a b.c"),
        "jobs/~2e~2e/a~20b~2ec.json"
    );
    assert_eq!(job_document_key("n", "é"), "jobs/n/~c3~a9.json");
    // Distinct ids never share a key (`~` itself is encoded).
    assert_ne!(job_document_key("n", "a~2e"), job_document_key("n", "a."));
    assert_eq!(
        namespace_overview_key("payments"),
        "snapshots/ns/payments.json"
    );
    assert_eq!(namespace_overview_key("a/b"), "snapshots/ns/a~2fb.json");
}

#[test]
fn a_namespace_overview_holds_only_that_namespaces_jobs_and_clusters() {
    let mut snapshot = Snapshot::empty(1, controller());
    let job = |id: &str, ns: &str, cluster: &str| {
        let mut j = JobView::new(id, JobType::Stream, cluster, Shown::Pending);
        j.namespace = ns.into();
        j
    };
    snapshot.jobs = vec![
        job("a", "payments", "east"),
        job("b", "search", "west"),
        job("c", "payments", "east"),
    ];
    let cluster = |name: &str| -> ClusterView {
        serde_json::from_value(serde_json::json!({"name": name, "health": "healthy"}))
            .expect("a cluster")
    };
    snapshot.clusters = vec![cluster("east"), cluster("west")];
    snapshot.orphans = vec![Orphan {
        cluster: "east".into(),
        flink_job_id: "00000000000000000000000000000001".into(),
        name: "x".into(),
        flink_state: "RUNNING".into(),
        started_at: 0,
    }];
    let all = snapshot.by_namespace();
    assert_eq!(
        all.iter().map(|(ns, _)| ns.as_str()).collect::<Vec<_>>(),
        ["payments", "search"]
    );
    let payments = snapshot.for_namespace("payments");
    assert_eq!(all[0].1, payments);
    assert_eq!(
        payments
            .jobs
            .iter()
            .map(|j| j.job_id.as_str())
            .collect::<Vec<_>>(),
        ["a", "c"]
    );
    assert_eq!(
        payments
            .clusters
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["east"]
    );
    assert!(payments.orphans.is_empty());
    assert_eq!(payments.controller, snapshot.controller);
    assert!(snapshot.for_namespace("nobody").jobs.is_empty());
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
