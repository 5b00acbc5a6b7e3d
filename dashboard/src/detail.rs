//! One job: state, spec summary, revisions, savepoints, runs, errors, next fire.

use fjc_snapshot::{JobView, RunOutcome};
use leptos::prelude::*;

use crate::app::Ctx;
use crate::fmt::{ago, short_fp, span, utc};
use crate::timeline::JobChart;

/// The job page.
#[component]
pub fn JobDetail(namespace: String, job_id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
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
            Some(j) => view! { <Detail job=j now=ctx.now generated_at=snap.generated_at/> }.into_any(),
        })
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".into())
}

#[component]
fn Detail(job: JobView, now: RwSignal<i64>, generated_at: i64) -> impl IntoView {
    let j = job.clone();
    let lc = j.lifecycle.as_str();
    let fp = |f: &Option<String>| f.as_deref().map(short_fp).unwrap_or_else(|| "—".into());
    let updated = j.updated_at;
    view! {
        <p><a href="#/" id="back">"← All jobs"</a></p>
        <article aria-labelledby="job-h" class="detail">
            <h2 id="job-h">{j.job_id.clone()} " "
                <span class=format!("badge lc-{}", lc.to_lowercase())>{lc}</span>
                {j.drift.then(|| view! { <span class="badge drift">"drift"</span> })}
            </h2>
            <dl class="facts">
                <dt>"Namespace"</dt><dd>{j.namespace.clone()}</dd>
                <dt>"Type"</dt><dd>{j.job_type.as_str()}</dd>
                <dt>"Cluster"</dt><dd>{j.cluster.clone()}</dd>
                <dt>"Flink state"</dt><dd id="flink-state">{opt(j.flink_state.clone())}</dd>
                <dt>"Flink job id"</dt><dd><code>{opt(j.flink_job_id.clone())}</code></dd>
                <dt>"Spec fingerprint"</dt><dd><code>{fp(&j.spec_fingerprint)}</code></dd>
                <dt>"Deployed fingerprint"</dt><dd><code>{fp(&j.deployed_fingerprint)}</code>
                    {j.drift.then_some(" (differs from the spec)")}</dd>
                <dt>"Revision"</dt><dd>{opt(j.revision.map(|r| r.to_string()))}</dd>
                <dt>"Operation in flight"</dt><dd>{opt(j.operation.as_ref().map(|o| format!("{} since {}", o.kind, utc(o.started_at))))}</dd>
                <dt>"Last change"</dt><dd>{move || opt(updated.map(|t| format!("{} ({})", utc(t), ago(t, now.get()))))}</dd>
                <dt>"Next scheduled run"</dt><dd id="next-fire">{opt(j.next_fire_at.map(utc))}</dd>
                <dt>"Spec"</dt><dd>{if j.has_spec { "present" } else { "deleted; the job is being removed" }}</dd>
            </dl>
            <LastError job=job.clone()/>
            <JobChart job=job.clone() generated_at=generated_at/>
            <SpecSummary job=job.clone()/>
            <Revisions job=job.clone()/>
            <Savepoints job=job.clone()/>
            <Runs job=job/>
        </article>
    }
}

#[component]
fn LastError(job: JobView) -> impl IntoView {
    view! {
        <h3>"Last error"</h3>
        {match job.last_error {
            None => view! { <p class="muted">"None."</p> }.into_any(),
            Some(e) => view! {
                <p id="last-error" class="error-line">
                    <span class="badge err">"error"</span> " " {e.message} " "
                    <span class="muted">"at " {utc(e.at)} {if e.retryable { " · retried automatically" } else { " · waits for a spec change" }}</span>
                </p>
            }.into_any(),
        }}
    }
}

#[component]
fn SpecSummary(job: JobView) -> impl IntoView {
    let Some(s) = job.spec else {
        return view! { <h3>"Spec"</h3><p class="muted">"No spec (deleted)."</p> }.into_any();
    };
    view! {
        <h3>"Spec summary"</h3>
        <dl class="facts" id="spec-summary">
            <dt>"Artifact"</dt><dd><code>{s.artifact_path}</code></dd>
            <dt>"Artifact digest"</dt><dd><code>{opt(s.artifact_digest.map(|d| short_fp(&d)))}</code></dd>
            <dt>"Entry class"</dt><dd><code>{opt(s.entry_class)}</code></dd>
            <dt>"Parallelism"</dt><dd>{s.parallelism}</dd>
            <dt>"Checkpoint interval"</dt><dd>{opt(s.checkpoint_interval)}</dd>
            <dt>"Restart strategy"</dt><dd>{opt(s.restart_strategy)}</dd>
            <dt>"Schedule"</dt><dd>{opt(s.cron.map(|c| format!("{c} ({})", s.timezone.unwrap_or_else(|| "UTC".into()))))}</dd>
            <dt>"Savepoint interval"</dt><dd>{opt(s.savepoint_trigger_interval)}</dd>
            <dt>"Arguments"</dt><dd>{s.arg_count} " (values not shown)"</dd>
            <dt>"Environment variables"</dt><dd>{s.env_var_count} " (values not shown)"</dd>
            <dt>"Applied"</dt><dd>{opt(s.applied_at.map(utc))}</dd>
        </dl>
    }
    .into_any()
}

#[component]
fn Revisions(job: JobView) -> impl IntoView {
    let body = if job.revisions.is_empty() {
        view! { <p class="muted">"No revisions recorded."</p> }.into_any()
    } else {
        let rows = job
            .revisions
            .into_iter()
            .map(|r| view! {
                <tr><th scope="row">{r.number}</th><td><code>{short_fp(&r.fingerprint)}</code></td>
                    <td>{opt(r.deployed_at.map(utc))}</td></tr>
            })
            .collect::<Vec<_>>();
        view! {
            <table class="grid" aria-label="Revisions">
                <thead><tr><th scope="col">"Revision"</th><th scope="col">"Fingerprint"</th><th scope="col">"Deployed"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <h3>"Revisions"</h3> {body} }
}

#[component]
fn Savepoints(job: JobView) -> impl IntoView {
    view! {
        <h3>"Last savepoint"</h3>
        {match job.last_savepoint {
            None => view! { <p class="muted">"None recorded."</p> }.into_any(),
            Some(s) => view! {
                <p id="last-savepoint"><code>{s.location}</code> " at " {utc(s.at)}
                    {s.reason.map(|r| format!(" ({r})"))}</p>
            }.into_any(),
        }}
    }
}

#[component]
fn Runs(job: JobView) -> impl IntoView {
    let body = if job.runs.is_empty() {
        view! { <p class="muted">"No runs recorded."</p> }.into_any()
    } else {
        let rows = job
            .runs
            .into_iter()
            .map(|r| {
                let outcome = match r.outcome {
                    RunOutcome::Running => "running",
                    RunOutcome::Finished => "finished",
                    RunOutcome::Failed => "failed",
                    RunOutcome::Cancelled => "cancelled",
                    RunOutcome::TimedOut => "timed-out",
                    RunOutcome::Lost => "lost",
                    RunOutcome::Unknown => "unknown",
                };
                view! {
                    <tr>
                        <th scope="row">{utc(r.started_at)}</th>
                        <td>{opt(r.ended_at.map(|e| span(e - r.started_at)))}</td>
                        <td><span class=format!("badge run-{outcome}")>{outcome}</span></td>
                        <td><code>{opt(r.flink_job_id)}</code></td>
                        <td>{opt(r.error)}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <table class="grid" id="runs" aria-label="Recent runs">
                <thead><tr><th scope="col">"Started"</th><th scope="col">"Duration"</th>
                    <th scope="col">"Outcome"</th><th scope="col">"Flink job id"</th><th scope="col">"Error"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <h3>"Recent runs"</h3> {body} }
}
