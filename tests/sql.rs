//! SQL jobs on the real Flink 2.3, submitted through the SQL runner
//! (`sql-runner/`, built by `localstack/up.sh`) like any jar: a streaming script
//! with a keyed aggregate is upgraded through a savepoint and every key's count
//! goes on (read from the `print` sink's lines in the TaskManagers' stdout); a
//! script that cannot run is refused at apply with the statement it names, and
//! nothing is stored; a script Flink refuses ends FAILED with Flink's message
//! line and the statement, never a stack. The runner and `fjc validate` give
//! the same verdict on every script of the shared corpus
//! (`sql-runner/fixtures/`).

use std::process::Command;
use std::time::{Duration, Instant};

use fjc_core::state::Lifecycle;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::harness::{World, fjc_binary, unique};
use fjc_integration_tests::printed::{Row, inserts, upgraded_keeping_counts};
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

fn printed(w: &World, ident: &str) -> Vec<Row> {
    fjc_integration_tests::printed::printed(&w.env.flink_url, ident)
}

/// Waits until every one of the 4 keys printed a count of at least `n`.
async fn counted(w: &World, ident: &str, n: u64) -> Vec<Row> {
    fjc_integration_tests::printed::counted(&w.env.flink_url, ident, 4, n, WAIT).await
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
    upgraded_keeping_counts(&w, &id, &changed[0].fingerprint, &v1_job, &ident, WAIT).await;
    w.cleanup().await;
}

/// Applies `script` (it passes the offline check), cycles until the job is
/// FAILED, and returns its error: Flink's line with the runner's statement,
/// never a stack; no Flink job was created.
async fn refused_by_flink(w: &World, script: &str) -> String {
    let id = unique("sql-refused");
    write_script(w, &id, script);
    w.apply(vec![sql_spec(&id)]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Failed)
        .await;
    let error = s.last_error.expect("the reason").message;
    assert!(!error.contains("Caused by"), "Flink's line only: {error}");
    assert!(!error.contains("\tat "), "no stack trace: {error}");
    eprintln!("recorded: {error}");
    let jobs = w.jobs_named(&format!("fjc:{id}")).await;
    assert!(jobs.is_empty(), "no Flink job: {jobs:?}");
    error
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
    let error = refused_by_flink(
        &w,
        "CREATE TABLE sink (k INT) WITH ('connector' = 'blackhole');\n\
         INSERT INTO sink\nSELECT k FROM nowhere;\n",
    )
    .await;
    assert!(
        error.contains("statement 2 (line 2): SQL validation failed.")
            && error.contains("Object 'nowhere' not found"),
        "{error}"
    );

    // A syntax error past the offline check: Flink's parser names it.
    let error = refused_by_flink(
        &w,
        "CREATE TABLE sink (k INT) WITH ('connector' = 'blackhole');\n\
         INSERT INTO sink\nSELEC 1;\n",
    )
    .await;
    assert!(
        error.contains("statement 2 (line 2): SQL parse failed."),
        "{error}"
    );
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

/// A bounded job: 1,000 generated orders summed per key and overall, both
/// INSERTs in one statement set (one Flink job per run).
fn batch_script(ident: &str) -> String {
    format!(
        "SET 'execution.runtime-mode' = 'batch';\n\
         CREATE TEMPORARY TABLE orders (id BIGINT, k INT, amount INT) WITH (\n\
           'connector' = 'datagen', 'number-of-rows' = '1000',\n\
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000',\n\
           'fields.k.min' = '0', 'fields.k.max' = '4',\n\
           'fields.amount.min' = '1', 'fields.amount.max' = '10');\n\
         CREATE TEMPORARY TABLE per_key (k INT, orders BIGINT) WITH (\n\
           'connector' = 'blackhole');\n\
         CREATE TEMPORARY TABLE overall (orders BIGINT, max_id BIGINT) WITH (\n\
           'connector' = 'print', 'print-identifier' = '{ident}');\n\
         EXECUTE STATEMENT SET BEGIN\n\
           INSERT INTO per_key SELECT k, COUNT(*) FROM orders GROUP BY k;\n\
           INSERT INTO overall SELECT COUNT(*), MAX(id) FROM orders;\n\
         END;\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sql_job_on_a_schedule_with_max_runs_2_runs_exactly_twice() {
    use fjc_core::clock::Clock;
    use fjc_core::runs::RunStatus;
    use fjc_core::store::StateStore;

    let w = World::new("sql-batch").await;
    let id = unique("sql-batch");
    let ident = format!("b{}", id.replace('-', ""));
    write_script(&w, &id, &batch_script(&ident));
    let spec: JobSpec = serde_json::from_value(serde_json::json!({
        "job_id": id,
        "job_type": "batch",
        "artifact_path": format!("{id}.sql"),
        "deployment": {"parallelism": 1},
        "batch_config": {"cron": "*/5 * * * *", "max_runs": 2, "cleanup_on_completion": true},
    }))
    .expect("batch spec");
    w.apply(vec![spec]).await;
    // The schedule is anchored, then each fire time is reached in turn.
    w.cycle().await;
    let minute = 60_000;
    let next_fire = || {
        let now = w.clock.now_ms();
        let next = (now / (5 * minute) + 1) * (5 * minute);
        w.clock.advance(next - now + 1_000);
    };
    for n in 1..=2 {
        next_fire();
        let start = Instant::now();
        loop {
            w.cycle().await;
            let runs = w.ctx.store.list_runs(&id).await.expect("runs");
            let done = runs
                .iter()
                .filter(|r| r.status == RunStatus::Finished)
                .count();
            if done == n {
                break;
            }
            assert!(
                runs.iter().all(|r| r.status != RunStatus::Failed),
                "a run failed: {runs:?}"
            );
            assert!(start.elapsed() < WAIT, "run {n} did not finish: {runs:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    next_fire();
    let after = w.cycle().await;
    assert!(after.actions.is_empty(), "no third run: {after:?}");
    let runs = w.ctx.store.list_runs(&id).await.expect("runs");
    assert_eq!(runs.len(), 2, "{runs:?}");
    // Each run printed the overall line once: 1,000 orders, the last id 1,000
    // (read from the TaskManagers' stdout through the REST API, which may lag
    // behind the runs' end under load).
    let start = Instant::now();
    let overall = loop {
        let overall: Vec<_> = printed(&w, &ident)
            .into_iter()
            .filter(|(kind, _, _)| kind == "+I")
            .collect();
        if overall.len() >= 2 || start.elapsed() > WAIT {
            break overall;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(overall.len(), 2, "{overall:?}");
    assert!(
        overall
            .iter()
            .all(|(_, orders, max)| orders == "1000" && *max == 1000),
        "{overall:?}"
    );
    w.cleanup().await;
}

/// [`counts_script`] grouped by key and parity: the aggregate's key type changes,
/// so its state cannot be restored from a savepoint of the first.
fn regrouped_script(ident: &str) -> String {
    counts_script(ident, "v >= 0")
        .replace(
            "CREATE TABLE counts (k STRING, n BIGINT)",
            "CREATE TABLE counts (k STRING, parity INT, n BIGINT)",
        )
        .replace(
            "AS k, COUNT(*) AS n FROM events",
            "AS k, v % 2 AS parity, COUNT(*) AS n FROM events",
        )
        .replace("GROUP BY k;", "GROUP BY k, v % 2;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_sql_change_is_rolled_back_with_the_reason_and_the_counts_go_on() {
    let w = World::new("sql-rb").await;
    let id = unique("sql-rb");
    let ident = format!("r{}", id.replace('-', ""));
    let mut spec = sql_spec(&id);
    spec.deployment.stable_after = Some("1s".into());
    spec.deployment.restart_strategy = Some(fjc_spec::RestartStrategy::None);
    write_script(&w, &id, &counts_script(&ident, "v >= 0"));
    let v1 = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();
    w.cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Stable)
        .await;
    counted(&w, &ident, 5).await;

    let regrouped = regrouped_script(&ident);
    assert_ne!(
        regrouped,
        counts_script(&ident, "v >= 0"),
        "the script changed"
    );
    write_script(&w, &id, &regrouped);
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::RolledBack)
        .await;
    assert_eq!(s.deployed_fingerprint.map(|f| f.0), Some(v1));
    let rb = s.rollback.expect("the rollback");
    assert_eq!((rb.from_revision, rb.to_revision), (2, 1));
    // The reason carries Flink's own: the aggregate's state does not fit the new key.
    assert!(
        rb.reason.contains("failed before it was stable")
            && rb.reason.contains("StateMigrationException"),
        "{}",
        rb.reason
    );
    let job = s.flink_job_id.expect("the rolled-back job");
    w.wait_flink_state(&job, FlinkJobState::Running, WAIT).await;
    // Revision 1 again, from the savepoint: each key still inserted once.
    let lines = counted(&w, &ident, 20).await;
    let inserts = inserts(&lines);
    assert!(
        inserts.values().all(|n| *n == 1) && inserts.len() == 4,
        "a key started again from 1: {inserts:?}"
    );
    eprintln!("rolled back: {}", rb.reason);
    w.cleanup().await;
}
