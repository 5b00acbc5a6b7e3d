//! Table-driven tests of the stream lifecycle: recovery budget and backoff,
//! readiness and stability, automatic rollback, suspend/resume, operator
//! commands, periodic savepoints and checkpoint recording.

use super::*;
use crate::revisions::{Command, Commands};
use crate::state::RollbackRecord;

fn with_spec(f: &str, extra: serde_json::Value) -> SpecRecord {
    crate::record::test_record(f, extra)
}

fn running(l: Lifecycle) -> St {
    St::new("a", Stream).deployed("f1", jid(1), l, "RUNNING")
}

fn case(
    name: &'static str,
    spec: SpecRecord,
    st: St,
    cluster: Vec<JobSummary>,
    expect: Vec<Action>,
) -> Case {
    Case {
        name,
        specs: vec![spec],
        states: vec![st],
        cluster: Some(cluster),
        expect,
        skipped: 0,
        commands: BTreeMap::new(),
    }
}

fn rollback(reason_auto: bool) -> Action {
    Action::Rollback {
        job_id: "a".into(),
        to: None,
        reason: String::new(),
        manual: !reason_auto,
    }
}

/// Reasons are free text: compare without them.
fn strip(actions: Vec<Action>) -> Vec<Action> {
    normalise(actions)
        .into_iter()
        .map(|a| match a {
            Action::Rollback {
                job_id, to, manual, ..
            } => Action::Rollback {
                job_id,
                to,
                reason: String::new(),
                manual,
            },
            other => other,
        })
        .collect()
}

/// Runs revision 1 after rolling back from 2, whose spec was `f2`.
fn rolled_back() -> St {
    running(L::RolledBack).with(|s| {
        s.rollback = Some(RollbackRecord {
            from_revision: 2,
            to_revision: 1,
            rejected: fp("f2"),
            reason: "failed".into(),
            at: NOW - 10,
        });
    })
}

/// The record of a FAILED job with a note (and Flink's cause when `cause`).
fn failed_record(flink_state: &str, cause: bool) -> Action {
    Action::Record {
        job_id: "a".into(),
        lifecycle: L::Failed,
        flink_state: flink_state.into(),
        fetch_cause: cause,
        note: Some(String::new()),
        running: false,
        restarted_by_flink_at: None,
        flink_started_at: None,
        health: None,
    }
}

/// Revision 2 failed, and the rollback to revision 1 could not start: FAILED
/// with the rollback recorded and its error (retryable or not, and when).
fn failed_rollback(retryable: bool, next: Option<i64>) -> St {
    running(L::Failed).with(|s| {
        s.revision = 2;
        s.stable_revision = Some(1);
        s.running_since = None;
        s.deployed_at = Some(NOW - 400_000);
        s.rollback = Some(RollbackRecord {
            from_revision: 2,
            to_revision: 1,
            rejected: fp("f1"),
            reason: "failed".into(),
            at: NOW - 60_000,
        });
        s.set_error(
            "revision 1 artifact: digest mismatch",
            NOW - 60_000,
            retryable,
        );
        s.failed_attempts = 1;
        s.next_attempt_at = next;
    })
}

fn lifecycle_cases() -> Vec<Case> {
    let s = || spec("a", Stream, "f1");
    let up = || vec![job(jid(1), F::Running, 2, 2)];
    let failed = || vec![job(jid(1), F::Failed, 0, 2)];
    let starting = || vec![job(jid(1), F::Running, 1, 2)];
    let new_version = |l: Lifecycle| {
        running(l).with(|s| {
            s.revision = 2;
            s.stable_revision = Some(1);
            s.running_since = None;
            s.deployed_at = Some(NOW - 400_000);
        })
    };
    let mut with_commands = case(
        "fjc restart is carried out once",
        s(),
        running(L::Failed),
        failed(),
        vec![deploy("a", None, DeployReason::Restart)],
    );
    let mut c = Commands::default();
    c.set(Command::Restart(Default::default()), NOW - 5);
    with_commands.commands.insert("a".into(), c.clone());
    let mut handled = case(
        "a handled fjc restart is not repeated",
        s(),
        running(L::Failed).with(|s| {
            s.handled.insert("restart".into(), NOW - 5);
        }),
        failed(),
        vec![],
    );
    handled.commands.insert("a".into(), c);
    let mut savepoint_cmd = case(
        "fjc savepoint takes a savepoint",
        s(),
        running(L::Running),
        up(),
        vec![Action::Savepoint {
            job_id: "a".into(),
            manual: true,
        }],
    );
    let mut c = Commands::default();
    c.set(Command::Savepoint, NOW - 5);
    savepoint_cmd.commands.insert("a".into(), c);
    let mut rollback_cmd = case(
        "fjc rollback --to 1",
        s(),
        running(L::Running),
        up(),
        vec![Action::Rollback {
            job_id: "a".into(),
            to: Some(1),
            reason: String::new(),
            manual: true,
        }],
    );
    let mut c = Commands::default();
    c.set(Command::Rollback(Some(1)), NOW - 5);
    rollback_cmd.commands.insert("a".into(), c);
    let mut waiting = case(
        "a second recovery waits for its backoff",
        s(),
        running(L::Running).with(|s| s.recoveries = vec![NOW - 1_000]),
        failed(),
        vec![],
    );
    waiting.skipped = 1;
    let mut rollback_backoff = case(
        "a rollback that failed retryably waits for its backoff",
        s(),
        failed_rollback(true, Some(NOW + 30_000)),
        failed(),
        vec![],
    );
    rollback_backoff.skipped = 1;
    vec![
        case(
            "failed job within budget is recovered",
            s(),
            running(L::Running).with(|s| s.recoveries = vec![NOW - 3_600_001]),
            failed(),
            vec![deploy("a", None, DeployReason::Recover)],
        ),
        waiting,
        case(
            "a recovery after its backoff",
            s(),
            running(L::Running).with(|s| s.recoveries = vec![NOW - 10_000]),
            failed(),
            vec![deploy("a", None, DeployReason::Recover)],
        ),
        case(
            "budget exhausted: FAILED with cause and reason",
            s(),
            running(L::Running).with(|s| s.recoveries = vec![NOW - 3, NOW - 2, NOW - 1]),
            failed(),
            vec![failed_record("FAILED", true)],
        ),
        case(
            "FAILED past the budget stays down",
            s(),
            running(L::Failed),
            failed(),
            vec![],
        ),
        case(
            "recovery_attempts 0: never recovered",
            with_spec(
                "f1",
                serde_json::json!({"deployment": {"recovery_attempts": 0}}),
            ),
            running(L::Running),
            vec![],
            vec![failed_record("MISSING", false)],
        ),
        case(
            "running past stable_after becomes STABLE",
            s(),
            running(L::Running).with(|s| s.running_since = Some(NOW - 60_000)),
            up(),
            vec![record("a", L::Stable, "RUNNING", false, false)],
        ),
        case(
            "a new version that fails before it is stable is rolled back",
            s(),
            new_version(L::Running),
            failed(),
            vec![rollback(true)],
        ),
        rollback_backoff,
        case(
            "a rollback that failed retryably is tried again after its backoff",
            s(),
            failed_rollback(true, Some(NOW - 1)),
            failed(),
            vec![rollback(true)],
        ),
        case(
            "a rollback that failed for good is not tried again",
            s(),
            failed_rollback(false, None),
            failed(),
            vec![],
        ),
        case(
            "a rollback that failed for good is not tried again past readiness_timeout",
            s(),
            failed_rollback(false, None),
            starting(),
            vec![],
        ),
        case(
            "auto_rollback false: recovered instead",
            with_spec(
                "f1",
                serde_json::json!({"deployment": {"auto_rollback": false}}),
            ),
            new_version(L::Running),
            failed(),
            vec![deploy("a", None, DeployReason::Recover)],
        ),
        case(
            "a new version not ready within readiness_timeout is rolled back",
            s(),
            new_version(L::Deploying),
            starting(),
            vec![rollback(true)],
        ),
        case(
            "not ready, nothing to roll back to: FAILED with the reason",
            s(),
            new_version(L::Deploying).with(|s| s.stable_revision = None),
            starting(),
            vec![failed_record("RUNNING", false)],
        ),
        case(
            "a stable version that fails is recovered, not rolled back",
            s(),
            running(L::Stable).with(|s| {
                s.revision = 2;
                s.stable_revision = Some(2);
            }),
            failed(),
            vec![deploy("a", None, DeployReason::Recover)],
        ),
        case(
            "rolled back: the rejected spec is not deployed again",
            spec("a", Stream, "f2"),
            rolled_back(),
            up(),
            vec![],
        ),
        case(
            "rolled back, then the spec changes: deployed",
            spec("a", Stream, "f3"),
            rolled_back(),
            up(),
            vec![deploy("a", Some(jid(1)), DeployReason::Changed)],
        ),
        case(
            "desired_state suspended stops the running job",
            with_spec("f1", serde_json::json!({"desired_state": "suspended"})),
            running(L::Running),
            up(),
            vec![Action::Suspend {
                job_id: "a".into(),
                flink_job_id: jid(1),
            }],
        ),
        case(
            "suspended and desired suspended: nothing",
            with_spec("f1", serde_json::json!({"desired_state": "suspended"})),
            running(L::Suspended),
            vec![job(jid(1), F::Finished, 0, 2)],
            vec![],
        ),
        case(
            "desired running again: resumed",
            s(),
            running(L::Suspended),
            vec![job(jid(1), F::Finished, 0, 2)],
            vec![deploy("a", None, DeployReason::Resume)],
        ),
        case(
            "periodic savepoint when due",
            with_spec(
                "f1",
                serde_json::json!({"stream_config": {"savepoint_trigger_interval": "1s"}}),
            ),
            running(L::Running),
            up(),
            vec![Action::Savepoint {
                job_id: "a".into(),
                manual: false,
            }],
        ),
        with_commands,
        handled,
        savepoint_cmd,
        rollback_cmd,
    ]
}

/// A JobManager failover under high availability: the same Flink job id is listed
/// again with a later start time. Adopted and recorded as a recovery once; nothing
/// submitted or cancelled.
#[test]
fn a_job_flink_started_again_by_itself_is_adopted_and_recorded_once() {
    let s = || spec("a", Stream, "f1");
    let deployed = || {
        running(L::Stable).with(|s| {
            s.deployed_at = Some(NOW - 600_000);
        })
    };
    let restarted = |state: F, running: u32| {
        let mut j = job(jid(1), state, running, 2);
        j.start_time_ms = NOW - 30_000;
        vec![j]
    };
    let recorded = |l: Lifecycle, flink: &str, at: Option<i64>| Action::Record {
        job_id: "a".into(),
        lifecycle: l,
        flink_state: flink.into(),
        fetch_cause: false,
        note: None,
        running: flink == "RUNNING",
        restarted_by_flink_at: at,
        flink_started_at: None,
        health: None,
    };
    let mut near = job(jid(1), F::Running, 2, 2);
    // Started within the margin after the submission: that start was ours.
    near.start_time_ms = NOW - 600_000 + 5_000;
    check(
        vec![
            case(
                "restored by Flink, still initializing: recorded with its start time",
                s(),
                deployed(),
                restarted(F::Initializing, 0),
                vec![recorded(L::Running, "INITIALIZING", Some(NOW - 30_000))],
            ),
            case(
                "already recorded: the job runs on, nothing to do",
                s(),
                deployed().with(|s| s.recoveries.push(NOW - 30_000)),
                restarted(F::Running, 2),
                vec![],
            ),
            case(
                "the controller's own start is not a recovery",
                s(),
                deployed(),
                vec![near],
                vec![],
            ),
            case(
                "with the start time recorded, a later one is a restart however soon",
                s(),
                deployed().with(|s| s.flink_started_at = Some(NOW - 590_000)),
                restarted(F::Running, 2),
                vec![recorded(L::Stable, "RUNNING", Some(NOW - 30_000))],
            ),
            case(
                "the recorded start time itself is not a restart",
                s(),
                deployed().with(|s| s.flink_started_at = Some(NOW - 30_000)),
                restarted(F::Running, 2),
                vec![],
            ),
        ],
        strip,
    );
    // The record carries the observed start time, to be kept.
    let actions = run(&case(
        "the record keeps the start time",
        s(),
        deployed(),
        restarted(F::Initializing, 0),
        vec![],
    ))
    .actions;
    assert!(
        matches!(
            actions.as_slice(),
            [Action::Record { flink_started_at: Some(t), .. }] if *t == NOW - 30_000
        ),
        "{actions:?}"
    );
}

#[test]
fn lifecycle_table() {
    check(lifecycle_cases(), strip);
}

/// Restore points are found in storage when needed: a running, checkpointing job
/// at rest costs no Flink call beyond the overview and no state write.
#[test]
fn a_checkpointing_job_at_rest_needs_nothing() {
    let specs = |extra| BTreeMap::from([("a".to_string(), with_spec("f1", extra))]);
    let states = BTreeMap::from([("a".to_string(), running(L::Stable).0)]);
    let clusters = BTreeMap::from([(
        "default".to_string(),
        Observation::from_jobs(vec![job(jid(1), F::Running, 2, 2)]),
    )]);
    let checkpointing = specs(serde_json::json!({"deployment": {"checkpoint_interval": "1s"}}));
    let actions = plan(PlanInput {
        specs: &checkpointing,
        states: &states,
        clusters: &clusters,
        run_requests: &BTreeMap::new(),
        held: &BTreeMap::new(),
        commands: &BTreeMap::new(),
        cancel_orphans: false,
        probes: &BTreeMap::new(),
        probing: false,
        now: NOW + 86_400_000,
    })
    .actions;
    assert!(actions.is_empty(), "{actions:?}");
}

#[test]
fn cancel_own_orphans_only_when_asked_and_never_foreign_or_known_jobs() {
    let specs = BTreeMap::from([("a".to_string(), spec("a", Stream, "f1"))]);
    let mut st = running(L::Running).0;
    st.operation = Some(crate::state::Operation::Savepoint {
        flink_job_id: jid(1),
        trigger_id: "0".repeat(32),
        started_at: NOW,
        manual: false,
        retention: None,
    });
    let states = BTreeMap::from([("a".to_string(), st)]);
    let mut leftover = job(jid(7), F::Running, 1, 1);
    leftover.name = "fjc:gone".into();
    let mut foreign = job(jid(8), F::Running, 1, 1);
    foreign.name = "someone-else".into();
    let mut ended = job(jid(9), F::Canceled, 0, 1);
    ended.name = "fjc:old".into();
    let clusters = BTreeMap::from([(
        "default".to_string(),
        Observation::from_jobs(vec![
            job(jid(1), F::Running, 2, 2),
            leftover,
            foreign,
            ended,
        ]),
    )]);
    let plan_with = |cancel_orphans| {
        plan(PlanInput {
            specs: &specs,
            states: &states,
            clusters: &clusters,
            run_requests: &BTreeMap::new(),
            held: &BTreeMap::new(),
            commands: &BTreeMap::new(),
            cancel_orphans,
            probes: &BTreeMap::new(),
            probing: false,
            now: NOW,
        })
        .actions
    };
    let cancels: Vec<Action> = plan_with(true)
        .into_iter()
        .filter(|a| matches!(a, Action::CancelOrphan { .. }))
        .collect();
    assert_eq!(
        cancels,
        vec![Action::CancelOrphan {
            job_id: "fjc:gone".into(),
            cluster: "default".into(),
            flink_job_id: jid(7),
        }]
    );
    assert!(
        plan_with(false)
            .iter()
            .all(|a| !matches!(a, Action::CancelOrphan { .. }))
    );
}
