//! Table-driven tests of the planner: each case is (specs, states, cluster) → actions.

use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_spec::{Fingerprint, JobSpec, JobType};

use super::*;
use crate::record::SpecRecord;
use crate::state::{JobState, LastError, Lifecycle, Operation};

const NOW: i64 = 1_700_000_000_000;

fn jid(n: u8) -> JobId {
    JobId::parse(&format!("{n:032x}")).unwrap()
}

fn fp(s: &str) -> Fingerprint {
    Fingerprint(s.to_string())
}

fn spec(id: &str, ty: JobType, f: &str) -> SpecRecord {
    let json = serde_json::json!({
        "job_id": id, "job_type": ty.as_str(), "artifact_path": "x.jar"
    });
    let spec: JobSpec = serde_json::from_value(json).unwrap();
    SpecRecord {
        spec,
        fingerprint: fp(f),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: Default::default(),
        updated_at: 0,
        version: 1,
    }
}

/// Builder for stored states.
struct St(JobState);

impl St {
    fn new(id: &str, ty: JobType) -> St {
        St(JobState::new(id, ty, "default", 0))
    }
    fn deployed(mut self, f: &str, job: JobId, l: Lifecycle, flink: &str) -> St {
        self.0.deployed_fingerprint = Some(fp(f));
        self.0.attempted_fingerprint = Some(fp(f));
        self.0.flink_job_id = Some(job);
        self.0.lifecycle = l;
        self.0.flink_state = Some(flink.into());
        if matches!(
            l,
            Lifecycle::Running | Lifecycle::Stable | Lifecycle::RolledBack
        ) {
            self.0.running_since = Some(NOW - 1000);
        }
        self
    }
    fn with(mut self, f: impl FnOnce(&mut JobState)) -> St {
        f(&mut self.0);
        self
    }
    fn failed_attempt(mut self, f: &str, retryable: bool, next: Option<i64>) -> St {
        self.0.attempted_fingerprint = Some(fp(f));
        self.0.lifecycle = Lifecycle::Failed;
        self.0.next_attempt_at = next;
        self.0.last_error = Some(LastError {
            message: "boom".into(),
            at: 0,
            retryable,
        });
        self
    }
    fn op(mut self, op: Operation) -> St {
        self.0.operation = Some(op);
        self
    }
}

fn job(id: JobId, state: FlinkJobState, running: u32, total: u32) -> JobSummary {
    JobSummary {
        id,
        name: "fjc:x".into(),
        state,
        start_time_ms: 0,
        end_time_ms: -1,
        tasks_total: total,
        tasks_running: running,
        tasks_finished: 0,
        adaptive: false,
    }
}

struct Case {
    name: &'static str,
    specs: Vec<SpecRecord>,
    states: Vec<St>,
    cluster: Option<Vec<JobSummary>>,
    expect: Vec<Action>,
    skipped: usize,
    commands: BTreeMap<String, crate::revisions::Commands>,
}

fn run(c: &Case) -> Plan {
    let specs: BTreeMap<_, _> = c
        .specs
        .iter()
        .map(|s| (s.spec.job_id.clone(), s.clone()))
        .collect();
    let states: BTreeMap<_, _> = c
        .states
        .iter()
        .map(|s| (s.0.job_id.clone(), s.0.clone()))
        .collect();
    let obs = match &c.cluster {
        Some(jobs) => Observation::from_jobs(jobs.clone()),
        None => Observation::Unreachable("connection refused".into()),
    };
    let clusters = BTreeMap::from([("default".to_string(), obs)]);
    plan(PlanInput {
        specs: &specs,
        states: &states,
        clusters: &clusters,
        run_requests: &BTreeMap::new(),
        held: &BTreeMap::new(),
        commands: &c.commands,
        cancel_orphans: false,
        probes: &BTreeMap::new(),
        probing: false,
        now: NOW,
    })
}

fn deploy(id: &str, replaces: Option<JobId>, reason: DeployReason) -> Action {
    Action::Deploy {
        job_id: id.into(),
        replaces,
        reason,
    }
}

fn record(id: &str, l: Lifecycle, flink: &str, cause: bool, note: bool) -> Action {
    Action::Record {
        job_id: id.into(),
        lifecycle: l,
        flink_state: flink.into(),
        fetch_cause: cause,
        note: note.then(String::new),
        running: flink == "RUNNING",
        restarted_by_flink_at: None,
        flink_started_at: None,
        health: None,
    }
}

use FlinkJobState as F;
use JobType::Stream;
use Lifecycle as L;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "new spec is deployed",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![],
            cluster: Some(vec![]),
            expect: vec![deploy("a", None, DeployReason::New)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "running and unchanged: nothing",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Running, 2, 2)]),
            expect: vec![],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "changed spec replaces the live job",
            specs: vec![spec("a", Stream, "f2")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Running, 2, 2)]),
            expect: vec![deploy("a", Some(jid(1)), DeployReason::Changed)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "changed spec of a failed job: nothing to cancel",
            specs: vec![spec("a", Stream, "f2")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Failed, "FAILED")],
            cluster: Some(vec![job(jid(1), F::Failed, 0, 2)]),
            expect: vec![deploy("a", None, DeployReason::Changed)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "deleted spec cancels the job",
            specs: vec![],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Running, 2, 2)]),
            expect: vec![Action::Delete {
                job_id: "a".into(),
                flink_job_ids: vec![jid(1)],
            }],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "deleted spec mid-deploy cancels the submitted job",
            specs: vec![],
            states: vec![St::new("a", Stream).op(Operation::Deploy {
                fingerprint: fp("f1"),
                flink_job_id: jid(2),
                replaces: None,
                started_at: 0,
                upgrade: None,
                purpose: Default::default(),
            })],
            cluster: Some(vec![job(jid(2), F::Running, 1, 1)]),
            expect: vec![Action::Delete {
                job_id: "a".into(),
                flink_job_ids: vec![jid(2)],
            }],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "operation in flight is resumed",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).op(Operation::Deploy {
                fingerprint: fp("f1"),
                flink_job_id: jid(2),
                replaces: None,
                started_at: 0,
                upgrade: None,
                purpose: Default::default(),
            })],
            cluster: Some(vec![]),
            expect: vec![Action::ContinueOperation { job_id: "a".into() }],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "delete in flight is resumed",
            specs: vec![],
            states: vec![St::new("a", Stream).op(Operation::Delete {
                flink_job_ids: vec![jid(1)],
                started_at: 0,
            })],
            cluster: Some(vec![]),
            expect: vec![Action::ContinueOperation { job_id: "a".into() }],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "deploying job now running is recorded",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Deploying, "INITIALIZING")],
            cluster: Some(vec![job(jid(1), F::Running, 2, 2)]),
            expect: vec![record("a", L::Running, "RUNNING", false, false)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "running with tasks still starting stays deploying",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Deploying, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Running, 1, 2)]),
            expect: vec![],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "failed job is recovered",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Failed, 0, 2)]),
            expect: vec![deploy("a", None, DeployReason::Recover)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "running stream job vanished: deployed again",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![]),
            expect: vec![deploy("a", None, DeployReason::Recover)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "non-retryable failure waits for a spec change",
            specs: vec![spec("a", Stream, "f2")],
            states: vec![St::new("a", Stream).failed_attempt("f2", false, None)],
            cluster: Some(vec![]),
            expect: vec![],
            skipped: 1,
            commands: BTreeMap::new(),
        },
        Case {
            name: "retryable failure waits for its time",
            specs: vec![spec("a", Stream, "f2")],
            states: vec![St::new("a", Stream).failed_attempt("f2", true, Some(NOW + 1))],
            cluster: Some(vec![]),
            expect: vec![],
            skipped: 1,
            commands: BTreeMap::new(),
        },
        Case {
            name: "retryable failure is retried when due",
            specs: vec![spec("a", Stream, "f2")],
            states: vec![St::new("a", Stream).failed_attempt("f2", true, Some(NOW))],
            cluster: Some(vec![]),
            expect: vec![deploy("a", None, DeployReason::Retry)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "failed attempt of an older spec: new spec deployed",
            specs: vec![spec("a", Stream, "f3")],
            states: vec![St::new("a", Stream).failed_attempt("f2", false, None)],
            cluster: Some(vec![]),
            expect: vec![deploy("a", None, DeployReason::New)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
        Case {
            name: "unreachable cluster: no action, job skipped with reason",
            specs: vec![spec("a", Stream, "f2"), spec("c", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: None,
            expect: vec![],
            skipped: 2,
            commands: BTreeMap::new(),
        },
        Case {
            name: "cancelled outside the controller is recorded",
            specs: vec![spec("a", Stream, "f1")],
            states: vec![St::new("a", Stream).deployed("f1", jid(1), L::Running, "RUNNING")],
            cluster: Some(vec![job(jid(1), F::Canceled, 0, 2)]),
            expect: vec![record("a", L::Failed, "CANCELED", false, true)],
            skipped: 0,
            commands: BTreeMap::new(),
        },
    ]
}

/// Notes are free text: compare only whether one is present. The observed start
/// time is compared where it matters (the failover tests).
fn normalise(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .map(|a| match a {
            Action::Record {
                job_id,
                lifecycle,
                flink_state,
                fetch_cause,
                note,
                running,
                restarted_by_flink_at,
                ..
            } => Action::Record {
                job_id,
                lifecycle,
                flink_state,
                fetch_cause,
                note: note.map(|_| String::new()),
                running,
                restarted_by_flink_at,
                flink_started_at: None,
                health: None,
            },
            other => other,
        })
        .collect()
}

/// Plans every case and compares its actions (after `norm`) and skip count.
fn check(cases: Vec<Case>, norm: fn(Vec<Action>) -> Vec<Action>) {
    for c in cases {
        let p = run(&c);
        assert_eq!(norm(p.actions), c.expect, "case: {}", c.name);
        assert_eq!(
            p.skipped.len(),
            c.skipped,
            "case: {} skipped {:?}",
            c.name,
            p.skipped
        );
    }
}

#[test]
fn table() {
    check(cases(), normalise);
}

#[test]
fn plan_is_deterministic() {
    for c in cases() {
        assert_eq!(run(&c), run(&c), "case: {}", c.name);
    }
}

#[test]
fn unconfigured_cluster_is_skipped_with_reason() {
    let mut s = spec("a", Stream, "f1");
    s.spec.cluster = "other".into();
    let specs = BTreeMap::from([("a".to_string(), s)]);
    let states = BTreeMap::new();
    let clusters = BTreeMap::new();
    let p = plan(PlanInput {
        specs: &specs,
        states: &states,
        clusters: &clusters,
        run_requests: &BTreeMap::new(),
        held: &BTreeMap::new(),
        commands: &BTreeMap::new(),
        cancel_orphans: false,
        probes: &BTreeMap::new(),
        probing: false,
        now: NOW,
    });
    assert!(p.actions.is_empty());
    assert!(p.skipped[0].reason.contains("not configured"));
}

/// A deployed stream job whose stored class fingerprints are those of `deployed`.
fn with_classes(st: St, deployed: &SpecRecord) -> St {
    let mut st = st;
    st.0.deployed_classes = Some(fjc_spec::class_fingerprints(
        &deployed.spec,
        &deployed.artifact_digest,
    ));
    st
}

#[test]
fn change_classes_decide_between_adopt_and_redeploy() {
    let deployed = spec("a", JobType::Stream, "f1");
    let running =
        || St::new("a", JobType::Stream).deployed("f1", jid(1), Lifecycle::Running, "RUNNING");
    let cluster = Some(vec![job(jid(1), FlinkJobState::Running, 1, 1)]);
    let plan_for = |new: SpecRecord, st: St| {
        run(&Case {
            name: "classes",
            specs: vec![new],
            states: vec![st],
            cluster: cluster.clone(),
            expect: vec![],
            skipped: 0,
            commands: BTreeMap::new(),
        })
    };
    // Monitoring only: adopt, no restart.
    let mut monitoring = deployed.clone();
    monitoring.fingerprint = fp("f2");
    monitoring.spec.monitoring.alert_on_backpressure = true;
    monitoring.spec.deployment.upgrade_mode = Some(fjc_spec::UpgradeMode::Stateless);
    let p = plan_for(monitoring.clone(), with_classes(running(), &deployed));
    assert_eq!(p.actions, vec![Action::Adopt { job_id: "a".into() }]);
    // Parallelism (scale) and args (upgrade): a redeploy replacing the running job.
    for change in [
        |s: &mut SpecRecord| s.spec.deployment.parallelism = 2,
        |s: &mut SpecRecord| s.spec.args.push("--x".into()),
    ] {
        let mut new = deployed.clone();
        new.fingerprint = fp("f3");
        change(&mut new);
        let p = plan_for(new, with_classes(running(), &deployed));
        assert_eq!(
            p.actions,
            vec![deploy("a", Some(jid(1)), DeployReason::Changed)]
        );
    }
    // Without stored classes (deployed before they existed): redeploy, never guess.
    let p = plan_for(monitoring, running());
    assert_eq!(
        p.actions,
        vec![deploy("a", Some(jid(1)), DeployReason::Changed)]
    );
}

#[test]
fn an_abandoned_upgrade_waits_for_its_retry_time() {
    let mut new = spec("a", JobType::Stream, "f2");
    new.spec.args.push("--v2".into());
    let mut st =
        St::new("a", JobType::Stream).deployed("f1", jid(1), Lifecycle::Running, "RUNNING");
    st.0.attempted_fingerprint = Some(fp("f2"));
    st.0.next_attempt_at = Some(NOW + 60_000);
    st.0.last_error = Some(LastError {
        message: "upgrade not done, savepoint failed".into(),
        at: 0,
        retryable: true,
    });
    let cluster = Some(vec![job(jid(1), FlinkJobState::Running, 1, 1)]);
    let case = |st: St| Case {
        name: "abandoned",
        specs: vec![new.clone()],
        states: vec![st],
        cluster: cluster.clone(),
        expect: vec![],
        skipped: 0,
        commands: BTreeMap::new(),
    };
    let p = run(&case(St(st.0.clone())));
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert!(
        p.skipped[0]
            .reason
            .starts_with("retrying failed deployment at"),
        "{:?}",
        p.skipped
    );
    st.0.next_attempt_at = Some(NOW - 1);
    let p = run(&case(st));
    assert_eq!(
        p.actions,
        vec![deploy("a", Some(jid(1)), DeployReason::Retry)]
    );
}

mod gates;
mod lifecycle;
mod rescale;
