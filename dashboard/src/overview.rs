//! Overview: counts by lifecycle and type, clusters, orphans, recent transitions.

use fjc_snapshot::query::{Filter, counts};
use fjc_snapshot::{BreakerState, ClusterHealth, JobType, Lifecycle};
use leptos::prelude::*;

use crate::app::Ctx;
use crate::fmt::{ago, count};
use crate::timeline::TransitionsChart;

/// The overview section.
#[component]
pub fn Overview() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        ctx.snapshot.get().map(|s| {
            let c = counts(&s.jobs);
            let show = move |lifecycle: Option<Lifecycle>, job_type: Option<JobType>| {
                ctx.filter.set(Filter {
                    lifecycle,
                    job_type,
                    ..Filter::default()
                });
                ctx.page.set(0);
            };
            let lifecycle_cards = Lifecycle::ALL
                .into_iter()
                .map(|l| {
                    let n = c.by_lifecycle.get(&l).copied().unwrap_or(0);
                    view! {
                        <li class=format!("card lc-{}", l.as_str().to_lowercase())>
                            <button type="button" on:click=move |_| show(Some(l), None)
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
            let snap = s.clone();
            view! {
                <section aria-labelledby="overview-h" class="overview">
                    <h2 id="overview-h">"Overview"</h2>
                    <p class="totals">
                        <span id="total-jobs">{count(c.total)}</span> " jobs · "
                        <span class="badge drift">{count(c.drift)} " drift"</span> " · "
                        <span class="badge err">{count(c.errors)} " with errors"</span> " · "
                        {count(c.in_flight)} " operations in flight · "
                        {count(s.orphans.len())} {if s.orphans.len() == 1 { " orphan" } else { " orphans" }}
                    </p>
                    <h3>"By lifecycle"</h3>
                    <ul class="cards" aria-label="Jobs by lifecycle">{lifecycle_cards}</ul>
                    <h3>"By type"</h3>
                    <ul class="cards" aria-label="Jobs by type">{type_cards}</ul>
                    <Clusters snap=snap.clone()/>
                    <TransitionsChart snap=snap.clone()/>
                    <Orphans snap=snap/>
                </section>
            }
        })
    }
}

#[component]
fn Clusters(snap: std::sync::Arc<fjc_snapshot::Snapshot>) -> impl IntoView {
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
            let breaker = match c.breaker.as_ref().map(|b| b.state) {
                None => "—",
                Some(BreakerState::Closed) => "closed",
                Some(BreakerState::Open) => "OPEN",
                Some(BreakerState::HalfOpen) => "half-open",
                Some(BreakerState::Unknown) => "unknown",
            };
            view! {
                <tr>
                    <th scope="row">{c.name.clone()}</th>
                    <td><span class=format!("badge {class}")>{health}</span>
                        {c.error.clone().map(|e| view! { <span class="why">" " {e}</span> })}</td>
                    <td>{c.jobs_seen.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                    <td>{slots}</td>
                    <td>{c.taskmanagers.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                    <td>{c.flink_version.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{breaker}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <h3 id="clusters-h">"Clusters"</h3>
        <table class="grid" id="clusters" aria-labelledby="clusters-h">
            <thead><tr>
                <th scope="col">"Cluster"</th><th scope="col">"Health"</th>
                <th scope="col">"Flink jobs"</th><th scope="col">"Slots"</th>
                <th scope="col">"TaskManagers"</th><th scope="col">"Version"</th>
                <th scope="col">"Breaker"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Orphans(snap: std::sync::Arc<fjc_snapshot::Snapshot>) -> impl IntoView {
    if snap.orphans.is_empty() {
        return view! { <p class="muted">"No orphaned Flink jobs."</p> }.into_any();
    }
    let now = snap.generated_at;
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
        <p class="muted">"Flink jobs on a managed cluster that no job of this controller accounts for."</p>
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
