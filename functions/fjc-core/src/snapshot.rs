/// `dashboard.*` configuration (a section of [`crate::config`]).
pub use crate::config::dashboard as config;
pub mod dir;
pub mod history;
pub mod port;
pub mod publish;
pub mod sample;
#[cfg(test)]
mod tests;

pub use fjc_domain::snapshot::{
    CycleFacts, Inputs, Timing, breaker_view, build, detail_version, job_type, orphans,
};
