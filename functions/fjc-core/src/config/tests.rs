use super::*;
use std::collections::HashMap;

fn load(files: &[(&str, &str)], vars: &[(&str, &str)]) -> Result<Config, CoreError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("FJC_CONFIG_DIR".into(), dir.path().display().to_string());
    Config::load_with(|k| env.get(k).cloned())
}

#[test]
fn layers_override_in_order() {
    let c = load(
        &[
            (
                "config.yaml",
                "table: base-table\nreconcile:\n  max_concurrency: 4\n  lease_ttl_seconds: 60\n",
            ),
            (
                "config.prod.yaml",
                "table: prod-table\nreconcile:\n  max_concurrency: 16\n",
            ),
        ],
        &[("FJC_ENV", "prod"), ("FJC_MAX_CONCURRENCY", "32")],
    )
    .unwrap();
    assert_eq!(c.table, "prod-table");
    assert_eq!(c.reconcile.max_concurrency, 32);
    assert_eq!(c.reconcile.lease_ttl_seconds, 60);
    assert_eq!(c.environment, "prod");
}

#[test]
fn orphan_policy_from_file_and_env() {
    let c = load(
        &[("config.yaml", "reconcile:\n  orphan_policy: cancel-own\n")],
        &[],
    )
    .unwrap();
    assert_eq!(c.reconcile.orphan_policy, OrphanPolicy::CancelOwn);
    let c = load(&[], &[("FJC_ORPHAN_POLICY", "leave")]).unwrap();
    assert_eq!(c.reconcile.orphan_policy, OrphanPolicy::Leave);
    let e = load(&[], &[("FJC_ORPHAN_POLICY", "cancel-all")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("FJC_ORPHAN_POLICY") && e.contains("cancel-own"),
        "{e}"
    );
    let e = load(
        &[("config.yaml", "reconcile:\n  orphan_policy: nuke\n")],
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("config.yaml") && e.contains("nuke"), "{e}");
}

#[test]
fn env_table_wins_and_flink_url_sets_default_cluster() {
    let c = load(
        &[("config.yaml", "table: base\n")],
        &[
            ("FJC_TABLE", "t-from-env"),
            ("FJC_FLINK_URL", "http://127.0.0.1:8081"),
        ],
    )
    .unwrap();
    assert_eq!(c.table, "t-from-env");
    assert_eq!(c.cluster("default").unwrap().url, "http://127.0.0.1:8081");
}

#[test]
fn errors_name_the_file_or_variable() {
    let e = load(&[("config.yaml", "tabel: x\n")], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.yaml") && e.contains("tabel"), "{e}");
    let e = load(&[], &[("FJC_MAX_CONCURRENCY", "many")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("FJC_MAX_CONCURRENCY"), "{e}");
    let e = load(&[], &[("FJC_MAX_CONCURRENCY", "0")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_concurrency"), "{e}");
    let e = load(&[], &[("FJC_FLINK_URL", "localhost:8081")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("clusters.default.url"), "{e}");
    let e = load(&[("config.yaml", "reconcile: [1, 2]\n")], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.yaml"), "{e}");
    let e = load(&[("config.yaml", "table: [unclosed\n")], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.yaml"), "{e}");
    let e = load(&[], &[("FJC_LOG_LEVEL", "loud")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("log_level"), "{e}");
}

#[test]
fn missing_files_mean_defaults() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.table, "fjc-state");
    assert_eq!(c.reconcile, ReconcileConfig::default());
}

#[test]
fn resilience_settings_from_file_and_env_and_bad_ones_named() {
    let c = load(
        &[(
            "config.yaml",
            "reconcile:\n  breaker:\n    failure_threshold: 5\n    open_seconds: 10\n  heartbeat_seconds: 30\nflink:\n  retry_attempts: 4\n  call_deadline_seconds: 9\n",
        )],
        &[("FJC_BREAKER_MAX_OPEN_SECONDS", "600")],
    )
    .unwrap();
    assert_eq!(c.reconcile.breaker.failure_threshold, 5);
    assert_eq!(c.reconcile.breaker.open_seconds, 10);
    assert_eq!(c.reconcile.breaker.max_open_seconds, 600);
    assert_eq!(c.reconcile.heartbeat_seconds, 30);
    assert_eq!(
        (c.flink.retry_attempts, c.flink.call_deadline_seconds),
        (4, 9)
    );
    assert_eq!(c.reconcile.observe, ObserveMode::Overview);
    let c = load(&[], &[("FJC_OBSERVE", "per-job")]).unwrap();
    assert_eq!(c.reconcile.observe, ObserveMode::PerJob);
    for (file, var, field) in [
        (
            "reconcile:\n  breaker:\n    failure_threshold: -1\n",
            None,
            "config.yaml",
        ),
        (
            "",
            Some(("FJC_BREAKER_FAILURE_THRESHOLD", "0")),
            "failure_threshold",
        ),
        (
            "reconcile:\n  breaker:\n    open_seconds: 100\n    max_open_seconds: 10\n",
            None,
            "max_open_seconds",
        ),
        (
            "flink:\n  retry_attempts: 0\n",
            None,
            "flink.retry_attempts",
        ),
        (
            "",
            Some(("FJC_FLINK_RETRY_ATTEMPTS", "-2")),
            "FJC_FLINK_RETRY_ATTEMPTS",
        ),
        (
            "flink:\n  retry_base_millis: 500\n  retry_max_millis: 100\n",
            None,
            "retry_max_millis",
        ),
        (
            "",
            Some(("FJC_FLINK_CALL_DEADLINE_SECONDS", "0")),
            "call_deadline_seconds",
        ),
        (
            "reconcile:\n  heartbeat_seconds: 0\n",
            None,
            "heartbeat_seconds",
        ),
        ("", Some(("FJC_OBSERVE", "each")), "FJC_OBSERVE"),
        ("reconcile:\n  observe: each\n", None, "config.yaml"),
        (
            "reconcile:\n  shards: 0\n",
            None,
            "reconcile.shards: 0 is out of range",
        ),
        ("", Some(("FJC_SHARDS", "1025")), "reconcile.shards: 1025"),
        ("", Some(("FJC_SHARDS", "four")), "FJC_SHARDS"),
    ] {
        let files: Vec<(&str, &str)> = if file.is_empty() {
            Vec::new()
        } else {
            vec![("config.yaml", file)]
        };
        let vars: Vec<(&str, &str)> = var.into_iter().collect();
        let e = load(&files, &vars).unwrap_err().to_string();
        assert!(e.contains(field), "{file:?} {var:?}: {e}");
    }
}

#[test]
fn shards_come_from_the_file_or_fjc_shards() {
    assert_eq!(load(&[], &[]).unwrap().reconcile.shards, 1);
    let file = [("config.yaml", "reconcile:\n  shards: 8\n")];
    assert_eq!(load(&file, &[]).unwrap().reconcile.shards, 8);
    let c = load(&file, &[("FJC_SHARDS", "16")]).unwrap();
    assert_eq!(c.reconcile.shards, 16, "the variable wins");
}
