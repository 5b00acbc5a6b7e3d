//! Environment variable overrides of the configuration (the last layer); a bad
//! value is an error naming the variable.

use std::path::PathBuf;

use super::{Config, ObserveMode, OrphanPolicy};
use crate::error::CoreError;

/// The value of `name` among `options` (an error lists them).
fn choice<T: Copy>(name: &str, value: &str, options: &[(&str, T)]) -> Result<T, CoreError> {
    let v = value.trim();
    options
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
            CoreError::Config(format!("{name}: {v:?} is not one of {}", names.join(", ")))
        })
}

impl Config {
    pub(super) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), CoreError> {
        if let Some(v) = env("FJC_TABLE") {
            self.table = v;
        }
        if let Some(v) = env("FJC_ARTIFACT_ROOT") {
            // Several roots joined by `:`; they replace the configured ones.
            self.artifact_root = None;
            self.artifacts.roots = crate::artifacts::ArtifactRoots::parse_list(&v);
        }
        if let Some(v) = env("FJC_SQL_RUNNER") {
            self.artifacts.sql_runner = Some(PathBuf::from(v));
        }
        if let Some(v) = env("FJC_PYTHON_RUNNER") {
            self.artifacts.python_runner = Some(PathBuf::from(v));
        }
        if let Some(v) = env("FJC_TMP_DIR") {
            self.tmp_dir = PathBuf::from(v);
        }
        if let Some(v) = env("FJC_LOG_LEVEL") {
            self.log_level = v;
        }
        if let Some(v) = env("FJC_DASHBOARD_DIR").filter(|v| !v.is_empty()) {
            self.dashboard.dir = Some(PathBuf::from(v));
        }
        if let Some(v) = env("FJC_DASHBOARD_BUCKET").filter(|v| !v.is_empty()) {
            self.dashboard.bucket = Some(v);
        }
        if let Some(v) = env("FJC_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(url) = env("FJC_FLINK_URL") {
            self.clusters
                .entry(fjc_spec::DEFAULT_CLUSTER.into())
                .or_default()
                .url = url;
        }
        for (name, url) in std::env::vars().filter_map(|(k, v)| {
            k.strip_prefix("FJC_FLINK_URL_")
                .map(|n| (n.to_ascii_lowercase().replace('_', "-"), v))
        }) {
            if env(&format!(
                "FJC_FLINK_URL_{}",
                name.to_ascii_uppercase().replace('-', "_")
            ))
            .is_some()
            {
                self.clusters.entry(name).or_default().url = url;
            }
        }
        let names: Vec<String> = self.clusters.keys().cloned().collect();
        for name in names {
            let var = if name == fjc_spec::DEFAULT_CLUSTER {
                "FJC_FLINK_SECRET".to_string()
            } else {
                format!(
                    "FJC_FLINK_SECRET_{}",
                    name.to_ascii_uppercase().replace('-', "_")
                )
            };
            if let Some(id) = env(&var)
                && let Some(c) = self.clusters.get_mut(&name)
            {
                c.credentials_secret = Some(id).filter(|v| !v.is_empty());
            }
        }
        if let Some(v) = env("FJC_EVENT_BUS") {
            self.events.bus = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = env("FJC_TRUSTED_KEYS_SECRET").filter(|v| !v.is_empty()) {
            self.artifacts.trusted_keys_secret = Some(v);
        }
        let num = |name: &str| -> Result<Option<u64>, CoreError> {
            env(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        CoreError::Config(format!("{name}: {v:?} is not a whole number >= 0"))
                    })
                })
                .transpose()
        };
        if let Some(v) = num("FJC_LEASE_TTL_SECONDS")? {
            self.reconcile.lease_ttl_seconds = v;
        }
        if let Some(v) = num("FJC_MAX_CONCURRENCY")? {
            self.reconcile.max_concurrency = v as usize;
        }
        if let Some(v) = num("FJC_HEALTH_PROBE_BUDGET")? {
            self.reconcile.health_probe_budget = u32::try_from(v).unwrap_or(u32::MAX);
        }
        if let Some(v) = num("FJC_CANCEL_WAIT_SECONDS")? {
            self.reconcile.cancel_wait_seconds = v;
        }
        if let Some(v) = num("FJC_RECONCILE_INTERVAL_SECONDS")? {
            self.reconcile.interval_seconds = v;
        }
        if let Some(v) = env("FJC_ORPHAN_POLICY") {
            self.reconcile.orphan_policy = choice(
                "FJC_ORPHAN_POLICY",
                &v,
                &[
                    ("leave", OrphanPolicy::Leave),
                    ("cancel-own", OrphanPolicy::CancelOwn),
                ],
            )?;
        }
        if let Some(v) = num("FJC_BREAKER_FAILURE_THRESHOLD")? {
            self.reconcile.breaker.failure_threshold = u32::try_from(v).unwrap_or(u32::MAX);
        }
        if let Some(v) = num("FJC_BREAKER_OPEN_SECONDS")? {
            self.reconcile.breaker.open_seconds = v;
        }
        if let Some(v) = num("FJC_BREAKER_MAX_OPEN_SECONDS")? {
            self.reconcile.breaker.max_open_seconds = v;
        }
        if let Some(v) = env("FJC_OBSERVE") {
            self.reconcile.observe = choice(
                "FJC_OBSERVE",
                &v,
                &[
                    ("overview", ObserveMode::Overview),
                    ("per-job", ObserveMode::PerJob),
                ],
            )?;
        }
        if let Some(v) = num("FJC_HEARTBEAT_SECONDS")? {
            self.reconcile.heartbeat_seconds = v;
        }
        if let Some(v) = num("FJC_SHARDS")? {
            self.reconcile.shards = u32::try_from(v).unwrap_or(u32::MAX);
        }
        if let Some(v) = num("FJC_FLINK_RETRY_ATTEMPTS")? {
            self.flink.retry_attempts = u32::try_from(v).unwrap_or(u32::MAX);
        }
        if let Some(v) = num("FJC_FLINK_CALL_DEADLINE_SECONDS")? {
            self.flink.call_deadline_seconds = v;
        }
        if let Some(v) = num("FJC_EVENT_DEBOUNCE_SECONDS")? {
            self.artifacts.event_debounce_seconds = v;
        }
        Ok(())
    }
}
