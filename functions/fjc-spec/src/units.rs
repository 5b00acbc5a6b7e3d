//! Durations (`500ms`, `30s`, `5m`, `2h`, `1d`) and memory sizes (`512m`, `2g`,
//! `1024kb`) as written in specs, and their rendering for Flink configuration.
//!
//! Both are an integer, an optional single space and a unit. Zero is accepted
//! here; validation decides whether zero makes sense for a field.

use std::time::Duration;

/// Parses a duration such as `500ms`, `30s`, `5m`, `2h` or `1d`.
///
/// Units are `ms`, `s`, `m` (minutes), `h` and `d`, lowercase. The error is a
/// human-readable explanation.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "invalid duration {s:?}: expected an integer and a unit (ms, s, m, h or d), e.g. 30s"
        )
    };
    let (amount, unit) = split_amount(s).ok_or_else(invalid)?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(invalid()),
    };
    amount
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration {s:?} is too large"))
}

/// Parses a memory size such as `512m`, `2g`, `1024k`, `1t` or `64mb` into bytes.
///
/// Units are `b`, `k`/`kb`, `m`/`mb`, `g`/`gb` and `t`/`tb` in any case, with
/// binary multiples (1k = 1024 bytes) as in Flink's `MemorySize`. Only integers
/// are accepted because Flink's `MemorySize` rejects fractions.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "invalid size {s:?}: expected an integer and a unit (b, k, m, g or t, optionally \
             followed by b), e.g. 512m or 2g"
        )
    };
    let (amount, unit) = split_amount(s).ok_or_else(invalid)?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        _ => return Err(invalid()),
    };
    amount
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

/// Renders a duration the way Flink configuration expects it: `<millis> ms`.
pub fn flink_duration(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// Splits `"30s"` / `"30 s"` into `(30, "s")`. `None` unless the text is ASCII
/// digits, at most one space and a non-empty alphabetic unit.
fn split_amount(s: &str) -> Option<(u64, &str)> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit())?;
    let (digits, rest) = s.split_at(digits_end);
    let unit = rest.strip_prefix(' ').unwrap_or(rest);
    if digits.is_empty() || unit.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    // Digits only, so the only possible failure is overflow.
    digits.parse().ok().map(|amount| (amount, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = [
            ("500ms", 500),
            ("30s", 30_000),
            ("30 s", 30_000),
            ("5m", 300_000),
            ("2h", 7_200_000),
            ("1d", 86_400_000),
            ("0s", 0),
            ("007s", 7_000),
        ];
        for (input, millis) in ok {
            assert_eq!(
                parse_duration(input),
                Ok(Duration::from_millis(millis)),
                "{input}"
            );
        }
        let bad = [
            "",
            "s",
            "30",
            "30x",
            "1.5s",
            "-1s",
            "+1s",
            " 30s",
            "30s ",
            "30  s",
            "30S",
            "30sec",
            "1 m s",
            "3０s",
            "99999999999999999999999s",
        ];
        for input in bad {
            assert!(
                parse_duration(input).is_err(),
                "{input:?} should be rejected"
            );
        }
        assert!(
            parse_duration("18446744073709551615d")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn sizes() {
        let ok = [
            ("512m", 512 << 20),
            ("512MB", 512 << 20),
            ("2g", 2 << 30),
            ("2 GB", 2 << 30),
            ("1024k", 1 << 20),
            ("1024Kb", 1 << 20),
            ("1t", 1 << 40),
            ("1tb", 1 << 40),
            ("100b", 100),
            ("0m", 0),
        ];
        for (input, bytes) in ok {
            assert_eq!(parse_size(input), Ok(bytes), "{input}");
        }
        let bad = [
            "",
            "m",
            "512",
            "1.5g",
            "-1g",
            "2gib",
            "2x",
            " 2g",
            "2 g ",
            "16777216t",
        ];
        for input in bad {
            assert!(parse_size(input).is_err(), "{input:?} should be rejected");
        }
    }

    #[test]
    fn flink_rendering() {
        assert_eq!(flink_duration(Duration::from_secs(30)), "30000 ms");
        assert_eq!(flink_duration(Duration::from_millis(0)), "0 ms");
    }
}
