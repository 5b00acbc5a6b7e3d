//! Recording what a cycle saw of a deployed job: lifecycle, Flink state, when
//! it started running all tasks (for STABLE), and Flink's failure cause.

use super::{Executor, Outcome, Step};
use crate::clock::EpochMs;
use crate::context::Ports;
use crate::executor_secrets::scrub_secrets;
use crate::state::Lifecycle;

impl<P: Ports> Executor<'_, P> {
    pub(crate) async fn record(
        &self,
        job_id: &str,
        seen: Seen<'_>,
        note: Option<String>,
    ) -> Step<Outcome> {
        let mut state = self.stored(job_id)?;
        let mut cause = None;
        if seen.fetch_cause
            && let Some(id) = &state.flink_job_id
        {
            cause = Some(match self.failure_cause(&state.cluster, id).await? {
                Ok(Some(cause)) => cause,
                Ok(None) => format!("Flink job {id} failed"),
                Err(e) => format!("Flink job {id} failed (cause unavailable: {e})"),
            });
        }
        let message = match (note, cause) {
            (Some(n), Some(c)) => Some(format!("{n}; last failure: {c}")),
            (n, c) => n.or(c),
        };
        if let Some(message) = message {
            let message = match self.specs.get(job_id) {
                Some(r) => {
                    scrub_secrets(&*self.ctx.secrets, &self.ctx.security, &r.spec, message).await
                }
                None => message,
            };
            state.set_error(message, self.now(), false);
        }
        if let Some(at) = seen.restarted_by_flink_at
            && !state.recoveries.contains(&at)
        {
            tracing::info!(job = %job_id, flink_job = ?state.flink_job_id, started_at = at,
                "Flink started the job again by itself (JobManager failover): adopted, recorded as a recovery");
            state.recoveries.push(at);
        }
        if seen.flink_started_at.is_some() {
            state.flink_started_at = seen.flink_started_at;
        }
        let from = state.lifecycle;
        state.lifecycle = seen.lifecycle;
        state.set_flink_state(Some(seen.flink_state.to_string()), self.now());
        match (seen.running, state.running_since) {
            (true, None) => state.running_since = Some(self.now()),
            (false, Some(_)) => state.running_since = None,
            _ => {}
        }
        let stable = seen.lifecycle == Lifecycle::Stable && from != Lifecycle::Stable;
        if stable {
            state.stable_revision = Some(state.revision);
        }
        self.save(&mut state).await?;
        if stable {
            self.mark_revision(&state, crate::revisions::RevisionOutcome::Stable, None)
                .await;
        }
        Ok(Outcome::Done(format!(
            "{} -> {} (Flink {})",
            from.as_str(),
            seen.lifecycle.as_str(),
            seen.flink_state
        )))
    }
}

/// What a cycle saw of a deployed job (see [`Action::Record`]).
pub(crate) struct Seen<'a> {
    pub(crate) lifecycle: Lifecycle,
    pub(crate) flink_state: &'a str,
    pub(crate) fetch_cause: bool,
    pub(crate) running: bool,
    pub(crate) restarted_by_flink_at: Option<EpochMs>,
    pub(crate) flink_started_at: Option<EpochMs>,
}
