//! Parsing a snapshot fast. The overview and the jobs table need a few fields of
//! every job; the job page needs every field of one job. So each job is parsed
//! with its history and spec skipped ([`PAGE_ONLY`]: most of the bytes and most
//! of the allocations of a large fleet; skipped values are scanned, not built),
//! and the bytes are kept so a job page parses its job whole ([`Details::job`]).
//!
//! [`Reader`] takes the document in chunks as they arrive and parses every job as
//! soon as its bytes are complete, so parsing overlaps the download.
//!
//! Every field of `JobView` not named in [`PAGE_ONLY`] is parsed, so a field added
//! to the model is on the overview by default.

use std::fmt;
use std::ops::Range;

use fjc_snapshot::{ClusterView, Controller, EpochMs, JobView, Orphan, Snapshot};
use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

/// Fields of a job only its page shows: empty in the jobs of the parsed snapshot
/// (each is `#[serde(default)]` in `JobView`).
pub const PAGE_ONLY: &[&str] = &[
    "revisions",
    "savepoints",
    "last_savepoint",
    "audit",
    "runs",
    "spec",
    "spec_fingerprint",
    "deployed_fingerprint",
    "deployed_artifact",
    "signed_by",
    "restored_from",
];

/// The document with its jobs' page-only fields skipped.
#[derive(Deserialize)]
struct Doc {
    schema_version: u32,
    generated_at: EpochMs,
    controller: Controller,
    #[serde(default)]
    clusters: Vec<ClusterView>,
    #[serde(default, deserialize_with = "lite_jobs")]
    jobs: Vec<JobView>,
    #[serde(default)]
    orphans: Vec<Orphan>,
}

/// Parses a whole document: the snapshot with the [`PAGE_ONLY`] fields of its
/// jobs empty, and the [`Details`] (which keep `bytes`).
pub fn parse(bytes: Vec<u8>) -> (Result<Snapshot, serde_json::Error>, Details) {
    let mut r = Reader::new(0);
    r.buf = bytes;
    r.scan();
    r.finish()
}

/// The bytes of a snapshot and where each job is in them.
#[derive(Debug, Default)]
pub struct Details {
    bytes: Vec<u8>,
    spans: Vec<Range<usize>>,
}

impl Details {
    /// The document.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Every field of job `index` (in the snapshot's order).
    pub fn job(&self, index: usize) -> Option<JobView> {
        let span = self.spans.get(index)?.clone();
        serde_json::from_slice(self.bytes.get(span)?).ok()
    }
}

/// Reads a snapshot document in chunks: finds each element of the top-level
/// `jobs` array as its bytes complete (a small JSON tokenizer: strings, escapes,
/// nesting) and parses it then; the rest of the document is parsed at the end.
pub struct Reader {
    buf: Vec<u8>,
    /// Next byte to scan.
    pos: usize,
    /// Nesting depth after the bytes scanned (1 inside the top-level object).
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The last top-level key's bytes.
    key: Range<usize>,
    /// The value that follows is the `jobs` array.
    jobs_next: bool,
    /// Where the `jobs` array opened, while inside it.
    jobs_open: Option<usize>,
    /// The `jobs` array, once closed.
    jobs_span: Option<Range<usize>>,
    /// Where the current job opened.
    job_open: usize,
    spans: Vec<Range<usize>>,
    jobs: Vec<JobView>,
    error: Option<serde_json::Error>,
}

impl Reader {
    /// A reader expecting about `size` bytes.
    pub fn new(size: usize) -> Reader {
        Reader {
            buf: Vec::with_capacity(size),
            pos: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            key: 0..0,
            jobs_next: false,
            jobs_open: None,
            jobs_span: None,
            job_open: 0,
            spans: Vec::new(),
            jobs: Vec::new(),
            error: None,
        }
    }

    /// Takes the next `n` bytes of the document, which `fill` writes in place, and
    /// parses the jobs they complete.
    pub fn feed_with(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) {
        let start = self.buf.len();
        self.buf.resize(start + n, 0);
        fill(&mut self.buf[start..]);
        self.scan();
    }

    fn scan(&mut self) {
        let end = self.buf.len();
        while self.pos < end {
            let i = self.pos;
            let b = self.buf[i];
            self.pos += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 1 {
                        self.key.end = i;
                    }
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 {
                        self.key = i + 1..i + 1;
                    }
                }
                b':' if self.depth == 1 => {
                    self.jobs_next = self.buf.get(self.key.clone()) == Some(b"jobs".as_slice());
                }
                b'[' | b'{' => {
                    if self.depth == 1 && b == b'[' && self.jobs_next {
                        self.jobs_open = Some(i);
                    } else if self.depth == 2 && self.jobs_open.is_some() {
                        self.job_open = i;
                    }
                    self.depth += 1;
                }
                b']' | b'}' => {
                    self.depth = self.depth.saturating_sub(1);
                    if let Some(open) = self.jobs_open {
                        if self.depth == 2 && b == b'}' {
                            self.job(self.job_open..i + 1);
                        } else if self.depth == 1 {
                            self.jobs_span = Some(open..i + 1);
                            self.jobs_open = None;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Parses one job (after an error, only records where it is).
    fn job(&mut self, span: Range<usize>) {
        if self.error.is_none() {
            let mut de = serde_json::Deserializer::from_slice(&self.buf[span.clone()]);
            match LiteJob.deserialize(&mut de) {
                Ok(j) => self.jobs.push(j),
                Err(e) => self.error = Some(e),
            }
        }
        self.spans.push(span);
    }

    /// The snapshot (the document around the jobs parsed now) and the details.
    pub fn finish(self) -> (Result<Snapshot, serde_json::Error>, Details) {
        let result = match (self.error, &self.jobs_span) {
            (Some(e), _) => Err(e),
            (None, Some(jobs)) => {
                // The document with an empty jobs array: the jobs are parsed already.
                let mut rest = Vec::with_capacity(self.buf.len() - jobs.len() + 2);
                rest.extend_from_slice(&self.buf[..jobs.start]);
                rest.extend_from_slice(b"[]");
                rest.extend_from_slice(&self.buf[jobs.end..]);
                serde_json::from_slice::<Doc>(&rest).map(|d| d.into_snapshot(self.jobs))
            }
            (None, None) => {
                serde_json::from_slice::<Doc>(&self.buf).map(|d| d.into_snapshot(Vec::new()))
            }
        };
        let details = Details {
            bytes: self.buf,
            spans: self.spans,
        };
        (result, details)
    }
}

impl Doc {
    fn into_snapshot(self, jobs: Vec<JobView>) -> Snapshot {
        Snapshot {
            schema_version: self.schema_version,
            generated_at: self.generated_at,
            controller: self.controller,
            clusters: self.clusters,
            jobs: if self.jobs.is_empty() {
                jobs
            } else {
                self.jobs
            },
            orphans: self.orphans,
        }
    }
}

fn lite_jobs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<JobView>, D::Error> {
    struct Jobs;
    impl<'de> Visitor<'de> for Jobs {
        type Value = Vec<JobView>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of jobs")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<JobView>, A::Error> {
            let mut jobs = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(j) = seq.next_element_seed(LiteJob)? {
                jobs.push(j);
            }
            Ok(jobs)
        }
    }
    d.deserialize_seq(Jobs)
}

/// One job without its [`PAGE_ONLY`] fields.
struct LiteJob;

impl<'de> DeserializeSeed<'de> for LiteJob {
    type Value = JobView;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JobView, D::Error> {
        JobView::deserialize(Skip {
            inner: d,
            skip: PAGE_ONLY,
        })
    }
}

/// A deserializer of a map that leaves out the entries whose key is in `skip`
/// (their values are scanned, not built).
struct Skip<D> {
    inner: D,
    skip: &'static [&'static str],
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Skip<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(SkipVisitor {
            inner: visitor,
            skip: self.skip,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

struct SkipVisitor<V> {
    inner: V,
    skip: &'static [&'static str],
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SkipVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(SkipMap {
            inner: map,
            skip: self.skip,
        })
    }
}

struct SkipMap<A> {
    inner: A,
    skip: &'static [&'static str],
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SkipMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.inner.next_key::<Key<'de>>()? {
            let key = key.as_str();
            if self.skip.contains(&key) {
                self.inner.next_value::<IgnoredAny>()?;
            } else {
                return seed
                    .deserialize(IntoDeserializer::<A::Error>::into_deserializer(key))
                    .map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }
}

/// A map key, borrowed from the input when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_string()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fjc_snapshot::{
        ArtifactView, AuditView, ErrorLine, JobType, Lifecycle, Revision, Run, RunOutcome,
        Savepoint, Shown, SpecSummary,
    };

    use super::*;

    /// A job with every field set to something other than its default.
    fn full() -> JobView {
        let mut j = JobView::new(
            "clicks",
            JobType::Stream,
            "default",
            Shown::Is(Lifecycle::Stable),
        );
        j.namespace = "web".into();
        j.flink_state = Some("RUNNING".into());
        j.flink_state_seen = Some(fjc_snapshot::FlinkStateSeen::Observed);
        j.flink_job_id = Some("f".repeat(32));
        j.spec_fingerprint = Some("a".repeat(64));
        j.deployed_fingerprint = Some("b".repeat(64));
        j.drift = true;
        j.failed_attempts = 2;
        j.next_attempt_at = Some(5);
        j.revision = Some(2);
        j.stable_revision = Some(1);
        j.revisions = vec![Revision {
            number: 2,
            fingerprint: "b".repeat(64),
            deployed_at: Some(4),
            outcome: None,
            reason: None,
            restored_from: None,
        }];
        let sp = Savepoint {
            location: "file:/sp/1".into(),
            at: 3,
            kind: None,
            from_flink_job_id: None,
        };
        j.last_savepoint = Some(sp.clone());
        j.savepoints = vec![sp];
        j.restored_from = Some("file:/sp/1".into());
        j.deployed_at = Some(4);
        j.recoveries = vec![1];
        j.recovery_budget = Some(fjc_snapshot::RecoveryBudget {
            allowed: 3,
            window_seconds: 3600,
        });
        j.rollback = Some(fjc_snapshot::RollbackView {
            from_revision: 3,
            to_revision: 2,
            reason: "failed".into(),
            at: 6,
        });
        j.next_fire_at = Some(7);
        j.runs = vec![Run {
            run_id: "r".into(),
            flink_job_id: None,
            started_at: 1,
            ended_at: None,
            outcome: RunOutcome::Running,
            error: None,
        }];
        j.last_error = Some(ErrorLine {
            message: "boom".into(),
            at: 8,
            retryable: true,
        });
        j.operation = Some(fjc_snapshot::OperationView {
            kind: "deploy".into(),
            started_at: 9,
            flink_job_id: None,
            restore_from: None,
        });
        j.artifact_refused = Some(fjc_snapshot::Refusal {
            at: 10,
            digest: None,
            reason: "unsigned".into(),
        });
        j.held_by_policy = Some("outside the prefixes".into());
        j.deployed_artifact = Some(ArtifactView {
            digest: "sha256:d".into(),
            version: None,
        });
        j.signed_by = Some("key-1".into());
        j.audit = vec![AuditView {
            at: 1,
            actor: "ana".into(),
            action: "create".into(),
            from: None,
            to: None,
            detail: None,
        }];
        j.updated_at = Some(11);
        j.spec = Some(SpecSummary {
            artifact_path: "x.jar".into(),
            artifact_digest: None,
            entry_class: None,
            parallelism: 1,
            checkpoint_interval: None,
            restart_strategy: None,
            cron: None,
            timezone: None,
            savepoint_trigger_interval: None,
            arg_count: 0,
            env_var_count: 0,
            applied_at: None,
        });
        j
    }

    fn document(jobs: Vec<JobView>) -> Vec<u8> {
        let mut s = Snapshot::empty(
            100,
            Controller {
                heartbeat_at: 100,
                cycle_started_at: 90,
                cycle_duration_ms: 10,
                interval_seconds: 60,
                heartbeat_refresh_seconds: 300,
                actions: 0,
                failed_actions: 0,
                waiting: 0,
            },
        );
        s.jobs = jobs;
        serde_json::to_vec(&s).unwrap()
    }

    #[test]
    fn only_the_page_only_fields_are_left_out_and_the_page_gets_them_all() {
        let job = full();
        let mut other = full();
        other.job_id = "other \"quoted\" é".into();
        let bytes = document(vec![job.clone(), other.clone()]);
        let (snap, details) = parse(bytes.clone());
        let snap = snap.unwrap();
        let whole: Snapshot = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(snap.jobs.len(), 2);
        let lite = serde_json::to_value(&snap.jobs[0]).unwrap();
        let want = serde_json::to_value(&job).unwrap();
        let differ: BTreeSet<&str> = want
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| lite.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(differ, PAGE_ONLY.iter().copied().collect::<BTreeSet<_>>());
        assert_eq!(details.job(0), Some(job));
        assert_eq!(details.job(1), Some(other));
        assert_eq!(details.job(2), None);
        assert_eq!(snap.jobs[1].job_id, whole.jobs[1].job_id);
        assert_eq!(
            (
                snap.controller,
                snap.clusters,
                snap.orphans,
                snap.generated_at
            ),
            (
                whole.controller,
                whole.clusters,
                whole.orphans,
                whole.generated_at
            )
        );
    }

    #[test]
    fn a_document_that_is_not_a_snapshot_is_an_error() {
        assert!(parse(b"{\"schema_version\": 1}".to_vec()).0.is_err());
        assert!(parse(b"[]".to_vec()).0.is_err());
        assert!(parse(b"<html>not found</html>".to_vec()).0.is_err());
        let mut bad = document(vec![full()]);
        let at = bad.windows(9).position(|w| w == b"\"job_id\":").unwrap();
        bad[at + 9] = b'7';
        assert!(parse(bad).0.is_err(), "a job that does not parse");
    }

    #[test]
    fn chunks_of_any_size_give_the_same_snapshot() {
        let mut odd = full();
        odd.job_id = "x".into();
        odd.last_error = Some(ErrorLine {
            message: r#"a "quoted" {brace} [bracket] \ back\"slash" jobs:"#.into(),
            at: 1,
            retryable: false,
        });
        let bytes = document(vec![full(), odd.clone(), full()]);
        let (whole, _) = parse(bytes.clone());
        let whole = whole.unwrap();
        for size in [1, 7, 64, 4096] {
            let mut r = Reader::new(bytes.len());
            for c in bytes.chunks(size) {
                r.feed_with(c.len(), |to| to.copy_from_slice(c));
            }
            let (snap, details) = r.finish();
            assert_eq!(snap.unwrap(), whole, "chunks of {size}");
            assert_eq!(details.job(1), Some(odd.clone()));
        }
        assert_eq!(whole.jobs[1].last_error, odd.last_error);
    }
}
