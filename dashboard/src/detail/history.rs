//! The job page's sections drawn from the job's detail document: its revisions
//! with their outcomes, savepoints, batch runs, audit entries, and what the spec
//! asks for (without values that could be secret).

use fjc_snapshot::timeline::run_outcome;
use fjc_snapshot::{JobView, RevisionOutcome, RunOutcome};
use leptos::prelude::*;

use super::{opt, when};
use crate::fmt::{short_fp, span, utc};

fn outcome_badge(o: Option<RevisionOutcome>) -> AnyView {
    match o {
        Some(o) => {
            let class = match o {
                RevisionOutcome::Deployed => "badge op",
                RevisionOutcome::Stable => "badge ok",
                RevisionOutcome::RolledBack => "badge err",
            };
            view! { <span class=class>{o.as_str()}</span> }.into_any()
        }
        None => "—".into_any(),
    }
}

#[component]
pub(super) fn Revisions(job: JobView) -> impl IntoView {
    let d = job.detail.unwrap_or_default();
    let body = if d.revisions.is_empty() {
        view! { <p class="muted">"No revisions recorded."</p> }.into_any()
    } else {
        let (current, stable) = (job.revision, job.stable_revision);
        let rows = d
            .revisions
            .into_iter()
            .map(|r| {
                let marks = [
                    (current == Some(r.number)).then_some("deployed now"),
                    (stable == Some(r.number)).then_some("last stable"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                view! {
                    <tr data-revision=r.number class:current=current == Some(r.number)>
                        <th scope="row">{r.number} {(!marks.is_empty()).then(|| view! { <span class="muted">" (" {marks} ")"</span> })}</th>
                        <td><code title=r.fingerprint.clone()>{short_fp(&r.fingerprint)}</code></td>
                        <td>{opt(r.deployed_at.map(utc))}</td>
                        <td>{outcome_badge(r.outcome)}</td>
                        <td class="why">{opt(r.reason)}</td>
                        <td class="wrap">{r.restored_from.map_or_else(|| view! { <span class="muted">"empty state"</span> }.into_any(), |p| view! { <code>{p}</code> }.into_any())}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <table class="grid" id="revisions" aria-label="Revisions, newest first">
                <thead><tr><th scope="col">"Revision"</th><th scope="col">"Fingerprint"</th>
                    <th scope="col">"Deployed"</th><th scope="col">"Outcome"</th>
                    <th scope="col">"Reason"</th><th scope="col">"Started from"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <h3>"Revisions"</h3> {body} }
}

#[component]
pub(super) fn Savepoints(job: JobView, now: RwSignal<i64>) -> impl IntoView {
    let d = job.detail.unwrap_or_default();
    let newest = match d.last_savepoint {
        None => view! { <p class="muted" id="restore-point">"No restore point recorded: a restart would start with empty state."</p> }.into_any(),
        Some(s) => view! {
            <p id="restore-point">"Newest restore point: " <code>{s.location}</code> " · "
                {s.kind.unwrap_or_else(|| "savepoint".into())} " taken " {when(s.at, now)}</p>
        }
        .into_any(),
    };
    let kept = if d.savepoints.is_empty() {
        view! { <p class="muted">"No savepoints kept."</p> }.into_any()
    } else {
        let rows = d
            .savepoints
            .into_iter()
            .map(|s| {
                view! {
                    <tr>
                        <td class="wrap"><code>{s.location}</code></td>
                        <td>{utc(s.at)}</td>
                        <td>{opt(s.kind)}</td>
                        <td><code>{opt(s.from_flink_job_id)}</code></td>
                    </tr>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <table class="grid" id="savepoints" aria-label="Savepoints kept, newest first">
                <thead><tr><th scope="col">"Location"</th><th scope="col">"Taken"</th>
                    <th scope="col">"Kind"</th><th scope="col">"From Flink job"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <h3>"Savepoints"</h3> {newest} {kept} }
}

#[component]
pub(super) fn Runs(job: JobView) -> impl IntoView {
    let d = job.detail.unwrap_or_default();
    let body = if d.runs.is_empty() {
        view! { <p class="muted">"No runs recorded."</p> }.into_any()
    } else {
        let rows = d
            .runs
            .into_iter()
            .map(|r| {
                let outcome = run_outcome(r.outcome);
                let class = match r.outcome {
                    RunOutcome::Finished => "badge ok",
                    RunOutcome::Running => "badge op",
                    RunOutcome::Failed | RunOutcome::TimedOut | RunOutcome::Lost => "badge err",
                    RunOutcome::Cancelled | RunOutcome::Unknown => "badge",
                };
                view! {
                    <tr>
                        <th scope="row">{utc(r.started_at)}</th>
                        <td>{opt(r.ended_at.map(|e| span(e - r.started_at)))}</td>
                        <td><span class=class>{outcome}</span></td>
                        <td><code>{opt(r.flink_job_id)}</code></td>
                        <td class="why">{opt(r.error)}</td>
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

#[component]
pub(super) fn Audit(job: JobView) -> impl IntoView {
    let d = job.detail.unwrap_or_default();
    let body = if d.audit.is_empty() {
        view! { <p class="muted">"No audit entries."</p> }.into_any()
    } else {
        let rows = d
            .audit
            .into_iter()
            .map(|a| {
                let change = match (a.from.as_deref(), a.to.as_deref()) {
                    (Some(f), Some(t)) if f != t => format!("{} → {}", short_fp(f), short_fp(t)),
                    (None, Some(t)) => format!("→ {}", short_fp(t)),
                    (Some(f), None) => format!("{} →", short_fp(f)),
                    (Some(f), Some(_)) => short_fp(f),
                    (None, None) => "—".into(),
                };
                view! {
                    <tr>
                        <td>{utc(a.at)}</td>
                        <td>{a.actor}</td>
                        <td><strong>{a.action}</strong></td>
                        <td><code>{change}</code></td>
                        <td class="why">{opt(a.detail)}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>();
        view! {
            <table class="grid" id="audit" aria-label="Audit trail, newest first">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                    <th scope="col">"Fingerprint"</th><th scope="col">"Detail"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <h3>"Audit trail"</h3> {body} }
}

#[component]
pub(super) fn SpecSummary(job: JobView, applied_at: Option<i64>) -> impl IntoView {
    let Some(s) = job.detail.and_then(|d| d.spec) else {
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
            <dt>"Applied"</dt><dd>{opt(applied_at.map(utc))}</dd>
        </dl>
    }
    .into_any()
}
