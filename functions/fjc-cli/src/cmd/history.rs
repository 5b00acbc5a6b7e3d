//! `fjc history JOB_ID`: the audit trail of a spec (who changed what, when).

use fjc_core::clock::rfc3339;
use fjc_core::runtime::{aws_config, store};
use fjc_core::store::Store;

use crate::exit::Failure;

/// Prints the job's audit entries, oldest first (or JSON).
pub async fn run(job_id: &str, json: bool) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let entries = store(&sdk, &config).list_audit(job_id).await?;
    if json {
        let text = serde_json::to_string_pretty(&entries)
            .map_err(|e| Failure::Infra(format!("cannot render history: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if entries.is_empty() {
        println!("no history for {job_id}");
        return Ok(());
    }
    println!(
        "{:<24} {:<16} {:<27} {:<40} DETAIL",
        "WHEN", "ACTION", "FINGERPRINT", "WHO"
    );
    for e in entries {
        let short = |f: &Option<String>| {
            f.as_deref()
                .map(|s| s.chars().take(12).collect::<String>())
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<24} {:<16} {:<27} {:<40} {}",
            rfc3339(e.at),
            e.action,
            format!("{} -> {}", short(&e.from), short(&e.to)),
            e.actor,
            e.detail.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
