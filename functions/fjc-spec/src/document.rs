//! Spec text to JSON values: YAML (with line numbers for every field) or JSON.
//!
//! A text holds one or more documents: YAML documents separated by `---`, or a JSON
//! object, or a JSON array of objects. Nothing here knows the spec model; see
//! [`crate::validate`](mod@crate::validate) for that.

mod json;
mod path;
mod scalar;
mod yaml;

use std::collections::HashMap;

use serde_json::Value;

use crate::MAX_SPEC_BYTES;
use crate::error::{Problem, SpecError};

pub use path::{index_path, key_path, parent_path};

/// Most nodes a YAML text may expand to (aliases count their whole target), to stop
/// "billion laughs" alias bombs.
pub const MAX_NODES: usize = 100_000;

/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;

/// One document of a spec text.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's content.
    pub value: Value,
    /// Prefix for field paths of this document: empty, or `[i]` for the i-th
    /// element of a top-level JSON array.
    pub prefix: String,
    /// 1-based line of each field path (YAML only; empty for JSON).
    pub lines: HashMap<String, usize>,
}

impl Document {
    /// A document without line information.
    pub fn new(value: Value) -> Self {
        Document {
            value,
            prefix: String::new(),
            lines: HashMap::new(),
        }
    }

    /// The line of `path`, or else of its nearest ancestor that has one.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut current = Some(path);
        while let Some(p) = current {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            current = parent_path(p);
        }
        None
    }

    /// Locates a problem found in this document: prefixes its path and sets its line
    /// (keeping a line it already has).
    pub fn locate(&self, problem: Problem) -> Problem {
        let line = problem.line.or_else(|| self.line_of(&problem.path));
        let path = if self.prefix.is_empty() {
            problem.path
        } else if problem.path.is_empty() || problem.path.starts_with('[') {
            format!("{}{}", self.prefix, problem.path)
        } else {
            format!("{}.{}", self.prefix, problem.path)
        };
        Problem {
            path,
            line,
            message: problem.message,
        }
    }
}

/// The syntax of a spec text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2 (the default).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// JSON when `source` ends in `.json` or the text starts with `{` or `[`
    /// (after whitespace), else YAML.
    pub fn detect(source: &str, text: &str) -> Format {
        let json_name = source.to_ascii_lowercase().ends_with(".json");
        let json_text = text.trim_start().starts_with(['{', '[']);
        if json_name || json_text {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Parses `text` (read from `source`, used for messages and format detection) into
/// its documents.
///
/// Fails on texts over [`MAX_SPEC_BYTES`], syntax errors, duplicate or non-string
/// keys, unsupported tags, and documents that are too large or too deep.
pub fn parse_documents(source: &str, text: &str) -> Result<Vec<Document>, SpecError> {
    if text.len() > MAX_SPEC_BYTES {
        let problem = Problem::new(
            "",
            format!(
                "spec is {} bytes, larger than the limit of {MAX_SPEC_BYTES} bytes ({} KiB)",
                text.len(),
                MAX_SPEC_BYTES / 1024
            ),
        );
        return Err(SpecError::new(source, vec![problem]));
    }
    let parsed = match Format::detect(source, text) {
        Format::Json => json::parse(text),
        Format::Yaml => yaml::parse(text),
    };
    parsed.map_err(|problems| SpecError::new(source, problems))
}

#[cfg(test)]
mod tests;
