//! One module per command.

pub mod apply;
pub mod bootstrap;
pub mod dashboard;
pub mod health;
pub mod history;
pub mod lifecycle;
pub mod metrics;
pub mod reconcile;
pub mod runs;
pub mod schema;
pub mod status;
pub mod validate;
pub mod watch;

use fjc_aws::wiring::{RealContext, build};
use fjc_core::config::Config;

use crate::exit::Failure;

/// The trace exporter of this process (when configured), shut down (flushed) by
/// [`finish_telemetry`] before the process exits.
static TELEMETRY: std::sync::Mutex<Option<fjc_telemetry::Telemetry>> = std::sync::Mutex::new(None);

/// Loads configuration (a bad one is a user error) and installs logging.
pub fn config() -> Result<Config, Failure> {
    let config = Config::load().map_err(|e| Failure::User(e.to_string()))?;
    let telemetry = fjc_telemetry::init(&config, "fjc");
    if let Ok(mut t) = TELEMETRY.lock()
        && t.is_none()
    {
        *t = Some(telemetry);
    }
    Ok(config)
}

/// Exports the spans still buffered (call once, outside the async runtime).
pub fn finish_telemetry() {
    let t = TELEMETRY.lock().ok().and_then(|mut t| t.take());
    drop(t);
}

/// Configuration plus every real adapter.
pub async fn context() -> Result<(Config, RealContext), Failure> {
    let config = config()?;
    let ctx = build(&config, "fjc").await?;
    Ok((config, ctx))
}

/// The stored spec of `job_id`, which must be of type `want` (`command` names
/// the command for the error).
pub async fn spec_of_type(
    store: &impl fjc_core::store::Store,
    job_id: &str,
    want: fjc_spec::JobType,
    command: &str,
) -> Result<fjc_core::store::SpecRecord, Failure> {
    let spec = store
        .get_spec(job_id)
        .await?
        .ok_or_else(|| Failure::User(format!("no spec with job_id {job_id}")))?;
    if spec.spec.job_type != want {
        return Err(Failure::User(format!(
            "{job_id} is a {} job; `fjc {command}` applies to {} jobs",
            spec.spec.job_type.as_str(),
            want.as_str()
        )));
    }
    Ok(spec)
}
