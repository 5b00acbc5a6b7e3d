//! Resolving `secret://` references in a spec's `args` and `env_vars` just before
//! a submission. The resolved copy lives only for the submission: it is never
//! stored, logged or shown, and its values are masked in Flink's error messages.

use fjc_spec::JobSpec;

use crate::policy::Security;
use crate::secrets::{Redactor, SecretError, SecretRef, SecretSource};

/// A spec with its references replaced by values, and what to mask.
pub(crate) struct ResolvedSpec {
    /// The spec to submit.
    pub spec: JobSpec,
    /// The values resolved.
    pub redactor: Redactor,
}

impl std::fmt::Debug for ResolvedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedSpec")
            .field("job_id", &self.spec.job_id)
            .finish_non_exhaustive()
    }
}

/// Resolves every reference (each secret read once per submission, through the
/// cache).
pub(crate) async fn resolve_spec<K: SecretSource>(
    secrets: &K,
    security: &Security,
    spec: &JobSpec,
) -> Result<ResolvedSpec, SecretError> {
    let allowed = |r: &SecretRef, text: &str| match security.secret_refused(&r.id) {
        Some(reason) => Err(SecretError::BadReference {
            reference: text.to_string(),
            reason,
        }),
        None => Ok(()),
    };
    let mut resolved = spec.clone();
    let mut redactor = Redactor::default();
    for arg in &mut resolved.args {
        if let Some(r) = SecretRef::parse(arg)? {
            allowed(&r, arg)?;
            let value = r.resolve(secrets).await?;
            redactor.add(&value);
            *arg = value.expose().to_string();
        }
    }
    for value in resolved.env_vars.values_mut() {
        if let Some(r) = SecretRef::parse(value)? {
            allowed(&r, value)?;
            let v = r.resolve(secrets).await?;
            redactor.add(&v);
            *value = v.expose().to_string();
        }
    }
    Ok(ResolvedSpec {
        spec: resolved,
        redactor,
    })
}

/// `text` (e.g. Flink's failure cause of a job started from `spec`) with the
/// values of the spec's secret references masked. When they cannot be resolved
/// the text is withheld: it may contain them.
pub(crate) async fn scrub_secrets<K: SecretSource>(
    secrets: &K,
    security: &Security,
    spec: &JobSpec,
    text: String,
) -> String {
    let values = spec.args.iter().chain(spec.env_vars.values());
    if !crate::secrets::has_secret_refs(values.map(String::as_str)) {
        return text;
    }
    match resolve_spec(secrets, security, spec).await {
        Ok(r) => r.redactor.scrub(&text),
        Err(e) => format!("(message withheld: it may contain secret values, and {e})"),
    }
}
