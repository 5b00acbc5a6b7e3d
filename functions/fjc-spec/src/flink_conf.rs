//! The job-level Flink configuration a spec maps to (`flinkConfiguration` on run).
//!
//! Only settings a session cluster honours per job are passed. Resources,
//! `monitoring.*`, `security.*` and `advanced.taskmanager_heap_size` describe
//! cluster-level things a job cannot change in a session cluster, so they are not
//! passed (they are kept in the spec for policy checks and display).

use std::collections::BTreeMap;

use crate::model::{ClassloaderResolveOrder, JobSpec, RestartStrategy};
use crate::units::{flink_duration, parse_duration};

/// Prefix of `pipeline.name` for jobs this controller submits: `fjc:<job_id>`.
pub const PIPELINE_NAME_PREFIX: &str = "fjc:";

/// The `pipeline.name` the controller gives a spec's Flink job.
pub fn pipeline_name(job_id: &str) -> String {
    format!("{PIPELINE_NAME_PREFIX}{job_id}")
}

/// Maps a (validated) spec to Flink configuration keys and values.
///
/// Invalid durations are skipped here; validation reports them before this runs.
pub fn flink_configuration(spec: &JobSpec) -> BTreeMap<String, String> {
    let mut conf = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        conf.insert(k.to_string(), v);
    };
    let dur = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| parse_duration(s).ok())
            .map(flink_duration)
    };

    put("pipeline.name", pipeline_name(&spec.job_id));
    let d = &spec.deployment;
    if let Some(v) = dur(&d.checkpoint_interval) {
        put("execution.checkpointing.interval", v);
        // A restore moves on to the next older checkpoint when the newest one
        // cannot be read: keep a few.
        put("execution.checkpointing.num-retained", "3".to_string());
    }
    if let Some(path) = &d.savepoint_path {
        put("execution.checkpointing.savepoint-dir", path.clone());
    }
    if let Some(path) = &d.checkpoint_dir {
        put("execution.checkpointing.dir", path.clone());
    }
    // last-state upgrades restore from the cancelled job's checkpoint: keep it.
    if spec.upgrade_mode() == crate::model::UpgradeMode::LastState {
        put(
            "execution.checkpointing.externalized-checkpoint-retention",
            "RETAIN_ON_CANCELLATION".to_string(),
        );
    }
    if let Some(strategy) = d.restart_strategy {
        put("restart-strategy.type", strategy.flink_name().to_string());
        let delay = dur(&d.restart_delay);
        let attempts = d.max_restart_attempts.map(|a| a.to_string());
        match strategy {
            RestartStrategy::FixedDelay => {
                if let Some(a) = attempts {
                    put("restart-strategy.fixed-delay.attempts", a);
                }
                if let Some(v) = delay {
                    put("restart-strategy.fixed-delay.delay", v);
                }
            }
            RestartStrategy::ExponentialDelay => {
                if let Some(a) = attempts {
                    put(
                        "restart-strategy.exponential-delay.attempts-before-reset-backoff",
                        a,
                    );
                }
                if let Some(v) = delay {
                    put("restart-strategy.exponential-delay.initial-backoff", v);
                }
            }
            RestartStrategy::FailureRate => {
                if let Some(a) = attempts {
                    put("restart-strategy.failure-rate.max-failures-per-interval", a);
                }
                if let Some(v) = delay {
                    put("restart-strategy.failure-rate.delay", v);
                }
            }
            RestartStrategy::None => {}
        }
    }
    if let Some(sc) = &spec.stream_config {
        if let Some(v) = dur(&sc.checkpoint_timeout) {
            put("execution.checkpointing.timeout", v);
        }
        if let Some(v) = dur(&sc.min_pause_between_checkpoints) {
            put("execution.checkpointing.min-pause", v);
        }
        if let Some(n) = sc.max_concurrent_checkpoints {
            put(
                "execution.checkpointing.max-concurrent-checkpoints",
                n.to_string(),
            );
        }
    }
    if let Some(order) = spec.advanced.classloader_resolve_order {
        let v = match order {
            ClassloaderResolveOrder::ChildFirst => "child-first",
            ClassloaderResolveOrder::ParentFirst => "parent-first",
        };
        put("classloader.resolve-order", v.to_string());
    }
    if let Some(v) = dur(&spec.advanced.network_buffer_timeout) {
        put("execution.buffer-timeout.interval", v);
    }
    if !spec.env_vars.is_empty() {
        put(
            "pipeline.global-job-parameters",
            global_job_parameters(&spec.env_vars),
        );
    }
    conf
}

/// Flink's map syntax, escaped the way Flink's own `ConfigurationUtils` writes a map:
/// key and value each quoted against `:`, then the entry quoted against `,` (a quote
/// is escaped by doubling it).
fn global_job_parameters(vars: &BTreeMap<String, String>) -> String {
    vars.iter()
        .map(|(k, v)| {
            let entry = format!("{}:{}", escape(k, ':'), escape(v, ':'));
            escape(&entry, ',')
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Single-quotes `s` if it holds the delimiter or a quote character.
fn escape(s: &str, delimiter: char) -> String {
    if s.contains([delimiter, '\'', '"']) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_and_savepoint_directories_go_to_flinks_keys() {
        let spec: JobSpec = serde_json::from_value(serde_json::json!({
            "job_id": "a", "job_type": "stream", "artifact_path": "a.jar",
            "deployment": {"checkpoint_dir": "s3://b/ck", "savepoint_path": "s3://b/sp"},
        }))
        .expect("spec");
        let c = flink_configuration(&spec);
        assert_eq!(
            c.get("execution.checkpointing.dir").map(String::as_str),
            Some("s3://b/ck")
        );
        assert_eq!(
            c.get("execution.checkpointing.savepoint-dir")
                .map(String::as_str),
            Some("s3://b/sp")
        );
        let plain: JobSpec = serde_json::from_value(
            serde_json::json!({"job_id": "a", "job_type": "stream", "artifact_path": "a.jar"}),
        )
        .expect("spec");
        assert!(!flink_configuration(&plain).contains_key("execution.checkpointing.dir"));
    }

    #[test]
    fn quotes_map_entries_like_flink() {
        let mut m = BTreeMap::new();
        m.insert("A".to_string(), "plain".to_string());
        assert_eq!(global_job_parameters(&m), "A:plain");
        m.insert("B".to_string(), "x,y".to_string());
        m.insert("C".to_string(), "h:1".to_string());
        m.insert("D".to_string(), "it's".to_string());
        assert_eq!(
            global_job_parameters(&m),
            "A:plain,'B:x,y','C:''h:1''','D:''it''''s'''"
        );
    }
}
