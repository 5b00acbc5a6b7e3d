//! Formatting of times, durations and fingerprints.

use wasm_bindgen::JsValue;

/// Now, epoch ms (the browser's clock).
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `2026-11-26 13:48:05Z`.
pub fn utc(ms: i64) -> String {
    let iso: String = js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_iso_string()
        .into();
    match iso.get(..19) {
        Some(s) => format!("{}Z", s.replace('T', " ")),
        None => iso,
    }
}

/// A duration in ms as `45s`, `5m 3s`, `2h 5m`, `3d 4h`.
pub fn span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// `5m 3s ago` relative to `now` (`in 5m` for a time in the future).
pub fn ago(at: i64, now: i64) -> String {
    if at > now {
        format!("in {}", span(at - now))
    } else {
        format!("{} ago", span(now - at))
    }
}

/// The first 12 hex characters of a fingerprint.
pub fn short_fp(fp: &str) -> String {
    let hex = fp.strip_prefix("sha256:").unwrap_or(fp);
    hex.chars().take(12).collect()
}

/// `12,345`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
