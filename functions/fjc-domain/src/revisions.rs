//! Revisions: the specs a job was deployed with, newest last, with the state they
//! started from and how they fared. Rollback deploys one of them again; `fjc
//! history` shows them.

use fjc_flink::JobId;
use fjc_spec::{Fingerprint, JobSpec};
use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;
use crate::record::{ArtifactTrust, SpecRecord};

/// Revisions kept per job; older ones are deleted.
pub const REVISIONS_KEPT: usize = 10;

/// The largest script (SQL or PyFlink) a revision keeps (a revision is one DynamoDB item, at
/// most 400 KB with its spec); a larger one is fetched from its path again.
pub const KEPT_SCRIPT_MAX_BYTES: usize = 256 * 1024;

/// How a revision fared: defined once in [`fjc_snapshot`] and shared with the
/// dashboard.
pub use fjc_snapshot::RevisionOutcome;

/// One deployed version of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// Spec job id.
    pub job_id: String,
    /// 1, 2, 3, ... per job.
    pub number: u64,
    /// The spec fingerprint.
    pub fingerprint: Fingerprint,
    /// The spec as deployed.
    pub spec: JobSpec,
    /// Digest of the artifact bytes.
    pub artifact_digest: String,
    /// S3 version of the artifact, when versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_version: Option<String>,
    /// The verified signature (checked again if the revision is deployed again).
    #[serde(default)]
    pub trust: ArtifactTrust,
    /// When it was first submitted.
    pub deployed_at: EpochMs,
    /// The Flink job it first ran as.
    pub flink_job_id: JobId,
    /// The savepoint or checkpoint it started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<String>,
    /// How it fared.
    pub outcome: RevisionOutcome,
    /// Why it was rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A SQL or PyFlink job's script as it was deployed (at most
    /// [`KEPT_SCRIPT_MAX_BYTES`]): a rollback or recovery of this revision runs
    /// these bytes (checked against `artifact_digest`) even after the script's
    /// file was edited in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

impl Revision {
    /// A new revision of what `record` describes.
    pub fn of(
        number: u64,
        record: &SpecRecord,
        flink_job_id: JobId,
        restored_from: Option<String>,
        at: EpochMs,
    ) -> Revision {
        Revision {
            job_id: record.spec.job_id.clone(),
            number,
            fingerprint: record.fingerprint.clone(),
            spec: record.spec.clone(),
            artifact_digest: record.artifact_digest.clone(),
            artifact_version: record.artifact_version.clone(),
            trust: record.trust.clone(),
            deployed_at: at,
            flink_job_id,
            restored_from,
            outcome: RevisionOutcome::Deployed,
            reason: None,
            script: None,
        }
    }

    /// The revision as a spec record, to deploy it again.
    pub fn record(&self) -> SpecRecord {
        SpecRecord {
            spec: self.spec.clone(),
            fingerprint: self.fingerprint.clone(),
            artifact_digest: self.artifact_digest.clone(),
            artifact_version: self.artifact_version.clone(),
            trust: self.trust.clone(),
            updated_at: self.deployed_at,
            version: 0,
        }
    }
}

/// Where `fjc restart` starts the job from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RestartFrom {
    /// The newest restore point found in storage (the default).
    #[default]
    Newest,
    /// `--from PATH`: this savepoint or retained checkpoint.
    Path(String),
    /// `--empty`: no state, asked for explicitly.
    Empty,
}

/// What an operator can ask of a job from the CLI; the next cycle carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `fjc restart [--from PATH | --empty]`: start a FAILED (or any) job again,
    /// recovery budget reset.
    Restart(RestartFrom),
    /// `fjc savepoint`: take a savepoint now.
    Savepoint,
    /// `fjc rollback [--to N]`: deploy revision N (default: the last stable one).
    Rollback(Option<u64>),
}

impl Command {
    /// The kind's name (also the key in [`crate::state::JobState::handled`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Restart(_) => "restart",
            Command::Savepoint => "savepoint",
            Command::Rollback(_) => "rollback",
        }
    }
}

/// A job's pending commands: per kind, the request time (and the rollback target).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    /// `fjc restart` request time and where from.
    pub restart: Option<(EpochMs, RestartFrom)>,
    /// `fjc savepoint` request time.
    pub savepoint: Option<EpochMs>,
    /// `fjc rollback` request time and target.
    pub rollback: Option<(EpochMs, Option<u64>)>,
}

impl Commands {
    /// Records a request.
    pub fn set(&mut self, command: Command, at: EpochMs) {
        match command {
            Command::Restart(from) => self.restart = Some((at, from)),
            Command::Savepoint => self.savepoint = Some(at),
            Command::Rollback(to) => self.rollback = Some((at, to)),
        }
    }
}
