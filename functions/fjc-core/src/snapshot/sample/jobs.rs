//! The sample's jobs: one per lifecycle value, a pending spec, and the jobs that
//! show each other thing the page can show (a full stream history, batch runs,
//! drift, errors, a refused artifact, a policy hold), with their specs, states,
//! histories and what Flink lists of them.

use std::collections::BTreeMap;

use fjc_flink::{FlinkJobState, JobId, JobSummary};
use fjc_snapshot::{AuditView, Lifecycle, Revision, RevisionOutcome};
use fjc_spec::{Fingerprint, JobSpec};

use super::SampleError;
use crate::clock::EpochMs;
use crate::runs::{BatchState, Run, RunStatus, RunSummary, RunTrigger};
use crate::snapshot::history::{JobHistory, Known};
use crate::state::{
    JobState, LastError, Operation, RollbackRecord, SavepointRecord, UpgradeProgress,
};
use crate::store::{ArtifactRefusal, SpecRecord};

pub(super) const MIN: i64 = 60_000;

/// A Flink job id made of one repeated hex digit pair, numbered.
pub(super) fn flink_id(n: usize) -> JobId {
    let hex = format!("{:032x}", 0xf1c0_0000_u128 + n as u128);
    JobId::parse(&hex).unwrap_or_else(|_| JobId::random())
}

fn fp(c: char) -> Fingerprint {
    Fingerprint(c.to_string().repeat(64))
}

fn spec(
    job_id: &str,
    job_type: &str,
    extra: serde_json::Value,
    now: EpochMs,
) -> Result<SpecRecord, SampleError> {
    let mut v = serde_json::json!({
        "job_id": job_id,
        "job_type": job_type,
        "artifact_path": format!("{job_id}.jar"),
        "entry_class": "com.example.Main",
        "args": ["--password", "never-shown"],
        "env_vars": {"API_TOKEN": "never-shown"},
        "deployment": {"parallelism": 2, "checkpoint_interval": "10s"},
    });
    if let (Some(base), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in more {
            base.insert(k.clone(), x.clone());
        }
    }
    let spec: JobSpec = serde_json::from_value(v).map_err(|e| SampleError {
        job_id: job_id.into(),
        message: e.to_string(),
    })?;
    Ok(SpecRecord {
        spec,
        fingerprint: fp('a'),
        artifact_digest: format!("sha256:{}", "d".repeat(64)),
        artifact_version: None,
        trust: Default::default(),
        updated_at: now - 90 * MIN,
        version: 1,
    })
}

/// What the snapshot is built from.
#[derive(Default)]
pub(super) struct Parts {
    pub(super) specs: BTreeMap<String, SpecRecord>,
    pub(super) states: BTreeMap<String, JobState>,
    pub(super) history: BTreeMap<String, Known>,
    pub(super) held: BTreeMap<String, String>,
    pub(super) seen: Vec<JobSummary>,
}

/// Adds the sample's jobs, each id ending in `suffix`, their Flink job ids
/// numbered from `base`.
pub(super) fn add_jobs(
    p: &mut Parts,
    now: EpochMs,
    suffix: &str,
    base: usize,
) -> Result<(), SampleError> {
    let Parts {
        specs,
        states,
        history,
        held,
        seen,
    } = p;
    let flink_id = |n: usize| flink_id(base + n);

    // One job per lifecycle value.
    for (n, &l) in Lifecycle::ALL.iter().enumerate() {
        let batch = matches!(l, Lifecycle::Scheduled | Lifecycle::Finished);
        let id = format!(
            "{}-job{suffix}",
            l.as_str().to_lowercase().replace('_', "-")
        );
        let extra = if batch {
            serde_json::json!({"batch_config": {"cron": "0 2 * * *"}})
        } else {
            serde_json::json!({})
        };
        let record = spec(&id, if batch { "batch" } else { "stream" }, extra, now)?;
        let t = record.spec.job_type;
        let mut s = JobState::new(&id, t, "default", now - (n as i64 + 1) * 7 * MIN);
        s.lifecycle = l;
        s.deployed_fingerprint = Some(record.fingerprint.clone());
        if !matches!(
            l,
            Lifecycle::Created | Lifecycle::Scheduled | Lifecycle::Suspended
        ) {
            let id = flink_id(n);
            s.set_flink_state(Some("RUNNING".into()), now - 2 * MIN);
            s.flink_job_id = Some(id.clone());
            if !matches!(l, Lifecycle::Failed | Lifecycle::Deleting) {
                seen.push(summary(&id, &s.job_id, FlinkJobState::Running, now));
            }
            s.revision = 1;
            s.revisions_made = 1;
        }
        if l == Lifecycle::Failed {
            s.last_error = Some(LastError {
                message: "java.lang.ClassNotFoundException: com.example.Main".into(),
                at: now - 20 * MIN,
                retryable: false,
            });
        }
        if l == Lifecycle::Deleting {
            specs.remove(&id);
            s.operation = Some(Operation::Delete {
                flink_job_ids: s.flink_job_id.iter().cloned().collect(),
                started_at: now - MIN,
            });
            states.insert(id, s);
            continue;
        }
        specs.insert(id.clone(), record);
        states.insert(id, s);
    }
    // A spec no cycle has acted on yet.
    let fresh = format!("fresh-spec{suffix}");
    specs.insert(
        fresh.clone(),
        spec(&fresh, "stream", serde_json::json!({}), now)?,
    );

    // A stream job with its whole life: two revisions, the second rolled back.
    let id = &format!("clicks-enrich{suffix}");
    let mut record = spec(id, "stream", serde_json::json!({"namespace": "web"}), now)?;
    record.fingerprint = fp('c');
    let mut s = JobState::new(id, fjc_spec::JobType::Stream, "default", now - 5 * MIN);
    let running = flink_id(100);
    s.lifecycle = Lifecycle::RolledBack;
    s.flink_job_id = Some(running.clone());
    s.set_flink_state(Some("RUNNING".into()), now - 5 * MIN);
    seen.push(summary(&running, id, FlinkJobState::Running, now));
    s.deployed_fingerprint = Some(fp('a'));
    s.attempted_fingerprint = Some(fp('b'));
    s.revision = 3;
    s.revisions_made = 3;
    s.stable_revision = Some(1);
    s.restored_from = Some("file:/flink/savepoints/savepoint-f1c000-2".into());
    let sp = |at: EpochMs, n: u32| SavepointRecord {
        location: format!("file:/flink/savepoints/savepoint-f1c000-{n}"),
        at,
        from_job: flink_id(99),
        kind: "savepoint".into(),
    };
    s.savepoints = vec![sp(now - 80 * MIN, 1), sp(now - 30 * MIN, 2)];
    s.last_savepoint = Some(sp(now - 30 * MIN, 2));
    s.recoveries = vec![now - 55 * MIN, now - 50 * MIN, now - 40 * MIN];
    // Its health signals: checkpointing, restarted once, backpressured.
    s.health = Some(crate::signals::Health {
        flink_job_id: running.clone(),
        at: now - MIN,
        restarts: 1,
        checkpoints_failed: 2,
        checkpoints_failed_new: 1,
        first_checkpoint_at: Some(now - 4 * MIN),
        last_checkpoint_at: Some(now - MIN - 5_000),
        checkpoints_overdue: false,
        backpressure_percent: Some(86),
        backpressured_since: Some(now - 3 * MIN),
        backpressure_sustained: false,
    });
    s.rollback = Some(RollbackRecord {
        from_revision: 2,
        to_revision: 1,
        rejected: fp('b'),
        reason: "not running with all tasks within readiness_timeout (5m)".into(),
        at: now - 5 * MIN,
    });
    record.trust.refusal = Some(ArtifactRefusal {
        at: now - 3 * MIN,
        digest: Some(format!("sha256:{}", "e".repeat(64))),
        version: None,
        reason: "signature does not verify with any trusted key".into(),
    });
    let rev = |number: u64, at, outcome, reason: Option<&str>, from: Option<&str>| Revision {
        number,
        fingerprint: fp(char::from(b'a' + u8::try_from(number % 26).unwrap_or(0))).0,
        deployed_at: Some(at),
        outcome: Some(outcome),
        reason: reason.map(Into::into),
        restored_from: from.map(Into::into),
    };
    let audit = |at, action: &str, from: Option<char>, to: Option<char>| AuditView {
        at,
        actor: "arn:aws:iam::123456789012:user/ana".into(),
        action: action.into(),
        from: from.map(|c| fp(c).0),
        to: to.map(|c| fp(c).0),
        detail: None,
    };
    history.insert(
        id.to_string(),
        Known::Read(JobHistory {
            revisions: vec![
                rev(
                    3,
                    now - 5 * MIN,
                    RevisionOutcome::Deployed,
                    None,
                    Some("file:/flink/savepoints/savepoint-f1c000-2"),
                ),
                rev(
                    2,
                    now - 29 * MIN,
                    RevisionOutcome::RolledBack,
                    Some("not running with all tasks within readiness_timeout (5m)"),
                    Some("file:/flink/savepoints/savepoint-f1c000-2"),
                ),
                rev(1, now - 85 * MIN, RevisionOutcome::Stable, None, None),
            ],
            audit: vec![
                audit(now - 31 * MIN, "update", Some('a'), Some('b')),
                audit(now - 32 * MIN, "savepoint", None, Some('a')),
                audit(now - 86 * MIN, "create", None, Some('a')),
            ],
        }),
    );
    specs.insert(id.clone(), record);
    states.insert(id.clone(), s);

    // A nightly batch job with runs, one of them failed.
    let id = &format!("orders-nightly{suffix}");
    let record = spec(
        id,
        "batch",
        serde_json::json!({"batch_config": {"cron": "0 2 * * *", "timezone": "Europe/Berlin"}}),
        now,
    )?;
    let mut s = JobState::new(id, fjc_spec::JobType::Batch, "default", now - 10 * MIN);
    let active = flink_id(200);
    s.lifecycle = Lifecycle::Running;
    s.flink_job_id = Some(active.clone());
    s.set_flink_state(Some("RUNNING".into()), now - 10 * MIN);
    seen.push(summary(&active, id, FlinkJobState::Running, now));
    s.batch = Some(BatchState {
        active: vec![Run {
            job_id: id.into(),
            run_id: format!("{}-schedule", now - 10 * MIN),
            trigger: RunTrigger::Schedule,
            scheduled_at: now - 10 * MIN,
            created_at: now - 10 * MIN,
            started_at: Some(now - 10 * MIN),
            ended_at: None,
            flink_job_id: active,
            fingerprint: fp('a'),
            status: RunStatus::Running,
            reason: None,
            jar: None,
        }],
        history: vec![
            RunSummary {
                run_id: format!("{}-schedule", now - 24 * 60 * MIN),
                started_at: Some(now - 24 * 60 * MIN),
                flink_job_id: Some(flink_id(201)),
                status: RunStatus::Failed,
                ended_at: now - 24 * 60 * MIN + 4 * MIN,
                reason: Some("java.io.IOException: input missing".into()),
                jar: None,
            },
            RunSummary {
                run_id: format!("{}-manual", now - 30 * 60 * MIN),
                started_at: Some(now - 30 * 60 * MIN),
                flink_job_id: Some(flink_id(202)),
                status: RunStatus::Finished,
                ended_at: now - 30 * 60 * MIN + 6 * MIN,
                reason: None,
                jar: None,
            },
        ],
        ..BatchState::default()
    });
    specs.insert(id.clone(), record);
    states.insert(id.clone(), s);

    // Drift that does not converge, and a spec the policy holds back.
    let id = &format!("payments-v2{suffix}");
    let mut record = spec(
        id,
        "stream",
        serde_json::json!({"namespace": "payments"}),
        now,
    )?;
    record.fingerprint = fp('f');
    let mut s = JobState::new(id, fjc_spec::JobType::Stream, "default", now - 2 * MIN);
    s.lifecycle = Lifecycle::Stable;
    s.deployed_fingerprint = Some(fp('e'));
    s.failed_attempts = 2;
    s.next_attempt_at = Some(now + 3 * MIN);
    s.last_error = Some(LastError {
        message: "savepoint failed: checkpoint storage not writable".into(),
        at: now - 2 * MIN,
        retryable: true,
    });
    s.operation = None;
    specs.insert(id.clone(), record);
    states.insert(id.clone(), s);
    held.insert(
        fresh,
        "namespace default: artifact_path outside the allowed prefixes".to_string(),
    );

    // A job on the unreachable cluster, its state known only from the record.
    let id = &format!("east-ingest{suffix}");
    let mut record = spec(id, "stream", serde_json::json!({"cluster": "east"}), now)?;
    record.spec.cluster = "east".into();
    let mut s = JobState::new(id, fjc_spec::JobType::Stream, "east", now - 50 * MIN);
    s.lifecycle = Lifecycle::Running;
    s.flink_job_id = Some(flink_id(300));
    s.set_flink_state(Some("RUNNING".into()), now - 50 * MIN);
    s.operation = Some(Operation::Deploy {
        fingerprint: fp('a'),
        flink_job_id: flink_id(301),
        replaces: Some(flink_id(300)),
        started_at: now - 12 * MIN,
        upgrade: Some(UpgradeProgress::new(fjc_spec::UpgradeMode::Savepoint, None)),
        purpose: Default::default(),
    });
    specs.insert(id.clone(), record);
    states.insert(id.clone(), s);

    Ok(())
}

pub(super) fn summary(id: &JobId, job_id: &str, state: FlinkJobState, now: EpochMs) -> JobSummary {
    JobSummary {
        id: id.clone(),
        name: format!("fjc:{job_id}"),
        state,
        start_time_ms: now - 30 * MIN,
        end_time_ms: -1,
        tasks_total: 2,
        tasks_running: 2,
        tasks_finished: 0,
        adaptive: false,
    }
}
