//! Parsing and validating job specs.
//!
//! A text goes through three stages, each reporting every problem it finds:
//! 1. syntax ([`crate::document`]): YAML or JSON, duplicate keys, size limits;
//! 2. structure: each document against the JSON Schema ([`crate::schema`]): unknown
//!    fields, wrong types, missing fields, unknown enum values;
//! 3. semantics ([`validate`]): formats, ranges and combinations.
//!
//! Problems of YAML input carry the line they were found on.

mod checks;
mod rules;
mod structure;

use std::collections::HashMap;

use crate::document::{Document, parse_documents};
use crate::error::{Problem, SpecError};
use crate::model::JobSpec;

pub use rules::{MAX_PARALLELISM, validate};

/// Checks a name (job id, cluster, namespace): `^[a-z0-9][a-z0-9-]{0,62}$`.
pub fn validate_name(name: &str) -> Result<(), String> {
    checks::name(name)
}

/// Parses and validates every job spec in `text`. `source` names the text in
/// messages (usually its file name) and selects JSON when it ends in `.json`.
///
/// Fails with every problem found (in line order) if any document is invalid, if
/// there is no document, or if two documents share a `job_id`.
pub fn parse_specs(source: &str, text: &str) -> Result<Vec<JobSpec>, SpecError> {
    let docs = parse_documents(source, text)?;
    if docs.is_empty() {
        let problem = Problem::new("", "no job spec found (the text has no document)");
        return Err(SpecError::new(source, vec![problem]));
    }
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    let mut first_seen: HashMap<String, &Document> = HashMap::new();
    for doc in &docs {
        match check_document(doc) {
            Ok(spec) => {
                if let Some(first) = first_seen.get(&spec.job_id) {
                    let at = first
                        .line_of("job_id")
                        .map(|l| format!(" (first at line {l})"))
                        .unwrap_or_default();
                    let message = format!("job_id {:?} appears more than once{at}", spec.job_id);
                    problems.push(doc.locate(Problem::new("job_id", message)));
                } else {
                    first_seen.insert(spec.job_id.clone(), doc);
                }
                specs.push(spec);
            }
            Err(found) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        // Stable: problems without lines (JSON) keep their document and field order.
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(SpecError::new(source, problems))
    }
}

/// Parses and validates a text that must hold exactly one job spec.
pub fn parse_spec(source: &str, text: &str) -> Result<JobSpec, SpecError> {
    let mut specs = parse_specs(source, text)?;
    match specs.pop() {
        Some(spec) if specs.is_empty() => Ok(spec),
        _ => {
            let message = format!(
                "expected exactly one job spec, found {} documents",
                specs.len() + 1
            );
            Err(SpecError::new(source, vec![Problem::new("", message)]))
        }
    }
}

/// Structure, then semantics of one document. When the structure is wrong, the
/// semantic rules still run on what is left after dropping the offending fields,
/// so one run reports every problem.
fn check_document(doc: &Document) -> Result<JobSpec, Vec<Problem>> {
    let locate_all = |problems: Vec<Problem>| problems.into_iter().map(|p| doc.locate(p)).collect();
    let structural = structure::check(&doc.value);
    if !structural.is_empty() {
        let mut all = structural.clone();
        all.extend(semantic_after_repair(&doc.value, &structural));
        return Err(locate_all(all));
    }
    // The schema is generated from the model, so this should not fail; if it does,
    // it is still a problem report.
    let spec: JobSpec = serde_json::from_value(doc.value.clone())
        .map_err(|e| locate_all(vec![Problem::new("", format!("invalid spec: {e}"))]))?;
    let semantic = validate(&spec);
    if semantic.is_empty() {
        Ok(spec)
    } else {
        Err(locate_all(semantic))
    }
}

/// Semantic problems of `value` with the structurally bad fields removed, leaving
/// out any under a removed field. Empty when the remainder is still not a spec
/// (e.g. a required field is missing).
fn semantic_after_repair(value: &serde_json::Value, structural: &[Problem]) -> Vec<Problem> {
    let bad: std::collections::HashSet<&str> = structural.iter().map(|p| p.path.as_str()).collect();
    if bad.contains("") {
        return Vec::new();
    }
    let mut repaired = value.clone();
    if strip(&mut repaired, "", &bad) || !structure::check(&repaired).is_empty() {
        return Vec::new();
    }
    let Ok(spec) = serde_json::from_value::<JobSpec>(repaired) else {
        return Vec::new();
    };
    validate(&spec)
        .into_iter()
        .filter(|p| {
            !bad.iter().any(|b| {
                p.path == *b
                    || p.path.starts_with(&format!("{b}."))
                    || p.path.starts_with(&format!("{b}["))
            })
        })
        .collect()
}

/// Removes every field whose path is in `bad`; returns true when `value` itself
/// must go (a bad item inside a list removes the whole list).
fn strip(value: &mut serde_json::Value, path: &str, bad: &std::collections::HashSet<&str>) -> bool {
    use crate::document::{index_path, key_path};
    match value {
        serde_json::Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let here = key_path(path, &k);
                let remove = bad.contains(here.as_str())
                    || map.get_mut(&k).is_some_and(|v| strip(v, &here, bad));
                if remove {
                    map.remove(&k);
                }
            }
            false
        }
        serde_json::Value::Array(items) => items.iter_mut().enumerate().any(|(i, v)| {
            let here = index_path(path, i);
            bad.contains(here.as_str()) || strip(v, &here, bad)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
