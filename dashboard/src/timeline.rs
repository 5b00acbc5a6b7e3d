//! Small SVG timelines: the jobs' last transitions over the last 24 hours (overview),
//! and one job's events and runs (detail).

use std::collections::BTreeMap;
use std::sync::Arc;

use fjc_snapshot::{JobView, Lifecycle, RunOutcome, Snapshot};
use leptos::prelude::*;

use crate::fmt::{span, utc};

const W: f64 = 720.0;
const H: f64 = 90.0;
const PAD: f64 = 8.0;
const DAY_MS: i64 = 86_400_000;
const BINS: usize = 48;

fn x_of(t: i64, from: i64, to: i64) -> f64 {
    let frac = (t - from) as f64 / ((to - from).max(1)) as f64;
    PAD + frac.clamp(0.0, 1.0) * (W - 2.0 * PAD)
}

fn axis(from: i64, to: i64) -> impl IntoView {
    view! {
        <line x1=PAD.to_string() y1={(H - 18.0).to_string()} x2={(W - PAD).to_string()} y2={(H - 18.0).to_string()} class="axis"/>
        <text x=PAD.to_string() y={(H - 4.0).to_string()} class="tick">{utc(from)}</text>
        <text x={(W - PAD).to_string()} y={(H - 4.0).to_string()} class="tick" text-anchor="end">{utc(to)}</text>
    }
}

/// Jobs by the time of their last transition, in 30-minute bins over the 24 hours
/// before the snapshot, stacked by lifecycle.
#[component]
pub fn TransitionsChart(snap: Arc<Snapshot>) -> impl IntoView {
    let to = snap.generated_at;
    let from = to - DAY_MS;
    let bin_ms = DAY_MS / BINS as i64;
    let mut bins: Vec<BTreeMap<Lifecycle, usize>> = vec![BTreeMap::new(); BINS];
    let mut shown = 0usize;
    for j in &snap.jobs {
        if let Some(t) = j.updated_at.filter(|t| (from..=to).contains(t)) {
            let b = (((t - from) / bin_ms) as usize).min(BINS - 1);
            *bins[b].entry(j.lifecycle).or_default() += 1;
            shown += 1;
        }
    }
    let max = bins
        .iter()
        .map(|b| b.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let bar_w = (W - 2.0 * PAD) / BINS as f64;
    let plot_h = H - 26.0;
    let mut rects = Vec::new();
    for (i, bin) in bins.iter().enumerate() {
        let mut y = plot_h + 4.0;
        for (lc, n) in bin {
            let h = (*n as f64 / max as f64) * plot_h;
            y -= h;
            let start = from + i as i64 * bin_ms;
            let title = format!("{n} {} since {}", lc.as_str(), utc(start));
            rects.push(view! {
                <rect x={(PAD + i as f64 * bar_w + 1.0).to_string()} y=y.to_string()
                    width={(bar_w - 2.0).max(1.0).to_string()} height=h.to_string()
                    class=format!("lc-{}", lc.as_str().to_lowercase())>
                    <title>{title}</title>
                </rect>
            });
        }
    }
    let label = format!(
        "{shown} jobs changed state in the 24 hours before the snapshot, in 30-minute bins"
    );
    view! {
        <h3 id="transitions-h">"Last transitions (24 h)"</h3>
        <svg class="timeline" id="transitions" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label>
            {rects}
            {axis(from, to)}
        </svg>
    }
}

/// One job's known events (last change, operation start, error, savepoint,
/// revisions, spec applied) as marks, and its runs as bars.
#[component]
pub fn JobChart(job: JobView, generated_at: i64) -> impl IntoView {
    let mut marks: Vec<(i64, String, &'static str)> = Vec::new();
    if let Some(t) = job.updated_at {
        marks.push((
            t,
            format!("{} since {}", job.lifecycle.as_str(), utc(t)),
            "mark-state",
        ));
    }
    if let Some(o) = &job.operation {
        marks.push((
            o.started_at,
            format!("{} started {}", o.kind, utc(o.started_at)),
            "mark-op",
        ));
    }
    if let Some(e) = &job.last_error {
        marks.push((
            e.at,
            format!("error at {}: {}", utc(e.at), e.message),
            "mark-err",
        ));
    }
    if let Some(s) = &job.last_savepoint {
        marks.push((s.at, format!("savepoint at {}", utc(s.at)), "mark-sp"));
    }
    for r in &job.revisions {
        if let Some(t) = r.deployed_at {
            marks.push((
                t,
                format!("revision {} deployed {}", r.number, utc(t)),
                "mark-rev",
            ));
        }
    }
    if let Some(t) = job.spec.as_ref().and_then(|s| s.applied_at) {
        marks.push((t, format!("spec applied {}", utc(t)), "mark-spec"));
    }
    let runs: Vec<(i64, i64, RunOutcome)> = job
        .runs
        .iter()
        .map(|r| (r.started_at, r.ended_at.unwrap_or(generated_at), r.outcome))
        .collect();
    let earliest = marks
        .iter()
        .map(|m| m.0)
        .chain(runs.iter().map(|r| r.0))
        .min();
    let Some(earliest) = earliest else {
        return view! { <p class="muted">"No events to plot."</p> }.into_any();
    };
    let to = generated_at.max(job.next_fire_at.unwrap_or(generated_at));
    let from = earliest - ((to - earliest) / 20).max(60_000);
    let bars = runs
        .into_iter()
        .map(|(s, e, outcome)| {
            let (x1, x2) = (x_of(s, from, to), x_of(e, from, to));
            let class = format!("run run-{}", format!("{outcome:?}").to_lowercase());
            view! {
                <rect x=x1.to_string() y="30" width={(x2 - x1).max(2.0).to_string()} height="16" class=class>
                    <title>{format!("run from {} for {}", utc(s), span(e - s))}</title>
                </rect>
            }
        })
        .collect::<Vec<_>>();
    let dots = marks
        .into_iter()
        .map(|(t, title, class)| {
            view! {
                // Errors and savepoints on a second row, so same-time marks stay visible.
                <circle cx={x_of(t, from, to).to_string()}
                    cy=if matches!(class, "mark-err" | "mark-sp" | "mark-rev") { "24" } else { "12" }
                    r="5" class=class>
                    <title>{title}</title>
                </circle>
            }
        })
        .collect::<Vec<_>>();
    let next = job.next_fire_at.map(|t| {
        let x = x_of(t, from, to).to_string();
        view! {
            <line x1=x.clone() y1="8" x2=x y2={(H - 18.0).to_string()} class="next-fire">
                <title>{format!("next run {}", utc(t))}</title>
            </line>
        }
    });
    view! {
        <h3>"Timeline"</h3>
        <svg class="timeline" id="job-timeline" viewBox=format!("0 0 {W} {H}") role="img"
            aria-label="Known events of this job: state changes, operations, errors, savepoints and runs">
            {bars}
            {dots}
            {next}
            {axis(from, to)}
        </svg>
        <p class="legend" aria-hidden="true">
            <span class="sw mark-state"></span>"state change"
            <span class="sw mark-op"></span>"operation"
            <span class="sw mark-err"></span>"error"
            <span class="sw mark-sp"></span>"savepoint / revision"
            <span class="sw mark-spec"></span>"spec applied"
            <span class="sw run-finished"></span>"run"
            " · dashed line: next run"
        </p>
    }
    .into_any()
}
