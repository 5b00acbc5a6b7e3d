//! Cron schedules in a time zone: a pure function of (schedule, last handled fire
//! time, now).
//!
//! Fire times are matched on the local wall clock of the schedule's time zone.
//! Daylight-saving rule:
//! - **Spring forward** (a local hour does not exist): a fire time inside the gap runs
//!   once, at the instant the gap ends (a `30 2 * * *` job runs at 03:00 on the day
//!   02:00 jumps to 03:00). Several fire times inside one gap collapse into that one run.
//! - **Fall back** (a local hour happens twice): a fire time in the repeated hour runs
//!   once, at its first occurrence; the repeat is skipped.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::clock::EpochMs;

/// Fire times enumerated at most per call (a long outage with a per-second schedule
/// is counted as "at least" this many missed runs).
pub const MAX_ENUMERATED: u32 = 10_000;

/// A parsed cron schedule with its time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    /// Parses a 5- or 6-field expression or a macro (`@daily`) and an IANA zone
    /// (default UTC).
    pub fn parse(expr: &str, timezone: Option<&str>) -> Result<Schedule, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(expr)
            .map_err(|e| format!("invalid cron schedule {expr:?}: {e}"))?;
        let tz = match timezone {
            None => Tz::UTC,
            Some(name) => name
                .parse::<Tz>()
                .map_err(|_| format!("unknown time zone {name:?}"))?,
        };
        Ok(Schedule { cron, tz })
    }

    /// The first fire instant strictly after `after`.
    pub fn next_after(&self, after: EpochMs) -> Option<EpochMs> {
        let start = DateTime::<Utc>::from_timestamp_millis(after)?;
        let mut cursor = start.with_timezone(&self.tz).naive_local();
        for _ in 0..1000 {
            let wall = self.cron.find_next_occurrence(&cursor, false).ok()?;
            let at = self.resolve(wall)?.timestamp_millis();
            if at > after {
                return Some(at);
            }
            // A wall time that resolves to an instant we are already past (the
            // second occurrence of a repeated hour): keep looking.
            cursor = wall;
        }
        None
    }

    /// Maps a wall-clock time to an instant by the DST rule above.
    fn resolve(&self, wall: NaiveDateTime) -> Option<DateTime<Tz>> {
        match self.tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => Some(t),
            LocalResult::Ambiguous(first, _) => Some(first),
            LocalResult::None => (1..=24 * 60).find_map(|m| {
                let later = wall + Duration::minutes(m);
                // The first whole minute after the gap: its end.
                let later = later.with_second(0)?.with_nanosecond(0)?;
                self.tz.from_local_datetime(&later).earliest()
            }),
        }
    }
}

use chrono::Timelike;

/// What is due now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// The fire time to start a run for now (the latest one due), if any.
    pub fire_at: Option<EpochMs>,
    /// Fire times passed over without a run (older ones, or past the deadline).
    pub missed: u32,
    /// The latest fire time handled (started or missed): the new "last scheduled".
    pub handled_up_to: Option<EpochMs>,
    /// The next fire time after now.
    pub next_fire: Option<EpochMs>,
}

/// Fire times in `(last, now]`: the latest is due unless it is older than the
/// starting deadline; every other one is missed (runs are never queued).
pub fn due(schedule: &Schedule, last: EpochMs, now: EpochMs, deadline_ms: Option<i64>) -> Due {
    let mut count = 0u32;
    let mut latest = None;
    let mut cursor = last;
    while let Some(t) = schedule.next_after(cursor) {
        if t > now || count >= MAX_ENUMERATED {
            break;
        }
        count += 1;
        latest = Some(t);
        cursor = t;
    }
    let next_fire = schedule.next_after(now.max(cursor));
    let Some(latest) = latest else {
        return Due {
            next_fire,
            ..Due::default()
        };
    };
    let too_late = deadline_ms.is_some_and(|d| now - latest > d);
    Due {
        fire_at: (!too_late).then_some(latest),
        missed: if too_late { count } else { count - 1 },
        handled_up_to: Some(latest),
        next_fire,
    }
}

#[cfg(test)]
mod tests;
