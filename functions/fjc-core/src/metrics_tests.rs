use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::JobType;

use super::*;
use crate::counted::FlinkStats;
use crate::executor::ActionReport;
use crate::handler::{LeaseReport, Loaded};
use crate::state::{JobState, Lifecycle};
use crate::store::StoreStats;

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
        },
        JobSummary {
            id: jid(2),
            name: "fjc:b".into(),
            state: FlinkJobState::Failed,
            start_time_ms: 0,
            end_time_ms: 1,
            tasks_total: 1,
            tasks_running: 0,
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
        plan: Default::default(),
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
        loaded: Loaded {
            specs: BTreeMap::new(),
            states: BTreeMap::from([("a".to_string(), running), ("b".to_string(), failed)]),
            observed: BTreeMap::from([("default".to_string(), observed)]),
            run_requests: BTreeMap::new(),
            held: BTreeMap::new(),
            commands: BTreeMap::new(),
            checkpoint_every_ms: None,
            cancel_orphans: false,
        },
    }
}

fn action(job: &str, action: &'static str, outcome: Outcome, ms: u64) -> ActionReport {
    ActionReport {
        job_id: job.into(),
        action,
        outcome,
        duration_ms: ms,
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
