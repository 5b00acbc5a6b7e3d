//! The app shell: shared state, polling, routing, and the stale / unreachable banners.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use fjc_snapshot::query::{Filter, Sort};
use fjc_snapshot::{JobDetail, Snapshot, job_document_key};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::fetch::{Fetched, first_load, load};
use crate::fmt::{ago, now_ms, span, utc};
use crate::route::Route;

/// How the last loads went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadStatus {
    /// When a load last succeeded (200 or 304).
    pub last_success: Option<i64>,
    /// Why the last load failed, if it did.
    pub error: Option<String>,
}

/// State shared by every view (all handles are `Copy`).
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The newest snapshot loaded.
    pub snapshot: RwSignal<Option<Arc<Snapshot>>>,
    /// The detail documents of the jobs whose page was opened, by job id.
    pub details: RwSignal<HashMap<String, DetailState>>,
    /// Load outcome.
    pub status: RwSignal<LoadStatus>,
    /// The browser's clock, ticking every second.
    pub now: RwSignal<i64>,
    /// Current page.
    pub route: RwSignal<Route>,
    /// Jobs table filter.
    pub filter: RwSignal<Filter>,
    /// Jobs table order.
    pub sort: RwSignal<Sort>,
    /// Jobs table page (from 0).
    pub page: RwSignal<usize>,
    /// Rows per page.
    pub page_size: RwSignal<usize>,
}

/// One job's detail document, by the version the snapshot names.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailState {
    /// Being fetched.
    Loading { version: String },
    /// Fetched.
    Ready {
        version: String,
        detail: Arc<JobDetail>,
    },
    /// The fetch failed.
    Failed { version: String, error: String },
}

impl DetailState {
    /// The version it is (being) fetched for.
    pub fn version(&self) -> &str {
        match self {
            DetailState::Loading { version }
            | DetailState::Ready { version, .. }
            | DetailState::Failed { version, .. } => version,
        }
    }
}

/// The URL of a job's detail document at `version`, next to the snapshot's.
pub fn document_url(namespace: &str, job_id: &str, version: &str) -> String {
    let url = settings().url;
    let path = url.split(['?', '#']).next().unwrap_or("");
    let base = path.rfind('/').map_or("", |i| &path[..=i]);
    format!("{base}{}?v={version}", job_document_key(namespace, job_id))
}

struct Settings {
    url: String,
    refresh: Duration,
}

fn settings() -> Settings {
    let search = window().location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k));
    Settings {
        url: crate::viewer::snapshot_url(get("snapshot").as_deref(), get("ns").as_deref(), |s| {
            String::from(js_sys::encode_uri_component(s))
        }),
        refresh: Duration::from_secs(
            get("refresh")
                .and_then(|r| r.parse::<u64>().ok())
                .unwrap_or(10)
                .clamp(1, 3600),
        ),
    }
}

/// Loads the snapshot now and then every `refresh`, never two loads at once.
fn poll(ctx: Ctx, settings: Settings) {
    let etag: Rc<RefCell<Option<String>>> = Rc::default();
    let busy = Rc::new(Cell::new(false));
    let first = Rc::new(Cell::new(true));
    let url = Rc::new(settings.url);
    let tick = move || {
        if busy.replace(true) {
            return;
        }
        let (etag, busy, url, first) = (etag.clone(), busy.clone(), url.clone(), first.clone());
        spawn_local(async move {
            let sent = etag.borrow().clone();
            let result = if first.replace(false) {
                first_load(&url).await
            } else {
                load(&url, sent.as_deref()).await
            };
            let now = now_ms();
            match result {
                Ok(Fetched::NotModified) => ctx.status.set(LoadStatus {
                    last_success: Some(now),
                    error: None,
                }),
                Ok(Fetched::Fresh {
                    snapshot,
                    etag: tag,
                }) => {
                    *etag.borrow_mut() = tag;
                    let first = ctx.snapshot.with_untracked(Option::is_none);
                    ctx.snapshot.set(Some(Arc::from(snapshot)));
                    ctx.status.set(LoadStatus {
                        last_success: Some(now),
                        error: None,
                    });
                    if first {
                        mark_first_render();
                    }
                }
                Err(e) => ctx.status.update(|s| s.error = Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    tick();
    set_interval(tick, settings.refresh);
}

/// Records `fjc-first-render` in the Performance timeline once the first snapshot
/// has been painted (read by bench.sh).
fn mark_first_render() {
    request_animation_frame(|| crate::perf::mark("fjc-first-render"));
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx {
        snapshot: RwSignal::new(None),
        details: RwSignal::new(HashMap::new()),
        status: RwSignal::new(LoadStatus::default()),
        now: RwSignal::new(now_ms()),
        route: RwSignal::new(Route::parse(&location_hash().unwrap_or_default())),
        filter: RwSignal::new(Filter::default()),
        sort: RwSignal::new(Sort::default()),
        page: RwSignal::new(0),
        page_size: RwSignal::new(100),
    };
    provide_context(ctx);
    set_interval(move || ctx.now.set(now_ms()), Duration::from_secs(1));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        ctx.route
            .set(Route::parse(&location_hash().unwrap_or_default()));
        window().scroll_to_with_x_and_y(0.0, 0.0);
    });
    // The app lives as long as the page.
    std::mem::forget(handle);
    poll(ctx, settings());

    view! {
        <header class="top">
            <h1><a href="#/">"Flink job controller"</a></h1>
            <crate::viewer::Viewer/>
            <Heartbeat/>
        </header>
        <Banners/>
        <main id="main" data-loaded=move || ctx.snapshot.with(Option::is_some).to_string()>
            {move || match ctx.route.get() {
                Route::Home => view! {
                    <crate::overview::Overview/>
                    <crate::jobs::JobsTable/>
                }
                .into_any(),
                Route::Job { namespace, job_id } => {
                    view! { <crate::detail::JobDetail namespace=namespace job_id=job_id/> }
                        .into_any()
                }
            }}
        </main>
    }
}

/// Heartbeat age and cycle duration, in the header.
#[component]
fn Heartbeat() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        let now = ctx.now.get();
        ctx.snapshot.get().map(|s| {
            let c = &s.controller;
            let stale = c.is_stale(now);
            view! {
                <p class="heartbeat" class:stale=stale>
                    "Controller heartbeat "
                    <strong id="heartbeat-age">{ago(c.heartbeat_at, now)}</strong>
                    " · last cycle " {span(c.cycle_duration_ms as i64)}
                    " · snapshot of " <time>{utc(s.generated_at)}</time>
                </p>
            }
        })
    }
}

/// Stale data, an unreachable snapshot, or no data yet: said in words, never a
/// blank page.
#[component]
fn Banners() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let stale = move || {
        let now = ctx.now.get();
        ctx.snapshot.get().and_then(|s| {
            let c = &s.controller;
            c.is_stale(now).then(|| {
                view! {
                    <div id="stale-warning" class="banner warn" role="alert">
                        <strong>"Stale data. "</strong>
                        "The controller's last heartbeat was " {ago(c.heartbeat_at, now)}
                        " (expected at least every " {span(c.stale_after_ms())}
                        "). The reconciler may be stopped or failing; what is shown may be out of date."
                    </div>
                }
            })
        })
    };
    let unreachable = move || {
        let st = ctx.status.get();
        let has_data = ctx.snapshot.with(Option::is_some);
        st.error.map(|e| {
            let since = match (has_data, st.last_success) {
                (true, Some(t)) => format!(". Showing the data loaded {}.", ago(t, ctx.now.get())),
                _ => ". No data loaded yet.".to_string(),
            };
            view! {
                <div id="unreachable-warning" class="banner error" role="alert">
                    <strong>"Snapshot unavailable. "</strong>
                    {e}
                    {since}
                </div>
            }
        })
    };
    let waiting = move || {
        (ctx.snapshot.with(Option::is_none) && ctx.status.with(|s| s.error.is_none())).then(|| {
            view! { <div class="banner info" role="status">"Loading the snapshot…"</div> }
        })
    };
    view! { {stale} {unreachable} {waiting} }
}
