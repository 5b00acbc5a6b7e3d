//! `fjc history JOB_ID`: the audit trail of a spec (who changed what, when) and
//! the revisions deployed (fingerprint, artifact, restore point, outcome).

use fjc_aws::wiring::{aws_config, store};
use fjc_core::clock::rfc3339;
use fjc_core::store::HistoryStore;

use crate::exit::Failure;

/// Prints the job's audit entries, oldest first (or JSON).
pub async fn run(job_id: &str, json: bool) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let store = store(&sdk, &config);
    let (entries, revisions) =
        futures::try_join!(store.list_audit(job_id), store.list_revisions(job_id))?;
    if json {
        let summary: Vec<serde_json::Value> = revisions.iter().map(revision_json).collect();
        let text = serde_json::to_string_pretty(
            &serde_json::json!({ "audit": entries, "revisions": summary }),
        )
        .map_err(|e| Failure::Infra(format!("cannot render history: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if entries.is_empty() && revisions.is_empty() {
        println!("no history for {job_id}");
        return Ok(());
    }
    print_audit(&entries);
    if !revisions.is_empty() {
        println!();
        println!(
            "{:<5} {:<24} {:<13} {:<12} {:<34} RESTORED FROM / REASON",
            "REV", "DEPLOYED", "FINGERPRINT", "OUTCOME", "FLINK JOB"
        );
        for r in &revisions {
            println!(
                "{:<5} {:<24} {:<13} {:<12} {:<34} {}",
                r.number,
                rfc3339(r.deployed_at),
                r.fingerprint.short(),
                r.outcome.as_str(),
                r.flink_job_id.to_string(),
                r.reason
                    .as_deref()
                    .or(r.restored_from.as_deref())
                    .unwrap_or("-")
            );
        }
    }
    Ok(())
}

/// A revision without its spec body (args and env may hold references).
fn revision_json(r: &fjc_core::revisions::Revision) -> serde_json::Value {
    serde_json::json!({
        "number": r.number,
        "fingerprint": r.fingerprint.0,
        "artifact_path": r.spec.artifact_path,
        "artifact_digest": r.artifact_digest,
        "artifact_version": r.artifact_version,
        "deployed_at": rfc3339(r.deployed_at),
        "flink_job_id": r.flink_job_id.to_string(),
        "restored_from": r.restored_from,
        "outcome": r.outcome.as_str(),
        "reason": r.reason,
    })
}

fn print_audit(entries: &[fjc_core::store::AuditEntry]) {
    if entries.is_empty() {
        return;
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
}
