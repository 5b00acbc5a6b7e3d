//! Structural check: a document against the spec's JSON Schema, every error turned
//! into a [`Problem`] with a field path and a message written for humans.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;

use crate::document::{index_path, key_path};
use crate::error::Problem;
use crate::schema::json_schema;

/// Every structural problem of `doc` (paths relative to the document, no lines).
pub(super) fn check(doc: &Value) -> Vec<Problem> {
    let compiled = compiled();
    let validator = match &compiled.validator {
        Ok(v) => v,
        Err(message) => return vec![Problem::new("", message.clone())],
    };
    let mut problems = Vec::new();
    for error in validator.iter_errors(doc) {
        convert(&error, doc, &compiled.schema, &mut problems);
    }
    problems.dedup();
    let mut numbers = Vec::new();
    integers(
        doc,
        &compiled.schema,
        &compiled.schema,
        String::new(),
        &mut numbers,
    );
    numbers.retain(|n| !problems.iter().any(|p| p.path == n.path));
    problems.extend(numbers);
    problems
}

/// JSON Schema's `integer` accepts `1.0` and integers beyond 64 bits, the model's
/// `i64` fields do not: reports such numbers where the schema wants an integer.
fn integers(value: &Value, node: &Value, root: &Value, path: String, out: &mut Vec<Problem>) {
    let Some(node) = resolve(root, node) else {
        return;
    };
    match value {
        Value::Number(n) if n.as_i64().is_none() && wants_integer(node) => {
            let message = if n.is_f64() {
                format!("expected integer, found number {n}")
            } else {
                format!("must be <= {}", i64::MAX)
            };
            out.push(Problem::new(path, message));
        }
        Value::Object(map) => {
            for (key, v) in map {
                if let Some(child) = child_schema(node, &Step::Key(key.clone())) {
                    integers(v, child, root, key_path(&path, key), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if let Some(child) = child_schema(node, &Step::Index(i)) {
                    integers(v, child, root, index_path(&path, i), out);
                }
            }
        }
        _ => {}
    }
}

fn wants_integer(node: &Value) -> bool {
    let integer = Value::from("integer");
    match node.get("type") {
        Some(Value::Array(types)) => types.contains(&integer),
        Some(t) => *t == integer,
        None => false,
    }
}

/// The schema and its validator, compiled once.
struct Compiled {
    schema: Value,
    validator: Result<Validator, String>,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let schema = json_schema();
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("internal error: the spec schema does not compile: {e}"));
        Compiled { schema, validator }
    })
}

/// One step of a path into a document.
enum Step {
    Key(String),
    Index(usize),
}

fn convert(error: &ValidationError<'_>, doc: &Value, schema: &Value, out: &mut Vec<Problem>) {
    let steps = steps(doc, error.instance_path().iter());
    let path = display(&steps);
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(schema, &steps);
            for key in unexpected {
                let problem = Problem::new(key_path(&path, key), unknown_field(key, &allowed));
                out.push(problem);
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            out.push(Problem::new(
                key_path(&path, &name),
                "required field is missing",
            ));
            return;
        }
        ValidationErrorKind::Type { kind } => {
            format!(
                "expected {}, found {}",
                expected(kind),
                describe(error.instance())
            )
        }
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => {
            one_of(schema, &steps, error.instance()).unwrap_or_else(|| error.to_string())
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(message) = one_of(schema, &steps, error.instance()) {
                message
            } else {
                // `Option<T>` is `anyOf: [T, null]`: explain why it is not a `T`.
                let branches: Vec<_> = context.iter().filter(|b| !only_null(b)).collect();
                if let [branch] = branches.as_slice() {
                    for inner in branch.iter() {
                        convert(inner, doc, schema, out);
                    }
                    return;
                }
                error.to_string()
            }
        }
        _ => error.to_string(),
    };
    out.push(Problem::new(path, message));
}

/// Walks the document along a jsonschema location, so that numeric object keys are
/// keys and not indices.
fn steps<'a>(doc: &Value, segments: impl Iterator<Item = LocationSegment<'a>>) -> Vec<Step> {
    let mut current = Some(doc);
    let mut steps = Vec::new();
    for segment in segments {
        let text = segment.to_string();
        let step = match (current, &segment) {
            (Some(Value::Array(_)), LocationSegment::Index(i)) => Step::Index(*i),
            _ => Step::Key(text),
        };
        current = match (&step, current) {
            (Step::Key(k), Some(Value::Object(map))) => map.get(k),
            (Step::Index(i), Some(Value::Array(items))) => items.get(*i),
            _ => None,
        };
        steps.push(step);
    }
    steps
}

fn display(steps: &[Step]) -> String {
    steps.iter().fold(String::new(), |path, step| match step {
        Step::Key(k) => key_path(&path, k),
        Step::Index(i) => index_path(&path, *i),
    })
}

/// The schema describing the value at `steps`, following `$ref`s and the
/// non-null branch of `anyOf`s.
fn schema_at<'a>(root: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut node = resolve(root, root)?;
    for step in steps {
        node = resolve(root, child_schema(node, step)?)?;
    }
    Some(node)
}

/// The (unresolved) schema of a child of a value described by `node`.
fn child_schema<'a>(node: &'a Value, step: &Step) -> Option<&'a Value> {
    match step {
        Step::Key(k) => node
            .get("properties")
            .and_then(|p| p.get(k))
            .or_else(|| node.get("additionalProperties").filter(|s| s.is_object())),
        Step::Index(_) => node.get("items"),
    }
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> Option<&'a Value> {
    // A few hops at most; the bound only guards against reference cycles.
    for _ in 0..16 {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            node = root.pointer(reference.strip_prefix('#')?)?;
        } else if let Some(branches) = node.get("anyOf").and_then(Value::as_array) {
            node = branches
                .iter()
                .find(|b| b.get("type") != Some(&Value::from("null")))?;
        } else {
            return Some(node);
        }
    }
    None
}

fn allowed_keys(schema: &Value, steps: &[Step]) -> Vec<String> {
    schema_at(schema, steps)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

fn unknown_field(key: &str, allowed: &[String]) -> String {
    let list = allowed.join(", ");
    match closest(key, allowed) {
        Some(near) => format!("unknown field, did you mean `{near}`? (allowed: {list})"),
        None => format!("unknown field (allowed: {list})"),
    }
}

/// The allowed name within edit distance 2 of `key`, if any.
fn closest<'a>(key: &str, allowed: &'a [String]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|name| (edit_distance(key, name), name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `must be one of: a, b (found "c")` when the schema at `steps` is an enumeration.
fn one_of(schema: &Value, steps: &[Step], found: &Value) -> Option<String> {
    let node = schema_at(schema, steps)?;
    let options: Vec<&Value> = match (node.get("enum"), node.get("oneOf")) {
        (Some(Value::Array(values)), _) => values.iter().collect(),
        (_, Some(Value::Array(branches))) => branches
            .iter()
            .map(|b| b.get("const"))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let names: Vec<String> = options
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    Some(format!(
        "must be one of: {} (found {})",
        names.join(", "),
        describe(found)
    ))
}

/// Whether every error of an `anyOf` branch only says "not null".
fn only_null(branch: &[ValidationError<'_>]) -> bool {
    branch.iter().all(|e| {
        matches!(
            e.kind(),
            ValidationErrorKind::Type {
                kind: TypeKind::Single(JsonType::Null)
            }
        )
    })
}

fn expected(kind: &TypeKind) -> String {
    let names: Vec<&str> = match kind {
        TypeKind::Single(t) => vec![t.as_str()],
        TypeKind::Multiple(set) => set
            .iter()
            .filter(|t| *t != JsonType::Null)
            .map(JsonType::as_str)
            .collect(),
    };
    if names.is_empty() {
        "null".to_string()
    } else {
        names.join(" or ")
    }
}

/// `string "abc"`, `integer 5`, `object`, ... (long strings shortened).
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("number {n}"),
        Value::Number(n) => format!("integer {n}"),
        Value::String(s) => format!("string {:?}", shorten(s)),
        Value::Array(_) => "array".to_string(),
        Value::Object(_) => "object".to_string(),
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX - 3).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("paralelism", "parallelism"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe(&Value::from("abc")), "string \"abc\"");
        assert_eq!(describe(&Value::from(5)), "integer 5");
        assert_eq!(describe(&Value::from(1.5)), "number 1.5");
        assert!(describe(&Value::from("x".repeat(100))).ends_with("...\""));
    }
}
