//! What S3 tells the `artifact-event` function: the objects that were created.
//!
//! [`parse_event`] accepts the three shapes S3 delivers:
//! - an S3 event notification, `{"Records": [...]}` with `eventSource` `aws:s3`;
//! - an EventBridge event from S3 (`source` `aws.s3`, `detail-type` `Object Created`);
//! - the `s3:TestEvent` S3 sends once when a notification is configured.
//!
//! Object keys arrive URL-encoded the way an HTML form is (`+` for a space, `%XX`
//! for other bytes: `my app=v2.jar` is `my+app%3Dv2.jar`) and are decoded here.
//! AWS documents this for notifications. For EventBridge it is not documented; we
//! decode those keys the same way, as AWS's own Lambda Powertools and LocalStack's
//! EventBridge emulation do.

use serde_json::{Map, Value};
use thiserror::Error;

/// At most this many characters of a value from the event appear in a message.
const PREVIEW_CHARS: usize = 64;

/// An object that was created or overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded (as S3's API takes it).
    pub key: String,
    /// Version id, when the bucket is versioned.
    pub version_id: Option<String>,
    /// S3's per-key ordering token (hex); see [`sequencer_newer`].
    pub sequencer: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
    /// When S3 finished the request (ISO-8601, as sent).
    pub event_time: Option<String>,
}

impl ObjectCreated {
    /// `s3://bucket/key`, the form specs use for `artifact_path`.
    pub fn path(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// A parsed event: the created objects, and why anything else was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedEvent {
    /// Objects created, in event order.
    pub objects: Vec<ObjectCreated>,
    /// One line per skipped record, e.g. `Records[1]: eventName
    /// ObjectRemoved:Delete is not an object creation`.
    pub ignored: Vec<String>,
}

/// An event that is not one of the accepted shapes.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EventError {
    /// A field is missing or has the wrong type or value.
    #[error("malformed S3 event: {field}: {reason}")]
    Malformed {
        /// JSON path of the field, e.g. `Records[0].s3.object.key` (`$` for the
        /// whole event).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl EventError {
    /// Never: the same event fails the same way every time.
    pub fn is_retryable(&self) -> bool {
        false
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            EventError::Malformed { .. } => "malformed_event",
        }
    }
}

/// Turns a Lambda payload from S3 into the objects it reports created.
///
/// Records that are not object creations (deletions, restores, ...) and the
/// `s3:TestEvent` are listed in [`ParsedEvent::ignored`]. Anything else that does
/// not look like S3 news (another event source, a missing bucket or key, an empty
/// `Records`) is an error naming the JSON path at fault.
pub fn parse_event(value: &Value) -> Result<ParsedEvent, EventError> {
    let root = value
        .as_object()
        .ok_or_else(|| malformed("", format!("expected an object, found {}", describe(value))))?;
    if let Some(records) = root.get("Records") {
        return parse_records(records);
    }
    if let Some(event) = root.get("Event") {
        return parse_test_event(root, event);
    }
    if root.contains_key("source") || root.contains_key("detail-type") {
        return parse_eventbridge(root);
    }
    Err(malformed(
        "",
        "not an S3 event: expected `Records` (S3 notification), `source` and \
         `detail-type` (EventBridge) or `Event` (s3:TestEvent)",
    ))
}

/// Whether sequencer `a` is later than `b` (both from events on the same key).
///
/// Sequencers are hex strings of varying length: the shorter one is left-padded
/// with zeros and they are compared case-insensitively, i.e. as hex numbers.
pub fn sequencer_newer(a: &str, b: &str) -> bool {
    let width = a.len().max(b.len());
    let padded = |s: &str| format!("{}{}", "0".repeat(width - s.len()), s.to_ascii_uppercase());
    padded(a) > padded(b)
}

fn parse_records(records: &Value) -> Result<ParsedEvent, EventError> {
    let records = records.as_array().ok_or_else(|| {
        malformed(
            "Records",
            format!("expected an array, found {}", describe(records)),
        )
    })?;
    if records.is_empty() {
        return Err(malformed("Records", "is empty"));
    }
    let mut parsed = ParsedEvent::default();
    for (i, record) in records.iter().enumerate() {
        let at = format!("Records[{i}]");
        let record = as_object(record, &at)?;
        let source = required_str(record, &at, "eventSource")?;
        if source != "aws:s3" {
            return Err(malformed(
                &join(&at, "eventSource"),
                format!("expected \"aws:s3\", found {:?}", preview(source)),
            ));
        }
        let name = required_str(record, &at, "eventName")?;
        if !name.starts_with("ObjectCreated:") {
            parsed.ignored.push(format!(
                "{at}: eventName {} is not an object creation",
                preview(name)
            ));
            continue;
        }
        let s3_at = join(&at, "s3");
        let s3 = required_object(record, &at, "s3")?;
        let bucket = required_object(s3, &s3_at, "bucket")?;
        let object_at = join(&s3_at, "object");
        let object = required_object(s3, &s3_at, "object")?;
        parsed.objects.push(ObjectCreated {
            bucket: bucket_name(bucket, &join(&s3_at, "bucket"))?,
            key: object_key(object, &object_at)?,
            version_id: version_id(object, &object_at, "versionId")?,
            sequencer: sequencer(object, &object_at)?,
            size: size(object, &object_at)?,
            event_time: optional_str(record, &at, "eventTime")?.map(str::to_string),
        });
    }
    Ok(parsed)
}

fn parse_eventbridge(root: &Map<String, Value>) -> Result<ParsedEvent, EventError> {
    let source = required_str(root, "", "source")?;
    if source != "aws.s3" {
        return Err(malformed(
            "source",
            format!("expected \"aws.s3\", found {:?}", preview(source)),
        ));
    }
    let detail_type = required_str(root, "", "detail-type")?;
    if detail_type != "Object Created" {
        return Ok(ParsedEvent {
            objects: Vec::new(),
            ignored: vec![format!(
                "detail-type {} is not an object creation",
                preview(detail_type)
            )],
        });
    }
    let detail = required_object(root, "", "detail")?;
    let bucket = required_object(detail, "detail", "bucket")?;
    let object = required_object(detail, "detail", "object")?;
    let object_at = "detail.object";
    Ok(ParsedEvent {
        objects: vec![ObjectCreated {
            bucket: bucket_name(bucket, "detail.bucket")?,
            key: object_key(object, object_at)?,
            version_id: version_id(object, object_at, "version-id")?,
            sequencer: sequencer(object, object_at)?,
            size: size(object, object_at)?,
            event_time: optional_str(root, "", "time")?.map(str::to_string),
        }],
        ignored: Vec::new(),
    })
}

fn parse_test_event(root: &Map<String, Value>, event: &Value) -> Result<ParsedEvent, EventError> {
    if event.as_str() != Some("s3:TestEvent") {
        return Err(malformed(
            "Event",
            format!("expected \"s3:TestEvent\", found {}", describe(event)),
        ));
    }
    let bucket = match root.get("Bucket").and_then(Value::as_str) {
        Some(bucket) => format!(" for bucket {}", preview(bucket)),
        None => String::new(),
    };
    Ok(ParsedEvent {
        objects: Vec::new(),
        ignored: vec![format!(
            "s3:TestEvent{bucket}: sent once when notifications are configured; nothing to do"
        )],
    })
}

fn bucket_name(bucket: &Map<String, Value>, at: &str) -> Result<String, EventError> {
    let name = required_str(bucket, at, "name")?;
    if name.is_empty() {
        return Err(malformed(&join(at, "name"), "is empty"));
    }
    if name.contains('/') {
        return Err(malformed(
            &join(at, "name"),
            "a bucket name cannot contain '/'",
        ));
    }
    Ok(name.to_string())
}

fn object_key(object: &Map<String, Value>, at: &str) -> Result<String, EventError> {
    let field = join(at, "key");
    let raw = required_str(object, at, "key")?;
    let key = decode_key(raw).map_err(|reason| malformed(&field, reason))?;
    if key.is_empty() {
        return Err(malformed(&field, "is empty"));
    }
    Ok(key)
}

fn version_id(
    object: &Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<Option<String>, EventError> {
    // Unversioned buckets send null, an empty string or nothing.
    Ok(optional_str(object, at, name)?
        .filter(|v| !v.is_empty())
        .map(str::to_string))
}

fn sequencer(object: &Map<String, Value>, at: &str) -> Result<Option<String>, EventError> {
    match optional_str(object, at, "sequencer")? {
        None | Some("") => Ok(None),
        Some(s) if s.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(Some(s.to_string())),
        Some(s) => Err(malformed(
            &join(at, "sequencer"),
            format!("expected hex digits, found {:?}", preview(s)),
        )),
    }
}

fn size(object: &Map<String, Value>, at: &str) -> Result<Option<i64>, EventError> {
    match object.get("size") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(size) if size >= 0 => Ok(Some(size)),
            _ => Err(malformed(
                &join(at, "size"),
                format!("expected a byte count, found {n}"),
            )),
        },
        Some(other) => Err(malformed(
            &join(at, "size"),
            format!("expected a number, found {}", describe(other)),
        )),
    }
}

/// Decodes a key encoded like an HTML form field: `+` is a space and `%XX` a
/// byte; the bytes must form UTF-8.
fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(format!(
                        "invalid URL encoding at byte {i}: '%' must be followed by two hex digits"
                    ));
                };
                out.push(hi << 4 | lo);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "URL-decodes to bytes that are not UTF-8".to_string())
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn as_object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, EventError> {
    value
        .as_object()
        .ok_or_else(|| malformed(at, format!("expected an object, found {}", describe(value))))
}

fn required_object<'a>(
    parent: &'a Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<&'a Map<String, Value>, EventError> {
    match parent.get(name) {
        None | Some(Value::Null) => Err(malformed(&join(at, name), "is missing")),
        Some(value) => as_object(value, &join(at, name)),
    }
}

fn required_str<'a>(
    parent: &'a Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<&'a str, EventError> {
    optional_str(parent, at, name)?.ok_or_else(|| malformed(&join(at, name), "is missing"))
}

fn optional_str<'a>(
    parent: &'a Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<Option<&'a str>, EventError> {
    match parent.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(malformed(
            &join(at, name),
            format!("expected a string, found {}", describe(other)),
        )),
    }
}

/// `parent.name`, or `name` at the top level.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

fn malformed(field: &str, reason: impl Into<String>) -> EventError {
    EventError::Malformed {
        field: if field.is_empty() { "$" } else { field }.to_string(),
        reason: reason.into(),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value from the event, cut short for messages.
fn preview(text: &str) -> String {
    let mut shown: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().count() > PREVIEW_CHARS {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests;
