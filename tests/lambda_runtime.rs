//! The `reconcile` Lambda as a real Lambda process: `cargo lambda watch` runs the function
//! binary behind a local Lambda Runtime API, `cargo lambda invoke` sends it the checked-in
//! EventBridge scheduled event, and the job it deploys runs in the real local Flink under the
//! job id recorded in DynamoDB (moto). Prints the cold start (init duration) and peak memory.

use std::io::Write;
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::lambda::{LambdaWatch, event_fixture};

const T: Duration = Duration::from_secs(90);
/// The first invocation may have to link the function binary (`cargo run` under the watch).
const FIRST_INVOKE: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_event_through_the_lambda_runtime_deploys_the_job_and_records_it() {
    let w = World::new("lambda").await;
    let id = unique("counter");
    let applied = w.apply(vec![w.stream_spec(&id)]).await;
    assert_eq!(applied[0].outcome.as_str(), "created");

    let tmp = tempfile::tempdir().expect("tmp");
    // AWS_* (moto) come from the environment localstack/up.sh wrote; the rest points the
    // function at this test's table and artifact root.
    let mut watch = LambdaWatch::start(
        "reconcile",
        &[
            ("FJC_ENV", "local".into()),
            (
                "FJC_CONFIG_DIR",
                fjc_integration_tests::lambda::repo_root()
                    .join("config")
                    .display()
                    .to_string(),
            ),
            ("FJC_TABLE", w.table.clone()),
            ("FJC_FLINK_URL", w.env.flink_url.clone()),
            (
                "FJC_ARTIFACT_ROOT",
                w.artifact_root.path().display().to_string(),
            ),
            ("FJC_TMP_DIR", tmp.path().display().to_string()),
            ("FJC_LOG_FORMAT", "json".into()),
            ("FJC_LOG_LEVEL", "info".into()),
        ],
    );
    let event = event_fixture("eventbridge-scheduled.json");

    // Cold: the watch starts the function for this invocation.
    let first = watch.invoke("reconcile", &event, FIRST_INVOKE);
    let cold = watch
        .cold_start("reconcile invoked")
        .expect("the function process was seen");
    assert_eq!(first.response["actions"], 1, "{:?}", first.response);
    assert_eq!(first.response["failed"], 0, "{:?}", first.response);
    assert_eq!(first.response["clusters_unreachable"], 0);

    // The job runs in the real cluster under the id the function recorded in DynamoDB.
    let state = w.state(&id).await.expect("state recorded by the function");
    let flink_id = state.flink_job_id.clone().expect("flink job id recorded");
    w.wait_flink_state(&flink_id, FlinkJobState::Running, T)
        .await;
    assert_eq!(
        w.flink_job(&flink_id).await.unwrap().name,
        format!("fjc:{id}")
    );

    // Warm: later scheduled events record RUNNING, then find nothing to do.
    let start = Instant::now();
    let mut warm = Vec::new();
    loop {
        let inv = watch.invoke("reconcile", &event, T);
        warm.push(inv.wall);
        let s = w.state(&id).await.expect("state");
        if s.lifecycle == Lifecycle::Running {
            assert_eq!(s.flink_job_id.as_ref(), Some(&flink_id));
            break;
        }
        assert!(start.elapsed() < T, "not RUNNING within {T:?}: {s:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let steady = watch.invoke("reconcile", &event, T);
    assert_eq!(steady.response["actions"], 0, "{:?}", steady.response);
    warm.push(steady.wall);

    // The same process served every invocation (one cold start).
    let after = watch.cold_start("reconcile invoked").expect("process");
    assert_eq!(after.pid, cold.pid, "the function was restarted");
    let jobs = w.jobs_named(&format!("fjc:{id}")).await;
    let live = jobs
        .iter()
        .filter(|j| !j.state.is_globally_terminal())
        .count();
    assert_eq!(live, 1, "{jobs:?}");

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    // Straight to stderr, past the test harness's capture, so CI logs show the numbers.
    let _ = writeln!(
        std::io::stderr(),
        "reconcile (debug build, cargo lambda watch): init duration {}, max memory {} \
         (VmHWM after {} invocations), first invoke {} (cycle {} ms), warm invokes {}",
        cold.init.map(ms).unwrap_or_else(|| "unknown".into()),
        after
            .max_rss_kib
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "unknown".into()),
        warm.len() + 1,
        ms(first.wall),
        first.response["duration_ms"],
        warm.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
    );

    w.cleanup().await;
    watch.stop();
}
