//! Spec fingerprints: what the controller compares to decide whether a deployed job
//! matches its spec.
//!
//! The fingerprint is sha256 over a versioned prefix, the spec's canonical JSON form
//! and the artifact's digest. The canonical form:
//! - has keys sorted (serde_json's map is ordered);
//! - has defaults applied and then removed: a field that equals its default value
//!   (whether written or omitted) is left out, as are `null`s and empty maps/lists.
//!
//! So writing `parallelism: 1` or leaving it out gives the same fingerprint, and a
//! controller release that adds a new field with a default does not change the
//! fingerprint of existing specs (no mass redeploy on upgrade).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{JobSpec, JobType};

/// Version tag mixed into every fingerprint; bump only with a migration plan.
const FINGERPRINT_VERSION: &str = "fjc-fingerprint-v1";

/// A spec fingerprint: 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// The first 12 characters, for humans.
    pub fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fingerprint of a spec together with the digest of the artifact it deploys.
pub fn fingerprint(spec: &JobSpec, artifact_digest: &str) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(FINGERPRINT_VERSION.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_json(spec).as_bytes());
    hasher.update(b"\n");
    hasher.update(artifact_digest.as_bytes());
    Fingerprint(hex::encode(hasher.finalize()))
}

/// Fields whose change never restarts a job (the "ignore" change class): they
/// steer the controller (upgrade strategy, policy, alerting), not the job.
const IGNORE_CLASS: [(&str, Option<&str>); 15] = [
    ("monitoring", None),
    ("namespace", None),
    ("deployment", Some("upgrade_mode")),
    ("deployment", Some("savepoint_timeout")),
    ("deployment", Some("last_state_max_age")),
    ("deployment", Some("recovery_attempts")),
    ("deployment", Some("recovery_window")),
    ("deployment", Some("recovery_backoff")),
    ("deployment", Some("readiness_timeout")),
    ("deployment", Some("stable_after")),
    ("deployment", Some("auto_rollback")),
    ("deployment", Some("max_backpressure")),
    ("stream_config", Some("savepoint_trigger_interval")),
    ("stream_config", Some("savepoint_history_max_count")),
    ("stream_config", Some("savepoint_history_max_age")),
];

/// Fingerprints per change class, stored with the deployed job so the planner
/// can tell what kind of change a new spec is: `upgrade` covers what the job runs
/// (artifact, args, env, Flink settings), `scale` its parallelism. A spec whose
/// full fingerprint changed but whose class fingerprints did not changed only
/// "ignore"-class fields (monitoring, upgrade settings, namespace): no restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassFingerprints {
    /// Everything the job runs with, but parallelism.
    pub upgrade: Fingerprint,
    /// The parallelism.
    pub scale: Fingerprint,
}

/// The change-class fingerprints of a spec and its artifact digest.
pub fn class_fingerprints(spec: &JobSpec, artifact_digest: &str) -> ClassFingerprints {
    let mut value: Value = serde_json::from_str(&canonical_json(spec)).unwrap_or(Value::Null);
    let parallelism = spec.deployment.parallelism.to_string();
    if let Value::Object(map) = &mut value {
        for (field, sub) in IGNORE_CLASS {
            match sub {
                None => {
                    map.remove(field);
                }
                Some(sub) => {
                    if let Some(Value::Object(inner)) = map.get_mut(field) {
                        inner.remove(sub);
                    }
                }
            }
        }
        if let Some(Value::Object(d)) = map.get_mut("deployment") {
            d.remove("parallelism");
        }
        for section in ["deployment", "stream_config"] {
            if map
                .get(section)
                .is_some_and(|d| d.as_object().is_some_and(|o| o.is_empty()))
            {
                map.remove(section);
            }
        }
    }
    let hash = |parts: &[&str]| {
        let mut hasher = Sha256::new();
        for p in parts {
            hasher.update(p.as_bytes());
            hasher.update(b"\n");
        }
        Fingerprint(hex::encode(hasher.finalize()))
    };
    ClassFingerprints {
        upgrade: hash(&["fjc-class-upgrade-v1", &value.to_string(), artifact_digest]),
        scale: hash(&["fjc-class-scale-v1", &parallelism]),
    }
}

/// The canonical JSON text of a spec (see the module docs).
pub fn canonical_json(spec: &JobSpec) -> String {
    let value = to_value(spec);
    let defaults = to_value(&default_spec(spec.job_type));
    let mut pruned = match prune(value.clone(), Some(&defaults)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    // The namespace selects a policy and the desired state whether the job runs
    // at all; neither changes what runs.
    pruned.remove("namespace");
    pruned.remove("desired_state");
    // Identity fields are never pruned, whatever the defaults say.
    for key in ["job_id", "job_type", "artifact_path"] {
        if let Some(v) = value.get(key) {
            pruned.insert(key.to_string(), v.clone());
        }
    }
    let pruned = Value::Object(pruned);
    // Serializing a serde_json::Value cannot fail.
    serde_json::to_string(&pruned).unwrap_or_default()
}

fn to_value(spec: &JobSpec) -> Value {
    serde_json::to_value(spec).unwrap_or(Value::Null)
}

/// A spec with every field at its default, to prune against.
fn default_spec(job_type: JobType) -> JobSpec {
    JobSpec {
        job_id: String::new(),
        job_type,
        artifact_path: String::new(),
        artifact_type: None,
        artifact_signature: None,
        entry_class: None,
        python: None,
        cluster: crate::model::DEFAULT_CLUSTER.to_string(),
        namespace: crate::model::DEFAULT_NAMESPACE.to_string(),
        deployment: Default::default(),
        resources: Default::default(),
        security: Default::default(),
        monitoring: Default::default(),
        args: Vec::new(),
        env_vars: Default::default(),
        batch_config: None,
        stream_config: None,
        advanced: Default::default(),
        desired_state: Default::default(),
    }
}

/// Removes nulls, empty containers and values equal to their default. Returns
/// `None` when nothing is left. Lists are kept whole (order and content matter).
fn prune(value: Value, default: Option<&Value>) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(map) => {
            let default_map = default.and_then(Value::as_object);
            let mut out = Map::new();
            for (key, v) in map {
                let d = default_map.and_then(|m| m.get(&key));
                if let Some(pruned) = prune(v, d) {
                    out.insert(key, pruned);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) if items.is_empty() => None,
        other => {
            if default == Some(&other) {
                None
            } else {
                Some(other)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn spec() -> JobSpec {
        let mut s = default_spec(JobType::Stream);
        s.job_id = "orders-enricher".into();
        s.artifact_path = "s3://artifacts/orders/enricher-1.4.2.jar".into();
        s.args = vec!["--topic".into(), "orders".into()];
        s.deployment.parallelism = 4;
        s.deployment.checkpoint_interval = Some("30s".into());
        s.env_vars.insert("REGION".into(), "eu-west-1".into());
        s
    }

    #[test]
    fn golden_value_is_pinned() {
        // If this changes, every deployed job would be redeployed: never change it
        // without bumping FINGERPRINT_VERSION and a migration plan.
        assert_eq!(
            canonical_json(&spec()),
            r#"{"args":["--topic","orders"],"artifact_path":"s3://artifacts/orders/enricher-1.4.2.jar","deployment":{"checkpoint_interval":"30s","parallelism":4},"env_vars":{"REGION":"eu-west-1"},"job_id":"orders-enricher","job_type":"stream"}"#
        );
        assert_eq!(
            fingerprint(&spec(), "sha256:00ff").0,
            "d92edbc07b7f4471b117d952e30348db16dfc3894ccb460ee6513fd2cd710c98"
        );
    }

    #[test]
    fn explicit_default_equals_omitted() {
        let a = spec();
        let mut b = spec();
        b.monitoring.alert_on_failure = true;
        b.cluster = "default".into();
        b.security.ssl_enabled = false;
        assert_eq!(fingerprint(&a, "d"), fingerprint(&b, "d"));
    }

    #[test]
    fn any_change_changes_it() {
        let base = fingerprint(&spec(), "d");
        let mut s = spec();
        s.deployment.parallelism = 5;
        assert_ne!(fingerprint(&s, "d"), base);
        let mut s = spec();
        s.args.reverse();
        assert_ne!(fingerprint(&s, "d"), base);
        assert_ne!(fingerprint(&spec(), "e"), base);
        let mut s = spec();
        s.monitoring.alert_on_failure = false;
        assert_ne!(fingerprint(&s, "d"), base);
    }

    #[test]
    fn short_form() {
        assert_eq!(fingerprint(&spec(), "d").short().len(), 12);
    }

    #[test]
    fn change_classes() {
        let base = spec();
        let c = class_fingerprints(&base, "sha256:aa");
        let mut ignore = base.clone();
        ignore.monitoring.alert_on_backpressure = true;
        ignore.deployment.upgrade_mode = Some(UpgradeMode::Stateless);
        ignore.deployment.savepoint_timeout = Some("5m".into());
        ignore.namespace = "team-a".into();
        assert_ne!(
            fingerprint(&ignore, "sha256:aa"),
            fingerprint(&base, "sha256:aa")
        );
        assert_eq!(class_fingerprints(&ignore, "sha256:aa"), c, "ignore class");
        let mut scale = base.clone();
        scale.deployment.parallelism = 8;
        let sc = class_fingerprints(&scale, "sha256:aa");
        assert_eq!(sc.upgrade, c.upgrade);
        assert_ne!(sc.scale, c.scale);
        let mut upgrade = base.clone();
        upgrade.args.push("--x".into());
        assert_ne!(class_fingerprints(&upgrade, "sha256:aa").upgrade, c.upgrade);
        assert_ne!(
            class_fingerprints(&base, "sha256:bb").upgrade,
            c.upgrade,
            "artifact"
        );
        let mut flink = base.clone();
        flink.deployment.checkpoint_interval = Some("1m".into());
        assert_ne!(class_fingerprints(&flink, "sha256:aa").upgrade, c.upgrade);
    }
}
