//! YAML scalars to JSON values, following the YAML 1.2 core schema.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Number, Value};
use yaml_rust2::parser::Tag;

/// Prefix of the standard tags (`!!str` is `tag:yaml.org,2002:str`).
const CORE: &str = "tag:yaml.org,2002:";

static DECIMAL: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^[-+]?[0-9]+$").ok());
static FLOAT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").ok());

/// Resolves an untagged plain scalar: null, boolean, integer, float, else string.
///
/// Infinity and NaN have no JSON form, so `.inf` and `.nan` stay strings.
pub(super) fn resolve_plain(s: &str) -> Value {
    if let Some(v) = as_null(s).or_else(|| as_bool(s)).or_else(|| as_int(s)) {
        return v;
    }
    as_float(s).unwrap_or_else(|| Value::String(s.to_string()))
}

/// Resolves a scalar carrying an explicit tag (`!!str 10`, `!!int "3"`, `! x`).
pub(super) fn resolve_tagged(s: &str, tag: &Tag) -> Result<Value, String> {
    let name = format!("{}{}", tag.handle, tag.suffix);
    let resolved = match name.strip_prefix(CORE) {
        Some("str") => Some(Value::String(s.to_string())),
        Some("null") => as_null(s),
        Some("bool") => as_bool(s),
        Some("int") => as_int(s),
        Some("float") => as_int(s)
            .and_then(|v| v.as_f64())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .or_else(|| as_float(s)),
        // The non-specific tag `!` makes a scalar a string.
        None if name == "!" => Some(Value::String(s.to_string())),
        _ => return Err(format!("unsupported tag `{}`", display_tag(tag))),
    };
    resolved.ok_or_else(|| format!("{s:?} is not a valid `{}`", display_tag(tag)))
}

/// Whether a tag on a mapping (`want_map`) or sequence is acceptable.
pub(super) fn collection_tag_ok(tag: &Tag, want_map: bool) -> bool {
    let name = format!("{}{}", tag.handle, tag.suffix);
    name == "!" || name.strip_prefix(CORE) == Some(if want_map { "map" } else { "seq" })
}

/// `!!int` for standard tags, the full tag otherwise.
pub(super) fn display_tag(tag: &Tag) -> String {
    let name = format!("{}{}", tag.handle, tag.suffix);
    match name.strip_prefix(CORE) {
        Some(suffix) => format!("!!{suffix}"),
        None => name,
    }
}

fn as_null(s: &str) -> Option<Value> {
    matches!(s, "" | "~" | "null" | "Null" | "NULL").then_some(Value::Null)
}

fn as_bool(s: &str) -> Option<Value> {
    match s {
        "true" | "True" | "TRUE" => Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => Some(Value::Bool(false)),
        _ => None,
    }
}

fn as_int(s: &str) -> Option<Value> {
    if let Some(hex) = s.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(octal) = s.strip_prefix("0o") {
        return radix(octal, 8);
    }
    if !DECIMAL.as_ref().is_some_and(|re| re.is_match(s)) {
        return None;
    }
    let digits = s.strip_prefix('+').unwrap_or(s);
    if let Ok(i) = digits.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = digits.parse::<u64>() {
        return Some(Value::from(u));
    }
    // Too large for 64 bits: keep the magnitude as a float.
    digits
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn radix(digits: &str, radix: u32) -> Option<Value> {
    let valid = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    if !valid {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().map(Value::from)
}

fn as_float(s: &str) -> Option<Value> {
    if !FLOAT.as_ref().is_some_and(|re| re.is_match(s)) {
        return None;
    }
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn core_schema() {
        let cases = [
            ("", json!(null)),
            ("~", json!(null)),
            ("Null", json!(null)),
            ("true", json!(true)),
            ("FALSE", json!(false)),
            ("yes", json!("yes")),
            ("on", json!("on")),
            ("42", json!(42)),
            ("+42", json!(42)),
            ("-7", json!(-7)),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("0x", json!("0x")),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("1e400", json!("1e400")),
            ("1.5", json!(1.5)),
            (".5", json!(0.5)),
            ("1e3", json!(1000.0)),
            (".inf", json!(".inf")),
            ("30s", json!("30s")),
            ("1_000", json!("1_000")),
            ("1.2.3", json!("1.2.3")),
        ];
        for (input, expected) in cases {
            assert_eq!(resolve_plain(input), expected, "{input}");
        }
        assert!(resolve_plain("99999999999999999999").is_f64());
    }

    #[test]
    fn tags() {
        let tag = |suffix: &str| Tag {
            handle: CORE.to_string(),
            suffix: suffix.to_string(),
        };
        assert_eq!(resolve_tagged("10", &tag("str")), Ok(json!("10")));
        assert_eq!(resolve_tagged("10", &tag("int")), Ok(json!(10)));
        assert_eq!(resolve_tagged("10", &tag("float")), Ok(json!(10.0)));
        assert!(resolve_tagged("x", &tag("int")).is_err());
        assert!(resolve_tagged("x", &tag("binary")).is_err());
        let local = Tag {
            handle: "!".to_string(),
            suffix: "custom".to_string(),
        };
        assert_eq!(
            resolve_tagged("x", &local).unwrap_err(),
            "unsupported tag `!custom`"
        );
        let non_specific = Tag {
            handle: String::new(),
            suffix: "!".to_string(),
        };
        assert_eq!(resolve_tagged("true", &non_specific), Ok(json!("true")));
    }
}
