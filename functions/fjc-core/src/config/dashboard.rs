//! `dashboard.*` configuration: where the dashboard snapshots are published.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where the dashboard snapshot goes. Nothing is published when neither `dir` nor
/// `bucket` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Local directory: `<dir>/snapshot.json` (env `FJC_DASHBOARD_DIR`).
    pub dir: Option<PathBuf>,
    /// S3 bucket: object `snapshot.json` (env `FJC_DASHBOARD_BUCKET`).
    pub bucket: Option<String>,
    /// Rewrite the snapshot at least this often even when nothing changed, so the
    /// dashboard can tell a live controller from a stopped one.
    pub heartbeat_seconds: u64,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            dir: None,
            bucket: None,
            heartbeat_seconds: 60,
        }
    }
}

impl DashboardConfig {
    /// Whether any target is configured.
    pub fn is_enabled(&self) -> bool {
        self.dir.is_some() || self.bucket.is_some()
    }

    /// Validates; the message names the setting.
    pub fn check(&self) -> Result<(), String> {
        if let Some(b) = &self.bucket {
            let ok_chars = b
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
            let ok_ends = b
                .chars()
                .next()
                .zip(b.chars().last())
                .is_some_and(|(f, l)| f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric());
            if !(3..=63).contains(&b.len()) || !ok_chars || !ok_ends {
                return Err(format!(
                    "dashboard.bucket: {b:?} is not a valid S3 bucket name \
                     (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)"
                ));
            }
        }
        if self.dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
            return Err("dashboard.dir: must not be empty".into());
        }
        if !(1..=86_400).contains(&self.heartbeat_seconds) {
            return Err("dashboard.heartbeat_seconds: must be between 1 and 86400".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn load(vars: &[(&str, &str)]) -> Result<Config, crate::CoreError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let dir_s = dir.path().display().to_string();
        Config::load_with(|k| {
            if k == "FJC_CONFIG_DIR" {
                return Some(dir_s.clone());
            }
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn dashboard_targets_come_from_the_environment() {
        let c = load(&[]).expect("defaults");
        assert!(!c.dashboard.is_enabled());
        assert_eq!(c.dashboard.heartbeat_seconds, 60);
        let c = load(&[
            ("FJC_DASHBOARD_DIR", "/tmp/dash"),
            ("FJC_DASHBOARD_BUCKET", "fjc-dashboard"),
        ])
        .expect("valid");
        assert_eq!(
            c.dashboard.dir.as_deref(),
            Some(std::path::Path::new("/tmp/dash"))
        );
        assert_eq!(c.dashboard.bucket.as_deref(), Some("fjc-dashboard"));
    }

    #[test]
    fn a_bad_bucket_name_is_refused_by_name() {
        let e = load(&[("FJC_DASHBOARD_BUCKET", "Not_A_Bucket")])
            .expect_err("invalid")
            .to_string();
        assert!(e.contains("dashboard.bucket"), "{e}");
    }
}
