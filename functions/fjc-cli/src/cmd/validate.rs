//! `fjc validate`.

use std::path::PathBuf;

use fjc_core::apply::{SourcedSpec, policy_problems};
use fjc_core::setup::offline_security;

use crate::exit::Failure;
use crate::files;

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
                let problems: Vec<String> = policy_problems(&security, &sourced, &[])
                    .into_iter()
                    .filter(|p| !(keys_in_secret && p.contains("security.artifact_verification")))
                    .collect();
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
