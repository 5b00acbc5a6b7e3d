//! What only a job's own page shows ([`JobDetail`]), published per job as a
//! [`JobDocument`]: revisions, restore points, runs, audit entries and the spec
//! summary.

use serde::{Deserialize, Serialize};

use crate::{EpochMs, RevisionOutcome};

/// What only a job's own page shows: its history, restore points and spec. A large
/// fleet's overview would be mostly this, so it is published as one document per
/// job ([`JobDocument`]) that the job page fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetail {
    /// Fingerprint of the spec.
    #[serde(default)]
    pub spec_fingerprint: Option<String>,
    /// Fingerprint of the deployed version.
    #[serde(default)]
    pub deployed_fingerprint: Option<String>,
    /// The kept revisions, newest first.
    #[serde(default)]
    pub revisions: Vec<Revision>,
    /// The newest savepoint or retained checkpoint a restart would use.
    #[serde(default)]
    pub last_savepoint: Option<Savepoint>,
    /// The savepoints the controller took and keeps, newest first.
    #[serde(default)]
    pub savepoints: Vec<Savepoint>,
    /// The savepoint or checkpoint the deployed version started from.
    #[serde(default)]
    pub restored_from: Option<String>,
    /// Recent runs of a batch job, newest first (active ones, then history).
    #[serde(default)]
    pub runs: Vec<Run>,
    /// The bytes the deployed job runs.
    #[serde(default)]
    pub deployed_artifact: Option<ArtifactView>,
    /// Key id that signed the spec's artifact.
    #[serde(default)]
    pub signed_by: Option<String>,
    /// The last audit entries (who did what, when), newest first.
    #[serde(default)]
    pub audit: Vec<AuditView>,
    /// What the spec asks for, without values that could be secret.
    #[serde(default)]
    pub spec: Option<SpecSummary>,
}

/// One job's [`JobDetail`] as its own published document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDocument {
    /// Layout version ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION) when written by this crate).
    pub schema_version: u32,
    /// The spec's job id.
    pub job_id: String,
    /// The detail.
    pub detail: JobDetail,
}

/// Where a job's [`JobDocument`] is published, relative to the snapshot
/// (`jobs/<namespace>/<job id>.json`): under its namespace, so a viewer's access
/// to a namespace can be checked on the path alone (the dashboard's edge check).
/// Bytes other than ASCII letters, digits, `-` and `_` are written as `~XX`
/// (hex), so any namespace and job id give safe path segments, never `..` or a
/// `/`.
pub fn job_document_key(namespace: &str, job_id: &str) -> String {
    let mut key = String::with_capacity(namespace.len() + job_id.len() + 12);
    key.push_str("jobs/");
    push_segment(&mut key, namespace);
    key.push('/');
    push_segment(&mut key, job_id);
    key.push_str(".json");
    key
}

/// Where the overview of one namespace's jobs ([`Snapshot::for_namespace`](crate::Snapshot::for_namespace))
/// is published, relative to the snapshot: `snapshots/ns/<namespace>.json`.
pub fn namespace_overview_key(namespace: &str) -> String {
    let mut key = String::from("snapshots/ns/");
    push_segment(&mut key, namespace);
    key.push_str(".json");
    key
}

/// Appends `text` as one safe path segment (see [`job_document_key`]).
fn push_segment(key: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            key.push(char::from(b));
        } else {
            key.push('~');
            key.push(char::from(HEX[usize::from(b >> 4)]));
            key.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The artifact a deployed job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactView {
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
    /// S3 version id, when the bucket is versioned.
    #[serde(default)]
    pub version: Option<String>,
}

/// One audit entry: who changed what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    /// When.
    pub at: EpochMs,
    /// Caller identity (IAM ARN, or `local:<user>@<host>`).
    pub actor: String,
    /// `create`, `update`, `delete`, `suspend`, `resume`, `restart`, `savepoint`,
    /// `rollback`, `artifact-update`, ...
    pub action: String,
    /// Fingerprint before.
    #[serde(default)]
    pub from: Option<String>,
    /// Fingerprint after.
    #[serde(default)]
    pub to: Option<String>,
    /// More about it (one line).
    #[serde(default)]
    pub detail: Option<String>,
}

/// A spec, reduced to what is safe and useful to show. Environment variable values
/// and program arguments are deliberately absent: only their counts are here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSummary {
    /// `s3://bucket/key.jar` or a path below the artifact root.
    pub artifact_path: String,
    /// `sha256:<hex>` of the artifact at apply time.
    #[serde(default)]
    pub artifact_digest: Option<String>,
    /// Main class, when set.
    #[serde(default)]
    pub entry_class: Option<String>,
    /// Parallelism.
    pub parallelism: u32,
    /// Checkpoint interval as written (`30s`).
    #[serde(default)]
    pub checkpoint_interval: Option<String>,
    /// Restart strategy name.
    #[serde(default)]
    pub restart_strategy: Option<String>,
    /// Batch schedule (cron expression), when set.
    #[serde(default)]
    pub cron: Option<String>,
    /// Time zone of the schedule.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Periodic savepoint interval of a streaming job.
    #[serde(default)]
    pub savepoint_trigger_interval: Option<String>,
    /// How many program arguments the spec passes (their values are never shown).
    pub arg_count: u32,
    /// How many environment variables the spec sets (their values are never shown).
    pub env_var_count: u32,
}

/// A deployed version of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// Revision number, increasing.
    pub number: u64,
    /// Spec fingerprint of this revision.
    pub fingerprint: String,
    /// When it was deployed.
    #[serde(default)]
    pub deployed_at: Option<EpochMs>,
    /// How it fared (`None` in documents older than this field).
    #[serde(default)]
    pub outcome: Option<RevisionOutcome>,
    /// Why it was rolled back (one line).
    #[serde(default)]
    pub reason: Option<String>,
    /// The savepoint or checkpoint it started from.
    #[serde(default)]
    pub restored_from: Option<String>,
}

/// A savepoint or retained checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Savepoint {
    /// Where it is.
    pub location: String,
    /// When it completed (or was recorded).
    pub at: EpochMs,
    /// `savepoint` or `checkpoint`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The Flink job it was taken from.
    #[serde(default)]
    pub from_flink_job_id: Option<String>,
}

/// Outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// Completed.
    Finished,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Cancelled for running longer than `ttl_seconds`.
    TimedOut,
    /// Vanished from the cluster before its result was seen.
    Lost,
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

/// One run of a batch job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Run id (`<scheduled ms>-<trigger>`).
    #[serde(default)]
    pub run_id: String,
    /// Flink job id of the run.
    #[serde(default)]
    pub flink_job_id: Option<String>,
    /// Start.
    pub started_at: EpochMs,
    /// End, once over.
    #[serde(default)]
    pub ended_at: Option<EpochMs>,
    /// Outcome.
    pub outcome: RunOutcome,
    /// Failure cause (one line).
    #[serde(default)]
    pub error: Option<String>,
}
