//! The job spec as users write it (YAML or JSON).
//!
//! Every struct rejects unknown fields. Optional settings are `Option`s or carry a
//! serde default, so an omitted field and a field set to its default mean the same
//! thing (see [`mod@crate::fingerprint`]).
//!
//! The top level ([`JobSpec`]) is here; the sections are in private modules,
//! re-exported here: `deployment` ([`Deployment`]: how the job is deployed,
//! upgraded and recovered), `type_config` ([`BatchConfig`], [`StreamConfig`]: what
//! only one job type takes), `runtime` ([`Resources`], [`Security`], [`Advanced`]:
//! what the job asks of the cluster and of Flink) and `monitoring`
//! ([`Monitoring`]: alerting, which never causes a redeploy).

mod deployment;
mod monitoring;
mod runtime;
mod type_config;

pub use deployment::*;
pub use monitoring::*;
pub use runtime::*;
pub use type_config::*;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One Flink job, streaming or batch, as declared by a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Unique id of the job: `^[a-z0-9][a-z0-9-]{0,62}$`.
    pub job_id: String,
    /// `stream` (runs until stopped) or `batch` (runs to completion).
    pub job_type: JobType,
    /// Where the job's artifact lives: `s3://bucket/key` or a path below the
    /// configured artifact root. A `.jar`, a Flink SQL script (`.sql`), a PyFlink
    /// script (`.py`) or package (`.zip`, with `python.entry_module`).
    pub artifact_path: String,
    /// What the artifact is, when its extension does not say (see
    /// [`JobSpec::artifact_kind`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<ArtifactType>,
    /// Expected digest of the jar, `sha256:<64 hex>`. When set, the controller refuses other bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_signature: Option<String>,
    /// Main class; when absent Flink uses the jar manifest's `Main-Class`. Jar
    /// artifacts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// PyFlink settings (python artifacts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<Python>,
    /// Name of the Flink session cluster (from configuration) the job runs on.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// Policy namespace (allowed artifact locations and limits come from the
    /// controller configuration's `namespaces.<name>`). Not part of the fingerprint.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// How the job is deployed.
    #[serde(default)]
    pub deployment: Deployment,
    /// What the job needs from the cluster (informational in session clusters).
    #[serde(default)]
    pub resources: Resources,
    /// Security settings.
    #[serde(default)]
    pub security: Security,
    /// Monitoring and alerting settings (never cause a redeploy).
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Program arguments passed to the job's main method.
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables handed to the job as Flink global job parameters.
    #[serde(default)]
    pub env_vars: BTreeMap<String, String>,
    /// Batch-only settings (only with `job_type: batch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_config: Option<BatchConfig>,
    /// Stream-only settings (only with `job_type: stream`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_config: Option<StreamConfig>,
    /// Low-level Flink settings.
    #[serde(default)]
    pub advanced: Advanced,
    /// `running` (default) or `suspended`: a suspended stream job is stopped with a
    /// savepoint and resumed from it when set back to `running`. Not part of the
    /// fingerprint (suspending is not a change of what runs).
    #[serde(default, skip_serializing_if = "DesiredState::is_running")]
    pub desired_state: DesiredState,
}

/// What a job's artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactType {
    /// A Java/Scala job jar, run through its entry class.
    Jar,
    /// A Flink SQL script, run as one job by the controller's SQL runner.
    Sql,
    /// A PyFlink script (`.py`) or package (`.zip`), run by Flink's Python driver.
    Python,
}

impl ArtifactType {
    /// Its name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactType::Jar => "jar",
            ArtifactType::Sql => "sql",
            ArtifactType::Python => "python",
        }
    }
}

/// PyFlink settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Python {
    /// The module to run from a `.zip` package (e.g. `pipelines.orders`); a `.py`
    /// script runs as itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_module: Option<String>,
}

impl JobSpec {
    /// What the artifact is: `artifact_type` when given, else what
    /// `artifact_path`'s extension says (`.jar`, `.sql`, `.py`, or `.zip` with
    /// `python.entry_module`). The error says why it cannot be told.
    pub fn artifact_kind(&self) -> Result<ArtifactType, String> {
        if let Some(t) = self.artifact_type {
            return Ok(t);
        }
        let file = self
            .artifact_path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&self.artifact_path);
        let extension = file
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let has_module = self
            .python
            .as_ref()
            .is_some_and(|p| p.entry_module.is_some());
        match extension.as_str() {
            "jar" => Ok(ArtifactType::Jar),
            "sql" => Ok(ArtifactType::Sql),
            "py" => Ok(ArtifactType::Python),
            "zip" if has_module => Ok(ArtifactType::Python),
            "zip" => Err(format!(
                "{file:?} is a .zip: a PyFlink package needs python.entry_module (or set \
                 artifact_type)"
            )),
            _ => Err(format!(
                "cannot tell what {file:?} is from its extension: name a .jar, .sql or .py \
                 file (or a .zip with python.entry_module), or set artifact_type"
            )),
        }
    }
}

/// Whether a stream job should run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DesiredState {
    /// Keep it running.
    #[default]
    Running,
    /// Stop it with a savepoint; resume from that savepoint later.
    Suspended,
}

impl DesiredState {
    /// Whether this is `running`.
    pub fn is_running(&self) -> bool {
        *self == DesiredState::Running
    }
}

/// Namespace of a spec that names none.
pub const DEFAULT_NAMESPACE: &str = "default";

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_string()
}

/// Name of the cluster a spec runs on when it names none.
pub const DEFAULT_CLUSTER: &str = "default";

fn default_cluster() -> String {
    DEFAULT_CLUSTER.to_string()
}

/// Whether a job is unbounded or bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    /// Unbounded streaming job.
    Stream,
    /// Bounded batch job.
    Batch,
}

impl JobType {
    /// Lowercase name as written in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Stream => "stream",
            JobType::Batch => "batch",
        }
    }
}
