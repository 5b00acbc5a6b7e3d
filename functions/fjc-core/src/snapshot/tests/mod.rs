//! The snapshot builder's tests (what the document says); `publish` tests
//! where and when it is written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use fjc_flink::{ClusterOverview, FlinkJobState, JobId, JobSummary};
use fjc_snapshot::{ClusterHealth, FlinkStateSeen, JobType, Lifecycle, Shown, Snapshot};
use fjc_spec::{Fingerprint, JobSpec};

use super::dir::DirPublisher;
use super::publish::{
    Documents, Encoded, PublishError, PublishOutcome, Published, Sink, SnapshotPublisher, encode,
};
use super::{Inputs, Timing, build};
use crate::counted::FlinkStats;
use crate::cycle::{CycleReport, LeaseReport, Loaded};
use crate::planner::{Observation, Plan};
use crate::state::{JobState, LastError, Lifecycle as CoreLifecycle, Operation};
use crate::store::{SpecRecord, StoreStats};

mod publish;

const NOW: i64 = 1_800_000_000_000;

fn record(spec: serde_json::Value, fp: &str) -> SpecRecord {
    let spec: JobSpec = serde_json::from_value(spec).expect("spec");
    SpecRecord {
        spec,
        fingerprint: Fingerprint(fp.repeat(64 / fp.len())),
        artifact_digest: format!("sha256:{}", "d".repeat(64)),
        artifact_version: None,
        trust: Default::default(),
        updated_at: NOW - 60_000,
        version: 1,
    }
}

fn secret_spec() -> SpecRecord {
    record(
        serde_json::json!({
            "job_id": "payments",
            "job_type": "stream",
            "artifact_path": "payments.jar",
            "entry_class": "com.example.Payments",
            "args": ["--password", "hunter2"],
            "env_vars": {"SECRET_TOKEN": "s3cr3t-value"},
            "deployment": {"parallelism": 2, "checkpoint_interval": "30s"},
        }),
        "a",
    )
}

fn report(view: Loaded, clusters: BTreeMap<String, Result<usize, String>>) -> CycleReport {
    CycleReport {
        started_at: NOW - 1_500,
        duration_ms: 500,
        specs: view.specs.len(),
        states: view.states.len(),
        clusters,
        plan: Plan::default(),
        lease: LeaseReport::NotNeeded,
        actions: Vec::new(),
        store: StoreStats::default(),
        flink: FlinkStats::default(),
        loaded: view,
        correlation_id: "test".into(),
        breakers: BTreeMap::new(),
        flink_errors: BTreeMap::new(),
    }
}

fn jid(c: char) -> JobId {
    JobId::parse(&c.to_string().repeat(32)).expect("job id")
}

fn summary(id: JobId, name: &str, state: FlinkJobState) -> JobSummary {
    JobSummary {
        id,
        name: name.into(),
        state,
        start_time_ms: NOW - 10_000,
        end_time_ms: -1,
        tasks_total: 1,
        tasks_running: 1,
        tasks_finished: 0,
        adaptive: false,
    }
}

fn snapshot_of(view: Loaded, clusters: BTreeMap<String, Result<usize, String>>) -> Snapshot {
    let overviews = BTreeMap::from([(
        "default".to_string(),
        ClusterOverview {
            taskmanagers: 1,
            slots_total: 8,
            slots_available: 6,
            jobs_running: 2,
            flink_version: "2.3.0".into(),
        },
    )]);
    let r = report(view, clusters);
    build(Inputs {
        specs: &r.loaded.specs,
        states: &r.loaded.states,
        observed: &r.loaded.observed,
        overviews: &overviews,
        history: &BTreeMap::new(),
        held: &BTreeMap::new(),
        cycle: r.facts(),
        timing: Timing {
            interval_seconds: 30,
            heartbeat_refresh_seconds: 60,
        },
        now: NOW,
    })
}

fn world() -> Loaded {
    let spec = secret_spec();
    let pending = record(
        serde_json::json!({"job_id": "nightly", "job_type": "batch", "artifact_path": "b.jar",
                           "batch_config": {"cron": "0 2 * * *"}}),
        "b",
    );
    let mut state = JobState::new(
        "payments",
        fjc_spec::JobType::Stream,
        "default",
        NOW - 5_000,
    );
    state.lifecycle = CoreLifecycle::Running;
    state.flink_job_id = Some(jid('1'));
    state.deployed_fingerprint = Some(Fingerprint("0".repeat(64)));
    state.flink_state = Some("INITIALIZING".into());
    state.last_error = Some(LastError {
        message: "java.lang.RuntimeException: boom\n\tat Foo.bar(Foo.java:1)".into(),
        at: NOW - 4_000,
        retryable: true,
    });
    state.operation = Some(Operation::Deploy {
        fingerprint: spec.fingerprint.clone(),
        flink_job_id: jid('2'),
        replaces: Some(jid('1')),
        started_at: NOW - 3_000,
        upgrade: None,
        purpose: Default::default(),
    });
    let observed = Observation::from_jobs(vec![
        summary(jid('1'), "fjc:payments", FlinkJobState::Running),
        summary(jid('2'), "fjc:payments", FlinkJobState::Initializing),
        summary(jid('9'), "someone-elses-job", FlinkJobState::Running),
        summary(jid('8'), "old", FlinkJobState::Canceled),
    ]);
    Loaded {
        specs: BTreeMap::from([
            ("payments".to_string(), spec),
            ("nightly".to_string(), pending),
        ]),
        states: BTreeMap::from([("payments".to_string(), state)]),
        observed: BTreeMap::from([("default".to_string(), observed)]),
        run_requests: BTreeMap::new(),
        held: Default::default(),
        commands: BTreeMap::new(),
        cancel_orphans: false,
        ..Default::default()
    }
}

#[test]
fn snapshot_never_contains_env_var_values_or_args() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let json = serde_json::to_string(&s).expect("json");
    for secret in ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"] {
        assert!(!json.contains(secret), "{secret} leaked into {json}");
    }
    let spec = s.jobs[1]
        .detail
        .as_ref()
        .and_then(|d| d.spec.as_ref())
        .expect("summary");
    assert_eq!((spec.arg_count, spec.env_var_count), (2, 1));
}

#[test]
fn jobs_carry_state_drift_errors_and_operations() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let ids: Vec<&str> = s.jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["nightly", "payments"]);
    let nightly = &s.jobs[0];
    assert_eq!(nightly.lifecycle, Shown::Pending);
    assert_eq!(nightly.job_type, JobType::Batch);
    let detail = nightly.detail.as_ref().expect("detail");
    assert_eq!(
        detail.spec.as_ref().and_then(|s| s.cron.as_deref()),
        Some("0 2 * * *")
    );
    assert!(detail.runs.is_empty());
    // Never run yet: the next 02:00 UTC after NOW.
    assert_eq!(nightly.next_fire_at, Some(1_800_064_800_000));
    let p = &s.jobs[1];
    assert_eq!(p.namespace, "default");
    assert_eq!(p.lifecycle, Shown::Is(Lifecycle::Running));
    assert!(p.drift);
    // The observed Flink state wins over the recorded one, and says so.
    assert_eq!(p.flink_state.as_deref(), Some("RUNNING"));
    assert_eq!(p.flink_state_seen, Some(FlinkStateSeen::Observed));
    let e = p.last_error.as_ref().expect("error");
    assert_eq!(e.message, "java.lang.RuntimeException: boom");
    assert_eq!(
        p.operation.as_ref().map(|o| o.kind.as_str()),
        Some("deploy")
    );
    assert_eq!(s.controller.heartbeat_at, NOW - 1_000);
    assert_eq!(s.controller.cycle_duration_ms, 500);
}

#[test]
fn orphans_are_untracked_running_jobs_only() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let orphans: Vec<&str> = s.orphans.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(orphans, ["someone-elses-job"]);
}

#[test]
fn clusters_report_health_and_slots() {
    let s = snapshot_of(
        world(),
        BTreeMap::from([
            ("default".into(), Ok(4)),
            ("east".into(), Err("connection refused\nmore".into())),
        ]),
    );
    let d = &s.clusters[0];
    assert_eq!(d.health, ClusterHealth::Healthy);
    assert_eq!(d.slots.map(|s| (s.available, s.total)), Some((6, 8)));
    assert!(d.breaker.is_none());
    let e = &s.clusters[1];
    assert_eq!(e.health, ClusterHealth::Unreachable);
    assert_eq!(e.error.as_deref(), Some("connection refused"));
    assert!(e.slots.is_none());
}

#[test]
fn batch_jobs_carry_next_fire_and_recent_runs() {
    use crate::runs::{BatchState, Run, RunStatus, RunSummary, RunTrigger};
    let spec = record(
        serde_json::json!({"job_id": "nightly", "job_type": "batch", "artifact_path": "b.jar",
                           "batch_config": {"cron": "0 2 * * *", "timezone": "UTC"}}),
        "b",
    );
    let mut st = JobState::new("nightly", fjc_spec::JobType::Batch, "default", NOW);
    st.lifecycle = CoreLifecycle::Running;
    st.batch = Some(BatchState {
        last_scheduled_at: Some(NOW - 3_600_000),
        active: vec![Run {
            job_id: "nightly".into(),
            run_id: "0000000000002-schedule".into(),
            trigger: RunTrigger::Schedule,
            scheduled_at: NOW - 60_000,
            created_at: NOW - 60_000,
            started_at: Some(NOW - 59_000),
            ended_at: None,
            flink_job_id: jid('c'),
            fingerprint: Fingerprint("b".repeat(64)),
            status: RunStatus::Running,
            reason: None,
            jar: None,
        }],
        history: vec![RunSummary {
            run_id: "0000000000001-schedule".into(),
            started_at: Some(NOW - 90_000_000),
            flink_job_id: Some(jid('d')),
            status: RunStatus::TimedOut,
            ended_at: NOW - 86_400_000,
            reason: Some("ran longer than ttl_seconds (60)".into()),
            jar: None,
        }],
        ..BatchState::default()
    });
    let view = Loaded {
        specs: BTreeMap::from([("nightly".to_string(), spec)]),
        states: BTreeMap::from([("nightly".to_string(), st)]),
        observed: BTreeMap::from([(
            "default".to_string(),
            Observation::from_jobs(vec![summary(
                jid('c'),
                "fjc:nightly",
                FlinkJobState::Running,
            )]),
        )]),
        run_requests: BTreeMap::new(),
        held: Default::default(),
        commands: BTreeMap::new(),
        cancel_orphans: false,
        ..Default::default()
    };
    let s = snapshot_of(view, BTreeMap::from([("default".to_string(), Ok(1))]));
    let job = &s.jobs[0];
    // 02:00 UTC after NOW (2027-01-15T08:00:00Z) is 2027-01-16T02:00:00Z.
    assert_eq!(job.next_fire_at, Some(1_800_064_800_000));
    let job = job.detail.as_ref().expect("detail");
    assert_eq!(job.runs.len(), 2);
    assert_eq!(job.runs[0].run_id, "0000000000002-schedule");
    assert_eq!(job.runs[0].outcome, fjc_snapshot::RunOutcome::Running);
    assert_eq!(job.runs[1].outcome, fjc_snapshot::RunOutcome::TimedOut);
    assert_eq!(
        job.runs[1].error.as_deref(),
        Some("ran longer than ttl_seconds (60)")
    );
    assert_eq!(job.runs[1].flink_job_id.as_deref(), Some(&*"d".repeat(32)));
}
