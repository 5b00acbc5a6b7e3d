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

/// Every example spec whose program is a script (SQL, PyFlink) names one next
/// to it in examples/, and that script passes the offline check the controller
/// runs before deploying it.
#[test]
fn every_example_script_passes_the_offline_check() {
    let mut seen = std::collections::BTreeSet::new();
    for path in example_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let specs =
            parse_specs(&path.display().to_string(), &text).unwrap_or_else(|e| panic!("{e}"));
        for spec in specs {
            let kind = spec
                .artifact_kind()
                .unwrap_or_else(|e| panic!("{path:?}: {e}"));
            if kind == fjc_spec::ArtifactType::Jar {
                continue;
            }
            let script = examples_dir().join(&spec.artifact_path);
            let bytes = std::fs::read(&script).unwrap_or_else(|e| panic!("{script:?}: {e}"));
            if let Err(e) = fjc_spec::program::check(&spec, &bytes) {
                panic!("{}: {e}", script.display());
            }
            seen.insert(kind.as_str());
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["python", "sql"],
        "an example of each script type"
    );
}
