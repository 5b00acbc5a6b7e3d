//! Flink's refusals: unknown jobs, jars and triggers, a missing restore point.

use super::*;

pub(super) async fn refusals<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    // A job the cluster does not know.
    let unknown = JobId::random();
    let not_found = FlinkError::NotFound {
        what: format!("job {unknown}"),
    };
    assert_eq!(flink.cancel(&unknown).await, Err(not_found.clone()));
    assert_eq!(flink.job(&unknown).await.unwrap_err(), not_found);
    assert_eq!(flink.checkpoints(&unknown).await.unwrap_err(), not_found);
    assert_eq!(
        flink.job_execution_result(&unknown).await.unwrap_err(),
        not_found
    );
    assert_eq!(
        flink.job_failure_cause(&unknown).await.unwrap_err(),
        not_found
    );
    let status = flink.savepoint_status(&unknown, &new_trigger_id()).await;
    assert!(
        matches!(status, Err(FlinkError::NotFound { .. })),
        "{status:?}"
    );
    // Savepoints of it, with or without a stop, are accepted, and fail.
    for stop in [false, true] {
        let t = new_trigger_id();
        if stop {
            ok(
                "stop unknown",
                flink.stop_with_savepoint(&unknown, None, &t).await,
            );
        } else {
            ok(
                "savepoint unknown",
                flink.trigger_savepoint(&unknown, None, &t).await,
            );
        }
        match run.wait_savepoint(&unknown, &t).await {
            SavepointStatus::Failed { cause } => {
                assert!(cause.contains("Could not find Flink job"), "{cause}");
            }
            other => panic!("savepoint of an unknown job (stop: {stop}): {other:?}"),
        }
    }
    // An unknown disposal trigger.
    let disposal = flink.disposal_status(&new_trigger_id()).await;
    assert!(
        matches!(disposal, Err(FlinkError::NotFound { .. })),
        "{disposal:?}"
    );

    // Jars: a missing file is a local error; an unknown jar is Flink's 500.
    let missing = Path::new("/nonexistent-fjc-contract/none.jar");
    let err = flink.upload_jar(missing).await.unwrap_err();
    assert!(matches!(err, FlinkError::LocalIo { .. }), "{err:?}");
    let nosuch = JarId(format!("{}_nosuch.jar", JobId::random()));
    ok("delete unknown jar", flink.delete_jar(&nosuch).await);
    let id = JobId::random();
    match run.submit(&nosuch, &run.request(&id, "refused")).await {
        Err(FlinkError::Server {
            status: 500,
            message,
        }) => {
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("run of an unknown jar: {other:?}"),
    }

    // A restore point that was never there.
    let jar = run.upload().await;
    let missing = format!(
        "{}/no-such-savepoint-{}",
        run.setup.savepoint_target.trim_end_matches('/'),
        JobId::random()
    );
    run.refused_restore(&jar, "missing", &missing).await;
}
