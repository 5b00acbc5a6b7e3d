//! SVG charts: one job's life on one time axis with a lane per kind of event
//! (job page), and the fleet's last transitions over 24 hours (overview).

use fjc_snapshot::timeline::{Event, EventKind, events};
use fjc_snapshot::{JobView, Snapshot};
use leptos::prelude::*;

use crate::fmt::{clock, span, utc};
use crate::lifecycle::{Health, health};

/// A linear time scale onto `[x0, x1]` pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// First instant shown.
    pub from: i64,
    /// Last instant shown.
    pub to: i64,
    x0: f64,
    x1: f64,
}

impl Scale {
    /// `from..to` onto `x0..x1` (an empty range is widened by a minute).
    pub fn new(from: i64, to: i64, x0: f64, x1: f64) -> Scale {
        let to = if to > from { to } else { from + 60_000 };
        Scale { from, to, x0, x1 }
    }

    /// The x of an instant (clamped to the plot).
    pub fn x(&self, t: i64) -> f64 {
        let frac = (t - self.from) as f64 / (self.to - self.from) as f64;
        self.x0 + frac.clamp(0.0, 1.0) * (self.x1 - self.x0)
    }

    /// Round instants for the axis: at most `max` ticks a whole number of minutes,
    /// hours or days apart.
    pub fn ticks(&self, max: usize) -> Vec<i64> {
        const STEPS_MIN: [i64; 16] = [
            1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080, 20_160, 43_200,
        ];
        let range = self.to - self.from;
        let step = STEPS_MIN
            .iter()
            .map(|m| m * 60_000)
            .find(|s| range / s < max.max(1) as i64)
            .unwrap_or(range.max(1));
        let first =
            self.from.div_euclid(step) * step + if self.from % step == 0 { 0 } else { step };
        (0..)
            .map(|i| first + i * step)
            .take_while(|t| *t <= self.to)
            .collect()
    }

    /// Whether axis labels need the date (the range spans more than one UTC day).
    pub fn needs_date(&self) -> bool {
        self.from.div_euclid(86_400_000) != self.to.div_euclid(86_400_000)
    }
}

/// The instants a job's timeline spans: from its first event to the snapshot
/// time (or a later event or fire time), with a margin either side.
pub fn job_range(evs: &[Event], generated_at: i64, next_fire: Option<i64>) -> Option<(i64, i64)> {
    let first = evs.iter().map(|e| e.at).min()?;
    let last = evs
        .iter()
        .map(|e| e.until.unwrap_or(e.at))
        .chain([generated_at])
        .chain(next_fire)
        .max()
        .unwrap_or(generated_at);
    let pad = ((last - first) / 30).max(60_000);
    Some((first - pad, last + pad))
}

// Job timeline geometry (SVG user units; the SVG scales to the page width).
const JW: f64 = 960.0;
const LABEL_W: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 6.0;
const LANE_H: f64 = 26.0;
const EMPTY_LANE_H: f64 = 15.0;
const AXIS_H: f64 = 30.0;

fn lane_class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Apply => "ev-apply",
        EventKind::Command => "ev-command",
        EventKind::Deploy => "ev-deploy",
        EventKind::Savepoint => "ev-savepoint",
        EventKind::Recovery => "ev-recovery",
        EventKind::Rollback => "ev-rollback",
        EventKind::Run => "ev-run",
        EventKind::Error => "ev-error",
    }
}

/// One job's events on one time axis: a labelled lane per [`EventKind`], points
/// for events, bars for runs, what went wrong in red; every mark has a tooltip.
/// Below it, the same events as a list (newest first).
#[component]
pub fn JobTimeline(job: JobView, generated_at: i64) -> impl IntoView {
    let evs = events(&job);
    let Some((from, to)) = job_range(&evs, generated_at, job.next_fire_at) else {
        return view! {
            <h3 id="timeline-h">"Timeline"</h3>
            <p class="muted" id="job-timeline-empty">"No events recorded yet."</p>
        }
        .into_any();
    };
    let scale = Scale::new(from, to, LABEL_W, JW - RIGHT);
    // Every kind has its lane, in the same order on every job; a kind without
    // events gets a thin one, so the lanes with events stand out.
    let mut y = TOP;
    let lane_views = EventKind::ALL
        .into_iter()
        .map(|kind| {
            let n = evs.iter().filter(|e| e.kind == kind).count();
            let h = if n == 0 { EMPTY_LANE_H } else { LANE_H };
            let top = y;
            y += h;
            let mid = top + h / 2.0;
            let marks = evs
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| mark(e, &scale, mid, generated_at))
                .collect::<Vec<_>>();
            view! {
                <g class=format!("lane {}", lane_class(kind)) class:empty=n == 0 data-lane=kind.label()>
                    <rect class="stripe" x="0" y=top.to_string() width=JW.to_string() height=h.to_string()/>
                    <text class="lane-label" x=(LABEL_W - 8.0).to_string() y=(mid + 4.0).to_string()
                        text-anchor="end">{kind.label()}</text>
                    <line class="lane-rule" x1=LABEL_W.to_string() x2=(JW - RIGHT).to_string()
                        y1=mid.to_string() y2=mid.to_string()/>
                    {marks}
                </g>
            }
        })
        .collect::<Vec<_>>();
    let plot_bottom = y;
    let height = plot_bottom + AXIS_H;
    let with_date = scale.needs_date();

    let ticks = scale
        .ticks(8)
        .into_iter()
        .map(|t| {
            let x = scale.x(t).to_string();
            view! {
                <line class="grid" x1=x.clone() x2=x.clone() y1=TOP.to_string() y2=plot_bottom.to_string()/>
                <text class="tick" x=x y=(plot_bottom + 14.0).to_string() text-anchor="middle">{clock(t, with_date)}</text>
            }
        })
        .collect::<Vec<_>>();
    let snap_x = scale.x(generated_at).to_string();
    let next = job.next_fire_at.map(|t| {
        let x = scale.x(t).to_string();
        view! {
            <line class="next-fire" x1=x.clone() x2=x y1=TOP.to_string() y2=plot_bottom.to_string()>
                <title>{format!("next scheduled run {}", utc(t))}</title>
            </line>
        }
    });
    let label = format!(
        "Timeline of {}: {} events from {} to {}, one lane per kind of event",
        job.job_id,
        evs.len(),
        utc(from),
        utc(to)
    );
    let list = evs
        .iter()
        .rev()
        .map(|e| {
            view! {
                <tr class:bad=e.bad data-kind=e.kind.label()>
                    <td><time>{utc(e.at)}</time></td>
                    <td><span class=format!("sw {}", lane_class(e.kind))></span>{e.kind.label()}</td>
                    <td class="why">{e.text.clone()}
                        {e.until.map(|u| format!(" ({})", span(u - e.at)))}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <h3 id="timeline-h">"Timeline"</h3>
        <svg class="timeline" id="job-timeline" viewBox=format!("0 0 {JW} {height}") role="img"
            aria-label=label>
            {lane_views}
            {ticks}
            <line class="axis" x1=LABEL_W.to_string() x2=(JW - RIGHT).to_string()
                y1=plot_bottom.to_string() y2=plot_bottom.to_string()/>
            <line class="now" x1=snap_x.clone() x2=snap_x y1=TOP.to_string() y2=plot_bottom.to_string()>
                <title>{format!("snapshot {}", utc(generated_at))}</title>
            </line>
            {next}
            <text class="tick" x=(LABEL_W - 8.0).to_string() y=(plot_bottom + 14.0).to_string()
                text-anchor="end">"UTC"</text>
        </svg>
        <p class="legend">
            <span class="sw ok"></span>"event" <span class="sw bad"></span>"went wrong"
            <span class="sw bar"></span>"batch run" " · dotted line: snapshot time"
            {job.next_fire_at.map(|_| " · dashed line: next scheduled run")}
            " · hover a mark for details"
        </p>
        <details class="events">
            <summary>{format!("All {} events, newest first", evs.len())}</summary>
            <table class="grid" id="events" aria-label="Events of this job">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Lane"</th><th scope="col">"What"</th></tr></thead>
                <tbody>{list}</tbody>
            </table>
        </details>
    }
    .into_any()
}

/// One event: a bar for a span (a run; one still going ends at the snapshot
/// time), a dot otherwise.
fn mark(e: &Event, scale: &Scale, mid: f64, generated_at: i64) -> AnyView {
    let title = match e.until {
        Some(u) => format!(
            "{} – {} ({}): {}",
            utc(e.at),
            utc(u),
            span(u - e.at),
            e.text
        ),
        None if e.kind == EventKind::Run => format!("{} – still going: {}", utc(e.at), e.text),
        None => format!("{}: {}", utc(e.at), e.text),
    };
    let class = if e.bad { "mark bad" } else { "mark" };
    let x = scale.x(e.at);
    if e.kind == EventKind::Run {
        let end = scale.x(e.until.unwrap_or(generated_at));
        view! {
            <rect class=class class:open=e.until.is_none() data-kind=e.kind.label()
                x=x.to_string() y=(mid - 6.0).to_string() width=(end - x).max(3.0).to_string() height="12" rx="2">
                <title>{title}</title>
            </rect>
        }
        .into_any()
    } else {
        view! {
            <circle class=class data-kind=e.kind.label() cx=x.to_string() cy=mid.to_string()
                r=if e.bad { "6" } else { "5" }>
                <title>{title}</title>
            </circle>
        }
        .into_any()
    }
}

// Overview chart geometry.
const W: f64 = 960.0;
const H: f64 = 96.0;
const PAD: f64 = 8.0;
const DAY_MS: i64 = 86_400_000;
const BINS: usize = 48;

/// Jobs by the time of their last transition, in 30-minute bins over the 24 hours
/// before the snapshot, stacked by how their lifecycle stands now (four groups).
/// One pass over the jobs; the SVG is written as one string (a few hundred
/// elements set at once, not one DOM call per attribute).
#[component]
pub fn TransitionsChart(snap: std::sync::Arc<Snapshot>) -> impl IntoView {
    let to = snap.generated_at;
    let from = to - DAY_MS;
    let bin_ms = DAY_MS / BINS as i64;
    let mut bins = [[0usize; 4]; BINS];
    let mut shown = 0usize;
    for j in &snap.jobs {
        if let Some(t) = j.updated_at.filter(|t| (from..=to).contains(t)) {
            let b = (((t - from) / bin_ms) as usize).min(BINS - 1);
            bins[b][health(j.lifecycle) as usize] += 1;
            shown += 1;
        }
    }
    let svg = transitions_svg(&bins, from, to);
    let label = format!(
        "{shown} jobs changed state in the 24 hours before the snapshot, in 30-minute bins, by how they stand now"
    );
    let legend = Health::ALL
        .into_iter()
        .rev()
        .map(|h| {
            let (text, class) = h.label();
            view! { <span class=format!("sw {class}")></span>{text} }
        })
        .collect::<Vec<_>>();
    view! {
        <h3 id="transitions-h">"Last transitions (24 h, UTC)"</h3>
        <svg class="timeline" id="transitions" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label
            inner_html=svg></svg>
        <p class="legend" aria-hidden="true">{legend}</p>
    }
}

/// The chart's SVG content: a stacked bar per bin, time ticks.
fn transitions_svg(bins: &[[usize; 4]; BINS], from: i64, to: i64) -> String {
    use std::fmt::Write;
    let max = bins
        .iter()
        .map(|b| b.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = Scale::new(from, to, PAD, W - PAD);
    let bin_ms = (to - from) / BINS as i64;
    let bar_w = (W - 2.0 * PAD) / BINS as f64;
    let plot_h = H - 26.0;
    let mut out = String::with_capacity(16 * 1024);
    for (i, bin) in bins.iter().enumerate() {
        let mut y = plot_h + 4.0;
        let start = from + i as i64 * bin_ms;
        for h in Health::ALL {
            let n = bin[h as usize];
            if n == 0 {
                continue;
            }
            let height = n as f64 / max as f64 * plot_h;
            y -= height;
            let (text, class) = h.label();
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{height:.1}" class="{class}"><title>{n} {text} now, changed {}–{}</title></rect>"#,
                PAD + i as f64 * bar_w + 1.0,
                (bar_w - 2.0).max(1.0),
                clock(start, false),
                clock(start + bin_ms, false),
            );
        }
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{PAD}" y1="{0}" x2="{1}" y2="{0}"/>"#,
        H - 18.0,
        W - PAD
    );
    for t in scale.ticks(9) {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            scale.x(t),
            H - 4.0,
            clock(t, false)
        );
    }
    out
}

#[cfg(test)]
mod tests;
