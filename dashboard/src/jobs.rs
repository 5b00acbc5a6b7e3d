//! The jobs table: filters, text search, sorting and paging. Only one page of rows
//! is in the DOM, so 10,000 jobs stay fast; filtering and sorting are memoised.

use fjc_snapshot::query::{Sort, SortKey, namespaces, page, select};
use fjc_snapshot::{JobType, JobView, Shown};
use leptos::prelude::*;

use crate::app::Ctx;
use crate::describe::flink_state;
use crate::fmt::{ago, count};
use crate::lifecycle::{shown_css, shown_hint};
use crate::route::job_href;

/// Rows-per-page choices.
const PAGE_SIZES: [usize; 4] = [50, 100, 250, 500];

/// The table with its controls.
#[component]
pub fn JobsTable() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let selected = Memo::new(move |_| {
        let filter = ctx.filter.get();
        let sort = ctx.sort.get();
        ctx.snapshot
            .with(|s| s.as_ref().map(|s| select(&s.jobs, &filter, sort)))
            .unwrap_or_default()
    });
    let current =
        Memo::new(move |_| page(selected.with(Vec::len), ctx.page_size.get(), ctx.page.get()));
    let has_data = Memo::new(move |_| ctx.snapshot.with(Option::is_some));
    let total = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.as_ref().map_or(0, |s| s.jobs.len()))
    });
    let ns_options = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.as_ref().map(|s| namespaces(&s.jobs)))
            .unwrap_or_default()
    });
    let has_unknown = Memo::new(move |_| {
        ctx.snapshot.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.jobs.iter().any(|j| j.lifecycle == Shown::Unknown))
        })
    });
    // Only the rows depend on the snapshot itself, so a refresh keeps the controls
    // (and the focus in the search box) as they are. The rows do not depend on the
    // clock: only their age texts do.
    let rows = move || {
        let p = current.get();
        let now = ctx.now;
        ctx.snapshot.with(|snap| {
            snap.as_ref().map(|snap| {
                selected.with(|idx| {
                    idx.get(p.start..p.end)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|&i| snap.jobs.get(i))
                        .map(|j| row(j, now))
                        .collect::<Vec<_>>()
                })
            })
        })
    };
    let summary = move || {
        let p = current.get();
        let matching = selected.with(Vec::len);
        if matching == 0 {
            format!("No job matches (of {} in total).", count(total.get()))
        } else {
            format!(
                "Showing {}–{} of {} matching jobs ({} in total).",
                count(p.start + 1),
                count(p.end),
                count(matching),
                count(total.get())
            )
        }
    };
    move || {
        has_data.get().then(|| {
            view! {
                <section aria-labelledby="jobs-h" class="jobs">
                    <h2 id="jobs-h">"Jobs"</h2>
                    <Controls namespaces=ns_options has_unknown=has_unknown/>
                    <p id="jobs-summary" aria-live="polite">{summary}</p>
                    <table class="grid" id="jobs" aria-labelledby="jobs-h" aria-describedby="jobs-summary">
                        <thead><tr>
                            {SortKey::ALL.into_iter().map(|(k, label)| view! { <SortHeader key=k label=label/> }).collect::<Vec<_>>()}
                            <th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    <Pager current=current/>
                </section>
            }
        })
    }
}

fn row(j: &JobView, now: RwSignal<i64>) -> impl IntoView + use<> {
    let lc = j.lifecycle;
    let (state, seen) = (j.flink_state.clone(), j.flink_state_seen);
    let fs = flink_state(state.as_deref(), seen, now.get_untracked());
    let state_text = move || {
        if fs.stored {
            flink_state(state.as_deref(), seen, now.get()).text
        } else {
            fs.text.clone()
        }
    };
    let updated = j.updated_at;
    view! {
        <tr data-job-id=j.job_id.clone()>
            <th scope="row"><a href=job_href(&j.namespace, &j.job_id)>{j.job_id.clone()}</a></th>
            <td>{j.namespace.clone()}</td>
            <td>{j.job_type.as_str()}</td>
            <td><span class=format!("badge {}", shown_css(lc)) title=shown_hint(lc)>{lc.as_str()}</span></td>
            <td class="flink-state" class:stored=fs.stored title=fs.stored.then_some(fs.title)>{state_text}</td>
            <td>{j.cluster.clone()}</td>
            <td>{move || updated.map(|t| ago(t, now.get())).unwrap_or_else(|| "—".into())}</td>
            <td class="flags">
                {j.drift.then(|| view! { <span class="badge drift" title="The deployed version differs from the spec">"drift"</span> })}
                {j.last_error.as_ref().map(|e| view! { <span class="badge err" title=e.message.clone()>"error"</span> })}
                {j.operation.as_ref().map(|o| view! { <span class="badge op" title="Operation in flight">{o.kind.clone()}</span> })}
                {(!j.has_spec).then(|| view! { <span class="badge warn" title="The spec was deleted">"no spec"</span> })}
            </td>
        </tr>
    }
}

#[component]
fn SortHeader(key: SortKey, label: &'static str) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let aria = move || {
        let s = ctx.sort.get();
        match (s.key == key, s.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    };
    let arrow = move || match aria() {
        "ascending" => " ▲",
        "descending" => " ▼",
        _ => "",
    };
    let click = move |_| {
        ctx.sort.update(|s| {
            *s = if s.key == key {
                Sort {
                    key,
                    descending: !s.descending,
                }
            } else {
                Sort {
                    key,
                    descending: false,
                }
            }
        });
        ctx.page.set(0);
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button type="button" class="sort" on:click=click>{label}{arrow}</button>
        </th>
    }
}

#[component]
fn Controls(namespaces: Memo<Vec<String>>, has_unknown: Memo<bool>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let set = move |f: &dyn Fn(&mut fjc_snapshot::query::Filter)| {
        ctx.filter.update(|x| f(x));
        ctx.page.set(0);
    };
    let ns_opts = move || {
        namespaces
            .get()
            .into_iter()
            .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
            .collect::<Vec<_>>()
    };
    view! {
        <form class="filters" role="search" aria-label="Filter jobs" on:submit=|ev| ev.prevent_default()>
            <label for="f-text">"Search"</label>
            <input id="f-text" type="search" placeholder="job id, cluster, error…"
                prop:value=move || ctx.filter.with(|f| f.text.clone())
                on:input=move |ev| { let v = event_target_value(&ev); set(&|f| f.text = v.clone()) }/>
            <label for="f-state">"State"</label>
            <select id="f-state" on:change=move |ev| {
                let v = event_target_value(&ev);
                set(&|f| f.lifecycle = (!v.is_empty()).then(|| Shown::parse(&v)))
            } prop:value=move || ctx.filter.with(|f| f.lifecycle.map(Shown::as_str).unwrap_or("").to_string())>
                <option value="">"any"</option>
                {Shown::all().map(|l| view! { <option value=l.as_str() title=shown_hint(l)>{l.as_str()}</option> }).collect::<Vec<_>>()}
                {move || has_unknown.get().then(|| view! { <option value="UNKNOWN">"UNKNOWN"</option> })}
            </select>
            <label for="f-type">"Type"</label>
            <select id="f-type" on:change=move |ev| {
                let v = event_target_value(&ev);
                set(&|f| f.job_type = JobType::ALL.into_iter().find(|t| t.as_str() == v))
            } prop:value=move || ctx.filter.with(|f| f.job_type.map(|t| t.as_str()).unwrap_or("").to_string())>
                <option value="">"any"</option>
                <option value="stream">"stream"</option>
                <option value="batch">"batch"</option>
            </select>
            <label for="f-ns">"Namespace"</label>
            <select id="f-ns" on:change=move |ev| {
                let v = event_target_value(&ev);
                set(&|f| f.namespace = (!v.is_empty()).then(|| v.clone()))
            } prop:value=move || ctx.filter.with(|f| f.namespace.clone().unwrap_or_default())>
                <option value="">"any"</option>
                {ns_opts}
            </select>
            <label class="check"><input id="f-drift" type="checkbox"
                prop:checked=move || ctx.filter.with(|f| f.only_drift)
                on:change=move |ev| { let v = event_target_checked(&ev); set(&|f| f.only_drift = v) }/>
                " drift only"</label>
            <label class="check"><input id="f-errors" type="checkbox"
                prop:checked=move || ctx.filter.with(|f| f.only_errors)
                on:change=move |ev| { let v = event_target_checked(&ev); set(&|f| f.only_errors = v) }/>
                " errors only"</label>
            <label for="f-size">"Rows"</label>
            <select id="f-size" on:change=move |ev| {
                if let Ok(n) = event_target_value(&ev).parse::<usize>() { ctx.page_size.set(n); ctx.page.set(0); }
            } prop:value=move || ctx.page_size.get().to_string()>
                {PAGE_SIZES.into_iter().map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> }).collect::<Vec<_>>()}
            </select>
        </form>
    }
}

#[component]
fn Pager(current: Memo<fjc_snapshot::query::Page>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let go = move |delta: isize| {
        let p = current.get_untracked();
        let next = p.number.saturating_add_signed(delta).min(p.count - 1);
        ctx.page.set(next);
    };
    view! {
        <nav class="pager" aria-label="Pages of jobs">
            <button type="button" id="page-prev" on:click=move |_| go(-1)
                prop:disabled=move || current.get().number == 0>"← Previous"</button>
            <span id="page-label">{move || { let p = current.get(); format!("Page {} of {}", p.number + 1, p.count) }}</span>
            <button type="button" id="page-next" on:click=move |_| go(1)
                prop:disabled=move || { let p = current.get(); p.number + 1 >= p.count }>"Next →"</button>
        </nav>
    }
}
