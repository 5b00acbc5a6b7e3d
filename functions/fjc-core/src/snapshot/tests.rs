use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use fjc_flink::{ClusterOverview, FlinkJobState, JobId, JobSummary};
use fjc_snapshot::{ClusterHealth, FlinkStateSeen, JobType, Lifecycle, Shown, Snapshot};
use fjc_spec::{Fingerprint, JobSpec};

use super::dir::DirPublisher;
use super::publish::{
    Documents, Encoded, PublishError, PublishOutcome, Published, Sink, SnapshotPublisher, encode,
};
use super::{Inputs, Timing, build};
use crate::counted::FlinkStats;
use crate::cycle::{CycleReport, LeaseReport, Loaded};
use crate::planner::{Observation, Plan};
use crate::state::{JobState, LastError, Lifecycle as CoreLifecycle, Operation};
use crate::store::{SpecRecord, StoreStats};

const NOW: i64 = 1_800_000_000_000;

fn record(spec: serde_json::Value, fp: &str) -> SpecRecord {
    let spec: JobSpec = serde_json::from_value(spec).expect("spec");
    SpecRecord {
        spec,
        fingerprint: Fingerprint(fp.repeat(64 / fp.len())),
        artifact_digest: format!("sha256:{}", "d".repeat(64)),
        artifact_version: None,
        trust: Default::default(),
        updated_at: NOW - 60_000,
        version: 1,
    }
}

fn secret_spec() -> SpecRecord {
    record(
        serde_json::json!({
            "job_id": "payments",
            "job_type": "stream",
            "artifact_path": "payments.jar",
            "entry_class": "com.example.Payments",
            "args": ["--password", "hunter2"],
            "env_vars": {"SECRET_TOKEN": "s3cr3t-value"},
            "deployment": {"parallelism": 2, "checkpoint_interval": "30s"},
        }),
        "a",
    )
}

fn report(view: Loaded, clusters: BTreeMap<String, Result<usize, String>>) -> CycleReport {
    CycleReport {
        started_at: NOW - 1_500,
        duration_ms: 500,
        specs: view.specs.len(),
        states: view.states.len(),
        clusters,
        plan: Plan::default(),
        lease: LeaseReport::NotNeeded,
        actions: Vec::new(),
        store: StoreStats::default(),
        flink: FlinkStats::default(),
        loaded: view,
        correlation_id: "test".into(),
        breakers: BTreeMap::new(),
        flink_errors: BTreeMap::new(),
    }
}

fn jid(c: char) -> JobId {
    JobId::parse(&c.to_string().repeat(32)).expect("job id")
}

fn summary(id: JobId, name: &str, state: FlinkJobState) -> JobSummary {
    JobSummary {
        id,
        name: name.into(),
        state,
        start_time_ms: NOW - 10_000,
        end_time_ms: -1,
        tasks_total: 1,
        tasks_running: 1,
        tasks_finished: 0,
        adaptive: false,
    }
}

fn snapshot_of(view: Loaded, clusters: BTreeMap<String, Result<usize, String>>) -> Snapshot {
    let overviews = BTreeMap::from([(
        "default".to_string(),
        ClusterOverview {
            taskmanagers: 1,
            slots_total: 8,
            slots_available: 6,
            jobs_running: 2,
            flink_version: "2.3.0".into(),
        },
    )]);
    let r = report(view, clusters);
    build(Inputs {
        specs: &r.loaded.specs,
        states: &r.loaded.states,
        observed: &r.loaded.observed,
        overviews: &overviews,
        history: &BTreeMap::new(),
        held: &BTreeMap::new(),
        cycle: r.facts(),
        timing: Timing {
            interval_seconds: 30,
            heartbeat_refresh_seconds: 60,
        },
        now: NOW,
    })
}

fn world() -> Loaded {
    let spec = secret_spec();
    let pending = record(
        serde_json::json!({"job_id": "nightly", "job_type": "batch", "artifact_path": "b.jar",
                           "batch_config": {"cron": "0 2 * * *"}}),
        "b",
    );
    let mut state = JobState::new(
        "payments",
        fjc_spec::JobType::Stream,
        "default",
        NOW - 5_000,
    );
    state.lifecycle = CoreLifecycle::Running;
    state.flink_job_id = Some(jid('1'));
    state.deployed_fingerprint = Some(Fingerprint("0".repeat(64)));
    state.flink_state = Some("INITIALIZING".into());
    state.last_error = Some(LastError {
        message: "java.lang.RuntimeException: boom\n\tat Foo.bar(Foo.java:1)".into(),
        at: NOW - 4_000,
        retryable: true,
    });
    state.operation = Some(Operation::Deploy {
        fingerprint: spec.fingerprint.clone(),
        flink_job_id: jid('2'),
        replaces: Some(jid('1')),
        started_at: NOW - 3_000,
        upgrade: None,
        purpose: Default::default(),
    });
    let observed = Observation::from_jobs(vec![
        summary(jid('1'), "fjc:payments", FlinkJobState::Running),
        summary(jid('2'), "fjc:payments", FlinkJobState::Initializing),
        summary(jid('9'), "someone-elses-job", FlinkJobState::Running),
        summary(jid('8'), "old", FlinkJobState::Canceled),
    ]);
    Loaded {
        specs: BTreeMap::from([
            ("payments".to_string(), spec),
            ("nightly".to_string(), pending),
        ]),
        states: BTreeMap::from([("payments".to_string(), state)]),
        observed: BTreeMap::from([("default".to_string(), observed)]),
        run_requests: BTreeMap::new(),
        held: Default::default(),
        commands: BTreeMap::new(),
        cancel_orphans: false,
        ..Default::default()
    }
}

#[test]
fn snapshot_never_contains_env_var_values_or_args() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let json = serde_json::to_string(&s).expect("json");
    for secret in ["s3cr3t-value", "hunter2", "--password", "SECRET_TOKEN"] {
        assert!(!json.contains(secret), "{secret} leaked into {json}");
    }
    let spec = s.jobs[1]
        .detail
        .as_ref()
        .and_then(|d| d.spec.as_ref())
        .expect("summary");
    assert_eq!((spec.arg_count, spec.env_var_count), (2, 1));
}

#[test]
fn jobs_carry_state_drift_errors_and_operations() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let ids: Vec<&str> = s.jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["nightly", "payments"]);
    let nightly = &s.jobs[0];
    assert_eq!(nightly.lifecycle, Shown::Pending);
    assert_eq!(nightly.job_type, JobType::Batch);
    let detail = nightly.detail.as_ref().expect("detail");
    assert_eq!(
        detail.spec.as_ref().and_then(|s| s.cron.as_deref()),
        Some("0 2 * * *")
    );
    assert!(detail.runs.is_empty());
    // Never run yet: the next 02:00 UTC after NOW.
    assert_eq!(nightly.next_fire_at, Some(1_800_064_800_000));
    let p = &s.jobs[1];
    assert_eq!(p.namespace, "default");
    assert_eq!(p.lifecycle, Shown::Is(Lifecycle::Running));
    assert!(p.drift);
    // The observed Flink state wins over the recorded one, and says so.
    assert_eq!(p.flink_state.as_deref(), Some("RUNNING"));
    assert_eq!(p.flink_state_seen, Some(FlinkStateSeen::Observed));
    let e = p.last_error.as_ref().expect("error");
    assert_eq!(e.message, "java.lang.RuntimeException: boom");
    assert_eq!(
        p.operation.as_ref().map(|o| o.kind.as_str()),
        Some("deploy")
    );
    assert_eq!(s.controller.heartbeat_at, NOW - 1_000);
    assert_eq!(s.controller.cycle_duration_ms, 500);
}

#[test]
fn orphans_are_untracked_running_jobs_only() {
    let s = snapshot_of(world(), BTreeMap::from([("default".into(), Ok(4))]));
    let orphans: Vec<&str> = s.orphans.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(orphans, ["someone-elses-job"]);
}

#[test]
fn clusters_report_health_and_slots() {
    let s = snapshot_of(
        world(),
        BTreeMap::from([
            ("default".into(), Ok(4)),
            ("east".into(), Err("connection refused\nmore".into())),
        ]),
    );
    let d = &s.clusters[0];
    assert_eq!(d.health, ClusterHealth::Healthy);
    assert_eq!(d.slots.map(|s| (s.available, s.total)), Some((6, 8)));
    assert!(d.breaker.is_none());
    let e = &s.clusters[1];
    assert_eq!(e.health, ClusterHealth::Unreachable);
    assert_eq!(e.error.as_deref(), Some("connection refused"));
    assert!(e.slots.is_none());
}

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

#[test]
fn batch_jobs_carry_next_fire_and_recent_runs() {
    use crate::runs::{BatchState, Run, RunStatus, RunSummary, RunTrigger};
    let spec = record(
        serde_json::json!({"job_id": "nightly", "job_type": "batch", "artifact_path": "b.jar",
                           "batch_config": {"cron": "0 2 * * *", "timezone": "UTC"}}),
        "b",
    );
    let mut st = JobState::new("nightly", fjc_spec::JobType::Batch, "default", NOW);
    st.lifecycle = CoreLifecycle::Running;
    st.batch = Some(BatchState {
        last_scheduled_at: Some(NOW - 3_600_000),
        active: vec![Run {
            job_id: "nightly".into(),
            run_id: "0000000000002-schedule".into(),
            trigger: RunTrigger::Schedule,
            scheduled_at: NOW - 60_000,
            created_at: NOW - 60_000,
            started_at: Some(NOW - 59_000),
            ended_at: None,
            flink_job_id: jid('c'),
            fingerprint: Fingerprint("b".repeat(64)),
            status: RunStatus::Running,
            reason: None,
            jar: None,
        }],
        history: vec![RunSummary {
            run_id: "0000000000001-schedule".into(),
            started_at: Some(NOW - 90_000_000),
            flink_job_id: Some(jid('d')),
            status: RunStatus::TimedOut,
            ended_at: NOW - 86_400_000,
            reason: Some("ran longer than ttl_seconds (60)".into()),
            jar: None,
        }],
        ..BatchState::default()
    });
    let view = Loaded {
        specs: BTreeMap::from([("nightly".to_string(), spec)]),
        states: BTreeMap::from([("nightly".to_string(), st)]),
        observed: BTreeMap::from([(
            "default".to_string(),
            Observation::from_jobs(vec![summary(
                jid('c'),
                "fjc:nightly",
                FlinkJobState::Running,
            )]),
        )]),
        run_requests: BTreeMap::new(),
        held: Default::default(),
        commands: BTreeMap::new(),
        cancel_orphans: false,
        ..Default::default()
    };
    let s = snapshot_of(view, BTreeMap::from([("default".to_string(), Ok(1))]));
    let job = &s.jobs[0];
    // 02:00 UTC after NOW (2027-01-15T08:00:00Z) is 2027-01-16T02:00:00Z.
    assert_eq!(job.next_fire_at, Some(1_800_064_800_000));
    let job = job.detail.as_ref().expect("detail");
    assert_eq!(job.runs.len(), 2);
    assert_eq!(job.runs[0].run_id, "0000000000002-schedule");
    assert_eq!(job.runs[0].outcome, fjc_snapshot::RunOutcome::Running);
    assert_eq!(job.runs[1].outcome, fjc_snapshot::RunOutcome::TimedOut);
    assert_eq!(
        job.runs[1].error.as_deref(),
        Some("ran longer than ttl_seconds (60)")
    );
    assert_eq!(job.runs[1].flink_job_id.as_deref(), Some(&*"d".repeat(32)));
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
    p.detail_version = Some(super::detail_version("payments", &d));
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
    let cache = super::history::HistoryCache::default();
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
            .all(|k| matches!(k, super::history::Known::Published { .. }))
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
