//! Around the submission: slot admission before it, and a run whose answer
//! never comes.

use super::*;

/// Slot admission: with too few free slots nothing is submitted, the running
/// version is untouched, and the reason is the job's error (written once, not
/// again while it holds); once the slots are there it deploys. An upgrade counts
/// the slots of the version it replaces.
#[test]
fn a_deploy_waits_for_the_slots_its_parallelism_needs() {
    let mut spec = record('s');
    spec.spec.deployment.parallelism = 4;
    let start = intent('s', None, None, Purpose::Deploy);
    let mut flink = ScriptedFlink {
        free_slots: Some(3),
        ..ScriptedFlink::default()
    };
    let mut store = Some(start.clone());
    let mut now = 2_000;
    let mut op = Deploy::resume(start, inputs(spec.clone(), None, false)).expect("deploy");
    let ending = run(&mut op, &mut flink, &mut store, &mut now, 0);
    let reason = "waiting for 4 slots, 3 free on cluster default (64 in all)";
    assert_eq!(ending, Some(Outcome::InProgress(reason.into())));
    assert_eq!(flink.runs, 0, "nothing submitted");
    let waiting = store.clone().expect("state");
    assert_eq!(
        waiting.last_error.as_ref().map(|e| e.message.as_str()),
        Some(reason)
    );
    assert!(waiting.operation.is_some(), "the intent stays");
    // The next cycle, still short: no write.
    let saves = flink.saves;
    let mut op = Deploy::resume(waiting, inputs(spec.clone(), None, false)).expect("deploy");
    run(&mut op, &mut flink, &mut store, &mut now, 0);
    assert_eq!(flink.saves, saves, "the same reason is not written again");
    // Slots added: deployed.
    flink.free_slots = Some(4);
    let (ending, state) = deploy_with_crash(store.expect("state"), &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    assert_eq!(flink.runs, 1);
    assert_eq!(state.deployed_parallelism, Some(4));
    assert!(state.last_error.is_none());

    // An upgrade from parallelism 2 to 4 with 2 free: the old job's 2 count.
    let mut upgrade = intent(
        's',
        Some(old()),
        Some(UpgradeProgress::new(UpgradeMode::Savepoint, None)),
        Purpose::Deploy,
    );
    upgrade.deployed_parallelism = Some(2);
    let mut flink = ScriptedFlink {
        running: true,
        free_slots: Some(2),
        ..ScriptedFlink::default()
    };
    let (ending, _) = deploy_with_crash(upgrade.clone(), &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    assert_eq!(flink.runs, 1);
    // With 1 free, it waits, and the running version is not stopped.
    let mut flink = ScriptedFlink {
        running: true,
        free_slots: Some(1),
        ..ScriptedFlink::default()
    };
    let (ending, _) = deploy_with_crash(upgrade, &spec, 0, &mut flink);
    assert_eq!(
        ending,
        Some(Outcome::InProgress(
            "waiting for 4 slots, 1 free on cluster default and 2 held by the running version \
             (64 in all)"
                .into()
        ))
    );
    assert!(flink.running && flink.savepoints_taken == 0 && flink.runs == 0);

    // Resumed after its stop-with-savepoint began: no more waiting for slots
    // (the old job is stopping; holding back would only keep the job down).
    let mut progress = UpgradeProgress::new(UpgradeMode::Savepoint, None);
    progress.trigger_id = Some("t1".into());
    progress.savepoint_started_at = Some(1_500);
    let mut resumed = intent('s', Some(old()), Some(progress), Purpose::Deploy);
    resumed.deployed_parallelism = Some(2);
    let mut flink = ScriptedFlink {
        running: true,
        free_slots: Some(0),
        ..ScriptedFlink::default()
    };
    let (ending, _) = deploy_with_crash(resumed, &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    assert_eq!(flink.runs, 1, "submitted without asking for slots again");
}

/// A run whose answer never comes (a timeout) while the JobManager goes on and
/// submits the job: the uploaded jar is kept (deleting it would make the
/// program's own submission fail), recorded in the state, and deleted once a
/// later cycle sees the job; a crash at any point changes neither the single
/// run nor the single deletion.
#[test]
fn an_unanswered_run_keeps_its_jar_until_the_job_is_seen_after_a_crash_at_every_point() {
    let spec = record('a');
    let start = intent('a', None, None, Purpose::Deploy);
    let cycles = |crash: usize, flink: &mut ScriptedFlink| {
        let mut store = Some(start.clone());
        let mut now = 2_000;
        let mut effects = 0;
        let mut after_first = None;
        for cycle in 0..4 {
            let saved = store.clone().expect("state");
            let Some(Recorded::Deploy { flink_job_id, .. }) = &saved.operation else {
                break;
            };
            let observed = flink.submitted.get(flink_job_id).cloned();
            let Some(mut op) = Deploy::resume(saved, inputs(spec.clone(), observed, false)) else {
                break;
            };
            let before = flink.calls as usize;
            let at = crash.saturating_sub(effects);
            let ending = run(&mut op, flink, &mut store, &mut now, at);
            effects += flink.calls as usize - before;
            if cycle == 0 {
                after_first = store.clone();
            }
            if matches!(ending, Some(Outcome::Done(_))) {
                break;
            }
        }
        (
            store.expect("state"),
            after_first.expect("a first cycle"),
            effects,
        )
    };
    let mut whole = ScriptedFlink {
        unanswered_runs: 1,
        ..ScriptedFlink::default()
    };
    let (done, first, total) = cycles(0, &mut whole);
    assert!(first.operation.is_some(), "the first cycle ends pending");
    assert_eq!(
        first.pending_jars,
        vec![fjc_flink::JarId("unanswered-1".into())],
        "the kept jar is recorded with the pending submission"
    );
    assert!(done.operation.is_none());
    assert_eq!(whole.deleted_jars.len(), 1);
    for crash in 0..=total {
        let mut flink = ScriptedFlink {
            unanswered_runs: 1,
            ..ScriptedFlink::default()
        };
        let (state, _, _) = cycles(crash, &mut flink);
        assert!(state.operation.is_none(), "crash {crash}: {state:?}");
        assert_eq!(flink.runs, 1, "crash {crash}: one run");
        assert_eq!(state.flink_job_id, Some(new_id()), "crash {crash}");
        assert!(state.pending_jars.is_empty(), "crash {crash}: {state:?}");
        if crash == 3 {
            // Slots, verification, the run: a crash between the run's timeout and
            // the save that records the jar leaves the jar in Flink, unknown.
            assert_eq!(flink.jars.len(), 1, "crash {crash}");
            continue;
        }
        assert_eq!(
            flink.deleted_jars,
            vec![fjc_flink::JarId("unanswered-1".into())],
            "crash {crash}: the kept jar deleted once"
        );
        assert!(flink.jars.is_empty(), "crash {crash}");
    }
}

#[test]
fn a_lost_job_is_recovered_only_once_its_lingering_tasks_free_their_slots() {
    let spec = record('l');
    let mut start = intent('l', None, None, Purpose::Recover);
    // The JobManager forgot `old`, but a TaskManager still runs its tasks.
    start.flink_job_id = Some(old());
    let mut flink = ScriptedFlink {
        lingering: vec![old()],
        ..ScriptedFlink::default()
    };
    let (ending, state) = deploy_with_crash(start, &spec, 0, &mut flink);
    match &ending {
        Some(Outcome::InProgress(reason)) => assert!(
            reason.contains(&format!("lost Flink job {}", old()))
                && reason.contains("still hold its slots"),
            "{reason}"
        ),
        other => panic!("expected a wait: {other:?}"),
    }
    assert!(
        flink.submitted.is_empty(),
        "nothing submitted beside the lingering tasks"
    );
    let saves = flink.saves;

    // Another cycle, still lingering: still waits, and writes nothing.
    let (ending, state) = deploy_with_crash(state, &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::InProgress(_))), "{ending:?}");
    assert_eq!((flink.saves, flink.submitted.len()), (saves, 0));

    // The TaskManagers let go: the recovery goes on and one job runs.
    flink.lingering.clear();
    let (ending, state) = deploy_with_crash(state, &spec, 0, &mut flink);
    assert!(matches!(ending, Some(Outcome::Done(_))), "{ending:?}");
    assert_eq!(flink.submitted.len(), 1);
    assert_eq!(state.flink_job_id, Some(new_id()));
}
