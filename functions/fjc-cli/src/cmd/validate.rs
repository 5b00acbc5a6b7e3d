//! `fjc validate`.

use std::path::PathBuf;

use fjc_core::apply::{SourcedSpec, policy_problems};
use fjc_core::setup::offline_security;

use crate::exit::Failure;
use crate::files;

/// The offline check of each SQL script or PyFlink program found below the
/// artifact root (one in S3 is checked when applied): for SQL, empty,
/// unterminated, client-only or refused statements, named with the statement
/// and its line; for Python, an empty or non-UTF-8 script, a package that is
/// not a zip.
fn script_problems(
    roots: &fjc_core::artifacts::ArtifactRoots,
    specs: &[SourcedSpec],
) -> Vec<String> {
    if roots.is_empty() {
        return Vec::new();
    }
    specs
        .iter()
        .filter(|s| {
            matches!(
                s.spec.artifact_kind(),
                Ok(fjc_spec::ArtifactType::Sql | fjc_spec::ArtifactType::Python)
            )
        })
        .filter(|s| !s.spec.artifact_path.starts_with("s3://"))
        .filter_map(|s| {
            let path = &s.spec.artifact_path;
            let file = roots.resolve(path, std::path::Path::new(path)).ok()?;
            let bytes = std::fs::read(file).ok()?;
            let problem = fjc_spec::program::check(&s.spec, &bytes).err()?;
            Some(format!(
                "{}: artifact_path: {}: {problem}",
                s.source, s.spec.artifact_path
            ))
        })
        .collect()
}

/// Validates every file, and the specs against the configured namespace policy
/// (offline: keys held in a secret are not read); prints each problem; fails if
/// any file is invalid.
pub fn run(paths: &[PathBuf]) -> Result<(), Failure> {
    let config = super::config()?;
    let (security, keys_in_secret) =
        offline_security(&config).map_err(|e| Failure::User(e.to_string()))?;
    let files = files::expand(paths).map_err(Failure::User)?;
    let mut bad = 0;
    let mut all = Vec::new();
    for f in &files {
        match files::load(f) {
            Ok(specs) => {
                let sourced: Vec<SourcedSpec> = specs
                    .into_iter()
                    .map(|spec| SourcedSpec {
                        source: f.display().to_string(),
                        spec,
                    })
                    .collect();
                let mut problems: Vec<String> = policy_problems(&security, &sourced, &[])
                    .into_iter()
                    .filter(|p| !(keys_in_secret && p.contains("security.artifact_verification")))
                    .collect();
                problems.extend(script_problems(&config.artifact_roots(), &sourced));
                if problems.is_empty() {
                    let ids: Vec<&str> = sourced.iter().map(|s| s.spec.job_id.as_str()).collect();
                    println!("ok: {} ({})", f.display(), ids.join(", "));
                } else {
                    bad += 1;
                    eprintln!("{}", problems.join("\n"));
                }
                all.extend(sourced);
            }
            Err(problems) => {
                bad += 1;
                eprintln!("{problems}");
            }
        }
    }
    let over: Vec<String> = security
        .over_quota(all.iter().map(|s| &s.spec))
        .into_iter()
        .map(|(job, why)| format!("{job}: {why}"))
        .collect();
    if !over.is_empty() {
        bad += 1;
        eprintln!("{}", over.join("\n"));
    }
    if bad > 0 {
        return Err(Failure::User(format!(
            "{bad} of {} file(s) invalid",
            files.len()
        )));
    }
    Ok(())
}
