//! Property tests: whatever text arrives, `parse_specs` answers without panicking,
//! and every error it returns carries a message.
//!
//! `no_panics.rs` throws fixed batches of character-level noise; this file adds
//! shrinking, structural mutations of the example specs (a field deleted, replaced
//! or retyped, rendered as block YAML and as JSON) and line-level edits.
//!
//! Deterministic: the seed is fixed unless `PROPTEST_RNG_SEED` is set. Each
//! property runs 2000 cases unless `PROPTEST_CASES` says otherwise.

use std::path::Path;
use std::sync::OnceLock;

use fjc_spec::document::parse_documents;
use fjc_spec::{fingerprint, parse_specs};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Number, Value};

fn config() -> Config {
    let defaults = Config::default();
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
        rng_seed: match defaults.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5eed_5bec),
            fixed => fixed,
        },
        // A failure prints its minimal input; no regression files in the source tree.
        failure_persistence: None,
        ..defaults
    }
}

/// The example specs in the workspace's `examples/`, as text.
fn example_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let dir = Path::new(
            &std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
        )
        .join("../../examples");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        let texts: Vec<String> = files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
            .collect();
        assert!(
            texts.len() >= 2,
            "expected example specs in {}",
            dir.display()
        );
        texts
    })
}

/// The example specs as JSON values.
fn example_values() -> &'static [Value] {
    static VALUES: OnceLock<Vec<Value>> = OnceLock::new();
    VALUES.get_or_init(|| {
        example_texts()
            .iter()
            .flat_map(|text| {
                parse_documents("example.yaml", text).unwrap_or_else(|e| panic!("{e}"))
            })
            .map(|doc| doc.value)
            .collect()
    })
}

/// Parses `text`; never panics, and an error says what is wrong.
fn check(source: &str, text: &str) -> Result<(), TestCaseError> {
    match parse_specs(source, text) {
        Ok(specs) => {
            prop_assert!(!specs.is_empty());
            for spec in &specs {
                let _ = fingerprint(spec, "sha256:00");
            }
        }
        Err(err) => {
            prop_assert!(!err.problems.is_empty(), "no problems for {text:?}");
            for problem in &err.problems {
                prop_assert!(
                    !problem.message.trim().is_empty(),
                    "empty message at {:?} for {text:?}",
                    problem.path
                );
            }
            let shown = err.to_string();
            prop_assert!(!shown.trim().is_empty());
            // The YAML parser's panics are caught and reported with this text.
            prop_assert!(
                !shown.contains("internal error"),
                "{shown}\ninput: {text:?}"
            );
        }
    }
    Ok(())
}

const FIELDS: &[&str] = &[
    "job_id",
    "job_type",
    "artifact_path",
    "artifact_signature",
    "entry_class",
    "cluster",
    "namespace",
    "args",
    "deployment",
    "parallelism",
    "checkpoint_interval",
    "restart_strategy",
    "max_restart_attempts",
    "restart_delay",
    "savepoint_path",
    "stream_config",
    "batch_config",
    "cron",
    "timezone",
    "ttl_seconds",
    "max_runs",
    "resources",
    "memory",
    "cpu_cores",
    "monitoring",
    "metrics_port",
    "log_level",
    "env_vars",
    "advanced",
    "security",
];

const SCALARS: &[&str] = &[
    "stream",
    "batch",
    "s3://bucket/j.jar",
    "j.jar",
    "../j.jar",
    "/abs.jar",
    "sha256:00",
    "10s",
    "0ms",
    "1g",
    "512m",
    "99999999999999999999g",
    "0 2 * * *",
    "*/5 * * * * *",
    "@daily",
    "Europe/Berlin",
    "Mars/Olympus",
    "fixed-delay",
    "none",
    "INFO",
    "",
    " ",
    "null",
    "~",
    "true",
    "é",
    "\u{feff}",
];

/// YAML and JSON syntax worth combining.
const SYNTAX: &[&str] = &[
    ": ",
    ":",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&a ",
    "*a",
    "!!str ",
    "!!int ",
    "!!map ",
    "| ",
    "> ",
    "'",
    "\"",
    "# ",
    "---\n",
    "...\n",
    "? ",
    "<<: ",
    "\t",
    "%YAML 1.2\n",
    "0",
    "-1",
    "1e999",
    "0x1F",
    ".inf",
    "32769",
    "65536",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(SCALARS).prop_map(Value::from),
        1 => "\\PC{0,16}".prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => prop_oneof![
            (-2i64..70_000).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ],
    ]
}

/// Any JSON value, biased towards the spec's vocabulary.
fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        3 => prop::sample::select(FIELDS).prop_map(str::to_string),
                        1 => "\\PC{0,8}",
                    ],
                    inner,
                ),
                0..5,
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
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
        let children: Vec<Step> = match node(value, &path) {
            Some(Value::Object(map)) => map.keys().cloned().map(Step::Field).collect(),
            Some(Value::Array(items)) => (0..items.len()).map(Step::Item).collect(),
            _ => Vec::new(),
        };
        for step in children {
            let mut child = path.clone();
            child.push(step);
            out.push(child);
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

/// How to damage one node of a spec.
#[derive(Debug, Clone)]
enum Mutation {
    Delete,
    Replace(Value),
    Retype,
    /// Add a field (known or not) to the nearest mapping.
    Insert(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Delete),
        2 => json().prop_map(Mutation::Replace),
        1 => Just(Mutation::Retype),
        1 => (prop::sample::select(FIELDS).prop_map(str::to_string), json())
            .prop_map(|(name, value)| Mutation::Insert(name, value)),
    ]
}

fn retype(value: &Value) -> Value {
    match value {
        Value::String(s) => s
            .parse::<i64>()
            .map_or_else(|_| Value::from(s.len()), Value::from),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Null => Value::Object(Map::new()),
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
        Mutation::Insert(name, new) => {
            let mut path = path;
            loop {
                if let Some(Value::Object(map)) = node_mut(value, &path) {
                    map.insert(name.clone(), new.clone());
                    return;
                }
                if path.pop().is_none() {
                    return;
                }
            }
        }
    }
}

/// `value` as block YAML (strings double-quoted in JSON syntax, which YAML reads).
fn to_yaml(value: &Value) -> String {
    fn scalar(v: &Value) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    fn block(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    out.push_str(&format!("{pad}{}:", scalar(&Value::from(k.as_str()))));
                    nested(child, indent, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for child in items {
                    out.push_str(&format!("{pad}-"));
                    nested(child, indent, out);
                }
            }
            other => out.push_str(&format!("{pad}{}\n", scalar(other))),
        }
    }
    fn nested(child: &Value, indent: usize, out: &mut String) {
        match child {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                block(child, indent + 2, out);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                block(child, indent + 2, out);
            }
            _ => out.push_str(&format!(" {}\n", scalar(child))),
        }
    }
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

/// A line-level edit of a YAML text.
#[derive(Debug, Clone)]
enum LineEdit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Indent(Index),
    Dedent(Index),
    /// Replace what follows the first `:` of a line.
    Value(Index, String),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    let token = prop_oneof![
        prop::sample::select(SCALARS).prop_map(str::to_string),
        prop::sample::select(SYNTAX).prop_map(str::to_string),
    ];
    prop_oneof![
        any::<Index>().prop_map(LineEdit::Delete),
        any::<Index>().prop_map(LineEdit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        any::<Index>().prop_map(LineEdit::Indent),
        any::<Index>().prop_map(LineEdit::Dedent),
        (any::<Index>(), token).prop_map(|(i, t)| LineEdit::Value(i, t)),
    ]
}

fn edit_lines(text: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for edit in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match edit {
            LineEdit::Delete(i) => {
                lines.remove(i.index(n));
            }
            LineEdit::Duplicate(i) => {
                let i = i.index(n);
                lines.insert(i, lines[i].clone());
            }
            LineEdit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
            LineEdit::Indent(i) => lines[i.index(n)].insert_str(0, "  "),
            LineEdit::Dedent(i) => {
                let line = &mut lines[i.index(n)];
                let cut = line.len() - line.trim_start().len();
                line.drain(..cut.min(2));
            }
            LineEdit::Value(i, token) => {
                let line = &mut lines[i.index(n)];
                if let Some(colon) = line.find(':') {
                    line.truncate(colon + 1);
                    line.push(' ');
                    line.push_str(token);
                }
            }
        }
    }
    lines.join("\n")
}

/// YAML-ish text: syntax, spec field names and values in any order.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        3 => prop::sample::select(SYNTAX).prop_map(str::to_string),
        2 => prop::sample::select(FIELDS).prop_map(str::to_string),
        2 => prop::sample::select(SCALARS).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ];
    prop::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn yamlish_text_never_panics(text in yamlish()) {
        check("fuzz.yaml", &text)?;
        check("fuzz.json", &text)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check("fuzz.yaml", &text)?;
    }

    #[test]
    fn structurally_mutated_examples_never_panic(
        example in any::<Index>(),
        mutations in prop::collection::vec((any::<Index>(), mutation()), 1..4),
    ) {
        let mut value = example.get(example_values()).clone();
        for (at, mutation) in &mutations {
            apply(&mut value, *at, mutation);
        }
        let json = serde_json::to_string_pretty(&value).unwrap_or_default();
        check("mutated.json", &json)?;
        check("mutated.yaml", &to_yaml(&value))?;
    }

    #[test]
    fn line_edited_examples_never_panic(
        example in any::<Index>(),
        edits in prop::collection::vec(line_edit(), 1..5),
    ) {
        let text = edit_lines(example.get::<String>(example_texts()), &edits);
        check("edited.yaml", &text)?;
    }
}

#[test]
fn unmutated_examples_round_trip_through_both_renderings() {
    // The renderings themselves must be valid, or the mutation tests test little.
    for value in example_values() {
        let json = serde_json::to_string_pretty(value).unwrap_or_default();
        if let Err(e) = parse_specs("example.json", &json) {
            panic!("{e}\n{json}");
        }
        let yaml = to_yaml(value);
        if let Err(e) = parse_specs("example.yaml", &yaml) {
            panic!("{e}\n{yaml}");
        }
    }
}
