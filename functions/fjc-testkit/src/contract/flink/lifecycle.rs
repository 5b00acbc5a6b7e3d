//! A streaming job through its life: run under a chosen id, savepoints, stop, restore, cancel, disposal.

use super::*;

pub(super) async fn lifecycle<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    let jar = run.upload().await;
    let file = run
        .setup
        .jar
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(jar.0.ends_with(&format!("_{file}")), "{jar} for {file}");

    // A run under the chosen id, RUNNING with all its tasks.
    let id = JobId::random();
    let request = run.request(&id, "life");
    assert_eq!(ok("run", run.submit(&jar, &request).await), id);
    let job = run.wait_job(&id, "RUNNING", running).await;
    assert_eq!(job.name, run.name("life"));
    assert_eq!(job.end_time_ms, -1);
    assert!(job.start_time_ms > 0, "{job:?}");
    let details = ok("job", flink.job(&id).await);
    assert_eq!(details.name, run.name("life"));
    assert_eq!(details.state, FlinkJobState::Running);
    assert!(details.tasks_total > 0 && details.tasks_running == details.tasks_total);
    assert_eq!(ok("cause", flink.job_failure_cause(&id).await), None);
    assert_eq!(ok("result", flink.job_execution_result(&id).await), None);

    // The same id again: refused, and the job is still the only one under it.
    let again = run.submit(&jar, &request).await;
    assert_eq!(
        again,
        Err(FlinkError::DuplicateJob {
            job: id.to_string()
        })
    );
    let same: Vec<JobSummary> = ok("list", flink.list_jobs().await)
        .into_iter()
        .filter(|j| j.id == id)
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(same[0].state, FlinkJobState::Running);

    // A savepoint to the cluster's directory; a retried trigger is the same one.
    let t1 = new_trigger_id();
    ok("savepoint", flink.trigger_savepoint(&id, None, &t1).await);
    ok(
        "savepoint again",
        flink.trigger_savepoint(&id, None, &t1).await,
    );
    let first = run.savepoint_location(&id, &t1).await;
    assert!(
        first.starts_with("file:/") || first.contains("://"),
        "{first}"
    );
    assert!(first.contains(&savepoint_prefix(&id)), "{first}");
    // Asked again, and triggered again after it completed: still that one.
    ok(
        "savepoint once more",
        flink.trigger_savepoint(&id, None, &t1).await,
    );
    assert_eq!(
        ok("status", flink.savepoint_status(&id, &t1).await),
        SavepointStatus::Completed {
            location: first.clone()
        }
    );
    // A trigger id is one operation of the job: a stop under it is that savepoint
    // again, and the job keeps running.
    ok(
        "stop under t1",
        flink.stop_with_savepoint(&id, None, &t1).await,
    );
    assert_eq!(
        ok("status", flink.savepoint_status(&id, &t1).await),
        SavepointStatus::Completed {
            location: first.clone()
        }
    );
    assert_eq!(
        ok("job", flink.job(&id).await).state,
        FlinkJobState::Running
    );
    let is = |location: &str| {
        let location = location.to_string();
        move |s: &CheckpointStats| {
            s.latest_savepoint
                .as_ref()
                .is_some_and(|p| p.external_path.as_deref() == Some(location.as_str()))
        }
    };
    let stats = run.wait_stats(&id, "the first savepoint", is(&first)).await;
    let Some(latest) = stats.latest_savepoint.clone() else {
        panic!("no latest savepoint in {stats:?}");
    };
    assert!(latest.is_savepoint, "{stats:?}");
    assert!(latest.completed_at.is_some_and(|t| t > 0), "{stats:?}");
    // Savepoints count among the completed checkpoints.
    assert!(stats.counts.completed >= 1, "{stats:?}");
    // Unknown and malformed trigger ids.
    let unknown = flink.savepoint_status(&id, &new_trigger_id()).await;
    assert!(
        matches!(unknown, Err(FlinkError::NotFound { .. })),
        "{unknown:?}"
    );
    for bad in ["", "xyz", "0123456789abcdef0123456789abcdeg"] {
        let err = flink.savepoint_status(&id, bad).await;
        assert!(
            matches!(err, Err(FlinkError::BadRequest { .. })),
            "{bad:?}: {err:?}"
        );
        let err = flink.trigger_savepoint(&id, None, bad).await;
        assert!(
            matches!(err, Err(FlinkError::BadRequest { .. })),
            "{bad:?}: {err:?}"
        );
    }

    // Stop with a savepoint to a chosen directory: the job ends FINISHED.
    let t2 = new_trigger_id();
    let target = run.setup.savepoint_target.as_str();
    ok(
        "stop",
        flink.stop_with_savepoint(&id, Some(target), &t2).await,
    );
    ok(
        "stop again",
        flink.stop_with_savepoint(&id, Some(target), &t2).await,
    );
    let second = run.savepoint_location(&id, &t2).await;
    assert_ne!(second, first);
    assert!(
        second.contains(local_path(target)),
        "{second} not in {target}"
    );
    assert!(second.contains(&savepoint_prefix(&id)), "{second}");
    run.wait_job(&id, "FINISHED", |j| j.state == FlinkJobState::Finished)
        .await;
    assert_eq!(
        ok("result", flink.job_execution_result(&id).await),
        Some(ExecutionResult {
            state: FlinkJobState::Finished,
            cause: None
        })
    );
    run.wait_stats(&id, "the stop-savepoint", is(&second)).await;
    // Nothing to cancel.
    assert_eq!(
        flink.cancel(&id).await,
        Err(FlinkError::AlreadyTerminal {
            job: id.to_string()
        })
    );
    // A savepoint of an ended job is accepted, and fails.
    let t3 = new_trigger_id();
    ok(
        "savepoint of a finished job",
        flink.trigger_savepoint(&id, None, &t3).await,
    );
    match run.wait_savepoint(&id, &t3).await {
        SavepointStatus::Failed { cause } => {
            assert!(cause.contains("Could not find Flink job"), "{cause}");
        }
        other => panic!("savepoint of a finished job: {other:?}"),
    }

    // Restored from the stop-savepoint under a new id; Flink says from where.
    let restored = JobId::random();
    let request = run.restoring(&restored, "life-restored", &second);
    assert_eq!(ok("restore", run.submit(&jar, &request).await), restored);
    run.wait_job(&restored, "RUNNING", running).await;
    let stats = run
        .wait_stats(&restored, "restored", |s| s.latest_restored.is_some())
        .await;
    assert_eq!(stats.counts.restored, 1, "{stats:?}");
    let Some(from) = stats.latest_restored else {
        panic!("not reported as restored: {stats:?}");
    };
    assert_eq!(from.external_path.as_deref(), Some(second.as_str()));
    assert!(from.is_savepoint);
    // A running job holds task slots, named by its id (what a recovery checks before
    // it submits beside a lost job's tasks).
    run.wait(&format!("job {restored} holding slots"), || async {
        let holders = flink.slot_holders().await.map_err(|e| e.to_string())?;
        if holders.contains(&restored) {
            Ok(Some(()))
        } else {
            Err(format!("{holders:?}"))
        }
    })
    .await;

    // Cancel: CANCELED; cancelling it again is fine (only a job that ended
    // otherwise, FINISHED or FAILED, has nothing to cancel).
    ok("cancel", flink.cancel(&restored).await);
    run.wait_job(&restored, "CANCELED", |j| {
        j.state == FlinkJobState::Canceled
    })
    .await;
    assert_eq!(
        ok("result", flink.job_execution_result(&restored).await),
        Some(ExecutionResult {
            state: FlinkJobState::Canceled,
            cause: None
        })
    );
    // Its slots are freed once it ended.
    run.wait(&format!("job {restored} freeing its slots"), || async {
        let holders = flink.slot_holders().await.map_err(|e| e.to_string())?;
        if holders.contains(&restored) {
            Err(format!("{holders:?}"))
        } else {
            Ok(Some(()))
        }
    })
    .await;
    ok("cancel again", flink.cancel(&restored).await);
    let job = ok("job", flink.job(&restored).await);
    assert_eq!(job.state, FlinkJobState::Canceled);

    // Disposal: the first savepoint is gone afterwards, and a restore from it is
    // refused; disposing of it again fails.
    let trigger = ok("dispose", flink.dispose_savepoint(&first).await);
    assert_eq!(run.wait_disposal(&trigger).await, DisposalStatus::Done);
    run.refused_restore(&jar, "life-disposed", &first).await;
    let trigger = ok("dispose again", flink.dispose_savepoint(&first).await);
    match run.wait_disposal(&trigger).await {
        DisposalStatus::Failed { cause } => {
            assert!(
                cause.contains("Cannot find checkpoint or savepoint"),
                "{cause}"
            );
        }
        other => panic!("disposal of a disposed savepoint: {other:?}"),
    }

    // A deleted jar runs nothing; deleting it twice is fine.
    ok("delete jar", flink.delete_jar(&jar).await);
    ok("delete jar again", flink.delete_jar(&jar).await);
    let gone = JobId::random();
    match run.submit(&jar, &run.request(&gone, "life-no-jar")).await {
        Err(FlinkError::Server {
            status: 500,
            message,
        }) => {
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("run of a deleted jar: {other:?}"),
    }
    let listed = ok("list", flink.list_jobs().await);
    assert!(!listed.iter().any(|j| j.id == gone), "{listed:?}");
}
