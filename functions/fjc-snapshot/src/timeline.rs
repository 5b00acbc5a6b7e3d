//! A job's life as events on one time axis: applies and operator commands (from the
//! audit trail), deployments and upgrades (revisions, with the restore point they
//! started from), savepoints, recoveries, rollbacks with their reason, batch runs
//! and the last error. Pure, so the page only draws what this returns.

use crate::{EpochMs, JobDetail, JobView, RevisionOutcome, RunOutcome};

/// What kind of event, one lane of the timeline each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// The spec was created, changed or deleted, or its artifact replaced.
    Apply,
    /// An operator asked for a suspend, resume, restart, savepoint or rollback.
    Command,
    /// A revision was deployed (the first, or an upgrade from a restore point).
    Deploy,
    /// A savepoint was taken.
    Savepoint,
    /// The controller restarted a failed or vanished job.
    Recovery,
    /// A failing version was replaced by the last stable one.
    Rollback,
    /// A batch run (a span).
    Run,
    /// The last error.
    Error,
}

impl EventKind {
    /// Every kind, in lane order (top to bottom).
    pub const ALL: [EventKind; 8] = [
        EventKind::Apply,
        EventKind::Command,
        EventKind::Deploy,
        EventKind::Savepoint,
        EventKind::Recovery,
        EventKind::Rollback,
        EventKind::Run,
        EventKind::Error,
    ];

    /// Lane label.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Apply => "spec",
            EventKind::Command => "command",
            EventKind::Deploy => "deploy",
            EventKind::Savepoint => "savepoint",
            EventKind::Recovery => "recovery",
            EventKind::Rollback => "rollback",
            EventKind::Run => "run",
            EventKind::Error => "error",
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened (a run: when it started).
    pub at: EpochMs,
    /// When a span ended (runs; `None` for a point or a run still going).
    pub until: Option<EpochMs>,
    /// Its lane.
    pub kind: EventKind,
    /// One line saying what happened.
    pub text: String,
    /// Whether it went wrong (a failed run, a rolled-back revision, an error).
    pub bad: bool,
}

/// Operator commands recorded in the audit trail (as opposed to spec changes).
const COMMANDS: [&str; 5] = ["suspend", "resume", "restart", "savepoint", "rollback"];

fn short(fingerprint: &str) -> &str {
    let end = fingerprint
        .char_indices()
        .nth(12)
        .map_or(fingerprint.len(), |(i, _)| i);
    &fingerprint[..end]
}

/// The job's events, oldest first.
pub fn events(job: &JobView) -> Vec<Event> {
    let none = JobDetail::default();
    let d = job.detail.as_ref().unwrap_or(&none);
    let mut out = Vec::new();
    let mut push = |at, kind, text: String, bad| {
        out.push(Event {
            at,
            until: None,
            kind,
            text,
            bad,
        })
    };
    for a in &d.audit {
        let kind = if COMMANDS.contains(&a.action.as_str()) {
            EventKind::Command
        } else {
            EventKind::Apply
        };
        let what = match (&a.from, &a.to) {
            (Some(f), Some(t)) if f != t => format!(" {} → {}", short(f), short(t)),
            _ => String::new(),
        };
        let detail = a
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        push(
            a.at,
            kind,
            format!("{} by {}{what}{detail}", a.action, a.actor),
            false,
        );
    }
    for r in &d.revisions {
        let Some(at) = r.deployed_at else { continue };
        let from = r
            .restored_from
            .as_deref()
            .map_or_else(|| " with empty state".to_string(), |p| format!(" from {p}"));
        let outcome = match r.outcome {
            Some(RevisionOutcome::RolledBack) => format!(
                ", rolled back{}",
                r.reason
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            Some(o) => format!(", {}", o.as_str()),
            None => String::new(),
        };
        let what = if r.number == 1 {
            "revision 1 deployed".to_string()
        } else {
            format!("upgrade to revision {}", r.number)
        };
        push(
            at,
            EventKind::Deploy,
            format!("{what}{from}{outcome}"),
            r.outcome == Some(RevisionOutcome::RolledBack),
        );
    }
    for s in &d.savepoints {
        push(
            s.at,
            EventKind::Savepoint,
            format!(
                "{} {}",
                s.kind.as_deref().unwrap_or("savepoint"),
                s.location
            ),
            false,
        );
    }
    if let Some(s) = &d.last_savepoint
        && !d
            .savepoints
            .iter()
            .any(|k| k.location == s.location && k.at == s.at)
    {
        push(
            s.at,
            EventKind::Savepoint,
            format!(
                "{} {} (newest restore point)",
                s.kind.as_deref().unwrap_or("savepoint"),
                s.location
            ),
            false,
        );
    }
    for &t in &job.recoveries {
        push(t, EventKind::Recovery, "recovered".to_string(), false);
    }
    if let Some(r) = &job.rollback {
        push(
            r.at,
            EventKind::Rollback,
            format!(
                "rolled back from revision {} to {}: {}",
                r.from_revision, r.to_revision, r.reason
            ),
            true,
        );
    }
    if let Some(e) = &job.last_error {
        push(e.at, EventKind::Error, e.message.clone(), true);
    }
    for r in &d.runs {
        out.push(Event {
            at: r.started_at,
            until: r.ended_at,
            kind: EventKind::Run,
            text: format!(
                "run {} {}{}",
                r.run_id,
                run_outcome(r.outcome),
                r.error
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            bad: matches!(
                r.outcome,
                RunOutcome::Failed | RunOutcome::TimedOut | RunOutcome::Lost
            ),
        });
    }
    out.sort_by_key(|e| (e.at, e.kind));
    out
}

/// A run outcome in words.
pub fn run_outcome(o: RunOutcome) -> &'static str {
    match o {
        RunOutcome::Running => "running",
        RunOutcome::Finished => "finished",
        RunOutcome::Failed => "failed",
        RunOutcome::Cancelled => "cancelled",
        RunOutcome::TimedOut => "timed out",
        RunOutcome::Lost => "lost",
        RunOutcome::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditView, JobType, Lifecycle, Revision, RollbackView, Savepoint, Shown};

    #[test]
    fn a_stream_jobs_life_in_order() {
        let mut j = JobView::new(
            "clicks",
            JobType::Stream,
            "default",
            Shown::Is(Lifecycle::RolledBack),
        );
        let audit = |at, action: &str, from: Option<&str>, to: &str| AuditView {
            at,
            actor: "local:ana@box".into(),
            action: action.into(),
            from: from.map(Into::into),
            to: Some(to.into()),
            detail: None,
        };
        let d = j.detail.get_or_insert_with(JobDetail::default);
        d.audit = vec![
            audit(500, "update", Some("fp1aaaaaaaaaaaaa"), "fp2bbbbbbbbbbbbb"),
            audit(300, "savepoint", None, "fp1aaaaaaaaaaaaa"),
            audit(100, "create", None, "fp1aaaaaaaaaaaaa"),
        ];
        let rev = |number, at, outcome, reason: Option<&str>, from: Option<&str>| Revision {
            number,
            fingerprint: format!("fp{number}"),
            deployed_at: Some(at),
            outcome: Some(outcome),
            reason: reason.map(Into::into),
            restored_from: from.map(Into::into),
        };
        d.revisions = vec![
            rev(
                2,
                510,
                RevisionOutcome::RolledBack,
                Some("not ready in 5m"),
                Some("file:/sp/2"),
            ),
            rev(1, 110, RevisionOutcome::Stable, None, None),
        ];
        d.savepoints = vec![Savepoint {
            location: "file:/sp/1".into(),
            at: 310,
            kind: Some("savepoint".into()),
            from_flink_job_id: None,
        }];
        j.rollback = Some(RollbackView {
            from_revision: 2,
            to_revision: 1,
            reason: "not ready in 5m".into(),
            at: 900,
        });
        let got: Vec<(EpochMs, EventKind, String)> = events(&j)
            .into_iter()
            .map(|e| (e.at, e.kind, e.text))
            .collect();
        assert_eq!(
            got,
            [
                (100, EventKind::Apply, "create by local:ana@box".to_string()),
                (
                    110,
                    EventKind::Deploy,
                    "revision 1 deployed with empty state, stable".into()
                ),
                (300, EventKind::Command, "savepoint by local:ana@box".into()),
                (310, EventKind::Savepoint, "savepoint file:/sp/1".into()),
                (
                    500,
                    EventKind::Apply,
                    "update by local:ana@box fp1aaaaaaaaa → fp2bbbbbbbbb".into()
                ),
                (
                    510,
                    EventKind::Deploy,
                    "upgrade to revision 2 from file:/sp/2, rolled back: not ready in 5m".into()
                ),
                (
                    900,
                    EventKind::Rollback,
                    "rolled back from revision 2 to 1: not ready in 5m".into()
                ),
            ]
        );
    }
}
