//! The small machines other operations nest: stop, failure cause, settling statistics.

use super::super::cause::{FailureCause, WAIT_MS};
use super::super::settle::{SETTLE_MS, SettledCheckpoints};
use super::super::stop::StopJob;
use super::super::{Answer, Effect, Next, Operation};
use fjc_flink::{FlinkJobState, JobId};

use super::{ScriptedFlink, run};

#[test]
fn stopping_a_job_cancels_once_and_waits_until_it_is_over() {
    let job = JobId::random();
    for crash in 1..=4 {
        let mut flink = ScriptedFlink {
            running: true,
            asks_to_stop: 3,
            ..ScriptedFlink::default()
        };
        let mut store = None;
        let mut now = 0;
        let first = run(
            &mut StopJob::new("default", &job, true),
            &mut flink,
            &mut store,
            &mut now,
            crash,
        );
        // A later cycle observes the job again and goes on.
        let live = flink.running;
        let ending = match first {
            Some(e) => e,
            None => run(
                &mut StopJob::new("default", &job, live),
                &mut flink,
                &mut store,
                &mut now,
                0,
            )
            .expect("ends"),
        };
        assert_eq!(ending, Ok(true), "crash after effect {crash}");
        assert!(!flink.running);
        // Once per look that saw it live: cancelling a job that is cancelling
        // already is harmless.
        assert!(flink.cancels <= 2, "cancelled {} times", flink.cancels);
    }
    // A job already over is not cancelled.
    let mut flink = ScriptedFlink::default();
    let ending = run(
        &mut StopJob::new("default", &job, false),
        &mut flink,
        &mut None,
        &mut 0,
        0,
    );
    assert_eq!(ending, Some(Ok(true)));
    assert_eq!(flink.calls, 0);
    // Waiting for a job to end by itself never cancels it; past the budget it
    // reports "not over".
    let mut op = StopJob::wait_for_end("default", &job);
    assert!(matches!(op.step(None, 0), Next::Do(Effect::AskJob { .. })));
    assert!(matches!(
        op.step(Some(Answer::Job(Ok(FlinkJobState::Running))), 0),
        Next::LookAgainAt { at: 250, .. }
    ));
    assert_eq!(op.paused("waiting".into()), Ok(false));
}

#[test]
fn a_machine_given_an_answer_it_did_not_ask_for_fails_without_panicking() {
    let job = JobId::random();
    let mut op = StopJob::new("default", &job, true);
    assert!(matches!(op.step(None, 0), Next::Do(Effect::Cancel { .. })));
    assert!(matches!(
        op.step(Some(Answer::Late(Vec::new())), 0),
        Next::Fail(_)
    ));
}

#[test]
fn a_failure_cause_is_asked_again_until_flink_has_one_then_given_up() {
    let job = JobId::random();
    let mut flink = ScriptedFlink {
        cause_at_ask: 3,
        ..ScriptedFlink::default()
    };
    let mut now = 0;
    let cause = run(
        &mut FailureCause::new("default", &job, Some(0)),
        &mut flink,
        &mut None,
        &mut now,
        0,
    );
    assert_eq!(
        cause,
        Some(Some(Ok(Some(
            "java.lang.ArithmeticException: / by zero".into()
        ))))
    );
    assert_eq!((flink.cause_asks, now), (3, 2_000));

    // None at all: asked every second until WAIT_MS after the job ended.
    let mut flink = ScriptedFlink::default();
    let mut now = 1_000;
    let cause = run(
        &mut FailureCause::new("default", &job, Some(0)),
        &mut flink,
        &mut None,
        &mut now,
        0,
    );
    assert_eq!(cause, Some(Some(Ok(None))));
    assert_eq!((flink.cause_asks, now), (5, WAIT_MS));

    // A job that ended long ago (or whose end Flink did not say) is asked once.
    for ended_at in [Some(-60_000), None] {
        let mut flink = ScriptedFlink::default();
        let cause = run(
            &mut FailureCause::new("default", &job, ended_at),
            &mut flink,
            &mut None,
            &mut 0,
            0,
        );
        assert_eq!(cause, Some(Some(Ok(None))));
        assert_eq!(flink.cause_asks, 1, "{ended_at:?}");
    }
}

#[test]
fn checkpoint_statistics_are_trusted_only_once_they_held_still() {
    let job = JobId::random();
    let newest = |s: fjc_flink::CheckpointStats| s.latest_completed.map(|c| c.id);
    // The cache first names checkpoint 7, which 9 subsumed.
    let mut flink = ScriptedFlink {
        checkpoints: vec![7, 7, 9],
        ..ScriptedFlink::default()
    };
    let mut now = 0;
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    let seen = run(&mut settle, &mut flink, &mut None, &mut now, 0);
    assert_eq!(seen, Some(Ok(Some(Some(9)))));
    assert!(now >= 1_000 + SETTLE_MS, "trusted after {now} ms");

    // A job Flink no longer knows has no statistics.
    let mut flink = ScriptedFlink::default();
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    assert_eq!(
        run(&mut settle, &mut flink, &mut None, &mut 0, 0),
        Some(Ok(Some(None)))
    );
    // Out of time before it settled: not known.
    let mut settle = SettledCheckpoints::new("default", &job, newest);
    assert!(matches!(
        settle.step(None, 0),
        Next::Do(Effect::ReadCheckpoints { .. })
    ));
    assert_eq!(settle.paused("waiting".into()), Ok(None));
}
