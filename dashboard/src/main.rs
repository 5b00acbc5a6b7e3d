//! The fjc dashboard: a Leptos client-side app that polls the status snapshot the
//! controller publishes (`snapshot.json`) and shows it. No credentials, no server
//! logic: any static host works.
//!
//! Query parameters: `snapshot=URL` (default `snapshot.json` beside the page),
//! `ns=NAMESPACE` (behind the stack's sign-in: that namespace's overview, as
//! `snapshot.json?ns=`), `refresh=SECONDS` (default 10).

mod app;
mod describe;
mod detail;
mod fetch;
mod fmt;
mod jobs;
mod lifecycle;
mod lite;
mod overview;
mod perf;
mod route;
mod timeline;
mod viewer;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
