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
