//! Whatever arrives, `parse_event` answers and never panics; what it accepts names
//! a real bucket and key.
//!
//! Deterministic: the seed is fixed unless `PROPTEST_RNG_SEED` is set. Each
//! property runs 2000 cases unless `PROPTEST_CASES` says otherwise.

use fjc_core::artifact_event::event::{ParsedEvent, parse_event};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Number, Value};

const S3_FIXTURE: &str = include_str!("../../../tests/fixtures/events/s3-object-created.json");
const EB_FIXTURE: &str =
    include_str!("../../../tests/fixtures/events/eventbridge-s3-object-created.json");

fn config() -> Config {
    let defaults = Config::default();
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
        rng_seed: match defaults.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5eed_e7e7),
            fixed => fixed,
        },
        // A failure prints its minimal input; no regression files in the source tree.
        failure_persistence: None,
        ..defaults
    }
}

/// Field names and values the parser looks at, so random events get deep.
const KEYS: &[&str] = &[
    "Records",
    "eventSource",
    "eventName",
    "eventTime",
    "s3",
    "bucket",
    "name",
    "object",
    "key",
    "size",
    "versionId",
    "sequencer",
    "source",
    "detail-type",
    "detail",
    "version-id",
    "time",
    "Event",
    "Bucket",
];
const STRINGS: &[&str] = &[
    "aws:s3",
    "aws.s3",
    "ObjectCreated:Put",
    "ObjectRemoved:Delete",
    "Object Created",
    "Object Deleted",
    "s3:TestEvent",
    "fjc-artifacts",
    "jobs/stream-counter.jar",
    "",
    "+",
    "%",
    "%2",
    "%zz",
    "%FF",
    "%C3%A9",
    "a/b",
    "00FF",
    "é",
];

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(STRINGS).prop_map(str::to_string),
        "\\PC{0,12}",
        "[%+0-9A-Fa-f/]{0,8}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (-2i64..20_000).prop_map(Value::from),
    ]
}

/// Any JSON value, biased towards the event's vocabulary.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Mostly an object whose fields the parser looks for, sometimes anything.
fn event() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => json(),
        3 => prop::collection::vec((key(), json()), 0..6)
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
    ]
}

/// Where a value sits in a document.
#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Item(usize),
}

/// The path of every node, the root first.
fn paths(value: &Value) -> Vec<Vec<Step>> {
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < out.len() {
        let path = out[i].clone();
        match node(value, &path) {
            Some(Value::Object(map)) => {
                for name in map.keys() {
                    let mut child = path.clone();
                    child.push(Step::Field(name.clone()));
                    out.push(child);
                }
            }
            Some(Value::Array(items)) => {
                for index in 0..items.len() {
                    let mut child = path.clone();
                    child.push(Step::Item(index));
                    out.push(child);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn node<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Field(name) => v.get(name),
        Step::Item(index) => v.get(index),
    })
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Field(name) => v.get_mut(name),
        Step::Item(index) => v.get_mut(index),
    })
}

/// How to damage one node.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove it from its parent.
    Delete,
    /// Put another value in its place.
    Replace(Value),
    /// Keep the content, change the type.
    Retype,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Delete),
        2 => json().prop_map(Mutation::Replace),
        1 => Just(Mutation::Retype),
    ]
}

fn retype(value: &Value) -> Value {
    match value {
        Value::String(s) => s
            .parse::<i64>()
            .map_or_else(|_| Value::from(s.len()), Value::from),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Null => Value::String(String::new()),
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        Value::Object(_) => Value::Array(vec![value.clone()]),
    }
}

fn apply(value: &mut Value, at: Index, mutation: &Mutation) {
    let all = paths(value);
    let path = at.get(&all).clone();
    match mutation {
        Mutation::Delete => {
            let Some((last, parent)) = path.split_last() else {
                *value = Value::Null;
                return;
            };
            match (node_mut(value, parent), last) {
                (Some(Value::Object(map)), Step::Field(name)) => {
                    map.remove(name);
                }
                (Some(Value::Array(items)), Step::Item(index)) if *index < items.len() => {
                    items.remove(*index);
                }
                _ => {}
            }
        }
        Mutation::Replace(new) => {
            if let Some(slot) = node_mut(value, &path) {
                *slot = new.clone();
            }
        }
        Mutation::Retype => {
            if let Some(slot) = node_mut(value, &path) {
                *slot = retype(slot);
            }
        }
    }
}

fn fixture() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![S3_FIXTURE, EB_FIXTURE])
        .prop_map(|text| serde_json::from_str(text).expect("fixture is JSON"))
}

fn check_accepted(parsed: &ParsedEvent) -> Result<(), TestCaseError> {
    for object in &parsed.objects {
        prop_assert!(!object.bucket.is_empty(), "empty bucket in {parsed:?}");
        prop_assert!(!object.key.is_empty(), "empty key in {parsed:?}");
        prop_assert!(!object.bucket.contains('/'), "bad bucket in {parsed:?}");
        prop_assert!(object.size.is_none_or(|s| s >= 0), "bad size in {parsed:?}");
    }
    Ok(())
}

/// Encodes a key the way S3 notifications do (form style).
fn form_encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_json_never_panics(value in event()) {
        if let Ok(parsed) = parse_event(&value) {
            check_accepted(&parsed)?;
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        mut value in fixture(),
        mutations in prop::collection::vec((any::<Index>(), mutation()), 1..4),
    ) {
        for (at, mutation) in &mutations {
            apply(&mut value, *at, mutation);
        }
        match parse_event(&value) {
            Ok(parsed) => check_accepted(&parsed)?,
            Err(err) => {
                prop_assert!(!err.to_string().is_empty());
                prop_assert!(!err.is_retryable());
            }
        }
    }

    #[test]
    fn any_key_survives_encoding(key in "\\PC{1,40}") {
        let mut value: Value = serde_json::from_str(S3_FIXTURE).expect("fixture is JSON");
        value["Records"][0]["s3"]["object"]["key"] = Value::String(form_encode(&key));
        let parsed = parse_event(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed.objects[0].key, &key);
    }
}
