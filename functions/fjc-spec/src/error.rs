//! Problems found in a spec, and the error that carries them.

use std::fmt;

/// One thing wrong with a spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Problem {
    /// Field path such as `deployment.parallelism`, `args[2]` or `env_vars.FOO`;
    /// empty when the problem concerns the whole document.
    pub path: String,
    /// 1-based line in the source text, when known (YAML input).
    pub line: Option<usize>,
    /// What is wrong, for humans.
    pub message: String,
}

impl Problem {
    /// A problem at `path` with no line.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// The same problem, located at `line`.
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for Problem {
    /// `deployment.parallelism: must be >= 1 (line 7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// A spec that could not be read or is invalid, with every problem found.
///
/// `Display` prints one problem per line, each prefixed by the source name and
/// line: `examples/x.yaml:7: deployment.parallelism: must be >= 1`.
///
/// (`Error` is implemented by hand: thiserror would take the field named
/// `source` for the error's cause.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Where the spec came from (usually a file name).
    pub source: String,
    /// Everything wrong with it, never empty.
    pub problems: Vec<Problem>,
}

impl SpecError {
    /// An error from `source` with the given problems.
    pub fn new(source: impl Into<String>, problems: Vec<Problem>) -> Self {
        SpecError {
            source: source.into(),
            problems,
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&self.source)?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
            if !p.path.is_empty() {
                write!(f, "{}: ", p.path)?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_display() {
        let p = Problem::new("deployment.parallelism", "must be >= 1").at_line(Some(7));
        assert_eq!(
            p.to_string(),
            "deployment.parallelism: must be >= 1 (line 7)"
        );
        assert_eq!(Problem::new("", "empty file").to_string(), "empty file");
    }

    #[test]
    fn spec_error_display_lists_every_problem() {
        let err = SpecError::new(
            "examples/x.yaml",
            vec![
                Problem::new("deployment.parallelism", "must be >= 1").at_line(Some(7)),
                Problem::new("job_id", "required field is missing"),
                Problem::new("", "not a mapping").at_line(Some(1)),
            ],
        );
        assert_eq!(
            err.to_string(),
            "examples/x.yaml:7: deployment.parallelism: must be >= 1\n\
             examples/x.yaml: job_id: required field is missing\n\
             examples/x.yaml:1: not a mapping"
        );
        assert!(std::error::Error::source(&err).is_none());
    }
}
