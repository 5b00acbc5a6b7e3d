//! Item layout in the single DynamoDB table and conversion to and from records.
//!
//! | item  | pk      | sk        | attributes                                             |
//! |-------|---------|-----------|--------------------------------------------------------|
//! | spec  | `SPEC`  | `<bucket>#<job id>` | version, spec (JSON), fingerprint, artifact_digest, artifact_version, updated_at |
//! | state | `STATE` | `<bucket>#<job id>` | version, state (JSON), lifecycle, updated_at           |
//! | lease | `LEASE` | lease name| owner, expires_at, token                               |
//! | artifact index | `ART#<artifact_path>` | job id | (key only): which specs use an artifact |
//! | artifact event | `ARTEVT` | artifact path | token, at: the latest upload event (debounce) |
//! | audit | `AUDIT#<job id>` | `<at ms, 15 digits>#<nonce>` | entry (JSON) |
//! | breaker | `CTRL` | `BREAKER#<cluster>` | body (JSON), version |
//! | heartbeat | `CTRL` | `HEARTBEAT` | body (JSON) |
//!
//! `<bucket>` is the job's shard bucket, 4 hex digits ([`fjc_core::shard::sort_key`]):
//! a shard's jobs are one key range of each partition.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use fjc_spec::Fingerprint;

use fjc_core::state::JobState;
use fjc_core::store::{ArtifactTrust, AuditEntry, SpecRecord, StoreError};

/// Partition key of spec items.
pub const SPEC_PK: &str = "SPEC";
/// Partition key of state items.
pub const STATE_PK: &str = "STATE";
/// Partition key of lease items.
pub const LEASE_PK: &str = "LEASE";
/// Partition key of `fjc run` requests.
pub const RUNREQ_PK: &str = "RUNREQ";

/// Partition key of artifact-event (debounce) items.
pub const ARTEVT_PK: &str = "ARTEVT";

/// The key of a job's spec item.
pub fn spec_key(job_id: &str) -> Item {
    key(SPEC_PK, &fjc_core::shard::sort_key(job_id))
}

/// The key of a job's state item.
pub fn state_key(job_id: &str) -> Item {
    key(STATE_PK, &fjc_core::shard::sort_key(job_id))
}

/// Partition key of the index items of one artifact location.
pub fn artifact_pk(path: &str) -> String {
    format!("ART#{path}")
}

/// Partition key of a job's audit entries.
pub fn audit_pk(job_id: &str) -> String {
    format!("AUDIT#{job_id}")
}

/// Audit entry → item (sort key orders by time).
pub fn audit_to_item(e: &AuditEntry) -> Result<Item, StoreError> {
    let what = format!("audit entry of {}", e.job_id);
    let json = serde_json::to_string(e).map_err(|err| corrupt(&what, err.to_string()))?;
    let nonce: u32 = rand::random();
    let mut item = key(
        &audit_pk(&e.job_id),
        &format!("{:015}#{nonce:08x}", e.at.max(0)),
    );
    item.insert("entry".into(), s(json));
    Ok(item)
}

/// Item → audit entry.
pub fn audit_from_item(item: &Item) -> Result<AuditEntry, StoreError> {
    let sk = get_s(item, "sk", "audit item")?;
    let what = format!("audit entry {sk}");
    serde_json::from_str(get_s(item, "entry", &what)?)
        .map_err(|e| corrupt(&what, format!("entry JSON: {e}")))
}

/// Partition key of a job's run items.
pub fn run_pk(job_id: &str) -> String {
    format!("RUN#{job_id}")
}

/// An item as the SDK wants it.
pub type Item = HashMap<String, AttributeValue>;

/// The primary key of an item.
pub fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.to_string())),
        ("sk".to_string(), AttributeValue::S(sk.to_string())),
    ])
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str, what: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(corrupt(
            what,
            format!("attribute {name} missing or not a string"),
        )),
    }
}

pub fn get_n<T: std::str::FromStr>(item: &Item, name: &str, what: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| corrupt(what, format!("attribute {name} is not a valid number"))),
        _ => Err(corrupt(
            what,
            format!("attribute {name} missing or not a number"),
        )),
    }
}

pub fn get_opt_s(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

pub(super) fn corrupt(item: &str, reason: String) -> StoreError {
    StoreError::Corrupt {
        item: item.to_string(),
        reason,
    }
}

/// Spec record → item at `version`.
pub fn spec_to_item(r: &SpecRecord, version: u64) -> Result<Item, StoreError> {
    let what = format!("spec {}", r.spec.job_id);
    let json = serde_json::to_string(&r.spec).map_err(|e| corrupt(&what, e.to_string()))?;
    let mut item = spec_key(&r.spec.job_id);
    item.insert("version".into(), n(version));
    item.insert("spec".into(), s(json));
    item.insert("fingerprint".into(), s(&r.fingerprint.0));
    item.insert("artifact_digest".into(), s(&r.artifact_digest));
    if let Some(v) = &r.artifact_version {
        item.insert("artifact_version".into(), s(v));
    }
    if r.trust != ArtifactTrust::default() {
        let trust = serde_json::to_string(&r.trust).map_err(|e| corrupt(&what, e.to_string()))?;
        item.insert("trust".into(), s(trust));
    }
    item.insert("job_type".into(), s(r.spec.job_type.as_str()));
    item.insert("updated_at".into(), n(r.updated_at));
    Ok(item)
}

/// Item → spec record.
pub fn spec_from_item(item: &Item) -> Result<SpecRecord, StoreError> {
    let sk = get_s(item, "sk", "spec item")?;
    let what = format!("spec {sk}");
    unmoved(sk, &what)?;
    let spec = serde_json::from_str(get_s(item, "spec", &what)?)
        .map_err(|e| corrupt(&what, format!("spec JSON: {e}")))?;
    Ok(SpecRecord {
        spec,
        fingerprint: Fingerprint(get_s(item, "fingerprint", &what)?.to_string()),
        artifact_digest: get_s(item, "artifact_digest", &what)?.to_string(),
        artifact_version: get_opt_s(item, "artifact_version"),
        trust: match get_opt_s(item, "trust") {
            Some(t) => {
                serde_json::from_str(&t).map_err(|e| corrupt(&what, format!("trust JSON: {e}")))?
            }
            None => Default::default(),
        },
        updated_at: get_n(item, "updated_at", &what)?,
        version: get_n(item, "version", &what)?,
    })
}

/// Refuses an item still under its pre-sharding key: reading it would make a
/// second item for the same job at the next write.
fn unmoved(sk: &str, what: &str) -> Result<(), StoreError> {
    if is_legacy(sk) {
        return Err(corrupt(
            what,
            "stored under its pre-sharding key; run `fjc bootstrap` to move it".into(),
        ));
    }
    Ok(())
}

/// Job state → item at `version`.
pub fn state_to_item(st: &JobState, version: u64) -> Result<Item, StoreError> {
    let what = format!("state {}", st.job_id);
    let json = serde_json::to_string(st).map_err(|e| corrupt(&what, e.to_string()))?;
    let mut item = state_key(&st.job_id);
    item.insert("version".into(), n(version));
    item.insert("state".into(), s(json));
    item.insert("lifecycle".into(), s(st.lifecycle.as_str()));
    item.insert("updated_at".into(), n(st.updated_at));
    Ok(item)
}

/// Item → job state.
pub fn state_from_item(item: &Item) -> Result<JobState, StoreError> {
    let sk = get_s(item, "sk", "state item")?;
    let what = format!("state {sk}");
    unmoved(sk, &what)?;
    let mut st: JobState = serde_json::from_str(get_s(item, "state", &what)?)
        .map_err(|e| corrupt(&what, format!("state JSON: {e}")))?;
    st.version = get_n(item, "version", &what)?;
    Ok(st)
}

/// Run → item.
pub fn run_to_item(run: &fjc_core::runs::Run) -> Result<Item, StoreError> {
    let what = format!("run {} of {}", run.run_id, run.job_id);
    let json = serde_json::to_string(run).map_err(|e| corrupt(&what, e.to_string()))?;
    let mut item = key(&run_pk(&run.job_id), &run.run_id);
    item.insert("run".into(), s(json));
    item.insert("status".into(), s(run.status.as_str()));
    Ok(item)
}

/// Item → run.
pub fn run_from_item(item: &Item) -> Result<fjc_core::runs::Run, StoreError> {
    let sk = get_s(item, "sk", "run item")?;
    let what = format!("run {sk}");
    serde_json::from_str(get_s(item, "run", &what)?)
        .map_err(|e| corrupt(&what, format!("run JSON: {e}")))
}

/// Whether `sk` is a pre-sharding key (no `<4 hex>#` bucket prefix).
pub(super) fn is_legacy(sk: &str) -> bool {
    let b = sk.as_bytes();
    !(b.len() > 5 && b[4] == b'#' && b[..4].iter().all(u8::is_ascii_hexdigit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjc_core::state::Lifecycle;
    use fjc_spec::JobType;

    #[test]
    fn state_round_trips() {
        let mut st = JobState::new("a", JobType::Stream, "default", 5);
        st.lifecycle = Lifecycle::Running;
        let item = state_to_item(&st, 3).unwrap();
        let back = state_from_item(&item).unwrap();
        assert_eq!(back.version, 3);
        assert_eq!(back.lifecycle, Lifecycle::Running);
        assert_eq!(back.job_id, "a");
    }

    #[test]
    fn corrupt_state_is_an_error_not_a_panic() {
        let mut item = key(STATE_PK, "x");
        item.insert("state".into(), s("{not json"));
        item.insert("version".into(), n(1));
        assert!(matches!(
            state_from_item(&item),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
