//! One job: where it stands (lifecycle with its meaning, Flink state with its
//! source and age, revisions, restore points, recoveries against the budget,
//! rollback, operation in flight, refused artifact, policy hold, deployed
//! artifact), its timeline, and its history (revisions, savepoints, runs, audit).
//!
//! The sections drawn from the job's detail document (revisions, savepoints, runs,
//! audit entries, spec) are in `history`.

mod history;

use std::sync::Arc;

use fjc_snapshot::query::{attention, unreachable_clusters};
use fjc_snapshot::{JobType, JobView, Snapshot};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::{Ctx, DetailState, document_url};
use crate::describe::{flink_state, reason_detail, recoveries};
use crate::fetch::load_job;
use crate::fmt::{ago, short_fp, utc};
use crate::lifecycle::{shown_css, shown_hint};
use crate::timeline::JobTimeline;
use history::{Audit, Revisions, Runs, Savepoints, SpecSummary};

/// The job page: the job's row from the snapshot, with its detail document
/// (history, restore points, spec) fetched once per version.
#[component]
pub fn JobDetail(namespace: String, job_id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let wanted = {
        let (namespace, job_id) = (namespace.clone(), job_id.clone());
        move || {
            ctx.snapshot.with(|s| {
                s.as_ref()?
                    .jobs
                    .iter()
                    .find(|j| j.job_id == job_id && j.namespace == namespace)?
                    .detail_version
                    .clone()
            })
        }
    };
    {
        let (namespace, job_id) = (namespace.clone(), job_id.clone());
        Effect::new(move |_| {
            if let Some(version) = wanted() {
                fetch_detail(ctx, namespace.clone(), job_id.clone(), version);
            }
        });
    }
    move || {
        let snap = ctx.snapshot.get()?;
        let job = snap
            .jobs
            .iter()
            .find(|j| j.job_id == job_id && j.namespace == namespace)
            .cloned();
        Some(match job {
            None => view! {
                <p><a href="#/">"← All jobs"</a></p>
                <h2>{job_id.clone()}</h2>
                <p id="not-found" role="status">"This job is not in the current snapshot (deleted, or never applied)."</p>
            }
            .into_any(),
            Some(mut j) => {
                let state = ctx.details.with(|m| m.get(&j.job_id).cloned());
                let history = match (&j.detail_version, state) {
                    (None, _) => History::Absent,
                    (Some(v), Some(DetailState::Ready { version, detail })) if *v == version => {
                        j.detail = Some((*detail).clone());
                        History::Shown
                    }
                    (Some(v), Some(DetailState::Failed { version, error })) if *v == version => {
                        History::Failed(error)
                    }
                    _ => History::Loading,
                };
                view! { <Detail job=j now=ctx.now snap=snap history=history/> }.into_any()
            }
        })
    }
}

/// Whether the job's detail document is shown.
#[derive(Debug, Clone, PartialEq)]
enum History {
    /// It is.
    Shown,
    /// Being fetched.
    Loading,
    /// Could not be fetched.
    Failed(String),
    /// The snapshot names none.
    Absent,
}

/// Fetches `job_id`'s detail document at `version` unless it is there or on its way.
fn fetch_detail(ctx: Ctx, namespace: String, job_id: String, version: String) {
    let have = ctx.details.with_untracked(|m| {
        m.get(&job_id)
            .is_some_and(|s| s.version() == version && !matches!(s, DetailState::Failed { .. }))
    });
    if have {
        return;
    }
    ctx.details.update(|m| {
        m.insert(
            job_id.clone(),
            DetailState::Loading {
                version: version.clone(),
            },
        );
    });
    spawn_local(async move {
        let got = load_job(&document_url(&namespace, &job_id, &version)).await;
        ctx.details.update(|m| {
            // A newer version may have been asked for meanwhile.
            if m.get(&job_id).is_some_and(|s| s.version() == version) {
                let state = match got {
                    Ok(detail) => DetailState::Ready {
                        version,
                        detail: Arc::new(detail),
                    },
                    Err(e) => DetailState::Failed {
                        version,
                        error: e.to_string(),
                    },
                };
                m.insert(job_id, state);
            }
        });
    });
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".into())
}

/// An instant as UTC with its age, the age kept current.
fn when(t: i64, now: RwSignal<i64>) -> impl IntoView {
    view! { <time title=utc(t)>{utc(t)}</time> <span class="muted">" (" {move || ago(t, now.get())} ")"</span> }
}

fn when_opt(t: Option<i64>, now: RwSignal<i64>) -> AnyView {
    match t {
        Some(t) => when(t, now).into_any(),
        None => "—".into_any(),
    }
}

#[component]
fn Detail(
    job: JobView,
    now: RwSignal<i64>,
    snap: Arc<Snapshot>,
    history: History,
) -> impl IntoView {
    let j = job;
    let d = j.detail.clone().unwrap_or_default();
    let lc = j.lifecycle;
    let fp = |f: &Option<String>| f.as_deref().map(short_fp).unwrap_or_else(|| "—".into());
    let cluster = snap.clusters.iter().find(|c| c.name == j.cluster);
    let cluster_note = cluster
        .and_then(|c| c.error.clone())
        .map(|e| format!(" — unreachable: {e}"));
    let reasons = attention(&j, &unreachable_clusters(&snap));
    let attention_banner = (!reasons.is_empty()).then(|| {
        let items = reasons
            .iter()
            .map(|&w| {
                view! {
                    <li><span class="badge reason" data-reason=w.label()>{w.label()}</span>
                        {reason_detail(&j, w, &snap).map(|d| view! { <span>" " {d}</span> })}</li>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <div id="job-attention" class="banner warn" role="status">
                <strong>"Needs attention"</strong>
                <ul class="reasons">{items}</ul>
            </div>
        }
    });
    let (state, seen) = (j.flink_state.clone(), j.flink_state_seen);
    let fs = flink_state(state.as_deref(), seen, now.get_untracked());
    let state_text = move || flink_state(state.as_deref(), seen, now.get()).text;
    let revision = j.revision.map(|r| {
        let stable = match j.stable_revision {
            Some(s) if s == r => " (stable)".to_string(),
            Some(s) => format!(" · last stable: {s}"),
            None => " · none stable yet".to_string(),
        };
        format!("{r}{stable}")
    });
    let operation = j.operation.clone().map(|o| {
        view! {
            <strong>{o.kind}</strong> " since " {when(o.started_at, now)}
            {o.flink_job_id.map(|f| view! { " · Flink job " <code>{f}</code> })}
            {o.restore_from.map(|r| view! { " · restoring from " <code>{r}</code> })}
        }
    });
    let artifact = d.deployed_artifact.clone().map(|a| {
        view! {
            <code title=a.digest.clone()>{short_fp(&a.digest)}</code>
            {a.version.map(|v| view! { " · S3 version " <code>{v}</code> })}
        }
    });
    let attempts = (j.failed_attempts > 0).then(|| {
        view! {
            {j.failed_attempts} " failed"
            {j.next_attempt_at.map(|t| view! { " · next attempt " {when(t, now)} })}
        }
    });
    let stream = j.job_type != JobType::Batch;
    let restored = match (&d.restored_from, j.revision) {
        (Some(r), _) => view! { <code>{r.clone()}</code> }.into_any(),
        (None, Some(_)) => "— (started with empty state)".into_any(),
        (None, None) => "—".into_any(),
    };
    let updated = j.updated_at;
    let applied_at = j.applied_at;
    // The same line `fjc status` prints (`HealthView::summary`).
    let health = j.health.clone();
    let health_problem = health.as_ref().is_some_and(|h| {
        h.gate.is_some()
            || h.checkpoints_overdue
            || h.backpressured_since.is_some()
            || h.restarts > 0
    });
    let health_text = move || {
        health.as_ref().map_or_else(
            || "no signal kept (not running, or not probed yet)".to_string(),
            |h| h.summary(now.get()),
        )
    };
    view! {
        <p><a href="#/" id="back">"← All jobs"</a></p>
        <article aria-labelledby="job-h" class="detail">
            <h2 id="job-h">{j.job_id.clone()} " "
                <span class=format!("badge {}", shown_css(lc)) title=shown_hint(lc)>{lc.as_str()}</span>
                {j.drift.then(|| view! { <span class="badge drift" title="The deployed version differs from the spec">"drift"</span> })}
            </h2>
            <p class="hint" id="lifecycle-hint">{shown_hint(lc)}</p>
            {attention_banner}
            <dl class="facts" id="facts">
                <dt>"Namespace"</dt><dd id="namespace">{j.namespace.clone()}</dd>
                <dt>"Type"</dt><dd>{j.job_type.as_str()}</dd>
                <dt>"Cluster"</dt><dd>{j.cluster.clone()} {cluster_note}</dd>
                <dt>"Flink state"</dt><dd id="flink-state" class:stored=fs.stored title=fs.title>{state_text}</dd>
                <dt>"Flink job id"</dt><dd><code>{opt(j.flink_job_id.clone())}</code></dd>
                {stream.then(|| view! {
                    <dt>"Revision"</dt><dd id="revision">{opt(revision)}</dd>
                    <dt>"Deployed"</dt><dd>{when_opt(j.deployed_at, now)}</dd>
                    <dt>"Restored from"</dt><dd id="restored-from">{restored}</dd>
                    <dt>"Health"</dt><dd id="health" class:problem=health_problem>{health_text}</dd>
                })}
                <dt>"Spec fingerprint"</dt><dd><code>{fp(&d.spec_fingerprint)}</code></dd>
                <dt>"Deployed fingerprint"</dt><dd><code>{fp(&d.deployed_fingerprint)}</code>
                    {(j.drift && d.deployed_fingerprint.is_some()).then_some(" (differs from the spec)")}</dd>
                <dt>"Deployed artifact"</dt><dd id="deployed-artifact">{artifact.map_or_else(|| "—".into_any(), IntoAny::into_any)}</dd>
                <dt>"Signed by"</dt><dd id="signed-by">{opt(d.signed_by.clone())}</dd>
                <dt>"Attempts"</dt><dd id="attempts">{attempts.map_or_else(|| "no failed attempt".into_any(), IntoAny::into_any)}</dd>
                <dt>"Operation in flight"</dt><dd id="operation">{operation.map_or_else(|| "none".into_any(), IntoAny::into_any)}</dd>
                <dt>"Last change"</dt><dd>{when_opt(updated, now)}</dd>
                {(!stream).then(|| view! {
                    <dt>"Next scheduled run"</dt><dd id="next-fire">{when_opt(j.next_fire_at, now)}</dd>
                })}
                <dt>"Spec"</dt><dd>{if j.has_spec { "present" } else { "deleted; the job is being removed" }}</dd>
            </dl>
            <LastError job=j.clone() now=now/>
            <Problems job=j.clone() now=now/>
            {match history {
                History::Shown => view! {
                    <JobTimeline job=j.clone() generated_at=snap.generated_at/>
                    {(stream || !d.revisions.is_empty()).then(|| view! {
                        <Recoveries job=j.clone() now=now/>
                        <Revisions job=j.clone()/>
                        <Savepoints job=j.clone() now=now/>
                    })}
                    {(!stream || !d.runs.is_empty()).then(|| view! { <Runs job=j.clone()/> })}
                    <Audit job=j.clone()/>
                    <SpecSummary job=j applied_at=applied_at/>
                }
                .into_any(),
                History::Loading => view! {
                    <p id="history-status" class="muted" role="status">"Loading the job's history…"</p>
                }
                .into_any(),
                History::Failed(e) => view! {
                    <p id="history-status" class="banner error" role="alert">
                        <strong>"History unavailable. "</strong> {e}
                    </p>
                }
                .into_any(),
                History::Absent => view! {
                    <p id="history-status" class="muted">"No history published for this job."</p>
                }
                .into_any(),
            }}
        </article>
    }
}

#[component]
fn LastError(job: JobView, now: RwSignal<i64>) -> impl IntoView {
    job.last_error.map(|e| {
        view! {
            <h3>"Last error"</h3>
            <p id="last-error" class="error-line">
                <span class="badge err">"error"</span> " " {e.message} " "
                <span class="muted">"at " {when(e.at, now)}
                    {if e.retryable { " · retried automatically" } else { " · waits for a spec change" }}</span>
            </p>
        }
    })
}

/// The rollback, the refused artifact and the policy hold: each only when there is one.
#[component]
fn Problems(job: JobView, now: RwSignal<i64>) -> impl IntoView {
    let rollback = job.rollback.map(|r| {
        view! {
            <p id="rollback" class="problem">
                <strong>"Rolled back"</strong> " from revision " {r.from_revision} " to " {r.to_revision}
                " at " {when(r.at, now)} ": " <span class="reason-text">{r.reason}</span>
                <br/><span class="muted">"The spec's version is not deployed again until the spec changes (or "
                <code>"fjc rollback"</code> " / a new apply)."</span>
            </p>
        }
    });
    let refused = job.artifact_refused.map(|r| {
        view! {
            <p id="artifact-refused" class="problem">
                <strong>"Artifact upload refused"</strong> " at " {when(r.at, now)} ": "
                <span class="reason-text">{r.reason}</span>
                {r.digest.map(|d| view! { " · digest " <code title=d.clone()>{short_fp(&d)}</code> })}
                <br/><span class="muted">"The job keeps running the version it had."</span>
            </p>
        }
    });
    let held = job.held_by_policy.map(|h| {
        view! {
            <p id="policy-hold" class="problem">
                <strong>"Held by policy"</strong> ": " <span class="reason-text">{h}</span>
            </p>
        }
    });
    view! { {rollback} {refused} {held} }
}

#[component]
fn Recoveries(job: JobView, now: RwSignal<i64>) -> impl IntoView {
    let body = match recoveries(&job) {
        None => {
            view! { <p class="muted" id="recoveries">"No recoveries in the window."</p> }.into_any()
        }
        Some((text, exhausted)) => {
            let times = job
                .recoveries
                .iter()
                .map(|&t| view! { <li>{when(t, now)}</li> })
                .collect::<Vec<_>>();
            view! {
                <p id="recoveries" class:exhausted=exhausted>{text}</p>
                {(!times.is_empty()).then(|| view! { <ul class="times">{times}</ul> })}
            }
            .into_any()
        }
    };
    view! { <h3>"Recoveries"</h3> {body} }
}
