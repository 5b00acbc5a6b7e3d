//! Who is calling: the IAM identity from STS (`fjc_aws::sts`), or the local user
//! when there is no AWS identity. Recorded with every apply, delete, rollback and
//! restart.

use crate::clock::EpochMs;
use crate::store::AuditEntry;

/// `local:<user>@<host>`.
pub fn local_user() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("local:{user}@{host}")
}

/// An audit entry.
pub fn entry(
    job_id: &str,
    at: EpochMs,
    actor: &str,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> AuditEntry {
    AuditEntry {
        job_id: job_id.to_string(),
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        detail: None,
    }
}
