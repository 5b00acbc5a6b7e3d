//! Metrics read from the actual endpoint: `fjc reconcile --every 1s
//! --metrics-addr 127.0.0.1:0` runs against the real cluster through a known
//! sequence (deploy, the job fails, the controller recovers it), and the test
//! scrapes `/metrics` until the seed metrics show exactly that.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, unique};

const WAIT: Duration = Duration::from_secs(150);

/// Kills the reconcile loop when the test ends, however it ends.
struct Loop(Child);

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scrape(url: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-fsS", "--max-time", "5", url])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_endpoint_shows_deploy_failure_and_recovery() {
    let w = World::new("metrics").await;
    let id = unique("metrics");
    let mut spec = w.stream_spec(&id);
    let marker = w.out_dir.join(&id).join("fail-once");
    spec.args
        .extend(["--fail-once-marker".into(), marker.display().to_string()]);
    spec.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    spec.deployment.recovery_backoff = Some("1s".into());
    w.apply(vec![spec]).await;

    let mut child = w
        .fjc_command(&[
            "reconcile",
            "--every",
            "1s",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .env("FJC_CHECKPOINT_RECORD_SECONDS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fjc reconcile");
    let stderr = child.stderr.take().expect("stderr");
    let _guard = Loop(child);
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("fjc printed its metrics address")
            .unwrap();
        if let Some(u) = line.strip_prefix("metrics: ") {
            break u.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let until = |what: &str, ok: &dyn Fn(&str) -> bool| {
        let start = Instant::now();
        loop {
            let text = scrape(&url);
            if ok(&text) {
                return text;
            }
            assert!(start.elapsed() < WAIT, "{what}; last scrape:\n{text}");
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    let deployed = "flink_job_deployments_total{job_type=\"stream\",status=\"success\"}";
    let active = "flink_active_jobs{job_type=\"stream\"}";
    let text = until("deployed and running", &|t| {
        value(t, deployed) == Some(1.0) && value(t, active) == Some(1.0)
    });
    assert_eq!(
        value(&text, "flink_cluster_health_status{cluster=\"default\"}"),
        Some(1.0)
    );
    assert!(value(&text, "fjc_reconcile_cycles_total{lease=\"acquired\"}").unwrap_or(0.0) >= 1.0);
    assert!(value(&text, "fjc_flink_calls_total{kind=\"write\"}").unwrap_or(0.0) >= 2.0);
    assert!(value(&text, "flink_job_deployment_duration_seconds_count") == Some(1.0));
    counter::counted(&w.out_dir.join(&id), 4, 5, WAIT).await;
    // Its health signals, labelled by job, from the cycles' probes.
    let restarts = format!("fjc_job_restarts{{job=\"{id}\"}}");
    let age = format!("fjc_job_checkpoint_age_seconds{{job=\"{id}\"}}");
    let text = until("health probed", &|t| {
        value(t, &restarts) == Some(0.0) && value(t, &age).is_some()
    });
    let age = value(&text, &age).unwrap_or(f64::MAX);
    assert!((0.0..60.0).contains(&age), "checkpoints every 2 s: {age}");

    // The job fails once; the controller recovers it: a second successful deployment.
    std::fs::write(&marker, b"").unwrap();
    let text = until("recovered", &|t| {
        value(t, deployed) == Some(2.0) && value(t, active) == Some(1.0)
    });
    assert_eq!(value(&text, "flink_reconciliation_errors_total"), Some(0.0));
    let s = w.state(&id).await.unwrap();
    assert_eq!(s.recoveries.len(), 1, "{s:?}");
    assert!(matches!(
        s.lifecycle,
        Lifecycle::Running | Lifecycle::Stable | Lifecycle::Recovering | Lifecycle::Deploying
    ));
    drop(_guard);
    w.cleanup().await;
}

/// JSON logs: every line of a `fjc reconcile --once` that deploys a job is one
/// JSON object; every line logged during the cycle carries its correlation id,
/// and the action's lines carry the job id too. Then the heartbeat it wrote
/// makes `fjc health` pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_correlation_id_and_the_job() {
    let w = World::new("jsonlog").await;
    let id = unique("jsonlog");
    w.apply(vec![w.stream_spec(&id)]).await;
    let out = w
        .fjc_command(&["reconcile", "--once"])
        .env("FJC_LOG_FORMAT", "json")
        .env("FJC_LOG_LEVEL", "debug")
        .output()
        .expect("fjc reconcile");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let in_cycle: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l.get("spans").is_some()).collect();
    assert!(in_cycle.len() >= 3, "{text}");
    let ids: std::collections::BTreeSet<&str> = in_cycle
        .iter()
        .map(|l| {
            l["spans"][0]["correlation_id"]
                .as_str()
                .unwrap_or_else(|| panic!("no correlation id: {l}"))
        })
        .collect();
    assert_eq!(ids.len(), 1, "one cycle, one id: {ids:?}");
    assert!(ids.iter().all(|i| i.starts_with("local-")), "{ids:?}");
    let job_lines = in_cycle
        .iter()
        .filter(|l| {
            l["spans"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["job"] == id.as_str()))
        })
        .count();
    assert!(job_lines >= 1, "the deploy's lines name the job: {text}");
    // Lines outside a cycle are start-up messages only.
    for l in lines.iter().filter(|l| l.get("spans").is_none()) {
        assert_eq!(l["target"], "fjc_aws::wiring", "{l}");
    }
    let health = w.fjc(&["health"]);
    assert_eq!(health.status.code(), Some(0), "{health:?}");
    let said = String::from_utf8_lossy(&health.stdout);
    assert!(said.contains("cluster default: reachable"), "{said}");
    assert!(said.contains("slots free"), "{said}");
    w.cleanup().await;
}

/// OpenTelemetry: `fjc reconcile --once` with an OTLP endpoint exports one trace
/// per cycle: the `reconcile` span (with the correlation id), an `action` span per
/// job (with its id) and `flink_call` spans below them, all in one trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_exporter_sends_cycle_action_and_flink_call_spans() {
    let receiver = fjc_integration_tests::otlp::OtlpReceiver::start().await;
    let w = World::new("otlp").await;
    let id = unique("otlp");
    w.apply(vec![w.stream_spec(&id)]).await;
    let out = w
        .fjc_command(&["reconcile", "--once"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.url)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .output()
        .expect("fjc reconcile");
    assert!(out.status.success(), "{out:?}");
    let spans = receiver.spans();
    let named = |n: &str| spans.iter().filter(|s| s.name == n).collect::<Vec<_>>();
    let cycle = named("reconcile");
    assert_eq!(cycle.len(), 1, "{spans:#?}");
    let cycle = cycle[0];
    assert_eq!(cycle.service, "fjc");
    assert!(
        cycle
            .attributes
            .iter()
            .any(|(k, v)| k == "correlation_id" && v.starts_with("local-")),
        "{cycle:?}"
    );
    let action = named("action");
    assert!(
        action
            .iter()
            .any(|a| a.attributes.iter().any(|(k, v)| k == "job" && v == &id)),
        "{action:?}"
    );
    let calls = named("flink_call");
    assert!(calls.len() >= 3, "overview, upload, run…: {calls:?}");
    assert!(
        spans.iter().all(|s| s.trace_id == cycle.trace_id),
        "one trace per cycle: {spans:#?}"
    );
    // Every span's parent chain ends at the cycle span.
    let by_id: std::collections::BTreeMap<&str, &fjc_integration_tests::otlp::ReceivedSpan> =
        spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    for s in &calls {
        let mut at = *s;
        let mut hops = 0;
        while !at.parent.is_empty() && hops < 10 {
            at = by_id.get(at.parent.as_str()).expect("parent exported");
            hops += 1;
        }
        assert_eq!(at.name, "reconcile", "{s:?}");
    }
    w.cleanup().await;
}
