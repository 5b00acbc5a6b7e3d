//! Marks in the browser's Performance timeline, read by `bench.sh` to split the
//! time to first render into download, parse and render.

/// Records a mark named `name` now (nothing outside a browser).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}
