//! Scheduler tests with a fake clock: time zones, DST both ways, missed runs and
//! deadlines.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::*;

fn at(tz: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> EpochMs {
    let tz: Tz = tz.parse().unwrap();
    let naive = NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap();
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap()
        .timestamp_millis()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> EpochMs {
    at("UTC", y, mo, d, h, mi)
}

fn fires(s: &Schedule, from: EpochMs, until: EpochMs) -> Vec<EpochMs> {
    let mut out = Vec::new();
    let mut c = from;
    while let Some(t) = s.next_after(c) {
        if t > until {
            break;
        }
        out.push(t);
        c = t;
    }
    out
}

const HOUR: i64 = 3_600_000;

#[test]
fn five_six_field_and_macros() {
    let s = Schedule::parse("0 2 * * *", None).unwrap();
    assert_eq!(
        s.next_after(utc(2026, 1, 1, 0, 0)),
        Some(utc(2026, 1, 1, 2, 0))
    );
    let s = Schedule::parse("30 0 2 * * *", None).unwrap();
    assert_eq!(
        s.next_after(utc(2026, 1, 1, 0, 0)),
        Some(utc(2026, 1, 1, 2, 0) + 30_000)
    );
    let s = Schedule::parse("@daily", None).unwrap();
    assert_eq!(
        s.next_after(utc(2026, 1, 1, 5, 0)),
        Some(utc(2026, 1, 2, 0, 0))
    );
    assert!(Schedule::parse("61 * * * *", None).is_err());
    assert!(Schedule::parse("0 2 * * *", Some("Mars/Olympus")).is_err());
}

#[test]
fn time_zone_is_the_wall_clock() {
    let s = Schedule::parse("0 2 * * *", Some("Asia/Tokyo")).unwrap();
    // 02:00 in Tokyo is 17:00 UTC the day before.
    assert_eq!(
        s.next_after(utc(2026, 3, 1, 0, 0)),
        Some(utc(2026, 3, 1, 17, 0))
    );
}

#[test]
fn spring_forward_gap_runs_once_at_gap_end() {
    // Europe/Berlin 2026-03-29: 02:00 jumps to 03:00.
    let s = Schedule::parse("30 2 * * *", Some("Europe/Berlin")).unwrap();
    let day = fires(
        &s,
        at("Europe/Berlin", 2026, 3, 28, 12, 0),
        at("Europe/Berlin", 2026, 3, 30, 0, 0),
    );
    assert_eq!(day, vec![at("Europe/Berlin", 2026, 3, 29, 3, 0)]);
    // Every 15 minutes through the gap: 02:00..02:45 collapse into one run at 03:00.
    let s = Schedule::parse("*/15 * * * *", Some("Europe/Berlin")).unwrap();
    let got = fires(
        &s,
        at("Europe/Berlin", 2026, 3, 29, 1, 30),
        at("Europe/Berlin", 2026, 3, 29, 3, 20),
    );
    let want = vec![
        at("Europe/Berlin", 2026, 3, 29, 1, 45),
        at("Europe/Berlin", 2026, 3, 29, 3, 0),
        at("Europe/Berlin", 2026, 3, 29, 3, 15),
    ];
    assert_eq!(got, want);
}

#[test]
fn fall_back_repeated_hour_runs_once() {
    // America/New_York 2026-11-01: 02:00 EDT falls back to 01:00 EST.
    let s = Schedule::parse("30 1 * * *", Some("America/New_York")).unwrap();
    let from = at("America/New_York", 2026, 10, 31, 12, 0);
    let got = fires(&s, from, from + 30 * HOUR);
    assert_eq!(got.len(), 1, "{got:?}");
    // The first occurrence: 05:30 UTC (01:30 EDT), not 06:30 UTC (01:30 EST).
    assert_eq!(got[0], utc(2026, 11, 1, 5, 30));
    // Hourly: 00:00, 01:00 (EDT), then 02:00 EST — the repeated 01:00 EST is skipped.
    let s = Schedule::parse("0 * * * *", Some("America/New_York")).unwrap();
    let got = fires(&s, utc(2026, 11, 1, 3, 30), utc(2026, 11, 1, 7, 30));
    assert_eq!(
        got,
        vec![
            utc(2026, 11, 1, 4, 0),
            utc(2026, 11, 1, 5, 0),
            utc(2026, 11, 1, 7, 0)
        ]
    );
    // Starting inside the repeated hour (second occurrence) never goes backwards.
    let s = Schedule::parse("*/15 * * * *", Some("America/New_York")).unwrap();
    let inside = utc(2026, 11, 1, 6, 40); // 01:40 EST
    assert_eq!(s.next_after(inside), Some(utc(2026, 11, 1, 7, 0)));
}

#[test]
fn due_starts_the_latest_and_counts_the_missed() {
    let s = Schedule::parse("*/5 * * * *", None).unwrap();
    let last = utc(2026, 1, 1, 0, 0);
    // Nothing due yet.
    let d = due(&s, last, last + 60_000, None);
    assert_eq!(d.fire_at, None);
    assert_eq!(d.missed, 0);
    assert_eq!(d.next_fire, Some(utc(2026, 1, 1, 0, 5)));
    // One due.
    let d = due(&s, last, utc(2026, 1, 1, 0, 5) + 1_000, None);
    assert_eq!(d.fire_at, Some(utc(2026, 1, 1, 0, 5)));
    assert_eq!(d.missed, 0);
    assert_eq!(d.handled_up_to, d.fire_at);
    // An outage of 22 minutes: 4 fire times; the latest runs, 3 are missed.
    let d = due(&s, last, utc(2026, 1, 1, 0, 22), None);
    assert_eq!(d.fire_at, Some(utc(2026, 1, 1, 0, 20)));
    assert_eq!(d.missed, 3);
    assert_eq!(d.next_fire, Some(utc(2026, 1, 1, 0, 25)));
}

#[test]
fn starting_deadline_skips_a_late_run() {
    let s = Schedule::parse("0 * * * *", None).unwrap();
    let last = utc(2026, 1, 1, 0, 0);
    let now = utc(2026, 1, 1, 1, 10);
    let d = due(&s, last, now, Some(5 * 60_000));
    assert_eq!(d.fire_at, None, "10 minutes late with a 5 minute deadline");
    assert_eq!(d.missed, 1);
    assert_eq!(d.handled_up_to, Some(utc(2026, 1, 1, 1, 0)));
    let d = due(&s, last, now, Some(15 * 60_000));
    assert_eq!(d.fire_at, Some(utc(2026, 1, 1, 1, 0)));
}

#[test]
fn enumeration_is_bounded() {
    let s = Schedule::parse("* * * * * *", None).unwrap();
    let d = due(&s, 0, 365 * 24 * HOUR, None);
    assert_eq!(d.missed, MAX_ENUMERATED - 1);
}

/// The behaviour that chose `croner` over the `cron` crate (README, "Why croner"):
/// days of the week as crontab numbers them (0 and 7 are Sunday, 1-5 is Monday to
/// Friday), five-field expressions without a seconds field, and a day-of-month
/// with a day-of-week matching either (Vixie cron), not both.
#[test]
fn weekdays_and_day_fields_read_as_crontab_reads_them() {
    // Wednesday 2 December 2026.
    let wed = utc(2026, 12, 2, 12, 0);
    let weekdays = Schedule::parse("0 9 * * 1-5", None).unwrap();
    assert_eq!(
        fires(&weekdays, wed, utc(2026, 12, 9, 0, 0)),
        [
            utc(2026, 12, 3, 9, 0),
            utc(2026, 12, 4, 9, 0),
            utc(2026, 12, 7, 9, 0),
            utc(2026, 12, 8, 9, 0)
        ],
        "Thursday, Friday, Monday, Tuesday: never the weekend"
    );
    for sunday in ["0 16 * * 0", "0 16 * * 7", "0 16 * * SUN", "@weekly"] {
        let s = Schedule::parse(sunday, None).unwrap();
        let next = s.next_after(wed).unwrap();
        let day = chrono::DateTime::<Utc>::from_timestamp_millis(next).unwrap();
        assert_eq!(
            chrono::Datelike::weekday(&day),
            chrono::Weekday::Sun,
            "{sunday}"
        );
    }
    // The 13th or a Friday: Friday 4th, Friday 11th, Sunday 13th.
    let either = Schedule::parse("0 0 13 * 5", None).unwrap();
    assert_eq!(
        fires(&either, wed, utc(2026, 12, 14, 0, 0)),
        [
            utc(2026, 12, 4, 0, 0),
            utc(2026, 12, 11, 0, 0),
            utc(2026, 12, 13, 0, 0)
        ]
    );
}
