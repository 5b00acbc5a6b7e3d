//! Which lifecycle transition each action of a cycle belongs to, and how long
//! the finished ones took: from the intent recorded before the first Flink call
//! (an operation resumed across cycles) or from the cycle's start.

use std::collections::BTreeMap;

use super::{Sample, sample};
use fjc_core::cycle::CycleReport;
use fjc_core::executor::{ActionReport, Outcome};
use fjc_core::planner::{Action, DeployReason};
use fjc_core::state::Operation;

/// The transition an action carries out: `deploy`, `upgrade`, `recover`,
/// `resume`, `restart`, `rollback`, `suspend`, `savepoint` or `delete`; `None`
/// for bookkeeping (records, adoption, batch runs, orphans).
pub(super) fn transition(report: &CycleReport, a: &ActionReport) -> Option<&'static str> {
    let action = report
        .plan
        .actions
        .iter()
        .find(|p| p.job_id() == a.job_id && p.name() == a.action)?;
    Some(match action {
        Action::ContinueOperation { job_id } => {
            match report.loaded.states.get(job_id)?.operation.as_ref()? {
                Operation::Deploy {
                    replaces: Some(_),
                    purpose: fjc_core::state::Purpose::Deploy,
                    ..
                } => "upgrade",
                op => op.name(),
            }
        }
        Action::Deploy {
            replaces: Some(_), ..
        } => "upgrade",
        Action::Deploy { reason, .. } => match reason {
            DeployReason::Recover | DeployReason::Lost => "recover",
            DeployReason::Resume => "resume",
            DeployReason::Restart => "restart",
            DeployReason::New | DeployReason::Changed | DeployReason::Retry => "deploy",
        },
        Action::Rollback { .. } => "rollback",
        Action::Suspend { .. } => "suspend",
        Action::Savepoint { .. } => "savepoint",
        Action::Delete { .. } => "delete",
        _ => return None,
    })
}

/// Whether a transition starts a Flink job for a spec.
pub(super) fn is_deployment(transition: &str) -> bool {
    matches!(
        transition,
        "deploy" | "upgrade" | "recover" | "resume" | "restart" | "rollback"
    )
}

/// `fjc_transition_duration_seconds{transition}` (sum and count) of the
/// transitions that finished this cycle.
pub(super) fn durations(report: &CycleReport) -> Vec<Sample> {
    let ended = report.started_at + i64::try_from(report.duration_ms).unwrap_or(0);
    let mut by: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for a in &report.actions {
        if !matches!(a.outcome, Outcome::Done(_)) {
            continue;
        }
        let Some(t) = transition(report, a) else {
            continue;
        };
        let began = report
            .loaded
            .states
            .get(&a.job_id)
            .and_then(|s| s.operation.as_ref())
            .map_or(report.started_at, Operation::started_at);
        let e = by.entry(t).or_default();
        e.0 += (ended - began).max(0) as f64 / 1000.0;
        e.1 += 1.0;
    }
    by.into_iter()
        .flat_map(|(t, (sum, count))| {
            [
                sample(
                    "fjc_transition_duration_seconds_sum",
                    &[("transition", t)],
                    sum,
                ),
                sample(
                    "fjc_transition_duration_seconds_count",
                    &[("transition", t)],
                    count,
                ),
            ]
        })
        .collect()
}
