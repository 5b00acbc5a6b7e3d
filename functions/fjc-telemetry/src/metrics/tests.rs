use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::JobType;

use super::*;
use fjc_core::counted::FlinkStats;
use fjc_core::cycle::{LeaseReport, Loaded};
use fjc_core::executor::ActionReport;
use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::StoreStats;

fn jid(n: u8) -> JobId {
    JobId::parse(&format!("{n:032x}")).unwrap()
}

fn report(actions: Vec<ActionReport>, reachable: bool) -> CycleReport {
    let mut running = JobState::new("a", JobType::Stream, "default", 0);
    running.lifecycle = Lifecycle::Running;
    running.flink_job_id = Some(jid(1));
    let mut failed = JobState::new("b", JobType::Stream, "default", 0);
    failed.lifecycle = Lifecycle::Failed;
    failed.flink_job_id = Some(jid(2));
    let jobs = vec![
        JobSummary {
            id: jid(1),
            name: "fjc:a".into(),
            state: FlinkJobState::Running,
            start_time_ms: 0,
            end_time_ms: -1,
            tasks_total: 1,
            tasks_running: 1,
            tasks_finished: 0,
            adaptive: false,
        },
        JobSummary {
            id: jid(2),
            name: "fjc:b".into(),
            state: FlinkJobState::Failed,
            start_time_ms: 0,
            end_time_ms: 1,
            tasks_total: 1,
            tasks_running: 0,
            tasks_finished: 0,
            adaptive: false,
        },
    ];
    let observed = if reachable {
        Observation::from_jobs(jobs)
    } else {
        Observation::Unreachable("refused".into())
    };
    CycleReport {
        started_at: 0,
        duration_ms: 1500,
        specs: 2,
        states: 2,
        clusters: BTreeMap::from([(
            "default".to_string(),
            if reachable {
                Ok(2)
            } else {
                Err("refused".into())
            },
        )]),
        plan: fjc_core::planner::Plan {
            actions: actions
                .iter()
                .map(|a| fjc_core::planner::Action::Deploy {
                    job_id: a.job_id.clone(),
                    replaces: None,
                    reason: fjc_core::planner::DeployReason::New,
                })
                .collect(),
            ..Default::default()
        },
        lease: LeaseReport::Acquired { token: 1 },
        actions,
        store: StoreStats {
            reads: 3,
            writes: 2,
        },
        flink: FlinkStats {
            reads: 4,
            writes: 1,
        },
        correlation_id: "test".into(),
        breakers: BTreeMap::new(),
        flink_errors: BTreeMap::new(),
        loaded: Loaded {
            specs: BTreeMap::new(),
            states: BTreeMap::from([("a".to_string(), running), ("b".to_string(), failed)]),
            observed: BTreeMap::from([("default".to_string(), observed)]),
            run_requests: BTreeMap::new(),
            held: BTreeMap::new(),
            commands: BTreeMap::new(),
            cancel_orphans: false,
            ..Default::default()
        },
    }
}

fn action(job: &str, action: &'static str, outcome: Outcome, ms: u64) -> ActionReport {
    ActionReport {
        job_id: job.into(),
        action,
        outcome,
        duration_ms: ms,
        look_again_at: None,
    }
}

#[test]
fn a_known_sequence_gives_the_seed_metrics() {
    let mut r = Registry::default();
    // Cycle 1: one deployment succeeds (2 s), one fails.
    r.observe(&cycle_samples(&report(
        vec![
            action("a", "deploy", Outcome::Done("ok".into()), 2000),
            action("b", "deploy", Outcome::Failed("boom".into()), 100),
        ],
        true,
    )));
    // Cycle 2: a recovery is in progress (not counted), the cluster is down.
    r.observe(&cycle_samples(&report(
        vec![action("b", "deploy", Outcome::InProgress("…".into()), 50)],
        false,
    )));
    let text = r.render();
    for line in [
        "flink_job_deployments_total{job_type=\"stream\",status=\"success\"} 1",
        "flink_job_deployments_total{job_type=\"stream\",status=\"failure\"} 1",
        "flink_job_deployment_duration_seconds_sum 2",
        "flink_job_deployment_duration_seconds_count 1",
        "flink_reconciliation_errors_total 2",
        "flink_cluster_health_status{cluster=\"default\"} 0",
        "flink_active_jobs{job_type=\"stream\"} 0",
        "fjc_jobs{lifecycle=\"FAILED\"} 1",
        "fjc_reconcile_cycles_total{lease=\"acquired\"} 2",
        "fjc_reconcile_cycle_duration_seconds 1.5",
        "fjc_flink_calls_total{kind=\"read\"} 8",
        "fjc_dynamodb_requests_total{kind=\"write\"} 4",
        "# TYPE flink_job_deployment_duration_seconds summary",
        "# TYPE flink_active_jobs gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[test]
fn active_jobs_count_live_flink_jobs_only() {
    let samples = cycle_samples(&report(vec![], true));
    let active: Vec<_> = samples
        .iter()
        .filter(|s| s.name == "flink_active_jobs")
        .map(|s| (s.labels[0].1.as_str(), s.value))
        .collect();
    assert_eq!(active, vec![("batch", 0.0), ("stream", 1.0)]);
}

#[test]
fn emf_lines_carry_every_sample_with_its_labels_as_dimensions() {
    let samples = cycle_samples(&report(
        vec![action("a", "deploy", Outcome::Done("ok".into()), 2000)],
        true,
    ));
    let lines = emf_lines("reconcile", &samples, 1);
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let deploy = parsed
        .iter()
        .find(|v| v.get("flink_job_deployments_total").is_some())
        .unwrap();
    assert_eq!(deploy["status"], "success");
    assert_eq!(deploy["job_type"], "stream");
    assert_eq!(deploy["Function"], "reconcile");
    assert_eq!(deploy["flink_job_deployments_total"], 1.0);
    let total: usize = parsed
        .iter()
        .map(|v| {
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(total, samples.len());
}

#[test]
fn label_values_are_escaped() {
    let mut r = Registry::default();
    r.observe(&[Sample {
        name: "flink_cluster_health_status",
        labels: vec![("cluster", "a\"b\\c".into())],
        value: 1.0,
    }]);
    assert!(r.render().contains("{cluster=\"a\\\"b\\\\c\"} 1"));
}

/// Metric names an alert can refer to: every family the controller emits.
fn emitted(name: &str) -> bool {
    METRICS.iter().any(|(m, _, _)| {
        *m == name
            || name
                .strip_suffix("_sum")
                .or(name.strip_suffix("_count"))
                .is_some_and(|base| base == *m)
    })
}

fn metric_names(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("flink_") || w.starts_with("fjc_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn alert_rules_and_alarms_name_only_emitted_metrics() {
    let rules = include_str!("../../../../infra/alerts/prometheus-rules.yaml");
    let docs = yaml_rust2::YamlLoader::load_from_str(rules).expect("rules YAML");
    let groups = docs[0]["groups"].as_vec().expect("groups");
    let mut alerts = Vec::new();
    for rule in groups
        .iter()
        .flat_map(|g| g["rules"].as_vec().expect("rules"))
    {
        let name = rule["alert"].as_str().expect("alert name");
        let expr = rule["expr"].as_str().expect("expr");
        let used = metric_names(expr);
        assert!(!used.is_empty(), "{name}: no metric");
        for m in used {
            assert!(emitted(&m), "{name}: {m} is not emitted");
        }
        alerts.push(name.to_string());
    }
    for wanted in [
        "FlinkJobDeploymentFailureRateHigh",
        "FlinkReconciliationErrors",
        "FlinkClusterUnhealthy",
        "FlinkControllerHeartbeatStale",
    ] {
        assert!(alerts.iter().any(|a| a == wanted), "{wanted} missing");
    }
    let template = include_str!("../../../../infra/template.yaml");
    let mut fjc_alarms = 0;
    for line in template.lines() {
        if let Some(rest) = line.split("MetricName:").nth(1) {
            let name = rest
                .trim()
                .split(|c: char| c == ',' || c == '}' || c.is_whitespace())
                .next()
                .unwrap_or_default();
            if name.starts_with("flink_") || name.starts_with("fjc_") {
                fjc_alarms += 1;
                assert!(emitted(name), "alarm on {name}, which is not emitted");
            }
        }
    }
    assert!(fjc_alarms >= 4, "{fjc_alarms} alarms on controller metrics");
}

#[test]
fn every_cycle_emits_the_heartbeat_and_breaker_state() {
    let mut r = report(Vec::new(), true);
    let cfg = fjc_core::breaker::BreakerConfig {
        failure_threshold: 1,
        ..Default::default()
    };
    r.breakers.insert(
        "default".into(),
        fjc_core::breaker::Breaker::closed("default").failed(0, "x", &cfg),
    );
    let samples = cycle_samples(&r);
    let get = |name: &str| samples.iter().find(|s| s.name == name).map(|s| s.value);
    assert_eq!(get("fjc_heartbeat"), Some(1.0));
    assert_eq!(get("fjc_last_cycle_timestamp_seconds"), Some(1.5));
    assert_eq!(get("fjc_cluster_breaker_open"), Some(1.0));
}

#[test]
fn transitions_are_timed_from_their_recorded_intent() {
    let mut r = report(
        vec![
            action("a", "resume", Outcome::Done("ok".into()), 300),
            action("b", "suspend", Outcome::Done("ok".into()), 200),
            action("b", "record", Outcome::Done("ok".into()), 1),
        ],
        true,
    );
    r.plan.actions = vec![
        fjc_core::planner::Action::ContinueOperation { job_id: "a".into() },
        fjc_core::planner::Action::Suspend {
            job_id: "b".into(),
            flink_job_id: jid(2),
        },
    ];
    // "a" resumes an upgrade whose intent was recorded 10 s before this cycle ended.
    r.loaded.states.get_mut("a").unwrap().operation = Some(fjc_core::state::Operation::Deploy {
        fingerprint: fjc_spec::Fingerprint("f".into()),
        flink_job_id: jid(3),
        replaces: Some(jid(1)),
        started_at: -8_500,
        upgrade: None,
        purpose: fjc_core::state::Purpose::Deploy,
    });
    let mut reg = Registry::default();
    reg.observe(&cycle_samples(&r));
    let text = reg.render();
    for line in [
        "fjc_transition_duration_seconds_sum{transition=\"upgrade\"} 10",
        "fjc_transition_duration_seconds_count{transition=\"upgrade\"} 1",
        "fjc_transition_duration_seconds_sum{transition=\"suspend\"} 1.5",
        "flink_job_deployments_total{job_type=\"stream\",status=\"success\"} 1",
        "# TYPE fjc_transition_duration_seconds summary",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(!text.contains("transition=\"record\""), "{text}");
}

#[test]
fn health_signals_are_labelled_by_job_and_kept_until_the_next_probe() {
    let probe = |n: u8, restarts: u64, backpressure: Option<f64>| fjc_core::signals::Probe {
        flink_job_id: fjc_flink::JobId::parse(&format!("{n:032x}")).unwrap(),
        at: 100_000,
        metrics: fjc_flink::JobMetrics {
            restarts: Some(restarts),
            checkpoints_completed: Some(9),
            checkpoints_failed: Some(2),
            last_checkpoint_at: Some(96_000),
        },
        backpressure,
    };
    let mut r = Registry::default();
    let mut first = report(vec![], true);
    first.loaded.probes = BTreeMap::from([("a".to_string(), probe(1, 0, Some(0.25)))]);
    r.observe(&cycle_samples(&first));
    // The next cycle probes b only (its turn): a's signals stay.
    let mut second = report(vec![], true);
    second.loaded.probes = BTreeMap::from([("b".to_string(), probe(2, 3, None))]);
    let samples = cycle_samples(&second);
    r.observe(&samples);
    let text = r.render();
    for line in [
        "# TYPE fjc_job_checkpoint_age_seconds gauge",
        "fjc_job_checkpoint_age_seconds{job=\"a\"} 4",
        "fjc_job_checkpoint_age_seconds{job=\"b\"} 4",
        "fjc_job_checkpoints_failed{job=\"a\"} 2",
        "fjc_job_restarts{job=\"a\"} 0",
        "fjc_job_restarts{job=\"b\"} 3",
        "fjc_job_backpressure_ratio{job=\"a\"} 0.25",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(
        !text.contains("fjc_job_backpressure_ratio{job=\"b\"}"),
        "{text}"
    );
    // EMF: one line per job, the job a dimension.
    let lines = emf_lines("reconcile", &samples, 0);
    let b = lines
        .iter()
        .find(|l| l.contains("\"job\":\"b\""))
        .expect("an EMF line for job b");
    assert!(b.contains("fjc_job_restarts"), "{b}");
    assert!(b.contains("[\"Function\",\"job\"]"), "{b}");
}
