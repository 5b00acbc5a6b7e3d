//! One tick of the reconciler, the same for the `reconcile` Lambda and for
//! `fjc reconcile`: the cycles of the tick's scopes, then the cycles of the jobs
//! whose operations asked to be looked at again (requeued, see [`Requeue`]), then
//! (when those cycles saw the fleet in parts, or saw none of it) a read-only view
//! of the whole fleet for the heartbeat, and the dashboard snapshot of the newest
//! look.
//!
//! What differs between the two callers stays with them: the Lambda fans out to
//! shard invocations and writes EMF lines; the CLI prints each cycle and feeds its
//! Prometheus registry. Both get every report through the `on_report` hook.

use std::collections::BTreeMap;

use crate::clock::{Clock, EpochMs};
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
    /// Cancelled to stop (a signal): a cycle under way ends as usual, releasing
    /// its lease, and no further cycle starts (the jobs it requeued are left to
    /// the next tick, which goes on from their saved operations).
    pub stop: Option<&'a tokio_util::sync::CancellationToken>,
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
    /// How many of the cycles were of requeued jobs.
    pub requeued: usize,
    /// Jobs still waiting to be looked at again when the tick ended, and when:
    /// the next tick's cycle goes on with them.
    pub left_waiting: BTreeMap<String, EpochMs>,
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

    /// The tick's cycles as one report, the way one cycle that waited for its
    /// operations would have told it: the first cycle's plan and lease; each
    /// job's action once, with the outcome it had last (a requeued cycle goes on
    /// with the operation its first action started); the calls and writes of
    /// every cycle added up; what was loaded and seen, each part as last looked
    /// at.
    pub fn combined(&self) -> Option<CycleReport> {
        let (first, rest) = self.cycles.split_first()?;
        let mut one = first.clone();
        for later in rest {
            for a in &later.actions {
                match one.actions.iter_mut().find(|b| b.job_id == a.job_id) {
                    Some(b) => {
                        b.outcome = a.outcome.clone();
                        b.duration_ms += a.duration_ms;
                        b.look_again_at = a.look_again_at;
                    }
                    None => one.actions.push(a.clone()),
                }
            }
            one.store.reads += later.store.reads;
            one.store.writes += later.store.writes;
            one.flink.reads += later.flink.reads;
            one.flink.writes += later.flink.writes;
            for (class, n) in &later.flink_errors {
                *one.flink_errors.entry(class.clone()).or_default() += n;
            }
            one.duration_ms = u128::try_from(later.started_at - first.started_at)
                .unwrap_or(0)
                .saturating_add(later.duration_ms);
            one.clusters.extend(later.clusters.clone());
            one.breakers.extend(later.breakers.clone());
            one.loaded.overlay(&later.loaded);
        }
        Some(one)
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
    let mut requeue = Requeue::new(ctx, plan.deadline);
    let stopped = || plan.stop.is_some_and(|s| s.is_cancelled());
    for scope in plan.scopes {
        if stopped() {
            break;
        }
        let id = correlation(plan.correlation_id);
        let report = reconcile_until(ctx, scope, &id, plan.deadline).await?;
        on_report(Look::Cycle(scope), &report);
        requeue.add(&report);
        done.cycles.push(report);
    }
    while let Some(scopes) = requeue.due(ctx, plan.stop).await {
        for scope in &scopes {
            if stopped() {
                break;
            }
            let id = correlation(plan.correlation_id);
            let report = reconcile_until(ctx, scope, &id, plan.deadline).await?;
            on_report(Look::Cycle(scope), &report);
            requeue.add(&report);
            done.cycles.push(report);
            done.requeued += 1;
        }
    }
    done.left_waiting = requeue.waiting().clone();
    if plan.view {
        let view = view_fleet(ctx, &correlation(plan.correlation_id)).await?;
        on_report(Look::View, &view);
        done.view = Some(view);
    }
    if plan.publish
        && let Some(d) = dashboard
    {
        // A requeued cycle sees only its jobs: without a view, the snapshot is
        // made from the tick's cycles told as one.
        let combined = (done.view.is_none() && done.requeued > 0)
            .then(|| done.combined())
            .flatten();
        if let Some(newest) = combined.as_ref().or(done.newest()) {
            done.published = d.after_cycle(ctx, newest).await;
        }
    }
    Ok(done)
}

/// The least time left before the invocation's deadline for a requeued cycle to
/// start, milliseconds.
pub const REQUEUE_MARGIN_MS: EpochMs = 10_000;

/// The jobs whose operations asked to be looked at again, as a controller's
/// work queue holds them. The tick follows them for at most
/// `reconcile.cancel_wait_seconds` (and never closer than
/// [`REQUEUE_MARGIN_MS`] to the invocation's deadline): a job due within that
/// window gets a cycle of its own (`Scope::Jobs`, under its shard's lease) at
/// the time it asked for; one due later is left to the next tick's cycle, which
/// goes on from the operation's saved state. Nothing sleeps inside a cycle.
#[derive(Debug)]
pub struct Requeue {
    waiting: BTreeMap<String, EpochMs>,
    until: EpochMs,
    shards: u32,
}

impl Requeue {
    /// A queue for a tick that starts now and ends by `deadline` (epoch ms).
    pub fn new<P: Ports>(ctx: &Context<P>, deadline: Option<EpochMs>) -> Requeue {
        let follow = i64::try_from(ctx.settings.cancel_wait_seconds.saturating_mul(1000))
            .unwrap_or(i64::MAX);
        let mut until = ctx.clock.now_ms().saturating_add(follow);
        if let Some(d) = deadline {
            until = until.min(d - REQUEUE_MARGIN_MS);
        }
        Requeue {
            waiting: BTreeMap::new(),
            until,
            shards: ctx.settings.shards,
        }
    }

    /// Adds the jobs `report`'s actions asked to be looked at again; a job the
    /// cycle acted on without asking leaves the queue.
    pub fn add(&mut self, report: &CycleReport) {
        for a in &report.actions {
            match a.look_again_at {
                Some(at) => {
                    self.waiting.insert(a.job_id.clone(), at);
                }
                None => {
                    self.waiting.remove(&a.job_id);
                }
            }
        }
    }

    /// Waits until the next job is due, then gives the scopes of every job due
    /// by then (taken out of the queue); `None` when none is due within the
    /// tick's window (the rest is left to the next tick).
    /// `None` too once `stop` is cancelled (the wait is cut short).
    pub async fn due<P: Ports>(
        &mut self,
        ctx: &Context<P>,
        stop: Option<&tokio_util::sync::CancellationToken>,
    ) -> Option<Vec<Scope>> {
        let next = *self.waiting.values().min()?;
        if next > self.until || stop.is_some_and(|s| s.is_cancelled()) {
            return None;
        }
        let wait = next - ctx.clock.now_ms();
        if wait > 0 {
            let sleep = tokio::time::sleep(std::time::Duration::from_millis(wait.unsigned_abs()));
            match stop {
                Some(s) => {
                    tokio::select! {
                        () = sleep => {}
                        () = s.cancelled() => return None,
                    }
                }
                None => sleep.await,
            }
        }
        let now = ctx.clock.now_ms().max(next);
        let due: Vec<String> = self
            .waiting
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            self.waiting.remove(id);
        }
        Some(Scope::jobs(due, self.shards))
    }

    /// The jobs still waiting, and when they asked to be looked at.
    pub fn waiting(&self) -> &BTreeMap<String, EpochMs> {
        &self.waiting
    }
}
