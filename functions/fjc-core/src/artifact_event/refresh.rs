//! What an upload leads to: for each created object, the specs that use it
//! (artifact index), a debounce (several uploads of one key in the window: only
//! the last event acts), verification of the object's current bytes per spec,
//! the accepted ones recorded (new digest, version, fingerprint, audit entry), the
//! refused ones noted on the spec (the job keeps its version), and one reconcile
//! of just the changed jobs through the same cycle as the schedule.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fjc_spec::fingerprint;
use serde::Serialize;
use tracing::{info, warn};

use super::event::parse_event;
use crate::artifacts::verify_artifact;
use crate::audit;
use crate::clock::Clock;
use crate::context::{Context, Ports};
use crate::cycle::{CycleReport, Scope};
use crate::error::CoreError;
use crate::snapshot::dir::DirPublisher;
use crate::store::{ArtifactRefusal, SpecRecord, SpecStore};
use crate::tick::{TickPlan, tick};

/// What became of one uploaded object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObjectOutcome {
    /// `s3://bucket/key` of the artifact (a `.sig` upload counts for its jar).
    pub path: String,
    /// No spec uses it.
    pub unused: bool,
    /// A later upload event of the same object will act instead.
    pub coalesced: bool,
    /// Jobs now recorded with the new bytes.
    pub accepted: Vec<String>,
    /// Jobs whose recorded bytes already are these.
    pub unchanged: Vec<String>,
    /// Jobs that refused the bytes, with the reason.
    pub refused: BTreeMap<String, String>,
}

/// What one event did.
#[derive(Debug, Default)]
pub struct EventReport {
    /// Per artifact.
    pub objects: Vec<ObjectOutcome>,
    /// Records of the event that were not object creations.
    pub ignored: Vec<String>,
    /// The reconciles of the accepted jobs: one per shard holding any (none when
    /// no job was accepted).
    pub cycles: Vec<CycleReport>,
    /// The cycles that followed them: jobs whose operations asked to be looked at
    /// again within the invocation (see [`crate::tick::Requeue`]).
    pub requeued: Vec<CycleReport>,
}

/// Handles one S3 / EventBridge event. A malformed event is an error and
/// changes nothing.
pub async fn handle_event<P: Ports>(
    ctx: &Context<P>,
    event: &serde_json::Value,
    debounce: Duration,
    actor: &str,
) -> Result<EventReport, CoreError> {
    handle_event_until(ctx, event, debounce, actor, None).await
}

/// [`handle_event`] in an invocation that ends at `deadline` (epoch ms): the
/// tick over the changed jobs follows their operations no closer to it than
/// [`crate::tick::REQUEUE_MARGIN_MS`].
pub async fn handle_event_until<P: Ports>(
    ctx: &Context<P>,
    event: &serde_json::Value,
    debounce: Duration,
    actor: &str,
    deadline: Option<crate::clock::EpochMs>,
) -> Result<EventReport, CoreError> {
    let parsed = parse_event(event)?;
    let paths: BTreeSet<String> = parsed
        .objects
        .iter()
        .map(|o| {
            let p = o.path();
            p.strip_suffix(".sig").map(str::to_string).unwrap_or(p)
        })
        .collect();
    for why in &parsed.ignored {
        info!(reason = %why, "event record ignored");
    }
    let mut report = refresh_artifacts(ctx, paths, debounce, actor, deadline, None).await?;
    report.ignored = parsed.ignored;
    Ok(report)
}

/// What a change of the artifacts at `paths` (as specs name them: `s3://…` or
/// relative to an artifact root) leads to, the same for an S3 upload and a
/// file a local watcher saw settle (`fjc watch`, which debounces itself and
/// passes a zero `debounce`): each is verified for the specs that use it, the
/// accepted ones recorded, and the changed jobs reconciled in one scoped tick
/// (stopped early when `stop` is cancelled).
pub async fn refresh_artifacts<P: Ports>(
    ctx: &Context<P>,
    paths: BTreeSet<String>,
    debounce: Duration,
    actor: &str,
    deadline: Option<crate::clock::EpochMs>,
    stop: Option<&tokio_util::sync::CancellationToken>,
) -> Result<EventReport, CoreError> {
    let objects = futures::future::try_join_all(
        paths
            .into_iter()
            .map(|path| handle_object(ctx, path, debounce, actor)),
    )
    .await?;
    let accepted: BTreeSet<String> = objects
        .iter()
        .flat_map(|o| o.accepted.iter().cloned())
        .collect();
    // One scoped cycle per shard that holds an accepted job, under its lease,
    // then the cycles of the jobs requeued by their operations.
    let scopes = Scope::jobs(accepted, ctx.settings.shards);
    let (mut cycles, mut requeued) = (Vec::new(), Vec::new());
    if !scopes.is_empty() {
        let plan = TickPlan {
            scopes: &scopes,
            view: false,
            publish: false,
            correlation_id: None,
            deadline,
            stop,
        };
        cycles = tick::<P, DirPublisher>(ctx, None, plan, |_, _| {})
            .await?
            .cycles;
        requeued = cycles.split_off(scopes.len().min(cycles.len()));
    }
    Ok(EventReport {
        objects,
        ignored: Vec::new(),
        cycles,
        requeued,
    })
}

async fn handle_object<P: Ports>(
    ctx: &Context<P>,
    path: String,
    debounce: Duration,
    actor: &str,
) -> Result<ObjectOutcome, CoreError> {
    let mut out = ObjectOutcome {
        path: path.clone(),
        ..Default::default()
    };
    let jobs = ctx.store.jobs_for_artifact(&path).await?;
    if jobs.is_empty() {
        info!(artifact = %path, "no spec uses this object; ignored");
        out.unused = true;
        return Ok(out);
    }
    if !debounce.is_zero() {
        let token = format!("{:016x}", rand::random::<u64>());
        ctx.store
            .mark_artifact_event(&path, &token, ctx.clock.now_ms())
            .await?;
        tokio::time::sleep(debounce).await;
        if ctx.store.artifact_event_token(&path).await?.as_deref() != Some(token.as_str()) {
            info!(artifact = %path, "a later upload of this object takes over");
            out.coalesced = true;
            return Ok(out);
        }
    }
    for job in jobs {
        let Some(record) = ctx.store.get_spec(&job).await? else {
            continue;
        };
        if record.spec.artifact_path != path {
            continue; // a stale index item: the spec moved on
        }
        refresh_spec(ctx, record, actor, &mut out).await?;
    }
    Ok(out)
}

/// Verifies the object's current bytes for one spec and records the result.
async fn refresh_spec<P: Ports>(
    ctx: &Context<P>,
    mut record: SpecRecord,
    actor: &str,
    out: &mut ObjectOutcome,
) -> Result<(), CoreError> {
    let job = record.spec.job_id.clone();
    let path = record.spec.artifact_path.clone();
    let policy = ctx.security.check_spec(&record.spec);
    let verified = if policy.is_empty() {
        verify_artifact(&ctx.artifacts, &ctx.security.trusted_keys, &record.spec)
            .await
            .map_err(|r| (r.info, r.error.to_string()))
    } else {
        Err((None, format!("held by policy: {}", policy.join("; "))))
    };
    let now = ctx.clock.now_ms();
    match verified {
        Ok(v) => {
            let same = v.info.digest == record.artifact_digest
                && v.info.version == record.artifact_version
                && v.trust.signature == record.trust.signature;
            if same {
                out.unchanged.push(job.clone());
                if record.trust.refusal.is_none() {
                    return Ok(());
                }
                record.trust.refusal = None;
                ctx.store.put_spec(&record, Some(&path), None).await?;
                return Ok(());
            }
            let from = record.fingerprint.0.clone();
            record.fingerprint = fingerprint(&record.spec, &v.info.digest);
            record.artifact_digest = v.info.digest.clone();
            record.artifact_version = v.info.version.clone();
            record.trust = v.trust;
            record.updated_at = now;
            let mut entry = audit::entry(
                &job,
                now,
                actor,
                "artifact-update",
                Some(&from),
                Some(&record.fingerprint.0),
            );
            entry.detail = Some(format!(
                "{path} {} (version {})",
                v.info.digest,
                v.info.version.as_deref().unwrap_or("-")
            ));
            ctx.store
                .put_spec(&record, Some(&path), Some(&entry))
                .await?;
            info!(job = %job, artifact = %path, digest = %v.info.digest, "artifact accepted");
            out.accepted.push(job);
        }
        Err((info, reason)) => {
            warn!(job = %job, artifact = %path, reason = %reason, "artifact refused; the job keeps its current version");
            record.trust.refusal = Some(ArtifactRefusal {
                at: now,
                digest: info.as_ref().map(|i| i.digest.clone()),
                version: info.and_then(|i| i.version),
                reason: reason.clone(),
            });
            ctx.store.put_spec(&record, Some(&path), None).await?;
            out.refused.insert(job, reason);
        }
    }
    Ok(())
}
