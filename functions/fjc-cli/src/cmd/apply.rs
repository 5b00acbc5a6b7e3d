//! `fjc apply` and `fjc delete`.

use std::path::PathBuf;

use fjc_aws::sts::caller_identity;
use fjc_aws::wiring::{artifacts, aws_config, secrets, store};
use fjc_core::apply::{Caller, SourcedSpec, apply, delete as delete_spec};
use fjc_core::clock::SystemClock;
use fjc_core::setup::security;

use crate::exit::Failure;
use crate::files;

/// Validates every file first; writes nothing if any is invalid.
pub async fn run(paths: &[PathBuf]) -> Result<(), Failure> {
    let files = files::expand(paths).map_err(Failure::User)?;
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        match files::load(f) {
            Ok(list) => specs.extend(list.into_iter().map(|spec| SourcedSpec {
                source: f.display().to_string(),
                spec,
            })),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::User(format!(
            "{}\nnothing was applied",
            problems.join("\n")
        )));
    }
    let config = super::config()?;
    let sdk = aws_config().await;
    let security = security(&config, &*secrets(&sdk, &config)).await?;
    let actor = caller_identity(&sdk).await;
    let applied = apply(
        &store(&sdk, &config),
        &artifacts(&sdk, &config),
        &SystemClock,
        Caller {
            actor: &actor,
            security: &security,
        },
        specs,
    )
    .await
    .map_err(|e| match Failure::from(e) {
        Failure::User(m) => Failure::User(format!("{m}\nnothing was applied")),
        other => other,
    })?;
    for a in applied {
        println!(
            "{}: {} ({})",
            a.job_id,
            a.outcome.as_str(),
            &a.fingerprint[..12]
        );
    }
    Ok(())
}

/// Deletes one spec.
pub async fn delete(job_id: &str) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let actor = caller_identity(&sdk).await;
    delete_spec(&store(&sdk, &config), &SystemClock, &actor, job_id).await?;
    println!("{job_id}: deleted (its job is cancelled at the next reconcile)");
    Ok(())
}
