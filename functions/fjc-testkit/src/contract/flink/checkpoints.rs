//! Retained checkpoints, and a restore from one.

use super::*;

pub(super) async fn checkpoints<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    let jar = run.upload().await;
    let id = JobId::random();
    let mut request = run.request(&id, "checkpoints");
    request.flink_configuration.extend([
        (
            "execution.checkpointing.interval".to_string(),
            "1 s".to_string(),
        ),
        (
            "execution.checkpointing.externalized-checkpoint-retention".to_string(),
            "RETAIN_ON_CANCELLATION".to_string(),
        ),
    ]);
    assert_eq!(ok("run", run.submit(&jar, &request).await), id);
    run.wait_job(&id, "RUNNING", running).await;
    let marker = format!("/{id}/chk-");
    let latest = run
        .wait(&format!("a completed checkpoint of {id}"), || async {
            let stats = flink.checkpoints(&id).await.map_err(|e| e.to_string())?;
            Ok(stats.latest_completed.filter(|c| {
                c.external_path
                    .as_deref()
                    .is_some_and(|p| p.contains(&marker))
            }))
        })
        .await;
    assert!(!latest.is_savepoint, "{latest:?}");
    assert!(latest.completed_at.is_some_and(|t| t > 0), "{latest:?}");
    let stats = run.checkpoints(&id).await;
    assert!(stats.counts.completed >= 1, "{stats:?}");
    assert_eq!(stats.counts.restored, 0, "{stats:?}");
    // The health probe's one call: restarts and checkpoint counts (Flink's job
    // metrics lag its statistics by up to the fetcher interval).
    let metrics = run
        .wait(
            &format!("job metrics of {id} with a checkpoint"),
            || async {
                let m = flink.job_metrics(&id).await.map_err(|e| e.to_string())?;
                Ok(m.checkpoints_completed.is_some_and(|n| n >= 1).then_some(m))
            },
        )
        .await;
    assert_eq!(metrics.restarts, Some(0), "{metrics:?}");
    assert!(
        metrics.last_checkpoint_at.is_some_and(|t| t > 0),
        "{metrics:?}"
    );
    let details = ok("job", flink.job(&id).await);
    assert!(
        details
            .backpressure
            .is_none_or(|b| (0.0..=1.0).contains(&b)),
        "{details:?}"
    );
    // A job the cluster does not know has no metrics: not an error.
    let unknown = ok("job_metrics", flink.job_metrics(&JobId::random()).await);
    assert_eq!(unknown, fjc_flink::JobMetrics::default());
    assert_eq!(stats.latest_restored, None);

    // Cancelled, the job keeps its newest checkpoint (retained on cancellation),
    // and a new job restores from it.
    ok("cancel", flink.cancel(&id).await);
    run.wait_job(&id, "CANCELED", |j| j.state == FlinkJobState::Canceled)
        .await;
    // Statistics from before the end may name a checkpoint since subsumed.
    tokio::time::sleep(run.setup.stats_max_age).await;
    let stats = run.checkpoints(&id).await;
    let Some(kept) = stats.latest_completed.and_then(|c| c.external_path) else {
        panic!("no checkpoint of the cancelled job {id}");
    };
    assert!(kept.contains(&marker), "{kept}");
    let restored = JobId::random();
    let request = run.restoring(&restored, "checkpoints-restored", &kept);
    assert_eq!(ok("restore", run.submit(&jar, &request).await), restored);
    run.wait_job(&restored, "RUNNING", running).await;
    let stats = run
        .wait_stats(&restored, "restored", |s| s.latest_restored.is_some())
        .await;
    assert_eq!(stats.counts.restored, 1, "{stats:?}");
    let Some(from) = stats.latest_restored else {
        panic!("not reported as restored: {stats:?}");
    };
    assert_eq!(from.external_path.as_deref(), Some(kept.as_str()));
    // Flink 2.3 reports a restore through `savepointPath` as one from a
    // savepoint, a retained checkpoint's too.
    assert!(from.is_savepoint, "{from:?}");
    ok("cancel", flink.cancel(&restored).await);
}
