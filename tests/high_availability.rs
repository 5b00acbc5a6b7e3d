//! A Flink cluster with ZooKeeper high availability (localstack/ha-up.sh; its
//! env.sh sets FJC_HA_FLINK_URL): a killed JobManager recovers its jobs itself,
//! under the same job ids, from their newest checkpoint. Its REST answers 503
//! ("leader election") for about 40 s meanwhile. The controller must adopt the
//! recovered job: no second submission, no cancel, the recovery recorded, the
//! counts continuous. The cluster is this test's own, so it runs in the parallel
//! phase; scripts/test.sh starts it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_flink::{FlinkApi, FlinkJobState};
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, flink_client, unique};

const T: Duration = Duration::from_secs(180);

fn ha_ctl(command: &str) -> Command {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../localstack/ha-ctl.sh");
    let mut c = Command::new("bash");
    c.arg(script).arg(command);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_flink_recovers_after_a_jobmanager_failover_is_adopted_not_resubmitted() {
    let url = std::env::var("FJC_HA_FLINK_URL")
        .expect("FJC_HA_FLINK_URL is not set: run localstack/ha-up.sh and source .local-ha/env.sh");
    let mut w = World::with_flink_url("ha", Some(&url)).await;
    w.flink = flink_client(&url, Duration::from_secs(10));
    let id = unique("ha");
    let mut spec = w.stream_spec(&id);
    spec.deployment.checkpoint_interval = Some("1s".into());
    w.apply(vec![spec]).await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let job = s.flink_job_id.clone().unwrap();
    let dir = w.out_dir.join(&id);
    counter::counted(&dir, 4, 5, T).await;
    w.wait_newer_checkpoint(&job, T).await;
    let before = counter::latest(&counter::counts(&dir));

    // The JobManager dies; a new one starts while cycles keep running. Not one
    // cycle submits or cancels anything: the cluster is unreachable (refused, then
    // 503 during the leader election), and then lists the same job again.
    let status = ha_ctl("kill-jobmanager").status().expect("ha-ctl");
    assert!(status.success(), "ha-ctl kill-jobmanager failed");
    let mut starter = ha_ctl("start-jobmanager").spawn().expect("ha-ctl");
    let deadline = Instant::now() + T;
    let mut unreachable_cycles = 0;
    let recovered = loop {
        assert!(Instant::now() < deadline, "the job never came back");
        let report = w.cycle().await;
        assert!(
            report.actions.iter().all(|a| a.action == "record"),
            "the controller acted on a job Flink recovers itself: {report:?}"
        );
        if report.clusters.get("default").is_some_and(Result::is_err) {
            unreachable_cycles += 1;
        }
        let s = w.state(&id).await.unwrap();
        if s.flink_state.as_deref() == Some("RUNNING") && !s.recoveries.is_empty() {
            break s;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert!(
        starter.wait().expect("ha-ctl").success(),
        "ha-ctl start-jobmanager failed"
    );
    assert!(
        unreachable_cycles > 0,
        "no cycle ran while the JobManager was away"
    );
    assert_eq!(
        recovered.flink_job_id.as_ref(),
        Some(&job),
        "same Flink job"
    );
    assert_eq!(recovered.recoveries.len(), 1, "{recovered:?}");
    assert!(matches!(
        recovered.lifecycle,
        Lifecycle::Running | Lifecycle::Stable
    ));
    // Exactly one job of this spec on the cluster, the same one.
    let listed: Vec<_> = w
        .flink
        .list_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.name == format!("fjc:{id}"))
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, job);
    w.wait_flink_state(&job, FlinkJobState::Running, T).await;
    // Restored by Flink from its newest checkpoint: no key starts over.
    let top = before.values().max().copied().unwrap_or(0);
    let after = counter::counted(&dir, 4, top + 5, T).await;
    assert!(counter::resets(&after).is_empty(), "reset: {after:?}");
    assert!(counter::gaps(&after).is_empty(), "gap: {after:?}");
    // Recorded once: later cycles submit, cancel and recover nothing (a health
    // probe of the job, in its gate window again, may record its signals).
    let again = w.cycle().await;
    assert!(
        again.actions.iter().all(|a| a.action == "record"),
        "{again:?}"
    );
    assert_eq!(again.flink.writes, 0, "{again:?}");
    assert_eq!(w.state(&id).await.unwrap().recoveries.len(), 1);
    w.cleanup().await;
}
