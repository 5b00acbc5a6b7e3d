//! A snapshot made ready to write: the overview and one detail document per job
//! whose detail was built, encoded, with the overview's content hash (heartbeat
//! fields excluded) that decides whether it needs writing.

use std::collections::BTreeMap;

use fjc_snapshot::{JobDocument, SCHEMA_VERSION, Snapshot};
use sha2::{Digest, Sha256};

use super::PublishError;
use crate::clock::EpochMs;

/// What identifies a published snapshot's content, and when its heartbeat was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// sha256 (hex) of the canonical JSON without the heartbeat fields.
    pub content_sha256: String,
    /// Its controller heartbeat.
    pub heartbeat_at: EpochMs,
}

/// A snapshot ready to write: the overview and the detail documents of the jobs
/// whose detail was built this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The overview (compact JSON; no job's detail).
    pub json: Vec<u8>,
    /// Content identity and heartbeat of the overview.
    pub meta: Published,
    /// Detail documents built this cycle.
    pub documents: Vec<EncodedDocument>,
    /// The detail version of every job of the overview that has one, by job id.
    pub versions: BTreeMap<String, String>,
}

/// One job's detail document ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedDocument {
    /// The job.
    pub job_id: String,
    /// Its [`JobView::detail_version`](fjc_snapshot::JobView::detail_version).
    pub version: String,
    /// The [`JobDocument`] (compact JSON).
    pub json: Vec<u8>,
}

/// Splits a snapshot into the overview and one [`JobDocument`] per job whose
/// detail it holds, encodes them, and computes the overview's content hash
/// (heartbeat fields excluded, so an idle controller produces the same hash every
/// cycle; a changed detail changes its version in the overview, so the hash too).
pub fn encode(mut snapshot: Snapshot) -> Result<Encoded, PublishError> {
    let mut documents = Vec::new();
    let mut versions = BTreeMap::new();
    for job in &mut snapshot.jobs {
        let Some(version) = job.detail_version.clone() else {
            continue;
        };
        versions.insert(job.job_id.clone(), version.clone());
        if let Some(detail) = job.detail.take() {
            let doc = JobDocument {
                schema_version: SCHEMA_VERSION,
                job_id: job.job_id.clone(),
                detail,
            };
            let json = serde_json::to_vec(&doc).map_err(|e| PublishError::Encode(e.to_string()))?;
            documents.push(EncodedDocument {
                job_id: job.job_id.clone(),
                version,
                json,
            });
        }
    }
    let json = serde_json::to_vec(&snapshot).map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(Encoded {
        json,
        meta: Published {
            content_sha256: content_sha256(&snapshot)?,
            heartbeat_at: snapshot.controller.heartbeat_at,
        },
        documents,
        versions,
    })
}

/// sha256 (hex) of the snapshot's canonical JSON with the heartbeat fields zeroed.
pub fn content_sha256(snapshot: &Snapshot) -> Result<String, PublishError> {
    let canonical = serde_json::to_vec(&snapshot.without_heartbeat())
        .map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}
