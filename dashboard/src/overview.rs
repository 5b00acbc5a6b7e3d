//! Overview: counts by lifecycle and type (cards that filter the jobs table), the
//! jobs that need attention and why, clusters with their breakers, the last
//! transitions, and orphans. Computed once per snapshot, never per second.

use std::sync::Arc;

use fjc_snapshot::query::{Attention, Filter, counts, needs_attention, unreachable_clusters};
use fjc_snapshot::{BreakerState, ClusterHealth, JobType, Shown, Snapshot};
use leptos::prelude::*;

use crate::app::Ctx;
use crate::describe::reason_detail;
use crate::fmt::{ago, count, plural};
use crate::lifecycle::{shown_css, shown_hint};
use crate::route::job_href;
use crate::timeline::TransitionsChart;

/// Rows of the attention list shown before "Show all".
const ATTENTION_ROWS: usize = 25;

/// The overview section.
#[component]
pub fn Overview() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        ctx.snapshot.get().map(|s| {
            let c = counts(&s.jobs);
            let show = move |lifecycle: Option<Shown>, job_type: Option<JobType>| {
                ctx.filter.set(Filter {
                    lifecycle,
                    job_type,
                    ..Filter::default()
                });
                ctx.page.set(0);
                scroll_to("jobs-h");
            };
            let lifecycle_cards = c
                .by_lifecycle
                .iter()
                // UNKNOWN (a newer controller's value) only when some job has it.
                .filter(|(l, n)| **l != Shown::Unknown || **n > 0)
                .map(|(&l, &n)| {
                    let pressed = move || ctx.filter.with(|f| f.lifecycle == Some(l)).to_string();
                    view! {
                        <li class=format!("card {}", shown_css(l)) class:zero=n == 0>
                            <button type="button" on:click=move |_| show(Some(l), None)
                                title=shown_hint(l) aria-pressed=pressed
                                aria-label=format!("{n} {}: show them", l.as_str())>
                                <span class="n" data-lifecycle=l.as_str()>{count(n)}</span>
                                <span class="label">{l.as_str()}</span>
                            </button>
                        </li>
                    }
                })
                .collect::<Vec<_>>();
            let type_cards = JobType::ALL
                .into_iter()
                .map(|t| {
                    let n = c.by_type.get(&t).copied().unwrap_or(0);
                    view! {
                        <li class="card">
                            <button type="button" on:click=move |_| show(None, Some(t))
                                aria-label=format!("{n} {} jobs: show them", t.as_str())>
                                <span class="n" data-type=t.as_str()>{count(n)}</span>
                                <span class="label">{t.as_str()}</span>
                            </button>
                        </li>
                    }
                })
                .collect::<Vec<_>>();
            let attention = needs_attention(&s);
            let now = ctx.now.get_untracked();
            view! {
                <section aria-labelledby="overview-h" class="overview">
                    <h2 id="overview-h">"Overview"</h2>
                    <p class="totals">
                        <span id="total-jobs">{count(c.total)}</span> " jobs · "
                        <a href="#attention" class="badge attn">{plural(attention.len(), "needs", "need")} " attention"</a> " · "
                        <span class="badge drift">{count(c.drift)} " drift"</span> " · "
                        <span class="badge err">{count(c.errors)} " with errors"</span> " · "
                        {plural(c.in_flight, "operation", "operations")} " in flight · "
                        {plural(s.orphans.len(), "orphan", "orphans")}
                    </p>
                    <h3>"By lifecycle"</h3>
                    <ul class="cards" id="lifecycle-cards" aria-label="Jobs by lifecycle">{lifecycle_cards}</ul>
                    <h3>"By type"</h3>
                    <ul class="cards" aria-label="Jobs by type">{type_cards}</ul>
                    <AttentionList snap=s.clone() rows=attention/>
                    <Clusters snap=s.clone() now=now/>
                    <TransitionsChart snap=s.clone()/>
                    <Orphans snap=s now=now/>
                </section>
            }
        })
    }
}

/// Scrolls the element with `id` into view (after a card filtered the table).
fn scroll_to(id: &str) {
    if let Some(el) = document().get_element_by_id(id) {
        el.scroll_into_view();
    }
}

#[component]
fn AttentionList(snap: Arc<Snapshot>, rows: Vec<(usize, Vec<Attention>)>) -> impl IntoView {
    let total = rows.len();
    let all = RwSignal::new(false);
    if total == 0 {
        return view! {
            <section id="attention" aria-labelledby="attention-h">
                <h3 id="attention-h">"Needs attention"</h3>
                <p class="muted" id="attention-none">"Nothing needs attention."</p>
            </section>
        }
        .into_any();
    }
    let render = move |limit: usize| {
        rows.iter()
            .take(limit)
            .filter_map(|(i, why)| snap.jobs.get(*i).map(|j| (j, why)))
            .map(|(j, why)| {
                let reasons = why
                    .iter()
                    .map(|&w| {
                        let detail = reason_detail(j, w, &snap);
                        view! {
                            <li>
                                <span class="badge reason" data-reason=w.label()>{w.label()}</span>
                                {detail.map(|d| view! { <span class="why">" " {d}</span> })}
                            </li>
                        }
                    })
                    .collect::<Vec<_>>();
                view! {
                    <tr data-job-id=j.job_id.clone()>
                        <th scope="row"><a href=job_href(&j.namespace, &j.job_id)>{j.job_id.clone()}</a>
                            <span class="muted">" " {j.namespace.clone()}</span></th>
                        <td><span class=format!("badge {}", shown_css(j.lifecycle)) title=shown_hint(j.lifecycle)>
                            {j.lifecycle.as_str()}</span></td>
                        <td><ul class="reasons">{reasons}</ul></td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section id="attention" aria-labelledby="attention-h">
            <h3 id="attention-h">"Needs attention (" {count(total)} ")"</h3>
            <table class="grid attention" aria-labelledby="attention-h">
                <thead><tr><th scope="col">"Job"</th><th scope="col">"Lifecycle"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>{move || render(if all.get() { usize::MAX } else { ATTENTION_ROWS })}</tbody>
            </table>
            {(total > ATTENTION_ROWS).then(|| view! {
                <button type="button" id="attention-all" on:click=move |_| all.update(|a| *a = !*a)>
                    {move || if all.get() { "Show fewer".to_string() } else { format!("Show all {}", count(total)) }}
                </button>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Clusters(snap: Arc<Snapshot>, now: i64) -> impl IntoView {
    let down = unreachable_clusters(&snap).len();
    let rows = snap
        .clusters
        .iter()
        .map(|c| {
            let (health, class) = match c.health {
                ClusterHealth::Healthy => ("healthy", "ok"),
                ClusterHealth::Unreachable => ("UNREACHABLE", "err"),
                ClusterHealth::Unknown => ("unknown", "warn"),
            };
            let slots = c
                .slots
                .map(|s| format!("{} free of {}", s.available, s.total))
                .unwrap_or_else(|| "—".into());
            let breaker = c.breaker.as_ref().map(|b| {
                let (state, class) = match b.state {
                    BreakerState::Closed => ("closed", "ok"),
                    BreakerState::Open => ("OPEN", "err"),
                    BreakerState::HalfOpen => ("half-open", "warn"),
                    BreakerState::Unknown => ("unknown", "warn"),
                };
                view! {
                    <span class=format!("badge {class}")>{state}</span>
                    {b.since.map(|t| format!(" since {}", ago(t, now)))}
                    {b.reason.clone().map(|r| view! { <span class="why">": " {r}</span> })}
                }
            });
            view! {
                <tr data-cluster=c.name.clone()>
                    <th scope="row">{c.name.clone()}</th>
                    <td><span class=format!("badge {class}")>{health}</span>
                        {c.error.clone().map(|e| view! { <span class="why">" " {e}</span> })}</td>
                    <td>{c.jobs_seen.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                    <td>{slots}</td>
                    <td>{c.taskmanagers.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                    <td>{c.flink_version.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{breaker.map_or_else(|| "—".into_any(), IntoAny::into_any)}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <h3 id="clusters-h">"Clusters" {(down > 0).then(|| format!(" ({down} unreachable)"))}</h3>
        <table class="grid" id="clusters" aria-labelledby="clusters-h">
            <thead><tr>
                <th scope="col">"Cluster"</th><th scope="col">"Health"</th>
                <th scope="col">"Flink jobs"</th><th scope="col">"Slots"</th>
                <th scope="col">"TaskManagers"</th><th scope="col">"Version"</th>
                <th scope="col">"Circuit breaker"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Orphans(snap: Arc<Snapshot>, now: i64) -> impl IntoView {
    if snap.orphans.is_empty() {
        return view! { <p class="muted">"No orphaned Flink jobs."</p> }.into_any();
    }
    let rows = snap
        .orphans
        .iter()
        .map(|o| {
            view! {
                <tr>
                    <td>{o.cluster.clone()}</td>
                    <td><code>{o.flink_job_id.clone()}</code></td>
                    <td>{o.name.clone()}</td>
                    <td>{o.flink_state.clone()}</td>
                    <td>{ago(o.started_at, now)}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <h3 id="orphans-h">"Orphans"</h3>
        <p class="muted">"Flink jobs on a managed cluster that no job of this controller accounts for (left alone)."</p>
        <table class="grid" id="orphans" aria-labelledby="orphans-h">
            <thead><tr>
                <th scope="col">"Cluster"</th><th scope="col">"Flink job id"</th>
                <th scope="col">"Name"</th><th scope="col">"State"</th><th scope="col">"Started"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
