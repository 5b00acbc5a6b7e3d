//! One tick of the reconciler, the same for the `reconcile` Lambda and for
//! `fjc reconcile`: the cycles of the tick's scopes, then (when those cycles saw
//! the fleet in parts, or saw none of it) a read-only view of the whole fleet for
//! the heartbeat, and the dashboard snapshot of the newest look.
//!
//! What differs between the two callers stays with them: the Lambda fans out to
//! shard invocations and writes EMF lines; the CLI prints each cycle and feeds its
//! Prometheus registry. Both get every report through the `on_report` hook.

use crate::context::{Context, Ports};
use crate::cycle::{CycleReport, Scope, new_correlation_id, reconcile_until, view_fleet};
use crate::snapshot::publish::{Dashboard, PublishReport, SnapshotPublisher};
use crate::store::StoreError;

/// What one tick does.
#[derive(Debug, Clone, Copy)]
pub struct TickPlan<'a> {
    /// The cycles to run, one after another (none: only the view).
    pub scopes: &'a [Scope],
    /// Whether to take the read-only fleet view after the cycles.
    pub view: bool,
    /// Whether to publish the dashboard snapshot of the newest report.
    pub publish: bool,
    /// The correlation id every cycle of the tick carries (a new one per cycle
    /// when `None`).
    pub correlation_id: Option<&'a str>,
    /// Epoch milliseconds the lease must not outlive (a Lambda's deadline).
    pub deadline: Option<i64>,
}

/// Which report the `on_report` hook is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look<'a> {
    /// A reconcile cycle over this scope.
    Cycle(&'a Scope),
    /// The read-only fleet view.
    View,
}

/// What a tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    /// The cycles, in order.
    pub cycles: Vec<CycleReport>,
    /// The fleet view, when taken.
    pub view: Option<CycleReport>,
    /// The dashboard targets written to (or that failed), when published.
    pub published: Vec<PublishReport>,
}

impl TickReport {
    /// Whether a cycle reported errors.
    pub fn has_errors(&self) -> bool {
        self.cycles.iter().any(CycleReport::has_errors)
    }

    /// The newest look at the fleet: the view, else the last cycle.
    pub fn newest(&self) -> Option<&CycleReport> {
        self.view.as_ref().or(self.cycles.last())
    }
}

/// Runs one tick. A store that cannot be read stops it (nothing was done by the
/// failed cycle); everything else is in the report. Generic over the ports and
/// the dashboard's publishers, so the engine names no adapter; the Lambda and
/// `fjc reconcile` both call it with the real ones.
pub async fn tick<P: Ports, D: SnapshotPublisher>(
    ctx: &Context<P>,
    dashboard: Option<&Dashboard<D>>,
    plan: TickPlan<'_>,
    mut on_report: impl FnMut(Look<'_>, &CycleReport),
) -> Result<TickReport, StoreError> {
    let correlation = |given: Option<&str>| given.map_or_else(new_correlation_id, str::to_string);
    let mut done = TickReport::default();
    for scope in plan.scopes {
        let id = correlation(plan.correlation_id);
        let report = reconcile_until(ctx, scope, &id, plan.deadline).await?;
        on_report(Look::Cycle(scope), &report);
        done.cycles.push(report);
    }
    if plan.view {
        let view = view_fleet(ctx, &correlation(plan.correlation_id)).await?;
        on_report(Look::View, &view);
        done.view = Some(view);
    }
    if plan.publish
        && let (Some(d), Some(newest)) = (dashboard, done.newest())
    {
        done.published = d.after_cycle(ctx, newest).await;
    }
    Ok(done)
}
