//! Semantic rules: what the schema cannot say (formats, ranges, combinations).

use crate::document::key_path;
use crate::error::Problem;
use crate::model::{ArtifactType, JobSpec, JobType};
use crate::units::{parse_duration, parse_size};

use super::checks;

/// Highest parallelism accepted (Flink's default maximum parallelism).
pub const MAX_PARALLELISM: i64 = 32_768;

/// Every semantic problem of a spec, in field order, without lines.
pub fn validate(spec: &JobSpec) -> Vec<Problem> {
    let mut out = Problems(Vec::new());
    out.check("job_id", Some(&spec.job_id), checks::name);
    out.check(
        "artifact_path",
        Some(&spec.artifact_path),
        checks::artifact_path,
    );
    out.check(
        "artifact_signature",
        spec.artifact_signature.as_ref(),
        checks::signature,
    );
    out.check("entry_class", spec.entry_class.as_ref(), checks::java_class);
    // What the artifact is, once its path is one (one problem per field).
    if checks::artifact_path(&spec.artifact_path).is_ok() {
        artifact(spec, &mut out);
    }
    out.check("cluster", Some(&spec.cluster), checks::name);
    out.check("namespace", Some(&spec.namespace), checks::name);
    for (i, arg) in spec.args.iter().enumerate() {
        out.check(&format!("args[{i}]"), Some(arg), checks::secret_ref);
    }
    for (name, value) in &spec.env_vars {
        out.check(&key_path("env_vars", name), Some(value), checks::secret_ref);
    }
    deployment(spec, &mut out);
    resources(spec, &mut out);
    if let Some(port) = spec.monitoring.metrics_port
        && !(1..=65535).contains(&port)
    {
        out.push("monitoring.metrics_port", "must be between 1 and 65535");
    }
    out.duration(
        "monitoring.backpressure_alert_after",
        &spec.monitoring.backpressure_alert_after,
    );
    for name in spec.env_vars.keys() {
        out.check(
            &key_path("env_vars", name),
            Some(name),
            checks::env_var_name,
        );
    }
    job_type_sections(spec, &mut out);
    let adv = &spec.advanced;
    out.duration(
        "advanced.network_buffer_timeout",
        &adv.network_buffer_timeout,
    );
    out.size("advanced.taskmanager_heap_size", &adv.taskmanager_heap_size);
    out.0
}

/// What the artifact's type allows: an entry class for jars only, `python` for
/// python artifacts only (`entry_module` for packages), no program arguments
/// for SQL scripts.
fn artifact(spec: &JobSpec, out: &mut Problems) {
    let kind = match spec.artifact_kind() {
        Ok(kind) => kind,
        Err(why) => return out.push("artifact_path", why),
    };
    let extension = spec
        .artifact_path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if kind != ArtifactType::Jar && spec.entry_class.is_some() {
        out.push(
            "entry_class",
            format!(
                "only for jar artifacts: a {} job does not name a main class",
                kind.as_str()
            ),
        );
    }
    let module = spec.python.as_ref().and_then(|p| p.entry_module.as_ref());
    match kind {
        ArtifactType::Python => {
            if let Some(m) = module {
                out.check("python.entry_module", Some(m), checks::python_module);
                if extension != "zip" {
                    out.push(
                        "python.entry_module",
                        "only for a .zip package (a .py script runs as itself)",
                    );
                }
            } else if extension == "zip" {
                out.push("python.entry_module", "required for a .zip package");
            }
        }
        _ if spec.python.is_some() => out.push(
            "python",
            format!(
                "only for python artifacts (this is a {} job)",
                kind.as_str()
            ),
        ),
        _ => {}
    }
    if kind == ArtifactType::Sql && !spec.args.is_empty() {
        out.push(
            "args",
            "a SQL job takes no program arguments (set options with SET in the script)",
        );
    }
}

fn deployment(spec: &JobSpec, out: &mut Problems) {
    let d = &spec.deployment;
    out.at_least("deployment.parallelism", Some(d.parallelism), 1);
    if d.parallelism > MAX_PARALLELISM {
        out.push(
            "deployment.parallelism",
            format!("must be <= {MAX_PARALLELISM}"),
        );
    }
    out.duration("deployment.checkpoint_interval", &d.checkpoint_interval);
    out.check(
        "deployment.savepoint_path",
        d.savepoint_path.as_ref(),
        checks::uri,
    );
    out.check(
        "deployment.checkpoint_dir",
        d.checkpoint_dir.as_ref(),
        checks::checkpoint_location,
    );
    out.at_least("deployment.max_restart_attempts", d.max_restart_attempts, 0);
    out.duration("deployment.restart_delay", &d.restart_delay);
    out.duration("deployment.savepoint_timeout", &d.savepoint_timeout);
    out.duration("deployment.last_state_max_age", &d.last_state_max_age);
    out.at_least("deployment.recovery_attempts", d.recovery_attempts, 0);
    for (field, value) in [
        ("recovery_window", &d.recovery_window),
        ("recovery_backoff", &d.recovery_backoff),
        ("readiness_timeout", &d.readiness_timeout),
        ("stable_after", &d.stable_after),
    ] {
        out.duration(&key_path("deployment", field), value);
    }
    if let Some(max) = d.max_backpressure
        && !(max > 0.0 && max <= 1.0)
    {
        out.push(
            "deployment.max_backpressure",
            "must be a share of time in (0, 1], e.g. 0.8",
        );
    }
    if spec.job_type == JobType::Batch && !spec.desired_state.is_running() {
        out.push(
            "desired_state",
            "only stream jobs can be suspended; use batch_config.suspend to pause a schedule",
        );
    }
}

fn resources(spec: &JobSpec, out: &mut Problems) {
    let r = &spec.resources;
    out.size("resources.memory", &r.memory);
    out.size("resources.network_memory", &r.network_memory);
    if let Some(cores) = r.cpu_cores
        && !(cores > 0.0 && cores.is_finite())
    {
        out.push("resources.cpu_cores", "must be > 0");
    }
}

/// `batch_config` only on batch jobs, `stream_config` only on stream jobs, and the
/// contents of whichever is present.
fn job_type_sections(spec: &JobSpec, out: &mut Problems) {
    let this = spec.job_type.as_str();
    if let Some(batch) = &spec.batch_config {
        if spec.job_type != JobType::Batch {
            out.push(
                "batch_config",
                format!("only allowed with job_type batch (this job is {this})"),
            );
        }
        out.check("batch_config.cron", batch.cron.as_ref(), checks::cron);
        out.check(
            "batch_config.timezone",
            batch.timezone.as_ref(),
            checks::timezone,
        );
        out.at_least("batch_config.max_runs", batch.max_runs, 1);
        out.at_least("batch_config.ttl_seconds", batch.ttl_seconds, 1);
        out.at_least(
            "batch_config.starting_deadline_seconds",
            batch.starting_deadline_seconds,
            1,
        );
        for (path, limit) in [
            (
                "batch_config.successful_runs_history_limit",
                batch.successful_runs_history_limit,
            ),
            (
                "batch_config.failed_runs_history_limit",
                batch.failed_runs_history_limit,
            ),
        ] {
            out.at_least(path, limit, 0);
            if limit.is_some_and(|l| l > 100) {
                out.push(path, "must be <= 100".to_string());
            }
        }
        if batch.cron.is_none() && batch.starting_deadline_seconds.is_some() {
            out.push(
                "batch_config.starting_deadline_seconds",
                "only meaningful with batch_config.cron".to_string(),
            );
        }
    }
    if let Some(stream) = &spec.stream_config {
        if spec.job_type != JobType::Stream {
            out.push(
                "stream_config",
                format!("only allowed with job_type stream (this job is {this})"),
            );
        }
        let durations = [
            (
                "savepoint_trigger_interval",
                &stream.savepoint_trigger_interval,
            ),
            ("checkpoint_timeout", &stream.checkpoint_timeout),
            (
                "min_pause_between_checkpoints",
                &stream.min_pause_between_checkpoints,
            ),
        ];
        for (field, value) in durations {
            out.duration(&key_path("stream_config", field), value);
        }
        out.at_least(
            "stream_config.max_concurrent_checkpoints",
            stream.max_concurrent_checkpoints,
            1,
        );
        out.duration(
            "stream_config.savepoint_history_max_age",
            &stream.savepoint_history_max_age,
        );
        out.at_least(
            "stream_config.savepoint_history_max_count",
            stream.savepoint_history_max_count,
            1,
        );
    }
}

/// Problems collected so far.
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Problem::new(path, message));
    }

    fn check(&mut self, path: &str, value: Option<&String>, check: fn(&str) -> Result<(), String>) {
        if let Some(Err(message)) = value.map(|v| check(v)) {
            self.push(path, message);
        }
    }

    fn at_least(&mut self, path: &str, value: Option<i64>, min: i64) {
        if value.is_some_and(|v| v < min) {
            self.push(path, format!("must be >= {min}"));
        }
    }

    /// A valid duration, > 0.
    fn duration(&mut self, path: &str, value: &Option<String>) {
        match value.as_deref().map(parse_duration) {
            Some(Err(message)) => self.push(path, message),
            Some(Ok(d)) if d.is_zero() => self.push(path, "must be > 0"),
            _ => {}
        }
    }

    /// A valid size, > 0.
    fn size(&mut self, path: &str, value: &Option<String>) {
        match value.as_deref().map(parse_size) {
            Some(Err(message)) => self.push(path, message),
            Some(Ok(0)) => self.push(path, "must be > 0"),
            _ => {}
        }
    }
}
