//! `fjc restart|savepoint|rollback JOB_ID`: operator commands on a stream job.
//! Each is recorded in the store with its audit entry (the caller, the command)
//! and carried out (once) by the next reconcile.

use fjc_core::clock::{Clock, SystemClock, rfc3339};
use fjc_core::revisions::Command;
use fjc_core::runtime::{aws_config, store};
use fjc_core::store::Store;
use fjc_spec::JobType;

use crate::exit::Failure;

/// Records `command` for `job_id` after checking it makes sense.
pub async fn request(job_id: &str, command: Command) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    let record = super::spec_of_type(&store, job_id, JobType::Stream, command.kind()).await?;
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
    let actor = fjc_core::audit::caller_identity(&sdk).await;
    let fingerprint = Some(record.fingerprint.0.as_str());
    let mut audit = fjc_core::audit::entry(
        job_id,
        now,
        &actor,
        command.kind(),
        fingerprint,
        fingerprint,
    );
    if let Command::Rollback(Some(to)) = command {
        audit.detail = Some(format!("to revision {to}"));
    }
    store.request_command(job_id, command, now, &audit).await?;
    let what = match command {
        Command::Restart => "restart".to_string(),
        Command::Savepoint => "savepoint".to_string(),
        Command::Rollback(Some(n)) => format!("rollback to revision {n}"),
        Command::Rollback(None) => "rollback to the last stable revision".to_string(),
    };
    println!(
        "{job_id}: {what} requested at {} (carried out at the next reconcile)",
        rfc3339(now)
    );
    Ok(())
}
