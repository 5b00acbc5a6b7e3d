//! SQL jobs on the real Flink 2.3, submitted through the SQL runner
//! (`sql-runner/`, built by `localstack/up.sh`) like any jar: a streaming script
//! with a keyed aggregate is upgraded through a savepoint and every key's count
//! goes on (read from the `print` sink's lines in the TaskManagers' stdout); a
//! script that cannot run is refused at apply with the statement it names, and
//! nothing is stored; a script Flink refuses ends FAILED with Flink's message
//! line and the statement, never a stack. The runner and `fjc validate` give
//! the same verdict on every script of the shared corpus
//! (`sql-runner/fixtures/`).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::harness::{World, fjc_binary, unique};
use fjc_spec::JobSpec;

const WAIT: Duration = Duration::from_secs(120);

/// The streaming script: datagen → `GROUP BY k` `COUNT(*)` → `print` with the
/// identifier `ident`, keeping only rows matching `filter`.
fn counts_script(ident: &str, filter: &str) -> String {
    format!(
        "-- keyed counts, printed as '{ident}> +U[k3, 17]'\n\
         SET 'execution.runtime-mode' = 'streaming';\n\
         CREATE TABLE events (k INT, v INT) WITH (\n\
           'connector' = 'datagen', 'rows-per-second' = '20',\n\
           'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '3',\n\
           'fields.v.kind' = 'random', 'fields.v.min' = '0', 'fields.v.max' = '99');\n\
         CREATE TABLE counts (k STRING, n BIGINT) WITH (\n\
           'connector' = 'print', 'print-identifier' = '{ident}');\n\
         INSERT INTO counts\n\
         SELECT CONCAT('k', CAST(k AS STRING)) AS k, COUNT(*) AS n FROM events\n\
         WHERE {filter}\n\
         GROUP BY k;\n"
    )
}

fn sql_spec(id: &str) -> JobSpec {
    serde_json::from_value(serde_json::json!({
        "job_id": id,
        "job_type": "stream",
        "artifact_path": format!("{id}.sql"),
        "deployment": {"parallelism": 1, "checkpoint_interval": "5s", "upgrade_mode": "savepoint"},
    }))
    .expect("sql spec")
}

fn write_script(w: &World, id: &str, text: &str) {
    std::fs::write(w.artifact_root.path().join(format!("{id}.sql")), text).expect("script");
}

/// Every `print` line of `ident` in the TaskManagers' stdout, as (kind, key,
/// count): `+I[k1, 1]` is ("+I", "k1", 1).
fn printed(w: &World, ident: &str) -> Vec<(String, String, u64)> {
    let get = |path: &str| {
        let out = Command::new("curl")
            .args([
                "-fsS",
                "--max-time",
                "10",
                &format!("{}{path}", w.env.flink_url),
            ])
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tms: serde_json::Value = serde_json::from_str(&get("/taskmanagers")).unwrap_or_default();
    let mut lines = Vec::new();
    for tm in tms["taskmanagers"].as_array().into_iter().flatten() {
        let id = tm["id"].as_str().unwrap_or_default();
        for line in get(&format!("/taskmanagers/{id}/stdout")).lines() {
            let Some(rest) = line.strip_prefix(&format!("{ident}> ")) else {
                continue;
            };
            // "+U[k3, 17]"
            let (kind, body) = rest.split_at(rest.find('[').unwrap_or(0));
            let body = body.trim_start_matches('[').trim_end_matches(']');
            if let Some((k, n)) = body.split_once(", ")
                && let Ok(n) = n.trim().parse()
            {
                lines.push((kind.to_string(), k.to_string(), n));
            }
        }
    }
    lines
}

/// Waits until every one of the 4 keys printed a count of at least `n`.
async fn counted(w: &World, ident: &str, n: u64) -> Vec<(String, String, u64)> {
    let start = Instant::now();
    loop {
        let lines = printed(w, ident);
        let mut top: BTreeMap<&str, u64> = BTreeMap::new();
        for (kind, k, c) in &lines {
            if kind.starts_with('+') {
                let e = top.entry(k.as_str()).or_default();
                *e = (*e).max(*c);
            }
        }
        if top.len() == 4 && top.values().all(|c| *c >= n) {
            return lines;
        }
        assert!(
            start.elapsed() < WAIT,
            "counts of {ident} did not reach {n}: {top:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_sql_job_is_upgraded_through_a_savepoint_and_its_counts_go_on() {
    let w = World::new("sql-up").await;
    let id = unique("sql-up");
    let ident = format!("c{}", id.replace('-', ""));
    write_script(&w, &id, &counts_script(&ident, "v >= 0"));
    let applied = w.apply(vec![sql_spec(&id)]).await;
    let v1 = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let v1_job = v1.flink_job_id.clone().expect("flink job");
    let job = w.flink_job(&v1_job).await.expect("listed by Flink");
    assert_eq!(
        job.name,
        format!("fjc:{id}"),
        "pipeline.name set by the controller"
    );
    w.wait_flink_state(&v1_job, FlinkJobState::Running, WAIT)
        .await;
    counted(&w, &ident, 5).await;

    // A new filter: the same plan shape, so the aggregate's state carries over.
    write_script(&w, &id, &counts_script(&ident, "v < 80"));
    let changed = w.apply(vec![sql_spec(&id)]).await;
    assert_ne!(
        changed[0].fingerprint, applied[0].fingerprint,
        "the script's digest is in the fingerprint"
    );
    let v2 = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref().map(|f| &f.0) == Some(&changed[0].fingerprint)
        })
        .await;
    let v2_job = v2.flink_job_id.clone().expect("flink job");
    assert_ne!(v2_job, v1_job);
    let sp = v2.last_savepoint.clone().expect("a savepoint was taken");
    assert_eq!((sp.kind.as_str(), &sp.from_job), ("savepoint", &v1_job));
    w.wait_flink_state(&v2_job, FlinkJobState::Running, WAIT)
        .await;
    let before = printed(&w, &ident).len();
    let lines = counted(&w, &ident, 25).await;
    assert!(lines.len() > before, "the new version printed");
    // Each key was inserted once: after the upgrade its count went on from the
    // savepoint, it never started again at 1.
    let mut inserts: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, k, _) in &lines {
        if kind == "+I" {
            *inserts.entry(k.as_str()).or_default() += 1;
        }
    }
    assert!(
        inserts.values().all(|n| *n == 1) && inserts.len() == 4,
        "a key started again from 1: {inserts:?}"
    );
    assert_eq!(w.live_jobs(&id).await.len(), 1, "exactly one job runs");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_cannot_run_is_refused_at_apply_and_one_flink_refuses_ends_failed() {
    let w = World::new("sql-bad").await;
    for (name, script, expected) in [
        ("empty", "-- nothing here\n", "the script is empty"),
        (
            "client",
            "CREATE TABLE t (k INT) WITH ('connector' = 'datagen');\nSHOW TABLES;\n\
             INSERT INTO t SELECT 1;\n",
            "statement 2 (line 2): SHOW is a SQL client command",
        ),
        (
            "unterminated",
            "INSERT INTO t SELECT 'oops;\n",
            "statement 1 (line 1): unterminated string literal",
        ),
    ] {
        let id = unique(&format!("sql-{name}"));
        write_script(&w, &id, script);
        let err = w.try_apply(vec![sql_spec(&id)]).await.expect_err("refused");
        let message = err.to_string();
        assert!(
            message.contains(&format!("{id}.sql")) && message.contains(expected),
            "{name}: {message}"
        );
        assert!(w.spec_record(&id).await.is_none(), "{name}: nothing stored");
    }

    // Offline it is fine; Flink's planner refuses it (no such table).
    let id = unique("sql-missing");
    write_script(
        &w,
        &id,
        "CREATE TABLE sink (k INT) WITH ('connector' = 'blackhole');\n\
         INSERT INTO sink\nSELECT k FROM nowhere;\n",
    );
    w.apply(vec![sql_spec(&id)]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Failed)
        .await;
    let error = s.last_error.expect("the reason").message;
    assert!(
        error.contains("statement 2 (line 2): SQL validation failed.")
            && error.contains("Object 'nowhere' not found"),
        "{error}"
    );
    assert!(!error.contains("Caused by"), "Flink's line only: {error}");
    assert!(!error.contains("\tat "), "no stack trace: {error}");
    eprintln!("recorded: {error}");
    assert!(w.live_jobs(&id).await.is_empty());
    w.cleanup().await;
}

/// Both implementations of the offline rules against the shared corpus: the
/// runner's (`fjc.sql.SqlScript`, the Java that runs on the cluster) here, and
/// `fjc_spec::sql`'s in its unit tests, each compared with the same `.expect`.
#[test]
fn the_runner_gives_every_fixtures_expected_verdict() {
    let env = LocalEnv::from_env();
    let runner = env.runners().sql.expect("the SQL runner");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql-runner/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let out = Command::new("java")
            .arg("-cp")
            .arg(&runner)
            .args(["fjc.sql.SqlScript", "--script"])
            .arg(&path)
            .output()
            .expect("java");
        let told = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = std::fs::read_to_string(path.with_extension("expect")).expect("expect");
        assert_eq!(told, expected, "{}", path.display());
        assert_eq!(out.status.success(), !expected.contains("fjc-sql: "));
        seen += 1;
    }
    assert!(seen >= 12, "{seen} fixtures");
}

/// `fjc validate` reads a local script below the artifact root and names the
/// statement; a good one passes.
#[test]
fn fjc_validate_checks_a_local_sql_script() {
    let root = tempfile::tempdir().expect("root");
    let dir = tempfile::tempdir().expect("specs");
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "job_id: counts\njob_type: stream\nartifact_path: q/counts.sql\n",
    )
    .expect("spec");
    std::fs::create_dir_all(root.path().join("q")).expect("dir");
    let validate = |script: &str| {
        std::fs::write(root.path().join("q/counts.sql"), script).expect("script");
        Command::new(fjc_binary())
            .args(["validate"])
            .arg(&spec)
            .env("FJC_ARTIFACT_ROOT", root.path())
            .env("FJC_CONFIG_DIR", "/nonexistent")
            .env("NO_COLOR", "1")
            .output()
            .expect("fjc")
    };
    let bad = validate("CREATE TABLE t (k INT);\nDESCRIBE t;\nINSERT INTO t SELECT 1;\n");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        err.contains(
            "artifact_path: q/counts.sql: statement 2 (line 2): DESCRIBE is a SQL client command"
        ),
        "{err}"
    );
    let good = validate(&counts_script("ok", "v > 1"));
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}
