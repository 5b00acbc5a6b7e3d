//! The one definition of a job's lifecycle, used by the controller (stored in every
//! job state) and by the dashboard. The variant list is written once, in the macro
//! call below, and [`Lifecycle::ALL`] is generated from it: a new value is in `ALL`
//! by construction, and every exhaustive `match` over [`Lifecycle`] (the
//! dashboard's labels and hints among them) fails to compile until it handles it.

use serde::{Deserialize, Serialize};

/// Declares [`Lifecycle`] and [`Lifecycle::ALL`] from one list of variants.
macro_rules! lifecycle {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)+) => {
        /// Controller-level lifecycle of a job.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Lifecycle {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)+
        }

        impl Lifecycle {
            /// Every value, in display order.
            pub const ALL: &'static [Lifecycle] = &[$(Lifecycle::$variant,)+];

            /// Upper-case name, as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Lifecycle::$variant => $name,)+
                }
            }
        }
    };
}

lifecycle! {
    /// Spec known, nothing deployed yet.
    Created = "CREATED",
    /// A deployment is in flight or the job has not reached RUNNING yet.
    Deploying = "DEPLOYING",
    /// The old version is being replaced.
    Upgrading = "UPGRADING",
    /// Running in Flink.
    Running = "RUNNING",
    /// Running with all tasks for `deployment.stable_after`: a revision a
    /// rollback can return to.
    Stable = "STABLE",
    /// Being stopped with a savepoint (`desired_state: suspended`).
    Suspending = "SUSPENDING",
    /// Stopped on purpose: a suspended stream job, or a batch schedule with
    /// `suspend: true` and no active run.
    Suspended = "SUSPENDED",
    /// Failed or lost; being restarted from its newest savepoint or checkpoint.
    Recovering = "RECOVERING",
    /// A failing new version is being replaced by the last stable revision.
    RollingBack = "ROLLING_BACK",
    /// Runs a rolled-back revision; the spec's version waits for a spec change.
    RolledBack = "ROLLED_BACK",
    /// A batch job waiting for its next fire time (or stopped by `max_runs`).
    Scheduled = "SCHEDULED",
    /// A batch job completed.
    Finished = "FINISHED",
    /// Failed; see the last error. Waits for a spec change (or a retry time).
    Failed = "FAILED",
    /// The spec was deleted and the job is being cancelled.
    Deleting = "DELETING",
}

impl Lifecycle {
    /// Parses an upper-case name.
    pub fn parse(s: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.iter().copied().find(|l| l.as_str() == s)
    }
}

impl std::fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job's lifecycle as a status listing shows it: the controller's
/// [`Lifecycle`], `PENDING` for a spec no cycle has acted on yet, or `UNKNOWN` for
/// a value written by a newer controller than this reader. Serialized as the
/// upper-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Shown {
    /// A spec no cycle has acted on yet (no job state).
    Pending,
    /// The controller's lifecycle.
    Is(Lifecycle),
    /// Written by a newer controller.
    Unknown,
}

impl Shown {
    /// Every value a controller of this version writes, in display order.
    pub fn all() -> impl Iterator<Item = Shown> {
        std::iter::once(Shown::Pending).chain(Lifecycle::ALL.iter().copied().map(Shown::Is))
    }

    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::Pending => "PENDING",
            Shown::Is(l) => l.as_str(),
            Shown::Unknown => "UNKNOWN",
        }
    }

    /// Parses an upper-case name (`UNKNOWN` for anything else).
    pub fn parse(s: &str) -> Shown {
        match s {
            "PENDING" => Shown::Pending,
            _ => Lifecycle::parse(s).map_or(Shown::Unknown, Shown::Is),
        }
    }

    /// The controller's lifecycle, when there is one.
    pub fn lifecycle(self) -> Option<Lifecycle> {
        match self {
            Shown::Is(l) => Some(l),
            Shown::Pending | Shown::Unknown => None,
        }
    }
}

impl From<Lifecycle> for Shown {
    fn from(l: Lifecycle) -> Shown {
        Shown::Is(l)
    }
}

impl From<String> for Shown {
    fn from(s: String) -> Shown {
        Shown::parse(&s)
    }
}

impl From<Shown> for String {
    fn from(s: Shown) -> String {
        s.as_str().to_string()
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a revision fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionOutcome {
    /// Submitted; not yet stable.
    Deployed,
    /// Ran for `stable_after`: a rollback target.
    Stable,
    /// Failed or never got ready, and was rolled back.
    RolledBack,
}

impl RevisionOutcome {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionOutcome::Deployed => "deployed",
            RevisionOutcome::Stable => "stable",
            RevisionOutcome::RolledBack => "rolled-back",
        }
    }
}
