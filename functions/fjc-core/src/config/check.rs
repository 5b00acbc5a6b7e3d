//! The checks a configuration must pass before it is used: each layer on its own and
//! the merged result, so a bad value fails at start with the setting it names.

use super::Config;
use crate::error::CoreError;

impl Config {
    /// Rejects the first setting out of range, naming it.
    pub(super) fn check(&self) -> Result<(), CoreError> {
        let bad = |m: String| Err(CoreError::Config(m));
        let t = &self.table;
        if t.len() < 3
            || t.len() > 255
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return bad(format!(
                "table: {t:?} is not a valid DynamoDB table name (3-255 of a-z A-Z 0-9 _ - .)"
            ));
        }
        for (name, c) in &self.clusters {
            if !(c.url.starts_with("http://") || c.url.starts_with("https://"))
                || c.url.len() <= "https://".len()
            {
                return bad(format!(
                    "clusters.{name}.url: {:?} must be an http:// or https:// URL",
                    c.url
                ));
            }
        }
        let r = &self.reconcile;
        if r.lease_ttl_seconds < 10 {
            return bad("reconcile.lease_ttl_seconds: must be >= 10".into());
        }
        if !(1..=256).contains(&r.max_concurrency) {
            return bad("reconcile.max_concurrency: must be between 1 and 256".into());
        }
        if r.health_probe_budget > 1000 {
            return bad("reconcile.health_probe_budget: must be between 0 and 1000".into());
        }
        if r.interval_seconds == 0 {
            return bad("reconcile.interval_seconds: must be >= 1".into());
        }
        if r.retry_base_seconds == 0 || r.retry_max_seconds < r.retry_base_seconds {
            return bad(
                "reconcile.retry_base_seconds/retry_max_seconds: need 1 <= base <= max".into(),
            );
        }
        self.dashboard.check().map_err(CoreError::Config)?;
        for (name, policy) in &self.namespaces {
            if fjc_spec::validate_name(name).is_err() {
                return bad(format!(
                    "namespaces.{name}: a namespace name must match ^[a-z0-9][a-z0-9-]{{0,62}}$"
                ));
            }
            policy.check(name).map_err(CoreError::Config)?;
        }
        if self.artifacts.event_debounce_seconds > 600 {
            return bad("artifacts.event_debounce_seconds: must be <= 600".into());
        }
        for (name, c) in &self.clusters {
            if c.credentials_secret.as_deref().is_some_and(str::is_empty) {
                return bad(format!(
                    "clusters.{name}.credentials_secret: must not be empty"
                ));
            }
        }
        let f = &self.flink;
        if f.connect_timeout_seconds == 0
            || f.request_timeout_seconds == 0
            || f.upload_timeout_seconds == 0
        {
            return bad("flink.*_timeout_seconds: must be >= 1".into());
        }
        if !(1..=10).contains(&f.retry_attempts) {
            return bad("flink.retry_attempts: must be between 1 and 10".into());
        }
        if f.retry_base_millis == 0 || f.retry_max_millis < f.retry_base_millis {
            return bad("flink.retry_base_millis/retry_max_millis: need 1 <= base <= max".into());
        }
        if f.call_deadline_seconds == 0 {
            return bad("flink.call_deadline_seconds: must be >= 1".into());
        }
        r.breaker.check().map_err(CoreError::Config)?;
        if r.heartbeat_seconds == 0 {
            return bad("reconcile.heartbeat_seconds: must be >= 1".into());
        }
        if r.shards == 0 || r.shards > crate::shard::MAX_SHARDS {
            return bad(format!(
                "reconcile.shards: {} is out of range (1 to {})",
                r.shards,
                crate::shard::MAX_SHARDS
            ));
        }
        if !matches!(
            self.log_level.as_str(),
            "error" | "warn" | "info" | "debug" | "trace"
        ) {
            return bad(format!(
                "log_level: {:?} must be one of error, warn, info, debug, trace",
                self.log_level
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return bad(format!(
                "log_format: {:?} must be text or json",
                self.log_format
            ));
        }
        Ok(())
    }
}
