//! `fjc run` and `fjc runs`.

use fjc_aws::wiring::{aws_config, store};
use fjc_core::clock::{Clock, SystemClock, rfc3339};
use fjc_core::store::{SpecStore, StateStore};
use fjc_spec::JobType;

use crate::exit::Failure;

/// Requests a run of a batch job now; the next reconcile starts it.
pub async fn run(job_id: &str) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    super::spec_of_type(&store, job_id, JobType::Batch, "run").await?;
    let now = SystemClock.now_ms();
    store.request_run(job_id, now).await?;
    println!(
        "{job_id}: run requested at {} (starts at the next reconcile)",
        rfc3339(now)
    );
    Ok(())
}

/// Lists a job's runs, newest first.
pub async fn list(job_id: &str, json: bool) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    if store.get_spec(job_id).await?.is_none() && store.list_runs(job_id).await?.is_empty() {
        return Err(Failure::User(format!(
            "no spec or runs for job_id {job_id}"
        )));
    }
    let mut runs = store.list_runs(job_id).await?;
    runs.reverse();
    if json {
        let text = serde_json::to_string_pretty(&runs)
            .map_err(|e| Failure::Infra(format!("cannot render runs: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if runs.is_empty() {
        println!("{job_id}: no runs yet");
        return Ok(());
    }
    println!(
        "{:<28} {:<9} {:<10} {:<20} {:<20} {:<32} REASON",
        "RUN", "TRIGGER", "STATUS", "STARTED", "ENDED", "FLINK JOB ID"
    );
    for r in runs {
        let t = |v: Option<i64>| v.map(rfc3339).unwrap_or_else(|| "-".into());
        println!(
            "{:<28} {:<9} {:<10} {:<20} {:<20} {:<32} {}",
            r.run_id,
            r.trigger.as_str(),
            r.status.as_str(),
            t(r.started_at),
            t(r.ended_at),
            r.flink_job_id,
            r.reason.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
