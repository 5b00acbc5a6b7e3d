//! Where the new job starts from: the restore point recorded before anything
//! else; an old job gone without a savepoint seen is restored from storage; a
//! failed savepoint abandons the change with the old job running.

use super::{Carry, CarryOver, Stage, progress};
use crate::clock::EpochMs;
use crate::operation::{Effect, Next, Outcome};
use crate::state::{Lifecycle, SavepointRecord};

impl CarryOver {
    /// Records where the new job starts from (the operation's step and the job's
    /// newest savepoint), before anything else happens.
    pub(super) fn restore_point(&mut self, record: SavepointRecord, wait_end: bool) -> Next<Carry> {
        let location = record.location.clone();
        if let Some(p) = progress(&mut self.state) {
            p.restore_from = Some(location.clone());
        }
        let known = self.state.savepoints.iter().any(|s| s.location == location);
        if record.kind == "savepoint" && !known {
            self.state.savepoints.push(record.clone());
        }
        self.state.last_savepoint = Some(record);
        self.stage = Stage::SavingRestorePoint { location, wait_end };
        self.save()
    }

    /// The old job ended (or vanished) without us seeing its savepoint: its
    /// restore points in storage (a stop-savepoint Flink completed is the
    /// newest), with the recorded ones; the newest wins.
    pub(super) fn old_job_gone(&mut self) -> Next<Carry> {
        self.stage = Stage::FindingRestorePoints;
        Next::Do(Effect::FindRestorePoints {
            state: Box::new(self.state.clone()),
        })
    }

    pub(super) fn found(&mut self, found: crate::restore::Found, now: EpochMs) -> Next<Carry> {
        let old = self.old.clone();
        if found.chain.is_empty() && found.incomplete {
            return Next::Done(Carry::Wait(format!(
                "job {old} ended; its restore points could not be listed yet"
            )));
        }
        if let Some(sp) = found.chain.first().map(|c| c.record(&old)) {
            tracing::warn!(job = %self.state.job_id, %old, location = %sp.location,
                "old job is gone; restoring from its newest savepoint");
            return self.restore_point(sp, false);
        }
        let message = format!(
            "job {old} ended before its savepoint was taken and no savepoint is known; \
             not starting the new version with empty state (use upgrade_mode: stateless \
             to allow it)"
        );
        self.state.operation = None;
        self.state.lifecycle = Lifecycle::Failed;
        self.state.set_error(message.clone(), now, false);
        self.stage = Stage::SavingEnd(Carry::Abandoned(Outcome::Failed(message)));
        self.save()
    }

    /// The savepoint failed: the old job keeps running; the change waits and is
    /// retried with backoff.
    pub(super) fn abandon(&mut self, reason: String, now: EpochMs) -> Next<Carry> {
        let s = &mut self.state;
        let what = s.operation.as_ref().map_or("upgrade", |o| o.name());
        let message = format!("{what} not done, {reason}; job {} keeps running", self.old);
        tracing::warn!(job = %s.job_id, error = %message, "upgrade abandoned");
        s.operation = None;
        s.lifecycle = Lifecycle::Running;
        s.failed_attempts = s.failed_attempts.saturating_add(1);
        s.next_attempt_at = Some(now + self.settings.backoff.after(s.failed_attempts));
        s.set_error(message.clone(), now, true);
        self.stage = Stage::SavingEnd(Carry::Abandoned(Outcome::Failed(message)));
        self.save()
    }
}
