//! The `reconcile` Lambda as a real Lambda process: `cargo lambda watch` runs the function
//! binary behind a local Lambda Runtime API, `cargo lambda invoke` sends it the checked-in
//! EventBridge scheduled event, and the job it deploys runs in the real local Flink under the
//! job id recorded in DynamoDB (moto). Prints the cold start (init duration) and peak memory.

use std::io::Write;
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_core::store::ControlStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::lambda::{LambdaWatch, event_fixture, function_env};

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
    let mut watch = LambdaWatch::start("reconcile", &function_env(&w, tmp.path()));
    let event = event_fixture("eventbridge-scheduled.json");

    // Cold: the watch starts the function for this invocation.
    let first = watch.invoke("reconcile", &event, FIRST_INVOKE);
    let cold = watch
        .cold_start("reconcile invoked")
        .expect("the function process was seen");
    assert_eq!(first.response["actions"], 1, "{:?}", first.response);
    assert_eq!(first.response["failed"], 0, "{:?}", first.response);
    assert_eq!(first.response["clusters_unreachable"], 0);
    // The cycle's metrics as CloudWatch EMF lines: the first deployment counted.
    let emf = watch.log_lines("\"flink_job_deployments_total\"");
    assert_eq!(emf.len(), 1, "one deployment line: {emf:?}");
    let line: serde_json::Value = serde_json::from_str(&emf[0]).expect("EMF is JSON");
    assert_eq!(line["flink_job_deployments_total"], 1.0, "{line}");
    assert_eq!(
        (&line["status"], &line["job_type"]),
        (&"success".into(), &"stream".into())
    );
    assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "FJC");
    let health = watch.log_lines("\"flink_cluster_health_status\"");
    assert!(
        health
            .iter()
            .any(|l| l.contains("\"flink_cluster_health_status\":1.0")),
        "{health:?}"
    );

    // The heartbeat names the invocation's request id, which its log lines carry.
    let control = w.ctx.store.control().await.expect("control items");
    let beat = control
        .heartbeat
        .expect("heartbeat written by the function");
    assert!(!beat.correlation_id.starts_with("local-"), "{beat:?}");
    let tagged = watch.log_lines(&beat.correlation_id);
    assert!(
        tagged.iter().any(|l| l.contains("reconcile invoked"))
            && tagged.iter().any(|l| l.contains("reconcile cycle done")),
        "{tagged:?}"
    );
    assert_eq!(beat.clusters["default"].taskmanagers, Some(1), "{beat:?}");

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
    // Once the job runs with all tasks, a cycle has nothing to do (restore points
    // are found in storage when needed, never polled).
    let start = Instant::now();
    let steady = loop {
        let inv = watch.invoke("reconcile", &event, T);
        if inv.response["actions"] == 0 {
            break inv;
        }
        assert!(start.elapsed() < T, "never steady: {:?}", inv.response);
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
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

/// The checked-in fixture `name` with its bucket and key replaced, written to `dir`.
fn fixture_for(name: &str, bucket: &str, key: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(event_fixture(name)).expect("fixture");
    let text = text
        .replace("\"fjc-artifacts\"", &format!("\"{bucket}\""))
        .replace(
            "arn:aws:s3:::fjc-artifacts",
            &format!("arn:aws:s3:::{bucket}"),
        )
        .replace("jobs/stream-counter.jar", key);
    let path = dir.join(name);
    std::fs::write(&path, text).expect("event file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_events_through_the_lambda_runtime_verify_and_deploy_the_new_artifact() {
    use fjc_core::policy::Security;
    use fjc_integration_tests::harness::ClusterAccess;
    use fjc_integration_tests::security::{
        Signer25519, jar_variant, put, put_secret, versioned_bucket,
    };

    // The function trusts the signing key through a Secrets Manager secret.
    let signer = Signer25519::generate();
    let keys_secret = put_secret(&unique("fjc-it/keys"), &signer.public_b64()).await;
    let security = Security {
        trusted_keys: signer.trusted(),
        ..Security::default()
    };
    let w = World::with_access("lambda-evt", ClusterAccess::default(), security).await;
    let (s3, bucket) = versioned_bucket().await;
    let key = "jobs/app.jar";
    let upload = |jar: std::path::PathBuf| {
        let (s3, bucket, signer) = (&s3, &bucket, &signer);
        async move {
            let bytes = std::fs::read(jar).expect("jar");
            put(s3, bucket, &format!("{key}.sig"), signer.sign(&bytes)).await;
            put(s3, bucket, key, bytes).await
        }
    };
    upload(w.artifact("stream-counter.jar")).await;
    let id = unique("evt-fn");
    let mut spec = w.stream_spec(&id);
    spec.artifact_path = format!("s3://{bucket}/{key}");
    spec.security.artifact_verification = true;
    w.apply(vec![spec]).await;

    // A new build is uploaded (not deployed by anyone yet).
    let tmp = tempfile::tempdir().expect("tmp");
    let v2 = jar_variant(&w.artifact("stream-counter.jar"), "fn-v2", tmp.path());
    let v2_version = upload(v2.clone()).await;
    let (v2_digest, _) = fjc_core::artifacts::sha256_file(&v2).await.expect("digest");

    let mut env = function_env(&w, tmp.path());
    env.push(("FJC_TRUSTED_KEYS_SECRET", keys_secret));
    env.push(("FJC_EVENT_DEBOUNCE_SECONDS", "1".into()));
    let mut watch = LambdaWatch::start("artifact-event", &env);

    let s3_event = fixture_for("s3-object-created.json", &bucket, key, tmp.path());
    let first = watch.invoke("artifact-event", &s3_event, FIRST_INVOKE);
    let cold = watch
        .cold_start("artifact event")
        .expect("the function process was seen");
    assert_eq!(first.response["accepted"], 1, "{:?}", first.response);
    assert_eq!(first.response["refused"], 0, "{:?}", first.response);
    assert_eq!(first.response["actions"], 1, "{:?}", first.response);
    let emf = watch.log_lines("\"ArtifactAccepted\"");
    assert_eq!(emf.len(), 1, "one EMF metrics line per invocation: {emf:?}");
    let metrics: serde_json::Value = serde_json::from_str(&emf[0]).expect("EMF is JSON");
    assert_eq!(metrics["ArtifactAccepted"], 1.0, "{metrics}");
    assert_eq!(metrics["ArtifactRefused"], 0.0, "{metrics}");
    assert_eq!(metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"], "FJC");
    let record = w.spec_record(&id).await.expect("spec");
    assert_eq!(record.artifact_digest, v2_digest);
    assert_eq!(
        record.artifact_version.as_deref(),
        Some(v2_version.as_str())
    );
    let state = w.state(&id).await.expect("state recorded by the function");
    let flink_id = state.flink_job_id.expect("flink job id recorded");
    w.wait_flink_state(&flink_id, FlinkJobState::Running, T)
        .await;

    // The same news through EventBridge: nothing new, nothing done.
    let eb_event = fixture_for(
        "eventbridge-s3-object-created.json",
        &bucket,
        key,
        tmp.path(),
    );
    let second = watch.invoke("artifact-event", &eb_event, T);
    assert_eq!(second.response["accepted"], 0, "{:?}", second.response);
    assert_eq!(second.response["objects"][0]["unchanged"][0], id.as_str());

    // A malformed event fails the invocation and changes nothing.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"Records": [{"eventSource": "aws:s3"}]}"#).expect("bad event");
    let failed = watch.invoke_error("artifact-event", &bad, T);
    assert!(failed.contains("malformed"), "{failed}");
    assert_eq!(
        w.spec_record(&id).await.expect("spec"),
        record,
        "nothing changed"
    );

    let after = watch.cold_start("artifact event").expect("process");
    assert_eq!(after.pid, cold.pid, "the function was restarted");
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let _ = writeln!(
        std::io::stderr(),
        "artifact-event (debug build, cargo lambda watch): init duration {}, max memory {} \
         (VmHWM after 3 invocations), first invoke {} (1 s debounce, verify, deploy), \
         EventBridge invoke {}",
        cold.init.map(ms).unwrap_or_else(|| "unknown".into()),
        after
            .max_rss_kib
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "unknown".into()),
        ms(first.wall),
        ms(second.wall),
    );
    w.cleanup().await;
    watch.stop();
}
