//! `fjc restart|savepoint|rollback JOB_ID`: operator commands on a stream job.
//! Each is recorded in the store with its audit entry (the caller, the command)
//! and carried out (once) by the next reconcile.

use fjc_aws::wiring::{aws_config, store};
use fjc_core::clock::{Clock, SystemClock, rfc3339};
use fjc_core::revisions::{Command, RestartFrom};
use fjc_core::store::{ControlStore, HistoryStore};
use fjc_spec::JobType;

use crate::exit::Failure;

/// Records `command` for `job_id` after checking it makes sense.
pub async fn request(job_id: &str, command: Command) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    let record = super::spec_of_type(&store, job_id, JobType::Stream, command.kind()).await?;
    if let Command::Restart(RestartFrom::Path(path)) = &command {
        // The path must be a complete restore point now; the reconcile checks again.
        let storage = fjc_aws::wiring::checkpoint_storage(&sdk);
        match storage.is_complete(path).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(Failure::User(format!(
                    "--from {path}: no _metadata there (not a complete savepoint or checkpoint)"
                )));
            }
            Err(e) if e.is_retryable() => return Err(Failure::Infra(format!("--from: {e}"))),
            Err(e) => return Err(Failure::User(format!("--from: {e}"))),
        }
    }
    if let Command::Rollback(Some(to)) = command {
        let kept = store.list_revisions(job_id).await?;
        if !kept.iter().any(|r| r.number == to) {
            let numbers: Vec<String> = kept.iter().map(|r| r.number.to_string()).collect();
            return Err(Failure::User(format!(
                "--to {to}: {job_id} has no revision {to} (kept: {})",
                if numbers.is_empty() {
                    "none".into()
                } else {
                    numbers.join(", ")
                }
            )));
        }
    }
    let now = SystemClock.now_ms();
    let actor = fjc_aws::sts::caller_identity(&sdk).await;
    let fingerprint = Some(record.fingerprint.0.as_str());
    let mut audit = fjc_core::audit::entry(
        job_id,
        now,
        &actor,
        command.kind(),
        fingerprint,
        fingerprint,
    );
    audit.detail = match &command {
        Command::Rollback(Some(to)) => Some(format!("to revision {to}")),
        Command::Restart(RestartFrom::Path(p)) => Some(format!("from {p}")),
        Command::Restart(RestartFrom::Empty) => Some("with empty state".into()),
        _ => None,
    };
    let what = match &command {
        Command::Restart(RestartFrom::Newest) => "restart".to_string(),
        Command::Restart(RestartFrom::Path(p)) => format!("restart from {p}"),
        Command::Restart(RestartFrom::Empty) => "restart with empty state".to_string(),
        Command::Savepoint => "savepoint".to_string(),
        Command::Rollback(Some(n)) => format!("rollback to revision {n}"),
        Command::Rollback(None) => "rollback to the last stable revision".to_string(),
    };
    store.request_command(job_id, command, now, &audit).await?;
    println!(
        "{job_id}: {what} requested at {} (carried out at the next reconcile)",
        rfc3339(now)
    );
    Ok(())
}
