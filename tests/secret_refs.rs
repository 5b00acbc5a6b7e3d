//! `secret://` references in a spec's `args` and `env_vars`, through a whole
//! lifecycle run with the `fjc` binary (debug JSON logs): the job really gets the
//! values (Flink's job configuration shows them), and no resolved value appears
//! in any log line, CLI output, table item or dashboard snapshot.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fjc_integration_tests::harness::{World, fjc_binary, unique};
use fjc_integration_tests::security::put_secret;

fn fjc(w: &World, dashboard: &Path, args: &[&str], transcript: &mut String) -> String {
    let out = Command::new(fjc_binary())
        .args(args)
        .env("FJC_TABLE", &w.table)
        .env("FJC_ARTIFACT_ROOT", w.artifact_root.path())
        .env("FJC_FLINK_URL", &w.env.flink_url)
        .env("FJC_CONFIG_DIR", "/nonexistent")
        .env("FJC_DASHBOARD_DIR", dashboard)
        .env("FJC_LOG_LEVEL", "trace")
        .env("FJC_LOG_FORMAT", "json")
        .output()
        .expect("run fjc");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "fjc {args:?}: {text}");
    transcript.push_str(&text);
    // Logs go to stderr: callers parse stdout alone.
    stdout
}

fn files_text(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            all.push_str(&files_text(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolved_secret_values_never_reach_logs_outputs_table_or_snapshot() {
    let w = World::new("secret-refs").await;
    let password = unique("pw-value");
    let token = unique("tok-value");
    let url = unique("jdbc-value");
    let secret = put_secret(
        &unique("fjc-it/app"),
        &serde_json::json!({"password": password, "token": token, "url": url}).to_string(),
    )
    .await;
    let id = unique("sec");
    let out = w.out_dir.join(&id);
    let spec = format!(
        "job_id: {id}\njob_type: stream\nartifact_path: stream-counter.jar\n\
         entry_class: fjc.testjobs.StreamCounter\n\
         args: [--out-dir, '{}', --rate, '10', --api-token, 'secret://{secret}#token']\n\
         deployment: {{parallelism: 1}}\n\
         env_vars: {{DB_PASSWORD: 'secret://{secret}#password', DB_URL: 'secret://{secret}#url', PLAIN: visible}}\n",
        out.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spec.yaml");
    std::fs::write(&file, spec).unwrap();
    let dashboard = dir.path().join("dashboard");
    let f = file.to_str().unwrap();
    let mut transcript = String::new();

    fjc(&w, &dashboard, &["validate", f], &mut transcript);
    fjc(&w, &dashboard, &["apply", "-f", f], &mut transcript);
    fjc(&w, &dashboard, &["plan"], &mut transcript);
    let start = Instant::now();
    let flink_id = loop {
        fjc(&w, &dashboard, &["reconcile", "--once"], &mut transcript);
        let status = fjc(&w, &dashboard, &["status", "--json"], &mut transcript);
        let rows: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
        let row = rows
            .as_array()
            .and_then(|r| r.iter().find(|r| r["job_id"] == id.as_str()))
            .cloned();
        if let Some(r) = row.filter(|r| r["lifecycle"] == "RUNNING") {
            break r["flink_job_id"].as_str().unwrap().to_string();
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not RUNNING: {status}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    fjc(&w, &dashboard, &["status"], &mut transcript);
    fjc(&w, &dashboard, &["history", &id], &mut transcript);

    // Positive control: the job really received the values (Flink itself masks
    // parameters whose names contain "password", so DB_URL shows it).
    let config = Command::new("curl")
        .args([
            "-fsS",
            &format!("{}/jobs/{flink_id}/config", w.env.flink_url),
        ])
        .output()
        .expect("curl");
    let config = String::from_utf8_lossy(&config.stdout);
    assert!(
        config.contains(&url),
        "DB_URL not resolved for the job: {config}"
    );
    assert!(config.contains("visible"));

    // Every item of the table while the job runs and after it is deleted, every
    // output and log line, the snapshot.
    let mut table = scan(&w).await;
    assert!(
        table.contains(&format!("secret://{secret}#password")),
        "the spec keeps the reference"
    );
    // The snapshot while the job runs (the one after the delete no longer lists
    // it: the tick follows the delete to its end), and after the delete.
    let mut snapshot = files_text(&dashboard);
    assert!(snapshot.contains(&id), "the snapshot shows the job");
    fjc(&w, &dashboard, &["delete", &id], &mut transcript);
    fjc(&w, &dashboard, &["reconcile", "--once"], &mut transcript);
    table.push_str(&scan(&w).await);
    snapshot.push_str(&files_text(&dashboard));
    for (what, text) in [
        ("CLI output and logs", &transcript),
        ("table", &table),
        ("snapshot", &snapshot),
    ] {
        for value in [&password, &token, &url] {
            assert_eq!(
                text.matches(value.as_str()).count(),
                0,
                "{what} shows a secret value"
            );
        }
    }
    let lines = transcript.lines().count();
    assert!(
        lines > 20,
        "the transcript has the debug logs ({lines} lines)"
    );
    let _ = writeln_stderr(&format!(
        "secret refs: 0 hits for 3 values in {lines} lines of CLI output/logs, {} bytes of table items, {} bytes of snapshot",
        table.len(),
        snapshot.len()
    ));
}

async fn scan(w: &World) -> String {
    let sdk = fjc_aws::wiring::aws_config().await;
    let items = aws_sdk_dynamodb::Client::new(&sdk)
        .scan()
        .table_name(&w.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert!(!items.is_empty());
    format!("{items:?}")
}

fn writeln_stderr(s: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{s}")
}
