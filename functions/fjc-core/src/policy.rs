//! Security settings every entry point shares: the namespace policy (where a
//! spec's artifact may come from and how big it may be) and the keys artifacts
//! must be signed with.
//!
//! A namespace not listed in `namespaces` is refused once any namespace is
//! configured; with no `namespaces` at all every spec is allowed (local use).

use std::collections::{BTreeMap, BTreeSet};

use fjc_spec::JobSpec;
use fjc_spec::units::parse_size;
use serde::{Deserialize, Serialize};

use crate::artifacts::signature::TrustedKeys;

/// What specs of one namespace may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamespacePolicy {
    /// Artifact location prefixes: `s3://bucket/prefix/` or a path below the
    /// artifact root (`jobs/`). A prefix matches whole path segments. Empty: any.
    pub allowed_artifacts: Vec<String>,
    /// Highest `deployment.parallelism`.
    pub max_parallelism: Option<i64>,
    /// Most specs in the namespace.
    pub max_jobs: Option<usize>,
    /// Largest `resources.memory` (e.g. `4g`).
    pub max_memory: Option<String>,
}

/// Policy and signature keys.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Policies by namespace.
    pub namespaces: BTreeMap<String, NamespacePolicy>,
    /// Keys that may sign artifacts (`security.artifact_verification: true`).
    pub trusted_keys: TrustedKeys,
    /// Secret name prefixes `secret://` references in specs may use (empty: any
    /// secret but the reserved ones).
    pub spec_secret_prefixes: Vec<String>,
    /// Secrets no spec may reference: the controller's own (Flink credentials,
    /// trusted keys).
    pub reserved_secrets: Vec<String>,
}

/// The name part of a secret id or ARN (`arn:aws:secretsmanager:…:secret:NAME-AbCdEf`
/// → `NAME-AbCdEf`).
fn secret_name(id: &str) -> &str {
    id.split_once(":secret:").map_or(id, |(_, name)| name)
}

impl Security {
    /// Why a spec may not reference secret `id`, if it may not.
    pub fn secret_refused(&self, id: &str) -> Option<String> {
        let name = secret_name(id);
        let reserved = self.reserved_secrets.iter().any(|r| {
            let r = secret_name(r);
            name == r || name.starts_with(&format!("{r}-")) || r.starts_with(&format!("{name}-"))
        });
        if reserved {
            return Some(format!(
                "secret {id} holds the controller's own credentials; specs may not reference it"
            ));
        }
        if !self.spec_secret_prefixes.is_empty()
            && !self
                .spec_secret_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
        {
            return Some(format!(
                "secret {id} is outside the secrets specs may use ({})",
                self.spec_secret_prefixes.join(", ")
            ));
        }
        None
    }
}

impl NamespacePolicy {
    /// Checks the policy's own settings; the error names the field.
    pub fn check(&self, name: &str) -> Result<(), String> {
        for (i, p) in self.allowed_artifacts.iter().enumerate() {
            let field = format!("namespaces.{name}.allowed_artifacts[{i}]");
            if p.is_empty() || p.contains("..") || p.starts_with('/') {
                return Err(format!(
                    "{field}: {p:?} must be s3://bucket[/prefix] or a relative prefix without `..`"
                ));
            }
            if p.contains("://") && !p.starts_with("s3://") {
                return Err(format!(
                    "{field}: {p:?}: only s3:// locations are supported"
                ));
            }
            if p.strip_prefix("s3://")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            {
                return Err(format!("{field}: {p:?} names no bucket"));
            }
        }
        if self.max_parallelism.is_some_and(|m| m < 1) {
            return Err(format!("namespaces.{name}.max_parallelism: must be >= 1"));
        }
        if self.max_jobs == Some(0) {
            return Err(format!("namespaces.{name}.max_jobs: must be >= 1"));
        }
        if let Some(m) = &self.max_memory {
            parse_size(m).map_err(|e| format!("namespaces.{name}.max_memory: {e}"))?;
        }
        Ok(())
    }

    fn allows_artifact(&self, path: &str) -> bool {
        self.allowed_artifacts.is_empty()
            || self.allowed_artifacts.iter().any(|prefix| {
                let prefix = prefix.trim_end_matches('/');
                path == prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

impl Security {
    /// Whether namespaces are configured at all.
    pub fn enforces_namespaces(&self) -> bool {
        !self.namespaces.is_empty()
    }

    /// Problems of one spec against its namespace's policy, as `field: reason`.
    pub fn check_spec(&self, spec: &JobSpec) -> Vec<String> {
        let mut out = self.general_problems(spec);
        if !self.enforces_namespaces() {
            return out;
        }
        let ns = &spec.namespace;
        let Some(policy) = self.namespaces.get(ns) else {
            let known: Vec<&str> = self.namespaces.keys().map(String::as_str).collect();
            out.push(format!(
                "namespace: {ns:?} is not configured (configured: {})",
                known.join(", ")
            ));
            return out;
        };
        if !policy.allows_artifact(&spec.artifact_path) {
            out.push(format!(
                "artifact_path: {} is outside what namespace {ns} allows ({})",
                spec.artifact_path,
                policy.allowed_artifacts.join(", ")
            ));
        }
        if let Some(max) = policy.max_parallelism
            && spec.deployment.parallelism > max
        {
            out.push(format!(
                "deployment.parallelism: {} exceeds namespace {ns}'s limit of {max}",
                spec.deployment.parallelism
            ));
        }
        if let (Some(max), Some(mem)) = (&policy.max_memory, &spec.resources.memory)
            && let (Ok(limit), Ok(want)) = (parse_size(max), parse_size(mem))
            && want > limit
        {
            out.push(format!(
                "resources.memory: {mem} exceeds namespace {ns}'s limit of {max}"
            ));
        }
        out
    }

    /// What applies whatever the namespace: secret references the spec may not
    /// use, and signature verification without keys.
    fn general_problems(&self, spec: &JobSpec) -> Vec<String> {
        let mut out = Vec::new();
        let refs = spec
            .args
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("args[{i}]"), v))
            .chain(
                spec.env_vars
                    .iter()
                    .map(|(k, v)| (format!("env_vars.{k}"), v)),
            );
        for (field, value) in refs {
            if let Ok(Some(r)) = crate::secrets::SecretRef::parse(value)
                && let Some(why) = self.secret_refused(&r.id)
            {
                out.push(format!("{field}: {why}"));
            }
        }
        if spec.security.artifact_verification && self.trusted_keys.is_empty() {
            out.push(
                "security.artifact_verification: no trusted signing keys are configured \
                 (artifacts.trusted_keys or artifacts.trusted_keys_secret)"
                    .to_string(),
            );
        }
        out
    }

    /// Namespaces over their `max_jobs` with this set of specs: for each, the job
    /// ids beyond the limit (in id order, so the same ones every time).
    pub fn over_quota<'a>(
        &self,
        specs: impl Iterator<Item = &'a JobSpec>,
    ) -> BTreeMap<String, String> {
        let mut by_ns: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for s in specs {
            by_ns.entry(&s.namespace).or_default().insert(&s.job_id);
        }
        let mut out = BTreeMap::new();
        for (ns, ids) in by_ns {
            let Some(max) = self.namespaces.get(ns).and_then(|p| p.max_jobs) else {
                continue;
            };
            for id in ids.into_iter().skip(max) {
                out.insert(
                    id.to_string(),
                    format!("namespace: {ns} allows at most {max} jobs"),
                );
            }
        }
        out
    }

    /// Every spec the policy holds back, with the reasons joined.
    pub fn held<'a>(
        &self,
        specs: impl Iterator<Item = &'a JobSpec> + Clone,
    ) -> BTreeMap<String, String> {
        let mut out = self.over_quota(specs.clone());
        for s in specs {
            let problems = self.check_spec(s);
            if !problems.is_empty() {
                let entry = out.entry(s.job_id.clone()).or_default();
                for p in problems {
                    if !entry.is_empty() {
                        entry.push_str("; ");
                    }
                    entry.push_str(&p);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
