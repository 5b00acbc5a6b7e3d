//! What can be told offline about a job's program bytes, by artifact type: a
//! SQL script must pass [`crate::sql::check`], a PyFlink program
//! [`crate::python::check`]; a jar is Flink's to judge. `fjc validate` and the
//! controller's artifact verification both ask this.

use crate::model::{ArtifactType, JobSpec};

/// Why `bytes` cannot run as `spec`'s program, if it cannot.
pub fn check(spec: &JobSpec, bytes: &[u8]) -> Result<(), String> {
    match spec.artifact_kind()? {
        ArtifactType::Jar => Ok(()),
        ArtifactType::Sql => {
            let script =
                std::str::from_utf8(bytes).map_err(|_| "the SQL script is not UTF-8 text")?;
            crate::sql::check(script)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ArtifactType::Python => {
            let package = spec
                .python
                .as_ref()
                .is_some_and(|p| p.entry_module.is_some());
            crate::python::check(bytes, package)
        }
    }
}
