use super::*;
use crate::{ClusterView, Controller, ErrorLine, RecoveryBudget, Refusal};

fn job(id: &str, lifecycle: Lifecycle, job_type: JobType) -> JobView {
    JobView::new(id, job_type, "default", Shown::Is(lifecycle))
}

fn jobs() -> Vec<JobView> {
    let mut failed = job("orders-etl", Lifecycle::Failed, JobType::Batch);
    failed.last_error = Some(ErrorLine {
        message: "ClassNotFoundException: com.Foo".into(),
        at: 1,
        retryable: false,
    });
    let mut drifting = job("clicks", Lifecycle::Running, JobType::Stream);
    drifting.drift = true;
    drifting.namespace = "web".into();
    vec![
        failed,
        drifting,
        job("audit", Lifecycle::Running, JobType::Stream),
    ]
}

#[test]
fn filters_combine_and_text_search_ignores_case() {
    let js = jobs();
    let by = |f: Filter| -> Vec<&str> {
        select(&js, &f, Sort::default())
            .into_iter()
            .map(|i| js[i].job_id.as_str())
            .collect()
    };
    assert_eq!(by(Filter::default()), ["audit", "clicks", "orders-etl"]);
    let running = Filter {
        lifecycle: Some(Shown::Is(Lifecycle::Running)),
        ..Filter::default()
    };
    assert_eq!(by(running.clone()), ["audit", "clicks"]);
    assert_eq!(
        by(Filter {
            namespace: Some("web".into()),
            ..running
        }),
        ["clicks"]
    );
    assert_eq!(
        by(Filter {
            text: "CLASSNOTFOUND".into(),
            ..Filter::default()
        }),
        ["orders-etl"]
    );
    assert_eq!(
        by(Filter {
            only_drift: true,
            ..Filter::default()
        }),
        ["clicks"]
    );
    assert_eq!(
        by(Filter {
            job_type: Some(JobType::Batch),
            only_errors: true,
            ..Filter::default()
        }),
        ["orders-etl"]
    );
}

#[test]
fn sorting_is_stable_by_job_id_and_can_be_reversed() {
    let js = jobs();
    let order = |sort: Sort| -> Vec<&str> {
        select(&js, &Filter::default(), sort)
            .into_iter()
            .map(|i| js[i].job_id.as_str())
            .collect()
    };
    let by_state = Sort {
        key: SortKey::Lifecycle,
        descending: false,
    };
    assert_eq!(order(by_state), ["audit", "clicks", "orders-etl"]);
    assert_eq!(
        order(Sort {
            descending: true,
            ..by_state
        }),
        ["orders-etl", "clicks", "audit"]
    );
}

#[test]
fn pages_are_clamped() {
    assert_eq!(
        page(0, 100, 3),
        Page {
            number: 0,
            count: 1,
            start: 0,
            end: 0
        }
    );
    assert_eq!(
        page(10_000, 100, 99),
        Page {
            number: 99,
            count: 100,
            start: 9_900,
            end: 10_000
        }
    );
    assert_eq!(page(250, 100, 7).number, 2);
    assert_eq!(page(250, 100, 7).end, 250);
}

#[test]
fn counts_by_lifecycle_and_type() {
    let c = counts(&jobs());
    assert_eq!(c.total, 3);
    assert_eq!(c.by_lifecycle[&Shown::Is(Lifecycle::Running)], 2);
    // Every value has a card, and the cards add up to the total.
    assert_eq!(c.by_lifecycle.len(), Lifecycle::ALL.len() + 1);
    assert_eq!(c.by_lifecycle.values().sum::<usize>(), c.total);
    assert_eq!(c.by_type[&JobType::Batch], 1);
    assert_eq!((c.drift, c.errors), (1, 1));
    assert_eq!(namespaces(&jobs()), ["default", "web"]);
}

#[test]
fn attention_names_every_reason() {
    let mut failed = job("a", Lifecycle::Failed, JobType::Stream);
    failed.cluster = "east".into();
    let rolled = job("b", Lifecycle::RolledBack, JobType::Stream);
    let mut exhausted = job("c", Lifecycle::Running, JobType::Stream);
    exhausted.recovery_budget = Some(RecoveryBudget {
        allowed: 2,
        window_seconds: 3600,
    });
    exhausted.recoveries = vec![10, 20];
    let mut under_budget = exhausted.clone();
    under_budget.job_id = "c2".into();
    under_budget.recoveries = vec![10];
    let mut stuck = job("d", Lifecycle::Running, JobType::Stream);
    stuck.drift = true;
    stuck.failed_attempts = 2;
    let mut converging = stuck.clone();
    converging.job_id = "d2".into();
    converging.operation = Some(crate::OperationView {
        kind: "deploy".into(),
        started_at: 1,
        flink_job_id: None,
        restore_from: None,
    });
    let mut held = job("e", Lifecycle::Created, JobType::Batch);
    held.held_by_policy = Some("artifact outside the namespace".into());
    let mut refused = job("f", Lifecycle::Stable, JobType::Stream);
    refused.artifact_refused = Some(Refusal {
        at: 1,
        digest: None,
        reason: "bad signature".into(),
    });
    let fine = job("g", Lifecycle::Stable, JobType::Stream);
    let snap = Snapshot {
        clusters: vec![ClusterView {
            name: "east".into(),
            health: ClusterHealth::Unreachable,
            error: None,
            jobs_seen: None,
            slots: None,
            taskmanagers: None,
            flink_version: None,
            breaker: None,
        }],
        jobs: vec![
            failed,
            rolled,
            exhausted,
            under_budget,
            stuck,
            converging,
            held,
            refused,
            fine,
        ],
        ..Snapshot::empty(
            0,
            Controller {
                heartbeat_at: 0,
                cycle_started_at: 0,
                cycle_duration_ms: 0,
                interval_seconds: 60,
                heartbeat_refresh_seconds: 300,
                actions: 0,
                failed_actions: 0,
                waiting: 0,
            },
        )
    };
    let got: Vec<(&str, Vec<Attention>)> = needs_attention(&snap)
        .into_iter()
        .map(|(i, why)| (snap.jobs[i].job_id.as_str(), why))
        .collect();
    assert_eq!(
        got,
        [
            ("a", vec![Attention::Failed, Attention::ClusterUnreachable]),
            ("b", vec![Attention::RolledBack]),
            ("c", vec![Attention::RecoveryBudgetExhausted]),
            ("d", vec![Attention::DriftNotConverging]),
            ("e", vec![Attention::HeldByPolicy]),
            ("f", vec![Attention::ArtifactRefused]),
        ]
    );
}
