//! Sharded fan-out through the real Lambda runtime (`cargo lambda watch`, which
//! also serves Lambda's `Invoke` API): with `FJC_SHARDS=2`, the scheduled event
//! makes the `reconcile` function invoke itself asynchronously once per shard
//! (through the AWS SDK, `InvocationType: Event`), and each shard invocation
//! deploys its own job under its own lease. The fan-out itself acts on nothing
//! and writes the heartbeat from a whole-fleet view.

use std::time::{Duration, Instant};

use fjc_core::shard::Shard;
use fjc_core::state::Lifecycle;
use fjc_core::store::ControlStore;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::lambda::{LambdaWatch, event_fixture, free_port, function_env};

const SHARDS: u32 = 2;
/// The first invocation may have to link the function binary (`cargo run` under the watch).
const FIRST_INVOKE: Duration = Duration::from_secs(600);
const T: Duration = Duration::from_secs(120);

/// One job id in each shard.
fn one_per_shard() -> Vec<String> {
    let mut ids: Vec<Option<String>> = vec![None; SHARDS as usize];
    while ids.iter().any(Option::is_none) {
        let id = unique("fan");
        let slot = &mut ids[Shard::of(&id, SHARDS).index() as usize];
        if slot.is_none() {
            *slot = Some(id);
        }
    }
    ids.into_iter().flatten().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_event_fans_out_one_invocation_per_shard() {
    let w = World::new("fanout").await;
    let ids = one_per_shard();
    w.apply(ids.iter().map(|id| w.stream_spec(id)).collect())
        .await;

    let tmp = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let mut env = function_env(&w, tmp.path());
    env.extend([
        ("FJC_SHARDS", SHARDS.to_string()),
        ("FJC_FANOUT_FUNCTION", "reconcile".to_string()),
        // The SDK's Lambda endpoint: the watch's Invoke API.
        (
            "AWS_ENDPOINT_URL_LAMBDA",
            format!("http://127.0.0.1:{port}"),
        ),
    ]);
    // The fan-out and both shard cycles may run at once.
    let mut watch = LambdaWatch::start_on("reconcile", &env, port, SHARDS + 1);
    let event = event_fixture("eventbridge-scheduled.json");

    let fan = watch.invoke("reconcile", &event, FIRST_INVOKE);
    assert_eq!(fan.response["shards"], SHARDS, "{:?}", fan.response);
    assert_eq!(fan.response["started"], SHARDS, "{:?}", fan.response);
    assert_eq!(fan.response["specs"], 2, "the view sees the whole fleet");

    // The shard invocations run on their own: each deploys its shard's job.
    let start = Instant::now();
    loop {
        let mut deployed = 0;
        for id in &ids {
            if let Some(s) = w.state(id).await {
                deployed += usize::from(s.flink_job_id.is_some());
            }
        }
        if deployed == ids.len() {
            break;
        }
        assert!(
            start.elapsed() < T,
            "shard invocations did not deploy both jobs:\n{}",
            watch.log_tail(80)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for id in &ids {
        let jobs = w.jobs_named(&format!("fjc:{id}")).await;
        assert_eq!(jobs.len(), 1, "{id}: submitted once: {jobs:?}");
    }
    // Each shard's invocation logged its shard, and took its own lease.
    for shard in Shard::all(SHARDS) {
        let lines = watch.log_lines(&format!("index: {}, count: {SHARDS}", shard.index()));
        assert!(
            lines.iter().any(|l| l.contains("reconcile invoked")),
            "{shard}: no invocation:\n{}",
            watch.log_tail(80)
        );
    }
    // The fan-out's view wrote the heartbeat; the shards did not.
    let beat = w.ctx.store.control().await.expect("control").heartbeat;
    let beat = beat.expect("heartbeat written by the fan-out's view");
    assert_eq!(beat.specs, 2, "{beat:?}");

    // The next scheduled event: the shards record RUNNING, nothing is submitted again.
    let start = Instant::now();
    loop {
        watch.invoke("reconcile", &event, T);
        let mut running = 0;
        for id in &ids {
            let s = w.state(id).await.expect("state");
            running += usize::from(s.lifecycle == Lifecycle::Running);
        }
        if running == ids.len() {
            break;
        }
        assert!(start.elapsed() < T, "jobs did not reach RUNNING");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for id in &ids {
        assert_eq!(w.jobs_named(&format!("fjc:{id}")).await.len(), 1, "{id}");
    }
    w.cleanup().await;
}
