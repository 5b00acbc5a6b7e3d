//! One module per command.

pub mod apply;
pub mod bootstrap;
pub mod dashboard;
pub mod history;
pub mod lifecycle;
pub mod metrics;
pub mod reconcile;
pub mod runs;
pub mod schema;
pub mod status;
pub mod validate;

use fjc_core::config::Config;
use fjc_core::runtime::{RealContext, build, init_tracing};

use crate::exit::Failure;

/// Loads configuration (a bad one is a user error) and installs logging.
pub fn config() -> Result<Config, Failure> {
    let config = Config::load().map_err(|e| Failure::User(e.to_string()))?;
    init_tracing(&config);
    Ok(config)
}

/// Configuration plus every real adapter.
pub async fn context() -> Result<(Config, RealContext), Failure> {
    let config = config()?;
    let ctx = build(&config, "fjc").await?;
    Ok((config, ctx))
}
