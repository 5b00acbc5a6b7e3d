//! Health-gated rollouts: a new version becomes STABLE only when its gates held
//! for `stable_after`, and is rolled back, naming the gate, when they did not
//! hold within `readiness_timeout` on a fresh probe.

use fjc_flink::JobMetrics;

use super::*;
use crate::signals::{self, Probe};

fn gated(extra: serde_json::Value) -> SpecRecord {
    let mut json = serde_json::json!({
        "deployment": {"checkpoint_interval": "5s", "stable_after": "1m",
                       "readiness_timeout": "5m"}
    });
    if let (Some(base), Some(more)) = (json.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    crate::record::test_record("f2", json)
}

/// Revision 2 (revision 1 was stable), deployed `ago` ms before NOW and
/// running with all tasks since 10 s after that.
fn rollout(ago: i64) -> JobState {
    St::new("a", JobType::Stream)
        .deployed("f2", jid(1), Lifecycle::Running, "RUNNING")
        .with(|s| {
            s.revision = 2;
            s.stable_revision = Some(1);
            s.deployed_at = Some(NOW - ago);
            s.running_since = Some(NOW - ago + 10_000);
        })
        .0
}

fn probe(restarts: u64, completed: u64, backpressure: Option<f64>) -> Probe {
    Probe {
        flink_job_id: jid(1),
        at: NOW,
        metrics: JobMetrics {
            restarts: Some(restarts),
            checkpoints_completed: Some(completed),
            checkpoints_failed: Some(0),
            last_checkpoint_at: (completed > 0).then_some(NOW - 1_000),
        },
        backpressure,
    }
}

fn plan_with(spec: &SpecRecord, state: &JobState, probe: Option<Probe>) -> Plan {
    plan(input_of(spec, state, probe.as_ref()))
}

fn recorded(p: &Plan) -> Option<(Lifecycle, Option<signals::Health>)> {
    match p.actions.as_slice() {
        [
            Action::Record {
                lifecycle, health, ..
            },
        ] => Some((*lifecycle, health.as_deref().cloned())),
        _ => None,
    }
}

fn rollback_reason(p: &Plan) -> Option<&str> {
    match p.actions.as_slice() {
        [Action::Rollback { reason, manual, .. }] if !manual => Some(reason),
        _ => None,
    }
}

#[test]
fn a_healthy_rollout_is_promoted_once_its_gates_held_for_stable_after() {
    let spec = gated(serde_json::json!({}));
    // First probe, 2 minutes in: the first checkpoint is seen now, so the
    // gates hold since now: RUNNING, the signals kept.
    let mut state = rollout(120_000);
    let p = plan_with(&spec, &state, Some(probe(0, 3, None)));
    let Some((Lifecycle::Running, Some(health))) = recorded(&p) else {
        panic!("{p:?}");
    };
    assert_eq!(health.first_checkpoint_at, Some(NOW));
    // Still healthy 30 s later: nothing to write, not yet STABLE.
    state.health = Some(health.clone());
    let mut later = probe(0, 9, None);
    later.at = NOW + 30_000;
    let p = plan(PlanInput {
        now: NOW + 30_000,
        ..input_of(&spec, &state, Some(&later))
    });
    assert_eq!(p.actions, vec![], "{p:?}");
    // Another 31 s: the gates held for stable_after: STABLE.
    let mut last = probe(0, 15, None);
    last.at = NOW + 61_000;
    let p = plan(PlanInput {
        now: NOW + 61_000,
        ..input_of(&spec, &state, Some(&last))
    });
    assert_eq!(recorded(&p).map(|r| r.0), Some(Lifecycle::Stable), "{p:?}");
    // Without a probe that cycle the kept signals decide the same.
    let p = plan(PlanInput {
        now: NOW + 61_000,
        probes: &BTreeMap::new(),
        ..input_of(&spec, &state, Some(&last))
    });
    assert_eq!(recorded(&p).map(|r| r.0), Some(Lifecycle::Stable), "{p:?}");
}

/// A PlanInput over leaked maps, for struct-update syntax in the cases: job
/// `a` running with all tasks as Flink job 1, and this cycle's probe of it.
fn input_of<'a>(spec: &SpecRecord, state: &JobState, probe: Option<&Probe>) -> PlanInput<'a> {
    let specs = Box::leak(Box::new(BTreeMap::from([("a".to_string(), spec.clone())])));
    let states = Box::leak(Box::new(BTreeMap::from([("a".to_string(), state.clone())])));
    let clusters = Box::leak(Box::new(BTreeMap::from([(
        "default".to_string(),
        Observation::from_jobs(vec![job(jid(1), FlinkJobState::Running, 2, 2)]),
    )])));
    let probes: &BTreeMap<String, Probe> = Box::leak(Box::new(
        probe
            .map(|p| ("a".to_string(), p.clone()))
            .into_iter()
            .collect(),
    ));
    let empty_runs = Box::leak(Box::new(BTreeMap::new()));
    let empty_held = Box::leak(Box::new(BTreeMap::new()));
    let empty_commands = Box::leak(Box::new(BTreeMap::new()));
    PlanInput {
        specs,
        states,
        clusters,
        run_requests: empty_runs,
        held: empty_held,
        commands: empty_commands,
        cancel_orphans: false,
        probes,
        probing: true,
        now: NOW,
    }
}

#[test]
fn running_for_stable_after_is_not_enough_without_a_checkpoint() {
    let spec = gated(serde_json::json!({}));
    // 3 minutes in, no checkpoint ever completed: RUNNING, not STABLE.
    let p = plan_with(&spec, &rollout(180_000), Some(probe(0, 0, None)));
    assert_eq!(recorded(&p).map(|r| r.0), Some(Lifecycle::Running), "{p:?}");
}

#[test]
fn a_rollout_whose_gate_failed_past_readiness_timeout_is_rolled_back_naming_it() {
    let spec = gated(serde_json::json!({"deployment": {
        "checkpoint_interval": "5s", "readiness_timeout": "5m", "max_backpressure": 0.8
    }}));
    let late = rollout(301_000);
    let reason = |p: Option<Probe>| {
        let plan = plan_with(&spec, &late, p);
        rollback_reason(&plan).map(str::to_string)
    };
    let no_checkpoint = reason(Some(probe(0, 0, Some(0.1)))).unwrap_or_default();
    assert!(
        no_checkpoint.contains("no completed checkpoint in 5m"),
        "{no_checkpoint}"
    );
    assert!(
        no_checkpoint.contains("readiness_timeout (300s)"),
        "{no_checkpoint}"
    );
    let restarted = reason(Some(probe(3, 4, Some(0.1)))).unwrap_or_default();
    assert!(restarted.contains("restarted 3 times"), "{restarted}");
    let saturated = reason(Some(probe(0, 4, Some(0.97)))).unwrap_or_default();
    assert!(saturated.contains("backpressured 97%"), "{saturated}");
    // Healthy: no rollback (promoted later).
    assert_eq!(reason(Some(probe(0, 4, Some(0.1)))), None);
    // No probe this cycle: an old reading never rolls a version back.
    assert_eq!(reason(None), None);
    // Backpressure not measured yet: unknown, not a failure.
    assert_eq!(reason(Some(probe(0, 4, None))), None);
}

#[test]
fn a_first_version_failing_its_gates_keeps_running_unpromoted() {
    let spec = gated(serde_json::json!({}));
    let mut first = rollout(400_000);
    first.revision = 1;
    first.stable_revision = None;
    let p = plan_with(&spec, &first, Some(probe(0, 0, None)));
    assert_eq!(recorded(&p).map(|r| r.0), Some(Lifecycle::Running), "{p:?}");
}

#[test]
fn a_stable_job_at_rest_is_left_alone() {
    let spec = gated(serde_json::json!({}));
    let mut state = rollout(3_600_000);
    state.lifecycle = Lifecycle::Stable;
    state.stable_revision = Some(2);
    state.health = signals::fold(&spec, &state, &probe(0, 3, None));
    assert!(state.health.is_some());
    let mut again = probe(0, 700, None);
    again.at = NOW + 60_000;
    again.metrics.last_checkpoint_at = Some(NOW + 58_000);
    let p = plan(PlanInput {
        now: NOW + 60_000,
        ..input_of(&spec, &state, Some(&again))
    });
    assert_eq!(p.actions, vec![], "{p:?}");
    // A restart is recorded (and stays STABLE: gates decide a rollout only).
    let mut restarted = again.clone();
    restarted.metrics.restarts = Some(1);
    let p = plan(PlanInput {
        now: NOW + 60_000,
        ..input_of(&spec, &state, Some(&restarted))
    });
    assert_eq!(
        recorded(&p).map(|(l, h)| (l, h.map(|h| h.restarts))),
        Some((Lifecycle::Stable, Some(1)))
    );
}

#[test]
fn events_left_unsent_go_out_when_nothing_else_is_to_do() {
    let spec = gated(serde_json::json!({}));
    let mut state = rollout(3_600_000);
    state.lifecycle = Lifecycle::Stable;
    state.stable_revision = Some(2);
    state.lifecycle_told = Some(Lifecycle::Running);
    crate::events::stamp(&mut state, Some(&spec), "c", NOW);
    assert_eq!(state.outbox.len(), 1);
    let p = plan_with(&spec, &state, None);
    assert_eq!(p.actions, vec![Action::Announce { job_id: "a".into() }]);
    // With something to do, that is done (its end sends the outbox).
    state.flink_job_id = Some(jid(9));
    let p = plan_with(&spec, &state, None);
    assert!(
        matches!(p.actions.as_slice(), [Action::Deploy { .. }]),
        "{p:?}"
    );
}
