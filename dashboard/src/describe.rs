//! Words for facts that need more than one field: where a Flink state comes from
//! and how old it is, and how much of the recovery budget is used. Pure, so the
//! wording is unit-tested on the host.

use fjc_snapshot::query::Attention;
use fjc_snapshot::{FlinkStateSeen, JobView, Snapshot};

use crate::fmt::{ago, plural, window};

/// A job's Flink state as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkState {
    /// The text of the cell: the state when Flink said it just now, otherwise a
    /// phrase that says it is a stored value and how old it is.
    pub text: String,
    /// Whether the value is the controller's stored one (not what Flink said now).
    pub stored: bool,
    /// A longer explanation (tooltip).
    pub title: &'static str,
}

/// How a job's Flink state (`JobView::flink_state`, `flink_state_seen`) reads at
/// `now`. A stored value is never shown as if it were current.
pub fn flink_state(state: Option<&str>, seen: Option<FlinkStateSeen>, now: i64) -> FlinkState {
    let Some(state) = state else {
        return FlinkState {
            text: "—".into(),
            stored: false,
            title: "No Flink job deployed (or none recorded).",
        };
    };
    let age = |at: Option<i64>| at.map(|t| format!(" {}", ago(t, now))).unwrap_or_default();
    match seen {
        Some(FlinkStateSeen::Observed) => FlinkState {
            text: state.to_string(),
            stored: false,
            title: "What Flink reported in the cycle that wrote this snapshot.",
        },
        Some(FlinkStateSeen::Recorded { at }) => FlinkState {
            text: format!("{state} · stored{} (cluster not asked)", age(at)),
            stored: true,
            title: "The cluster could not be asked in the last cycle: this is the controller's stored value.",
        },
        Some(FlinkStateSeen::NotListed { recorded_at }) => FlinkState {
            text: format!("not on cluster · stored {state}{}", age(recorded_at)),
            stored: true,
            title: "The cluster answered and does not list this Flink job; the state shown is the last stored one.",
        },
        Some(FlinkStateSeen::Unknown) | None => FlinkState {
            text: format!("{state} · source unknown"),
            stored: true,
            title: "The snapshot does not say whether Flink reported this state just now.",
        },
    }
}

/// Recoveries in the window against the budget: `3 of 3 in 1h — budget
/// exhausted`, `1 of 3 in 1h`, or `2 in the window` without a budget. `None` when
/// there is nothing to say.
pub fn recoveries(job: &JobView) -> Option<(String, bool)> {
    let used = job.recoveries.len();
    match job.recovery_budget {
        Some(b) => {
            let allowed = usize::try_from(b.allowed).unwrap_or(usize::MAX);
            let exhausted = b.allowed > 0 && used >= allowed;
            let text = if b.allowed == 0 {
                format!(
                    "{used} in {}; recovery disabled (recovery_attempts: 0)",
                    window(b.window_seconds)
                )
            } else {
                format!("{used} of {} in {}", b.allowed, window(b.window_seconds))
            };
            Some(if exhausted {
                (format!("{text} — budget exhausted"), true)
            } else {
                (text, false)
            })
        }
        None if used > 0 => Some((
            format!("{} in the window", plural(used, "recovery", "recoveries")),
            false,
        )),
        None => None,
    }
}

/// One line on why `job` needs attention for `why`. Exhaustive on purpose (no
/// wildcard): a new reason needs its words here.
pub fn reason_detail(job: &JobView, why: Attention, snap: &Snapshot) -> Option<String> {
    match why {
        Attention::Failed => job.last_error.as_ref().map(|e| e.message.clone()),
        Attention::RolledBack => job.rollback.as_ref().map(|r| {
            format!(
                "revision {} → {}: {}",
                r.from_revision, r.to_revision, r.reason
            )
        }),
        Attention::RecoveryBudgetExhausted => recoveries(job).map(|(t, _)| t),
        Attention::DriftNotConverging => Some(format!(
            "{} failed",
            plural(job.failed_attempts as usize, "attempt", "attempts")
        )),
        Attention::HeldByPolicy => job.held_by_policy.clone(),
        Attention::ArtifactRefused => job.artifact_refused.as_ref().map(|r| r.reason.clone()),
        Attention::ClusterUnreachable => snap
            .clusters
            .iter()
            .find(|c| c.name == job.cluster)
            .and_then(|c| c.error.clone())
            .map(|e| format!("{}: {e}", job.cluster)),
    }
}

#[cfg(test)]
mod tests {
    use fjc_snapshot::{JobType, Lifecycle, RecoveryBudget, Shown};

    use super::*;

    const MIN: i64 = 60_000;

    fn job() -> JobView {
        let mut j = JobView::new(
            "j",
            JobType::Stream,
            "default",
            Shown::Is(Lifecycle::Running),
        );
        j.flink_state = Some("RUNNING".into());
        j
    }

    #[test]
    fn a_stored_flink_state_says_so_with_its_age() {
        let now = 100 * MIN;
        let mut j = job();
        let flink_state =
            |j: &JobView, now| flink_state(j.flink_state.as_deref(), j.flink_state_seen, now);
        j.flink_state_seen = Some(FlinkStateSeen::Observed);
        assert_eq!(flink_state(&j, now).text, "RUNNING");
        assert!(!flink_state(&j, now).stored);
        j.flink_state_seen = Some(FlinkStateSeen::Recorded { at: Some(95 * MIN) });
        assert_eq!(
            flink_state(&j, now).text,
            "RUNNING · stored 5m 0s ago (cluster not asked)"
        );
        j.flink_state_seen = Some(FlinkStateSeen::NotListed {
            recorded_at: Some(88 * MIN),
        });
        assert_eq!(
            flink_state(&j, now).text,
            "not on cluster · stored RUNNING 12m 0s ago"
        );
        j.flink_state_seen = Some(FlinkStateSeen::Recorded { at: None });
        assert_eq!(
            flink_state(&j, now).text,
            "RUNNING · stored (cluster not asked)"
        );
        j.flink_state_seen = None;
        assert!(
            flink_state(&j, now).stored,
            "no source: never shown as current"
        );
        j.flink_state = None;
        assert_eq!(flink_state(&j, now).text, "—");
    }

    #[test]
    fn recoveries_against_the_budget() {
        let mut j = job();
        assert_eq!(recoveries(&j), None);
        j.recoveries = vec![3, 2, 1];
        assert_eq!(
            recoveries(&j),
            Some(("3 recoveries in the window".into(), false))
        );
        j.recovery_budget = Some(RecoveryBudget {
            allowed: 3,
            window_seconds: 3600,
        });
        assert_eq!(
            recoveries(&j),
            Some(("3 of 3 in 1h — budget exhausted".into(), true))
        );
        j.recoveries.truncate(1);
        assert_eq!(recoveries(&j), Some(("1 of 3 in 1h".into(), false)));
    }
}
