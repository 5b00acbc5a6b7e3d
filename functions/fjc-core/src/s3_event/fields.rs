//! The values both shapes carry, checked and decoded, and the errors that name
//! where a value is wrong.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::EventError;

/// At most this many characters of a value from the event appear in a message.
const PREVIEW_CHARS: usize = 64;

/// Fails unless `found`, the value at `field`, is `wanted`.
pub(super) fn ensure_is(found: &str, wanted: &str, field: &str) -> Result<(), EventError> {
    if found == wanted {
        return Ok(());
    }
    let found = preview(found);
    Err(malformed(
        field,
        format!("expected {wanted:?}, found {found:?}"),
    ))
}

/// The bucket's `name` (`at` is the bucket's path): present, not empty, no '/'.
pub(super) fn bucket_name(name: Option<String>, at: &str) -> Result<String, EventError> {
    let field = join(at, "name");
    let name = required(name, &field)?;
    if name.is_empty() {
        return Err(malformed(&field, "is empty"));
    }
    if name.contains('/') {
        return Err(malformed(&field, "a bucket name cannot contain '/'"));
    }
    Ok(name)
}

/// The object's `key` (`at` is the object's path), present and decoded to a
/// non-empty key.
pub(super) fn object_key(raw: Option<String>, at: &str) -> Result<String, EventError> {
    let field = join(at, "key");
    let key = decode_key(&required(raw, &field)?).map_err(|reason| malformed(&field, reason))?;
    if key.is_empty() {
        return Err(malformed(&field, "is empty"));
    }
    Ok(key)
}

/// The version id, if any: unversioned buckets send null, an empty string or
/// nothing.
pub(super) fn version_id(id: Option<String>) -> Option<String> {
    id.filter(|id| !id.is_empty())
}

/// The object's `sequencer`, if any, which must be hex.
pub(super) fn sequencer(sequencer: Option<String>, at: &str) -> Result<Option<String>, EventError> {
    match sequencer.filter(|s| !s.is_empty()) {
        Some(s) if !s.bytes().all(|b| b.is_ascii_hexdigit()) => Err(malformed(
            &join(at, "sequencer"),
            format!("expected hex digits, found {:?}", preview(&s)),
        )),
        sequencer => Ok(sequencer),
    }
}

/// The object's `size`, if any, which cannot be negative.
pub(super) fn size(size: Option<i64>, at: &str) -> Result<Option<i64>, EventError> {
    match size {
        Some(n) if n < 0 => Err(malformed(
            &join(at, "size"),
            format!("expected a byte count, found {n}"),
        )),
        size => Ok(size),
    }
}

/// Decodes a key encoded like an HTML form field: `+` is a space and `%XX` a
/// byte; the bytes must form UTF-8.
fn decode_key(raw: &str) -> Result<String, String> {
    // `percent_decode_str` passes a '%' without two hex digits through; S3 would
    // have sent it as %25, so such a key is refused.
    let is_escape = |i: usize| {
        raw.get(i + 1..i + 3)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if let Some((i, _)) = raw.match_indices('%').find(|&(i, _)| !is_escape(i)) {
        return Err(format!(
            "invalid URL encoding at byte {i}: '%' must be followed by two hex digits"
        ));
    }
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| "URL-decodes to bytes that are not UTF-8".to_string())
}

/// `value` read as `T`; an error names the JSON path of the field at fault
/// (`at`, the path of `value`, followed by the path below it).
pub(super) fn typed<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let mut field = at.to_string();
        for segment in err.path().iter() {
            match segment {
                Segment::Seq { index } => field.push_str(&format!("[{index}]")),
                other => field = join(&field, &other.to_string()),
            }
        }
        let reason = err.inner().to_string();
        // Serde reports a missing field at the object that lacks it.
        match reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            Some(name) => malformed(&join(&field, name), "is missing"),
            // A reason quotes the value at fault: keep its start and its end.
            None => malformed(&field, cut(&reason, PREVIEW_CHARS, PREVIEW_CHARS)),
        }
    })
}

/// `value`, or the error that the field at `field` is missing.
pub(super) fn required<T>(value: Option<T>, field: &str) -> Result<T, EventError> {
    value.ok_or_else(|| malformed(field, "is missing"))
}

/// `parent.name`, or `name` at the top level.
pub(super) fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The error for the field at `field` (`""` for the whole event).
pub(super) fn malformed(field: &str, reason: impl Into<String>) -> EventError {
    EventError::Malformed {
        field: if field.is_empty() { "$" } else { field }.to_string(),
        reason: reason.into(),
    }
}

/// A value from the event, cut short for messages.
pub(super) fn preview(text: &str) -> String {
    cut(text, PREVIEW_CHARS, 0)
}

/// `text` whole if short, else its first `head` and last `tail` characters
/// around an ellipsis.
fn cut(text: &str, head: usize, tail: usize) -> String {
    let count = text.chars().count();
    if count <= head + tail {
        return text.to_string();
    }
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}
