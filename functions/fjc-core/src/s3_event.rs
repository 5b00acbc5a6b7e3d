//! What S3 tells the `artifact-event` function: the objects that were created.
//!
//! [`parse_event`] accepts the three shapes S3 delivers:
//! - an S3 event notification, `{"Records": [...]}` with `eventSource` `aws:s3`;
//! - an EventBridge event from S3 (`source` `aws.s3`, `detail-type` `Object Created`);
//! - the `s3:TestEvent` S3 sends once when a notification is configured.
//!
//! The shapes are read with [`aws_lambda_events`]' types: [`S3Entity`] for a
//! record's `s3`, [`EventBridgeEvent`] around a typed detail. A record's envelope
//! is typed here (theirs requires fields S3 news does not need), and so are the
//! EventBridge detail and the test event, which they do not model. Errors name the
//! JSON path at fault, tracked by [`serde_path_to_error`]; the checks on values
//! both shapes carry live in `fields`.
//!
//! Object keys arrive URL-encoded the way an HTML form is (`+` for a space, `%XX`
//! for other bytes: `my app=v2.jar` is `my+app%3Dv2.jar`) and are decoded here.
//! AWS documents this for notifications. For EventBridge it is not documented; we
//! decode those keys the same way, as AWS's own Lambda Powertools and LocalStack's
//! EventBridge emulation do.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::{S3Bucket, S3Entity};
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

mod fields;

use fields::{
    bucket_name, ensure_is, join, malformed, object_key, preview, required, sequencer, size, typed,
    version_id,
};

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
    /// When S3 finished the request (ISO-8601): a notification's `eventTime` as
    /// sent, an EventBridge `time` in UTC (`2026-11-26T14:00:00Z`).
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
    let Some(root) = value.as_object() else {
        let found = preview(&value.to_string());
        return Err(malformed("", format!("expected an object, found {found}")));
    };
    if root.contains_key("Records") {
        parse_records(value)
    } else if root.contains_key("Event") {
        parse_test_event(value)
    } else if root.contains_key("source") || root.contains_key("detail-type") {
        parse_eventbridge(value)
    } else {
        Err(malformed(
            "",
            "not an S3 event: expected `Records` (S3 notification), `source` and \
             `detail-type` (EventBridge) or `Event` (s3:TestEvent)",
        ))
    }
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

/// An S3 event notification. Not [`aws_lambda_events::s3::S3Event`]: its
/// records require `eventTime` (as a date), `userIdentity` and
/// `requestParameters`, which this function never needed.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

/// One notification record; its `s3` entity is read only for a creation.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "an object")]
struct Record {
    event_source: Option<String>,
    event_name: Option<String>,
    event_time: Option<String>,
    s3: Option<Value>,
}

/// The `detail` of an EventBridge `Object Created` event from S3.
#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct CreatedDetail {
    bucket: S3Bucket,
    object: DetailObject,
}

/// `detail.object`: like [`aws_lambda_events::s3::S3Object`], in kebab case.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", expecting = "an object")]
struct DetailObject {
    key: Option<String>,
    size: Option<i64>,
    version_id: Option<String>,
    sequencer: Option<String>,
}

fn parse_records(value: &Value) -> Result<ParsedEvent, EventError> {
    let notification: Notification = typed(value, "")?;
    if notification.records.is_empty() {
        return Err(malformed("Records", "is empty"));
    }
    let mut parsed = ParsedEvent::default();
    for (i, record) in notification.records.into_iter().enumerate() {
        let at = format!("Records[{i}]");
        let source_at = join(&at, "eventSource");
        ensure_is(
            &required(record.event_source, &source_at)?,
            "aws:s3",
            &source_at,
        )?;
        let name = required(record.event_name, &join(&at, "eventName"))?;
        if !name.starts_with("ObjectCreated:") {
            parsed.ignored.push(format!(
                "{at}: eventName {} is not an object creation",
                preview(&name)
            ));
            continue;
        }
        let s3_at = join(&at, "s3");
        let s3: S3Entity = typed(&required(record.s3, &s3_at)?, &s3_at)?;
        let object_at = join(&s3_at, "object");
        parsed.objects.push(ObjectCreated {
            bucket: bucket_name(s3.bucket.name, &join(&s3_at, "bucket"))?,
            key: object_key(s3.object.key, &object_at)?,
            version_id: version_id(s3.object.version_id),
            sequencer: sequencer(s3.object.sequencer, &object_at)?,
            size: size(s3.object.size, &object_at)?,
            event_time: record.event_time,
        });
    }
    Ok(parsed)
}

fn parse_eventbridge(value: &Value) -> Result<ParsedEvent, EventError> {
    let event: EventBridgeEvent<Option<Value>> = typed(value, "")?;
    ensure_is(&event.source, "aws.s3", "source")?;
    if event.detail_type != "Object Created" {
        return Ok(ParsedEvent {
            objects: Vec::new(),
            ignored: vec![format!(
                "detail-type {} is not an object creation",
                preview(&event.detail_type)
            )],
        });
    }
    let detail: CreatedDetail = typed(&required(event.detail, "detail")?, "detail")?;
    let object_at = "detail.object";
    Ok(ParsedEvent {
        objects: vec![ObjectCreated {
            bucket: bucket_name(detail.bucket.name, "detail.bucket")?,
            key: object_key(detail.object.key, object_at)?,
            version_id: version_id(detail.object.version_id),
            sequencer: sequencer(detail.object.sequencer, object_at)?,
            size: size(detail.object.size, object_at)?,
            event_time: event
                .time
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }],
        ignored: Vec::new(),
    })
}

/// The `s3:TestEvent`, for which `aws_lambda_events` has no type.
fn parse_test_event(value: &Value) -> Result<ParsedEvent, EventError> {
    let event = value.get("Event").unwrap_or(&Value::Null);
    if event != "s3:TestEvent" {
        let found = preview(&event.to_string());
        return Err(malformed(
            "Event",
            format!("expected \"s3:TestEvent\", found {found}"),
        ));
    }
    let bucket = match value.get("Bucket").and_then(Value::as_str) {
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

#[cfg(test)]
mod tests;
