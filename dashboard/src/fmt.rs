//! Formatting of times, durations and fingerprints. Pure Rust (no JavaScript
//! calls) except [`now_ms`], so it is unit-tested on the host and costs nothing per
//! call in the browser.

/// Now, epoch ms (the browser's clock).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Now, epoch ms (host builds: unit tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Date and time of day (h, min, s) of an epoch ms, in UTC.
fn parts(ms: i64) -> ((i64, u32, u32), (i64, i64, i64)) {
    let secs = ms.div_euclid(1000);
    let day = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    (civil(day), (s / 3600, s % 3600 / 60, s % 60))
}

/// `2026-11-26 13:48:05Z`.
pub fn utc(ms: i64) -> String {
    let ((y, mo, d), (h, mi, s)) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

/// A short axis label: `13:48` (or `11-26 13:48` when `with_date`).
pub fn clock(ms: i64, with_date: bool) -> String {
    let ((_, mo, d), (h, mi, _)) = parts(ms);
    if with_date {
        format!("{mo:02}-{d:02} {h:02}:{mi:02}")
    } else {
        format!("{h:02}:{mi:02}")
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

/// A window in seconds as `1h`, `30m`, `2d`, `90s` (whole units only).
pub fn window(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        s if s >= 3600 && s.is_multiple_of(3600) => format!("{}h", s / 3600),
        s if s >= 60 && s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
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

/// The first 12 hex characters of a fingerprint or digest.
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

/// `1 job`, `2 jobs`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_matches_the_calendar() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(1_800_000_000_000), "2027-01-15 08:00:00Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00Z");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59Z");
        assert_eq!(clock(1_800_000_000_000 + 90_000, false), "08:01");
        assert_eq!(clock(1_800_000_000_000, true), "01-15 08:00");
    }

    #[test]
    fn durations_and_counts() {
        assert_eq!(span(45_000), "45s");
        assert_eq!(span(303_000), "5m 3s");
        assert_eq!(span(7_500_000), "2h 5m");
        assert_eq!(ago(0, 60_000), "1m 0s ago");
        assert_eq!(ago(60_000, 0), "in 1m 0s");
        assert_eq!(window(3600), "1h");
        assert_eq!(window(5400), "90m");
        assert_eq!(window(45), "45s");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(plural(1, "job", "jobs"), "1 job");
        assert_eq!(short_fp("sha256:0123456789abcdef"), "0123456789ab");
    }
}
