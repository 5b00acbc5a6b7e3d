//! Small predicates and parsers behind the semantic rules. Each returns `Err` with
//! a message for humans.

use std::str::FromStr;

use croner::parser::{CronParser, Seconds, Year};

/// `^[a-z0-9][a-z0-9-]{0,62}$`: job ids and cluster names.
pub(super) fn name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && s.len() <= 63 {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to 63 lowercase letters, digits or '-', starting with a letter or digit \
             (^[a-z0-9][a-z0-9-]{{0,62}}$), found {s:?}"
        ))
    }
}

/// `s3://bucket/key.jar`, or a relative path without `..` ending in `.jar`.
pub(super) fn artifact_path(s: &str) -> Result<(), String> {
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".to_string());
    }
    if let Some(rest) = s.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        s3_bucket(bucket)?;
        if key.is_empty() {
            return Err(format!(
                "S3 key is missing: expected s3://{bucket}/path/to/job.jar"
            ));
        }
        return file_name(key);
    }
    if s.contains("://") {
        return Err(format!(
            "unsupported location {s:?}: use s3://bucket/key.jar or a path relative to the \
             artifact root"
        ));
    }
    let drive = matches!(s.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    if s.starts_with(['/', '\\']) || drive {
        return Err(format!(
            "absolute path {s:?} not allowed: artifacts live below the configured artifact \
             root, give a path relative to it"
        ));
    }
    if s.split(['/', '\\']).any(|part| part == "..") {
        return Err("must not contain `..` components".to_string());
    }
    file_name(s)
}

fn file_name(path: &str) -> Result<(), String> {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match file.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => Ok(()),
        _ => Err(format!(
            "must name an artifact file (.jar, .sql, .py or .zip), found {path:?}"
        )),
    }
}

/// S3 bucket naming rules (general purpose buckets).
fn s3_bucket(bucket: &str) -> Result<(), String> {
    let chars_ok = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let looks_like_ip = bucket.split('.').count() == 4
        && bucket
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let valid = (3..=63).contains(&bucket.len())
        && chars_ok
        && ends_ok(bucket.chars().next())
        && ends_ok(bucket.chars().last())
        && !bucket.contains("..")
        && !looks_like_ip;
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid S3 bucket name {bucket:?}: 3 to 63 lowercase letters, digits, '.' or '-', \
             starting and ending with a letter or digit"
        ))
    }
}

/// `sha256:` and 64 lowercase hex digits.
pub(super) fn signature(s: &str) -> Result<(), String> {
    let hex = s.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() == 64
        && hex
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f'))
    {
        Ok(())
    } else {
        Err("must be sha256:<64 lowercase hex digits>".to_string())
    }
}

/// A URI with a scheme: `s3://bucket/savepoints`, `file:///data/savepoints`, ...
pub(super) fn uri(s: &str) -> Result<(), String> {
    let valid = s.split_once("://").is_some_and(|(scheme, rest)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            && !rest.is_empty()
            && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "must be a URI with a scheme, e.g. s3://bucket/savepoints or \
             file:///data/savepoints, found {s:?}"
        ))
    }
}

/// A checkpoint location the controller can list when it looks for restore points:
/// `file:` or `s3://` (also Flink's `s3a://` and `s3p://` names for S3).
pub(super) fn checkpoint_location(s: &str) -> Result<(), String> {
    uri(s)?;
    let scheme = s.split_once("://").map_or("", |(scheme, _)| scheme);
    if matches!(scheme, "file" | "s3" | "s3a" | "s3p") {
        Ok(())
    } else {
        Err(format!(
            "scheme {scheme:?} is not one the controller can read restore points from \
             (file:// and s3:// are)"
        ))
    }
}

/// A Java class name: dot-separated identifiers (`com.example.Main`, `a.B$Inner`).
pub(super) fn java_class(s: &str) -> Result<(), String> {
    let identifier = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if s.split('.').all(identifier) {
        Ok(())
    } else {
        Err(format!(
            "must be a fully qualified Java class name such as com.example.Main, found {s:?}"
        ))
    }
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`.
pub(super) fn env_var_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err("invalid variable name: must match ^[A-Za-z_][A-Za-z0-9_]*$".to_string())
    }
}

/// A value that starts with `secret://` must be `secret://<id>` or
/// `secret://<id>#<key>` (other values are taken literally).
pub(super) fn secret_ref(s: &str) -> Result<(), String> {
    let Some(rest) = s.strip_prefix("secret://") else {
        return Ok(());
    };
    let (id, key) = match rest.split_once('#') {
        Some((id, key)) => (id, Some(key)),
        None => (rest, None),
    };
    if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "secret reference: expected secret://<secret-id>#<key> with a non-empty id \
             and no whitespace"
                .to_string(),
        );
    }
    if key.is_some_and(str::is_empty) {
        return Err("secret reference: the key after # is empty".to_string());
    }
    Ok(())
}

/// A cron schedule: 5 fields, 6 with seconds first, or a macro such as `@daily`.
pub(super) fn cron(s: &str) -> Result<(), String> {
    let parser = CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build();
    parser
        .parse(s)
        .map(|_| ())
        .map_err(|e| format!("invalid cron schedule {s:?}: {e}"))
}

/// An IANA time zone name such as `Europe/Berlin` or `UTC`.
pub(super) fn timezone(s: &str) -> Result<(), String> {
    chrono_tz::Tz::from_str(s).map(|_| ()).map_err(|_| {
        format!("unknown time zone {s:?}: use an IANA name such as Europe/Berlin or UTC")
    })
}

/// A Python module path: dotted identifiers (`pipelines.orders`).
pub(super) fn python_module(s: &str) -> Result<(), String> {
    let ident = |p: &str| {
        let mut chars = p.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if s.split('.').all(ident) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a module path (dotted Python identifiers, e.g. pipelines.orders)"
        ))
    }
}
