//! Parsing the overview document as it arrives. [`Reader`] takes the document in
//! chunks and parses every job as soon as its bytes are complete, so parsing
//! overlaps the download. (The jobs' history and spec are not in it: the job page
//! fetches them per job, see [`fjc_snapshot::JobDocument`].)

use std::ops::Range;

use fjc_snapshot::{ClusterView, Controller, EpochMs, JobView, Orphan, Snapshot};
use serde::Deserialize;

/// The document around its jobs (the jobs are parsed one by one).
#[derive(Deserialize)]
struct Doc {
    schema_version: u32,
    generated_at: EpochMs,
    controller: Controller,
    #[serde(default)]
    clusters: Vec<ClusterView>,
    #[serde(default)]
    jobs: Vec<JobView>,
    #[serde(default)]
    orphans: Vec<Orphan>,
}

/// Parses a whole document; gives the bytes back too (to say which layout a
/// document that does not parse has).
pub fn parse(bytes: Vec<u8>) -> (Result<Snapshot, serde_json::Error>, Vec<u8>) {
    let mut r = Reader::new(0);
    r.buf = bytes;
    r.scan();
    r.finish()
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

    /// Parses one job (nothing more after an error).
    fn job(&mut self, span: Range<usize>) {
        if self.error.is_none() {
            match serde_json::from_slice::<JobView>(&self.buf[span]) {
                Ok(j) => self.jobs.push(j),
                Err(e) => self.error = Some(e),
            }
        }
    }

    /// The snapshot (the document around the jobs parsed now) and the bytes.
    pub fn finish(self) -> (Result<Snapshot, serde_json::Error>, Vec<u8>) {
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
        (result, self.buf)
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

#[cfg(test)]
mod tests {
    use fjc_snapshot::{ErrorLine, JobType, Lifecycle, Shown};

    use super::*;

    /// A job with many fields set.
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
        j.drift = true;
        j.failed_attempts = 2;
        j.revision = Some(2);
        j.stable_revision = Some(1);
        j.recoveries = vec![1];
        j.last_error = Some(ErrorLine {
            message: "boom".into(),
            at: 8,
            retryable: true,
        });
        j.detail_version = Some("0123456789abcdef".into());
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
    fn the_reader_gives_what_serde_gives() {
        let job = full();
        let mut other = full();
        other.job_id = "other \"quoted\" é".into();
        let bytes = document(vec![job, other]);
        let (snap, _) = parse(bytes.clone());
        let whole: Snapshot = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(snap.unwrap(), whole);
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
            let (snap, _) = r.finish();
            assert_eq!(snap.unwrap(), whole, "chunks of {size}");
        }
        assert_eq!(whole.jobs[1].last_error, odd.last_error);
    }
}
