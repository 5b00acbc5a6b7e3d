//! How far an operation in flight got, as recorded in the job's state: the
//! carry-over of a replaced job's state ([`UpgradeProgress`], with the settling
//! checkpoint statistics) and a savepoint's retention ([`RetentionProgress`]).
//! Each field is written before the step that depends on it, so a later cycle
//! goes on from it.

use fjc_spec::UpgradeMode;
use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;

/// The state-carrying part of a deploy that replaces a running job. Each field is
/// written before the Flink call that depends on it, so every step is re-entrant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeProgress {
    /// The spec's upgrade mode when the operation started.
    pub mode: UpgradeMode,
    /// The client-chosen savepoint trigger id (recorded before stop-with-savepoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// When the savepoint was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_started_at: Option<EpochMs>,
    /// The savepoint or checkpoint the new job starts from, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_from: Option<String>,
    /// Restore points Flink refused because files were missing, in the order tried
    /// (each one is skipped for the next candidate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    /// `last-state` after the cancel: the old job's newest retained checkpoint
    /// as last read, and since when that answer held (read again until it held
    /// long enough, across cycles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settling: Option<Settling>,
}

/// Retention after a savepoint, as far as it got (see
/// [`super::Operation::Savepoint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionProgress {
    /// The savepoint just taken.
    pub location: String,
    /// Expired savepoints still to be disposed of, the next one last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<String>,
    /// The disposal in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<DisposalProgress>,
    /// How many Flink confirmed so far.
    #[serde(default)]
    pub disposed: usize,
}

/// One savepoint's disposal through Flink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisposalProgress {
    /// The savepoint's location.
    pub location: String,
    /// Flink's trigger id of the disposal, once asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// When the disposal was first asked for.
    pub since: EpochMs,
}

/// A checkpoint-statistics answer and since when it held (see
/// [`UpgradeProgress::settling`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settling {
    /// The newest retained checkpoint read (its path and completion time), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<(String, EpochMs)>,
    /// When that answer was first read.
    pub since: EpochMs,
}

impl UpgradeProgress {
    /// Nothing done yet: carry the state over as `mode` says, or start from
    /// `restore_from` when it is already known.
    pub fn new(mode: UpgradeMode, restore_from: Option<String>) -> UpgradeProgress {
        UpgradeProgress {
            mode,
            trigger_id: None,
            savepoint_started_at: None,
            restore_from,
            tried: Vec::new(),
            settling: None,
        }
    }
}
