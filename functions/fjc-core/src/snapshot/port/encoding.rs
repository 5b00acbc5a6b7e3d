//! A snapshot made ready to write: the overview, one overview per namespace, and
//! one detail document per job whose detail was built, encoded, with the
//! overviews' content hashes (heartbeat fields excluded) that decide whether they
//! need writing.

use std::collections::BTreeMap;

use fjc_snapshot::{
    JobDocument, SCHEMA_VERSION, Snapshot, job_document_key, namespace_overview_key,
};
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

/// A snapshot ready to write: the overview, the namespaces' overviews and the
/// detail documents of the jobs whose detail was built this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The overview (compact JSON; no job's detail).
    pub json: Vec<u8>,
    /// Content identity and heartbeat of the overview.
    pub meta: Published,
    /// One overview per namespace of the jobs ([`Snapshot::for_namespace`]), for
    /// viewers who may see only theirs.
    pub namespaces: Vec<EncodedOverview>,
    /// Detail documents built this cycle.
    pub documents: Vec<EncodedDocument>,
    /// Where every job of the overview that has a detail version keeps its
    /// document, and that version, by job id.
    pub versions: BTreeMap<String, DocumentRef>,
}

/// One namespace's overview ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedOverview {
    /// Where ([`namespace_overview_key`]).
    pub key: String,
    /// The overview (compact JSON).
    pub json: Vec<u8>,
    /// Its content identity and heartbeat.
    pub meta: Published,
}

/// Where a job's detail document is and which version it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// [`job_document_key`] of the job's namespace and id.
    pub key: String,
    /// Its [`JobView::detail_version`](fjc_snapshot::JobView::detail_version).
    pub version: String,
}

/// One job's detail document ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedDocument {
    /// The job.
    pub job_id: String,
    /// Where it goes and its version.
    pub at: DocumentRef,
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
        let at = DocumentRef {
            key: job_document_key(&job.namespace, &job.job_id),
            version,
        };
        versions.insert(job.job_id.clone(), at.clone());
        if let Some(detail) = job.detail.take() {
            let doc = JobDocument {
                schema_version: SCHEMA_VERSION,
                job_id: job.job_id.clone(),
                detail,
            };
            let json = serde_json::to_vec(&doc).map_err(|e| PublishError::Encode(e.to_string()))?;
            documents.push(EncodedDocument {
                job_id: job.job_id.clone(),
                at,
                json,
            });
        }
    }
    let namespaces = snapshot
        .by_namespace()
        .into_iter()
        .map(|(ns, view)| {
            Ok(EncodedOverview {
                key: namespace_overview_key(&ns),
                json: serde_json::to_vec(&view).map_err(|e| PublishError::Encode(e.to_string()))?,
                meta: Published {
                    content_sha256: content_sha256(&view)?,
                    heartbeat_at: view.controller.heartbeat_at,
                },
            })
        })
        .collect::<Result<Vec<_>, PublishError>>()?;
    let json = serde_json::to_vec(&snapshot).map_err(|e| PublishError::Encode(e.to_string()))?;
    Ok(Encoded {
        json,
        meta: Published {
            content_sha256: content_sha256(&snapshot)?,
            heartbeat_at: snapshot.controller.heartbeat_at,
        },
        namespaces,
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
