//! Lifecycle events and alerts, kept in the job's state until they are sent
//! (an outbox). Pure: [`stamp`] is applied to every state before it is written,
//! and adds an event for a lifecycle the record has not told yet (and an alert
//! for a failure, a rollback or sustained backpressure, as the spec's
//! `monitoring` asks). The engine sends the outbox after the write and clears
//! it; a crash in between leaves it for the next cycle. So every transition is
//! told once the record that made it is stored, whatever fails after, and a
//! repeat after a crash between the send and the clear carries the same
//! [`JobEvent::id`], for consumers to drop.

use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::signals::Health;
use crate::state::{JobState, Lifecycle};

#[cfg(test)]
mod tests;

/// Events kept per job while they cannot be sent (the oldest are dropped
/// beyond this, so an unreachable bus never grows a job's record without end).
pub const OUTBOX_MAX: usize = 50;

/// What an event is: its EventBridge `detail-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Every lifecycle transition.
    StateChange,
    /// A failure, a rollback, an exhausted recovery budget or sustained
    /// backpressure, when the spec's `monitoring` asks for it.
    Alert,
}

impl EventKind {
    /// The EventBridge `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            EventKind::StateChange => "FJC Job State Change",
            EventKind::Alert => "FJC Job Alert",
        }
    }
}

/// Why an alert was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The job is FAILED.
    Failed,
    /// FAILED because its recovery budget is spent.
    RecoveryBudgetExhausted,
    /// A new version was rolled back.
    RolledBack,
    /// Backpressure stayed over the job's threshold for
    /// `monitoring.backpressure_alert_after`.
    Backpressure,
}

/// One event, as sent (its `detail`), with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEvent {
    /// `<job id>:<n>`: unique per job and event, the same on every try.
    pub id: String,
    /// State change or alert.
    pub kind: EventKind,
    /// For an alert: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertKind>,
    /// The spec's job id.
    pub job_id: String,
    /// The spec's namespace (empty for a job whose spec is deleted).
    pub namespace: String,
    /// The lifecycle before (`None` for a job's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Lifecycle>,
    /// The lifecycle now.
    pub to: Lifecycle,
    /// The reason, when the record has one (the error, the rollback's cause, the
    /// backpressure); scrubbed of secrets when it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The deployed Flink job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_job_id: Option<String>,
    /// The reconcile cycle that made the transition.
    pub correlation_id: String,
    /// When.
    pub at: EpochMs,
}

/// Adds to `state.outbox` the events its record has not told yet: a state
/// change when its lifecycle differs from the one last told, and an alert
/// where `spec.monitoring` asks for one. A record older than the outbox
/// (nothing told) is taken as told. Applied before every write of a job's state.
pub fn stamp(state: &mut JobState, spec: Option<&SpecRecord>, correlation_id: &str, now: EpochMs) {
    let Some(told) = state.lifecycle_told else {
        state.lifecycle_told = Some(state.lifecycle);
        return;
    };
    let monitoring = spec.map(|s| &s.spec.monitoring);
    let on_failure = monitoring.is_some_and(|m| m.alert_on_failure);
    let on_backpressure = monitoring.is_some_and(|m| m.alert_on_backpressure);
    if told != state.lifecycle {
        let reason = reason_of(state);
        let base = event(state, spec, correlation_id, now, Some(told), reason.clone());
        push(state, EventKind::StateChange, None, base.clone());
        let alert = match state.lifecycle {
            Lifecycle::Failed
                if reason
                    .as_deref()
                    .is_some_and(|r| r.contains("recovery budget exhausted")) =>
            {
                Some(AlertKind::RecoveryBudgetExhausted)
            }
            Lifecycle::Failed => Some(AlertKind::Failed),
            Lifecycle::RolledBack => Some(AlertKind::RolledBack),
            _ => None,
        };
        if let Some(kind) = alert.filter(|_| on_failure) {
            push(state, EventKind::Alert, Some(kind), base);
        }
        state.lifecycle_told = Some(state.lifecycle);
    }
    let sustained = Health::of(state)
        .filter(|h| h.backpressure_sustained)
        .and_then(|h| Some((h.backpressured_since?, h.backpressure_percent)));
    if let Some((since, percent)) = sustained
        && state.backpressure_told != Some(since)
    {
        state.backpressure_told = Some(since);
        if on_backpressure {
            let reason = format!(
                "backpressured {}% of the time, over its threshold for {}",
                percent.map_or_else(|| "?".into(), |p| p.to_string()),
                crate::clock::human_age(now - since)
            );
            let base = event(
                state,
                spec,
                correlation_id,
                now,
                Some(state.lifecycle),
                Some(reason),
            );
            push(state, EventKind::Alert, Some(AlertKind::Backpressure), base);
        }
    }
}

/// What a record says about why it is where it is.
fn reason_of(state: &JobState) -> Option<String> {
    match state.lifecycle {
        Lifecycle::RolledBack | Lifecycle::RollingBack => state
            .rollback
            .as_ref()
            .map(|r| r.reason.clone())
            .or_else(|| state.last_error.as_ref().map(|e| e.message.clone())),
        Lifecycle::Failed | Lifecycle::Recovering => {
            state.last_error.as_ref().map(|e| e.message.clone())
        }
        _ => None,
    }
}

fn event(
    state: &JobState,
    spec: Option<&SpecRecord>,
    correlation_id: &str,
    now: EpochMs,
    from: Option<Lifecycle>,
    reason: Option<String>,
) -> JobEvent {
    JobEvent {
        id: String::new(),
        kind: EventKind::StateChange,
        alert: None,
        job_id: state.job_id.clone(),
        namespace: spec.map(|s| s.spec.namespace.clone()).unwrap_or_default(),
        from,
        to: state.lifecycle,
        reason,
        flink_job_id: state.flink_job_id.as_ref().map(ToString::to_string),
        correlation_id: correlation_id.to_string(),
        at: now,
    }
}

fn push(state: &mut JobState, kind: EventKind, alert: Option<AlertKind>, mut e: JobEvent) {
    state.events_made += 1;
    e.id = format!("{}:{}", state.job_id, state.events_made);
    e.kind = kind;
    e.alert = alert;
    state.outbox.push(e);
    if state.outbox.len() > OUTBOX_MAX {
        let over = state.outbox.len() - OUTBOX_MAX;
        tracing::warn!(job = %state.job_id, dropped = over, "event outbox full: oldest events dropped");
        state.outbox.drain(..over);
    }
}
