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

/// Structure, then (only if the structure is right) semantics of one document.
fn check_document(doc: &Document) -> Result<JobSpec, Vec<Problem>> {
    let locate_all = |problems: Vec<Problem>| problems.into_iter().map(|p| doc.locate(p)).collect();
    let structural = structure::check(&doc.value);
    if !structural.is_empty() {
        return Err(locate_all(structural));
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

#[cfg(test)]
mod tests;
