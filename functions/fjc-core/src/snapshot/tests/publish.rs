//! Publishing: the write-only-when-changed sink, the namespace overviews, the
//! job documents, and the directory adapter.

use super::*;

/// A fake target (named as such): counts writes, remembers the overview's identity
/// and the job documents, and can be told to refuse document writes.
#[derive(Default)]
struct Fake {
    puts: AtomicUsize,
    heads: AtomicUsize,
    stored: std::sync::Mutex<Option<Published>>,
    documents: std::sync::Mutex<BTreeMap<String, Vec<u8>>>,
    document_puts: AtomicUsize,
    refuse_documents: std::sync::atomic::AtomicBool,
}

impl SnapshotPublisher for Fake {
    async fn previous(&self) -> Result<Option<Snapshot>, PublishError> {
        Ok(None)
    }
    async fn published(&self) -> Result<Option<Published>, PublishError> {
        self.heads.fetch_add(1, Ordering::Relaxed);
        Ok(self.stored.lock().expect("lock").clone())
    }
    async fn put(&self, doc: &Encoded) -> Result<(), PublishError> {
        self.puts.fetch_add(1, Ordering::Relaxed);
        *self.stored.lock().expect("lock") = Some(doc.meta.clone());
        Ok(())
    }
    async fn put_document(&self, key: &str, json: &[u8]) -> Result<(), PublishError> {
        if self.refuse_documents.load(Ordering::Relaxed) {
            return Err(PublishError::Io {
                target: key.into(),
                message: "refused".into(),
            });
        }
        self.document_puts.fetch_add(1, Ordering::Relaxed);
        self.documents
            .lock()
            .expect("lock")
            .insert(key.into(), json.to_vec());
        Ok(())
    }
    async fn delete_document(&self, key: &str) -> Result<(), PublishError> {
        self.documents.lock().expect("lock").remove(key);
        Ok(())
    }
    fn target(&self) -> String {
        "fake".into()
    }
}

fn at(s: &Snapshot, heartbeat: i64) -> Encoded {
    let mut s = s.clone();
    s.controller.heartbeat_at = heartbeat;
    s.generated_at = heartbeat;
    encode(s).expect("encode")
}

fn overview_only(
    r: Result<(PublishOutcome, Documents), PublishError>,
) -> Result<PublishOutcome, PublishError> {
    r.map(|(o, _)| o)
}

#[tokio::test]
async fn writes_only_when_content_changes_or_the_heartbeat_is_due() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let sink = Sink::new(Fake::default(), 60);
    assert_eq!(
        overview_only(sink.publish(&at(&s, NOW)).await),
        Ok(PublishOutcome::Written)
    );
    for i in 1..=5 {
        let out = overview_only(sink.publish(&at(&s, NOW + i * 10_000)).await);
        assert_eq!(out, Ok(PublishOutcome::Unchanged), "cycle {i}");
    }
    assert_eq!(
        overview_only(sink.publish(&at(&s, NOW + 60_000)).await),
        Ok(PublishOutcome::Written)
    );
    let mut changed = s.clone();
    changed.jobs[0].lifecycle = Shown::Is(Lifecycle::Deploying);
    assert_eq!(
        overview_only(sink.publish(&at(&changed, NOW + 61_000)).await),
        Ok(PublishOutcome::Written)
    );
    let fake = sink.publisher();
    assert_eq!(fake.puts.load(Ordering::Relaxed), 3);
    // Only the first publish had to ask the target what it holds.
    assert_eq!(fake.heads.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn directory_publisher_replaces_atomically_and_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = DirPublisher::new(dir.path().join("dash"));
    assert_eq!(p.published().await, Ok(None));
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let doc = encode(s.clone()).expect("encode");
    p.put(&doc).await.expect("put");
    p.put(&doc).await.expect("put again");
    assert_eq!(p.published().await, Ok(Some(doc.meta.clone())));
    for d in &doc.documents {
        p.put_document(&d.at.key, &d.json)
            .await
            .expect("put document");
    }
    let names = |sub: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.path().join("dash").join(sub))
            .expect("read dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(""),
        ["jobs", "snapshot.json"],
        "no temp files left behind"
    );
    assert_eq!(names("jobs/default"), ["nightly.json", "payments.json"]);
    let back: Snapshot =
        serde_json::from_slice(&std::fs::read(p.path()).expect("read")).expect("parse");
    // The overview is the snapshot without the jobs' detail, which is in the job
    // documents.
    let mut whole = back.clone();
    for j in &mut whole.jobs {
        let path = dir
            .path()
            .join("dash")
            .join(fjc_snapshot::job_document_key(&j.namespace, &j.job_id));
        let d: fjc_snapshot::JobDocument =
            serde_json::from_slice(&std::fs::read(path).expect("read")).expect("parse");
        assert!(j.detail.is_none());
        j.detail = Some(d.detail);
    }
    assert_eq!(whole, s);
    p.delete_document(&fjc_snapshot::job_document_key("default", "nightly"))
        .await
        .expect("delete");
    p.delete_document(&fjc_snapshot::job_document_key("default", "nightly"))
        .await
        .expect("deleting a missing document is done");
    assert_eq!(names("jobs/default"), ["payments.json"]);
    // A foreign file is replaced, not an error.
    std::fs::write(p.path(), b"not json").expect("write");
    assert_eq!(p.published().await, Ok(None));
}

#[tokio::test]
async fn job_documents_are_written_when_their_detail_changes_and_deleted_with_the_job() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let sink = Sink::new(Fake::default(), 60);
    let first = sink.publish(&at(&s, NOW)).await.expect("publish");
    assert_eq!(
        first.1,
        Documents {
            written: 2,
            deleted: 0,
            namespaces: 1
        }
    );
    // Idle: nothing written.
    let idle = sink.publish(&at(&s, NOW + 10_000)).await.expect("publish");
    assert_eq!(idle, (PublishOutcome::Unchanged, Documents::default()));
    // A job's history changes: its document and the overview (new version) only.
    let mut changed = s.clone();
    let p = changed
        .jobs
        .iter_mut()
        .find(|j| j.job_id == "payments")
        .expect("payments");
    let mut d = p.detail.clone().expect("detail");
    d.audit.push(fjc_snapshot::AuditView {
        at: NOW,
        actor: "local:it@test".into(),
        action: "savepoint".into(),
        from: None,
        to: None,
        detail: None,
    });
    p.detail_version = Some(crate::snapshot::detail_version("payments", &d));
    p.detail = Some(d);
    let out = sink
        .publish(&at(&changed, NOW + 20_000))
        .await
        .expect("publish");
    assert_eq!(
        out,
        (
            PublishOutcome::Written,
            Documents {
                written: 1,
                deleted: 0,
                namespaces: 1
            }
        )
    );
    // A job is gone: its document is deleted after the overview no longer names it.
    let mut fewer = changed.clone();
    fewer.jobs.retain(|j| j.job_id != "nightly");
    let out = sink
        .publish(&at(&fewer, NOW + 30_000))
        .await
        .expect("publish");
    assert_eq!(
        out,
        (
            PublishOutcome::Written,
            Documents {
                written: 0,
                deleted: 1,
                namespaces: 1
            }
        )
    );
    let held = held_keys(&sink);
    assert_eq!(
        held,
        ["jobs/default/payments.json", "snapshots/ns/default.json"]
    );
}

/// The keys of the documents the fake target holds.
fn held_keys(sink: &Sink<Fake>) -> Vec<String> {
    sink.publisher()
        .documents
        .lock()
        .expect("lock")
        .keys()
        .cloned()
        .collect()
}

fn job_ids(s: &Snapshot) -> Vec<&str> {
    s.jobs.iter().map(|j| j.job_id.as_str()).collect()
}

#[tokio::test]
async fn each_namespace_gets_its_own_overview_and_documents_follow_their_job() {
    let mut s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let nightly = s
        .jobs
        .iter_mut()
        .find(|j| j.job_id == "nightly")
        .expect("nightly");
    nightly.namespace = "batch".into();
    let sink = Sink::new(Fake::default(), 60);
    let first = sink.publish(&at(&s, NOW)).await.expect("publish");
    assert_eq!(first.1.namespaces, 2);
    let read = |key: &str| -> Snapshot {
        let docs = sink.publisher().documents.lock().expect("lock");
        serde_json::from_slice(docs.get(key).expect(key)).expect("parse")
    };
    let batch = read("snapshots/ns/batch.json");
    assert_eq!(job_ids(&batch), ["nightly"]);
    assert!(batch.jobs.iter().all(|j| j.detail.is_none()));
    let default = read("snapshots/ns/default.json");
    assert_eq!(job_ids(&default), ["payments"]);
    // Idle within the refresh period: no overview written again.
    let idle = sink.publish(&at(&s, NOW + 10_000)).await.expect("publish");
    assert_eq!(idle, (PublishOutcome::Unchanged, Documents::default()));
    // Past it, every overview is written again (its heartbeat is due).
    let due = sink.publish(&at(&s, NOW + 61_000)).await.expect("publish");
    assert_eq!(due.0, PublishOutcome::Written);
    assert_eq!(due.1.namespaces, 2);
    // nightly moves back to `default`: its document moves, and the emptied
    // namespace's overview is deleted.
    let back = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let moved = sink
        .publish(&at(&back, NOW + 70_000))
        .await
        .expect("publish");
    assert_eq!(moved.1.namespaces, 1);
    let held = held_keys(&sink);
    assert_eq!(
        held,
        [
            "jobs/default/nightly.json",
            "jobs/default/payments.json",
            "snapshots/ns/default.json"
        ]
    );
}

#[tokio::test]
async fn a_refused_job_document_leaves_the_overview_as_it_was() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let sink = Sink::new(Fake::default(), 60);
    sink.publisher()
        .refuse_documents
        .store(true, Ordering::Relaxed);
    assert!(sink.publish(&at(&s, NOW)).await.is_err());
    assert_eq!(
        sink.publisher().puts.load(Ordering::Relaxed),
        0,
        "overview not written"
    );
    sink.publisher()
        .refuse_documents
        .store(false, Ordering::Relaxed);
    let out = sink.publish(&at(&s, NOW + 10_000)).await.expect("publish");
    assert_eq!(
        out,
        (
            PublishOutcome::Written,
            Documents {
                written: 2,
                deleted: 0,
                namespaces: 1
            }
        )
    );
}

#[tokio::test]
async fn a_new_process_rewrites_no_unchanged_job_document() {
    // The first process publishes.
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let first = Sink::new(Fake::default(), 60);
    first.publish(&at(&s, NOW)).await.expect("publish");
    let overview: Snapshot = serde_json::from_slice(&at(&s, NOW).json).expect("parse");
    // A new process seeds its history cache and sink from that overview, so the jobs
    // whose spec and state are unchanged are neither read nor rewritten.
    let cache = crate::snapshot::history::HistoryCache::default();
    cache.seed(Some(&overview));
    let second = Sink::new(Fake::default(), 60);
    second.seed_documents(Some(&overview));
    let view = world();
    assert!(
        cache.stale(&view.specs, &view.states).is_empty(),
        "unchanged jobs are not read"
    );
    let known = cache.known();
    assert_eq!(known.len(), 2);
    assert!(
        known
            .values()
            .all(|k| matches!(k, crate::snapshot::history::Known::Published { .. }))
    );
    // A job whose state changed since is read again.
    let mut moved = view.states.clone();
    if let Some(p) = moved.get_mut("payments") {
        p.updated_at += 1;
    }
    let stale: Vec<&String> = cache
        .stale(&view.specs, &moved)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(stale, ["payments"]);
    let r = report(view, BTreeMap::from([("default".into(), Ok(4))]));
    let again = build(Inputs {
        specs: &r.loaded.specs,
        states: &r.loaded.states,
        observed: &r.loaded.observed,
        overviews: &BTreeMap::new(),
        history: &known,
        held: &BTreeMap::new(),
        cycle: r.facts(),
        timing: Timing {
            interval_seconds: 30,
            heartbeat_refresh_seconds: 60,
        },
        now: NOW,
    });
    let versions = |s: &Snapshot| -> Vec<Option<String>> {
        s.jobs.iter().map(|j| j.detail_version.clone()).collect()
    };
    assert_eq!(versions(&again), versions(&s));
    let (overview, docs) = second
        .publish(&at(&again, NOW + 1_000))
        .await
        .expect("publish");
    // The namespace overview is written again only with the overview (this
    // cycle's counts changed it), never for a new process alone.
    let rewritten = usize::from(overview == PublishOutcome::Written);
    assert_eq!(
        docs,
        Documents {
            namespaces: rewritten,
            ..Documents::default()
        }
    );
    assert_eq!(
        second.publisher().document_puts.load(Ordering::Relaxed),
        rewritten
    );
}
