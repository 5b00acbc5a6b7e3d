//! Which jobs a budget probes, what a probe changes in the kept signals, and
//! where a version stands with its gates.

use fjc_flink::{JobId, JobMetrics};
use fjc_spec::JobType;

use super::*;

const NOW: EpochMs = 1_700_000_000_000;

fn jid(n: u8) -> JobId {
    JobId::parse(&format!("{n:032x}")).unwrap()
}

fn spec(extra: serde_json::Value) -> SpecRecord {
    crate::record::test_record("f", extra)
}

fn checkpointing() -> SpecRecord {
    spec(serde_json::json!({"deployment": {"checkpoint_interval": "5s"}}))
}

/// Revision 2 deployed 2 minutes ago, running with all tasks for 100 s.
fn rolling_out() -> JobState {
    let mut s = JobState::new("a", JobType::Stream, "default", 0);
    s.flink_job_id = Some(jid(1));
    s.lifecycle = Lifecycle::Running;
    s.deployed_at = Some(NOW - 120_000);
    s.running_since = Some(NOW - 100_000);
    s.revision = 2;
    s.stable_revision = Some(1);
    s
}

fn probe(metrics: JobMetrics, backpressure: Option<f64>) -> Probe {
    Probe {
        flink_job_id: jid(1),
        at: NOW,
        metrics,
        backpressure,
    }
}

fn metrics(restarts: u64, completed: u64, failed: u64, last: Option<EpochMs>) -> JobMetrics {
    JobMetrics {
        restarts: Some(restarts),
        checkpoints_completed: Some(completed),
        checkpoints_failed: Some(failed),
        last_checkpoint_at: last,
    }
}

fn candidate(id: &str, calls: u32, urgent: bool) -> Candidate {
    Candidate {
        job_id: id.into(),
        calls,
        urgent,
    }
}

#[test]
fn the_budget_goes_to_rollouts_first_then_the_rest_in_turn() {
    let all = || {
        vec![
            candidate("e", 1, false),
            candidate("d", 1, false),
            candidate("r", 2, true),
            candidate("c", 1, false),
            candidate("b", 1, false),
        ]
    };
    // Rollout first (2 calls), then 2 of the 4 others.
    assert_eq!(select(all(), 4, 0), vec!["r", "b", "c"]);
    // The next turn starts where this one stopped.
    assert_eq!(select(all(), 4, 1), vec!["r", "d", "e"]);
    let mut seen = std::collections::BTreeSet::new();
    for turn in 0..4 {
        seen.extend(select(all(), 4, turn));
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    // A job whose probe does not fit is skipped for one that does.
    assert_eq!(select(all(), 1, 0), vec!["b"]);
    assert!(select(all(), 0, 7).is_empty());
    // Never more calls than the budget, whatever the turn.
    for turn in 0..20 {
        for budget in 0..8 {
            let calls: u32 = select(all(), budget, turn)
                .iter()
                .map(|id| if id == "r" { 2 } else { 1 })
                .sum();
            assert!(calls <= budget, "turn {turn} budget {budget}: {calls}");
        }
    }
}

#[test]
fn turns_cover_every_job_when_each_costs_one_call() {
    let jobs: Vec<Candidate> = (0..50)
        .map(|i| candidate(&format!("j{i:02}"), 1, false))
        .collect();
    let mut probed = std::collections::BTreeMap::<String, u32>::new();
    for turn in 0..10 {
        for id in select(jobs.clone(), 5, turn) {
            *probed.entry(id).or_default() += 1;
        }
    }
    // 10 turns of 5: each of the 50 once.
    assert_eq!(probed.len(), 50);
    assert!(probed.values().all(|n| *n == 1), "{probed:?}");
}

#[test]
fn which_jobs_want_a_probe_and_what_it_costs() {
    let state = rolling_out();
    assert_eq!(
        super::candidate(&spec(serde_json::json!({})), &state),
        Some(candidate("a", 1, true)),
        "a rollout is probed (restarts decide there)"
    );
    let mut stable = rolling_out();
    stable.lifecycle = Lifecycle::Stable;
    assert_eq!(
        super::candidate(&spec(serde_json::json!({})), &stable),
        None
    );
    // The metrics (restarts) and the checkpoint statistics.
    assert_eq!(
        super::candidate(&checkpointing(), &stable),
        Some(candidate("a", 2, false))
    );
    let watched = spec(serde_json::json!({"monitoring": {"alert_on_backpressure": true}}));
    assert_eq!(
        super::candidate(&watched, &stable),
        Some(candidate("a", 2, false))
    );
    let both = spec(serde_json::json!({
        "monitoring": {"alert_on_backpressure": true},
        "deployment": {"checkpoint_interval": "5s"}
    }));
    assert_eq!(
        super::candidate(&both, &stable),
        Some(candidate("a", 3, false))
    );
    let mut down = stable.clone();
    down.running_since = None;
    assert_eq!(super::candidate(&checkpointing(), &down), None);
    let batch = spec(serde_json::json!({"job_type": "batch"}));
    assert_eq!(super::candidate(&batch, &stable), None);
}

#[test]
fn the_first_probe_is_kept_and_a_healthy_one_after_it_writes_nothing() {
    let spec = checkpointing();
    let mut state = rolling_out();
    let first = fold(
        &spec,
        &state,
        &probe(metrics(0, 3, 1, Some(NOW - 2_000)), None),
    );
    let Some(first) = first else {
        panic!("the first probe of a job is kept");
    };
    assert_eq!(first.first_checkpoint_at, Some(NOW));
    assert_eq!((first.restarts, first.checkpoints_failed), (0, 1));
    assert_eq!(first.checkpoints_failed_new, 1);
    assert!(!first.checkpoints_overdue);
    state.health = Some(first);
    // More checkpoints, nothing else: nothing to write.
    let mut later = probe(metrics(0, 9, 1, Some(NOW + 28_000)), None);
    later.at = NOW + 30_000;
    assert_eq!(fold(&spec, &state, &later), None);
    // A probe of another Flink job (an old answer) changes nothing.
    let mut other = probe(metrics(3, 0, 0, None), None);
    other.flink_job_id = jid(2);
    assert_eq!(fold(&spec, &state, &other), None);
}

#[test]
fn changes_worth_writing() {
    let spec = spec(serde_json::json!({
        "deployment": {"checkpoint_interval": "5s", "max_backpressure": 0.8}
    }));
    let mut state = rolling_out();
    state.health = fold(
        &spec,
        &state,
        &probe(metrics(0, 3, 0, Some(NOW)), Some(0.1)),
    );
    let at = |ms: EpochMs, m: JobMetrics, bp: Option<f64>| {
        let mut p = probe(m, bp);
        p.at = NOW + ms;
        p
    };
    // A restart.
    let h = fold(
        &spec,
        &state,
        &at(1_000, metrics(1, 3, 0, Some(NOW)), Some(0.1)),
    );
    assert_eq!(h.map(|h| h.restarts), Some(1));
    // A failed checkpoint: counted as new.
    let h = fold(
        &spec,
        &state,
        &at(1_000, metrics(0, 3, 2, Some(NOW)), Some(0.1)),
    );
    assert_eq!(
        h.map(|h| (h.checkpoints_failed, h.checkpoints_failed_new)),
        Some((2, 2))
    );
    // Checkpoints overdue: 60 s (the floor; 3 x 5 s is less) passed without one.
    let h = fold(
        &spec,
        &state,
        &at(61_000, metrics(0, 3, 0, Some(NOW)), Some(0.1)),
    );
    assert_eq!(h.map(|h| h.checkpoints_overdue), Some(true));
    assert_eq!(
        fold(
            &spec,
            &state,
            &at(59_000, metrics(0, 3, 0, Some(NOW)), Some(0.1))
        ),
        None
    );
    // Backpressure over the threshold, then by 10 points; small moves are not written.
    let h = fold(
        &spec,
        &state,
        &at(1_000, metrics(0, 3, 0, Some(NOW)), Some(0.85)),
    );
    assert_eq!(
        h.as_ref()
            .map(|h| (h.backpressure_percent, h.backpressured_since)),
        Some((Some(85), Some(NOW + 1_000)))
    );
    assert_eq!(
        fold(
            &spec,
            &state,
            &at(1_000, metrics(0, 3, 0, Some(NOW)), Some(0.14))
        ),
        None
    );
    assert!(
        fold(
            &spec,
            &state,
            &at(1_000, metrics(0, 3, 0, Some(NOW)), Some(0.25))
        )
        .is_some()
    );
    // Metrics Flink did not have keep what was known.
    assert_eq!(
        fold(&spec, &state, &at(1_000, JobMetrics::default(), None)),
        None
    );
}

#[test]
fn gates_of_a_rollout() {
    let spec = spec(serde_json::json!({
        "deployment": {"checkpoint_interval": "5s", "max_backpressure": 0.8}
    }));
    let mut state = rolling_out();
    // Without signals at all, running with all tasks is the only gate.
    assert_eq!(
        gates(&spec, &state, false, NOW),
        Gates::Held {
            since: NOW - 100_000
        }
    );
    // Probing, but no probe yet: unknown, never a reason to roll back.
    assert!(matches!(gates(&spec, &state, true, NOW), Gates::Unknown(_)));
    let with = |m: JobMetrics, bp: Option<f64>| {
        let mut s = state.clone();
        s.health = fold(&spec, &s, &probe(m, bp));
        gates(&spec, &s, true, NOW)
    };
    assert_eq!(
        with(metrics(0, 0, 2, None), Some(0.1)),
        Gates::Waiting("no completed checkpoint in 2m".into())
    );
    assert_eq!(
        with(metrics(2, 4, 0, Some(NOW)), Some(0.1)),
        Gates::Waiting("restarted 2 times since it started".into())
    );
    assert_eq!(
        with(metrics(0, 4, 0, Some(NOW)), Some(0.97)),
        Gates::Waiting("backpressured 97% of the time, over max_backpressure 80%".into())
    );
    assert!(matches!(
        with(metrics(0, 4, 0, Some(NOW)), None),
        Gates::Unknown(_)
    ));
    // All hold since the first checkpoint was seen.
    assert_eq!(
        with(metrics(0, 4, 0, Some(NOW)), Some(0.1)),
        Gates::Held { since: NOW }
    );
    // Signals of an older Flink job do not count.
    state.health = fold(
        &spec,
        &state,
        &probe(metrics(0, 4, 0, Some(NOW)), Some(0.1)),
    );
    state.flink_job_id = Some(jid(2));
    assert!(matches!(gates(&spec, &state, true, NOW), Gates::Unknown(_)));
}

/// The gates' durations (`crate::clock::human_age`) read like the spec's.
#[test]
fn durations_read_like_the_spec() {
    assert_eq!(human_age(45_000), "45s");
    assert_eq!(human_age(300_000), "5m");
    assert_eq!(human_age(3 * 3_600_000), "3h");
    assert_eq!(human_age(-5), "0s");
}

#[test]
fn the_view_changes_only_when_the_signals_are_written() {
    let spec = checkpointing();
    let mut state = rolling_out();
    state.health = fold(&spec, &state, &probe(metrics(0, 0, 0, None), None));
    let a = view(Some(&spec), &state);
    assert_eq!(
        a.as_ref().and_then(|v| v.gate.clone()).as_deref(),
        Some("no completed checkpoint in 2m"),
        "as of the reading: {a:?}"
    );
    // Later, nothing written: the same view (a snapshot at rest stays unchanged).
    assert_eq!(view(Some(&spec), &state), a);
    // Stable: no gate shown.
    state.lifecycle = Lifecycle::Stable;
    assert_eq!(view(Some(&spec), &state).and_then(|v| v.gate), None);
}

#[test]
fn after_an_in_place_rescale_the_signals_count_from_its_baseline() {
    let spec = checkpointing();
    let mut state = rolling_out();
    // The rescale restarted the job once; 9 checkpoints and 1 failure before it.
    state.baseline = Some(Baseline::of(&metrics(1, 9, 1, Some(NOW - 60_000))));
    let same = fold(
        &spec,
        &state,
        &probe(metrics(1, 9, 1, Some(NOW - 60_000)), None),
    )
    .expect("a first reading is written");
    assert_eq!((same.restarts, same.checkpoints_failed), (0, 0), "{same:?}");
    assert_eq!(
        same.first_checkpoint_at, None,
        "no checkpoint since the rescale"
    );
    state.health = Some(same);
    assert!(matches!(
        gates(&spec, &state, true, NOW),
        Gates::Waiting(why) if why.starts_with("no completed checkpoint")
    ));
    let next = fold(&spec, &state, &probe(metrics(1, 10, 1, Some(NOW)), None))
        .expect("the first checkpoint since is written");
    assert_eq!(next.first_checkpoint_at, Some(NOW));
    state.health = Some(next);
    assert!(matches!(
        gates(&spec, &state, true, NOW),
        Gates::Held { .. }
    ));
    let again = fold(&spec, &state, &probe(metrics(2, 11, 1, Some(NOW)), None))
        .expect("a restart after the rescale is written");
    assert_eq!(again.restarts, 1);
}
