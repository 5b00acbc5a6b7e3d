//! In-place rescale on a Flink 2.3 cluster running the adaptive scheduler
//! (localstack/adaptive-up.sh; its env.sh sets FJC_ADAPTIVE_FLINK_URL): a
//! spec whose only change is its parallelism is carried out with
//! `PUT /jobs/:id/resource-requirements`. The same Flink job runs on at the new
//! parallelism, no savepoint is taken, nothing is submitted or cancelled, the
//! keyed counts go on, and the new version is a revision that passes its
//! health gates (the rescale's own restart does not count against it). The
//! cluster is this test's own, so it runs in the parallel phase;
//! scripts/test.sh starts it.

use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_core::store::HistoryStore;
use fjc_flink::FlinkApi;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, flink_client, unique};

const T: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallelism_change_rescales_the_same_job_in_place_without_a_savepoint() {
    let url = std::env::var("FJC_ADAPTIVE_FLINK_URL").expect(
        "FJC_ADAPTIVE_FLINK_URL is not set: run localstack/adaptive-up.sh and source .local-adaptive/env.sh",
    );
    let mut w = World::with_flink_url("rescale", Some(&url)).await;
    w.flink = flink_client(&url, Duration::from_secs(10));
    let id = unique("rescale");
    let mut spec = w.stream_spec(&id);
    spec.deployment.checkpoint_interval = Some("5s".into());
    spec.deployment.stable_after = Some("3s".into());
    spec.deployment.readiness_timeout = Some("120s".into());
    let v1 = w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Stable)
        .await;
    let job = s.flink_job_id.clone().expect("flink job");
    let dir = w.out_dir.join(&id);
    counter::counted(&dir, 4, 5, T).await;
    let before = counter::latest(&counter::counts(&dir));
    let details = w.flink.job(&job).await.expect("job");
    assert!(details.adaptive, "the cluster runs the adaptive scheduler");
    assert_eq!(details.tasks_total, 2, "two vertices at parallelism 1");

    spec.deployment.parallelism = 2;
    let v2 = w.apply(vec![spec]).await;
    assert_ne!(v2[0].fingerprint, v1[0].fingerprint);
    let deadline = Instant::now() + T;
    let mut actions = Vec::new();
    let rescaled = loop {
        let report = w.cycle().await;
        actions.extend(report.actions.iter().map(|a| a.action));
        let s = w.state(&id).await.expect("state");
        if s.revision == 2 && s.lifecycle == Lifecycle::Stable {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "not rescaled and stable within {T:?}: {s:?}; actions {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!("actions: {actions:?}");
    assert!(actions.contains(&"rescale"), "{actions:?}");
    assert!(
        !actions
            .iter()
            .any(|a| matches!(*a, "deploy" | "rollback" | "savepoint" | "suspend")),
        "nothing submitted, rolled back or savepointed: {actions:?}"
    );
    assert_eq!(
        rescaled.flink_job_id.as_ref(),
        Some(&job),
        "the same Flink job"
    );
    assert_eq!(
        rescaled.deployed_fingerprint.as_ref().map(|f| f.0.as_str()),
        Some(v2[0].fingerprint.as_str())
    );
    assert_eq!(rescaled.deployed_parallelism, Some(2));
    assert_eq!(rescaled.stable_revision, Some(2), "promoted by its gates");
    assert!(rescaled.savepoints.is_empty() && rescaled.last_savepoint.is_none());
    let stats = w.flink.checkpoints(&job).await.expect("checkpoints");
    assert_eq!(stats.latest_savepoint, None, "Flink took no savepoint");
    let live = w.live_jobs(&id).await;
    assert_eq!(live.len(), 1, "exactly one job: {live:?}");
    assert_eq!(live[0].id, job);
    assert_eq!(live[0].tasks_total, 4, "two vertices at parallelism 2");
    assert!(live[0].runs_all_tasks(), "{:?}", live[0]);
    let mut history = w.ctx.store.list_revisions(&id).await.expect("revisions");
    history.sort_by_key(|r| r.number);
    assert_eq!(
        history.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(history[1].flink_job_id, job);
    assert_eq!(history[1].spec.deployment.parallelism, 2);

    // The counts went on from the newest checkpoint: none started again at 1,
    // none skipped a value (the source replays since the checkpoint, so a value
    // may repeat), and every key counted on past where it was.
    let target = before.values().max().copied().unwrap_or(0) + 5;
    let after = counter::counted(&dir, 4, target, T).await;
    assert!(counter::resets(&after).is_empty(), "state lost: {after:?}");
    assert!(counter::gaps(&after).is_empty(), "updates lost: {after:?}");
    let subtasks = std::fs::read_dir(&dir)
        .map(|d| d.flatten().count())
        .unwrap_or(0);
    assert_eq!(subtasks, 2, "both sink subtasks wrote");
    w.cleanup().await;
}
