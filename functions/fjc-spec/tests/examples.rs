//! Every spec in the workspace's `examples/` directory is valid.

use std::path::{Path, PathBuf};

use fjc_spec::{JobType, parse_specs};

fn examples_dir() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../../examples")
}

fn example_files() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(examples_dir()).unwrap_or_else(|e| panic!("examples/: {e}"));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            matches!(ext, "yaml" | "yml" | "json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_is_valid() {
    let files = example_files();
    assert!(files.len() >= 2, "expected example specs, found {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let name = file.display().to_string();
        if let Err(e) = parse_specs(&name, &text) {
            panic!("{e}");
        }
    }
}

#[test]
fn stream_counter_example() {
    let text = std::fs::read_to_string(examples_dir().join("stream-counter.yaml"));
    let spec = fjc_spec::parse_spec("stream-counter.yaml", &text.unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.job_id, "stream-counter");
    assert_eq!(spec.job_type, JobType::Stream);
    assert_eq!(spec.artifact_path, "stream-counter.jar");
    assert_eq!(
        spec.entry_class.as_deref(),
        Some("fjc.testjobs.StreamCounter")
    );
    assert_eq!(
        spec.args,
        [
            "--out-dir",
            "/tmp/fjc-example-out/stream-counter",
            "--rate",
            "20"
        ]
    );
    assert_eq!(spec.deployment.parallelism, 2);
    assert_eq!(spec.deployment.checkpoint_interval.as_deref(), Some("10s"));
    assert_eq!(
        spec.env_vars.get("APP_MODE").map(String::as_str),
        Some("demo")
    );
    assert!(spec.stream_config.is_some());
}

#[test]
fn batch_sum_example() {
    let text = std::fs::read_to_string(examples_dir().join("batch-sum.yaml"));
    let spec = fjc_spec::parse_spec("batch-sum.yaml", &text.unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.job_id, "batch-sum");
    assert_eq!(spec.job_type, JobType::Batch);
    assert_eq!(spec.entry_class.as_deref(), Some("fjc.testjobs.BatchSum"));
    assert_eq!(
        spec.args,
        [
            "--n",
            "100000",
            "--out",
            "/tmp/fjc-example-out/batch-sum.txt"
        ]
    );
    let batch = spec.batch_config.unwrap_or_default();
    assert_eq!(batch.cron, None);
}

#[test]
fn every_example_sql_script_passes_the_offline_check() {
    let mut seen = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap_or_else(|e| panic!("examples/: {e}")) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "sql") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            if let Err(e) = fjc_spec::sql::check(&text) {
                panic!("{}: {e}", path.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 1, "no example SQL script");
}
