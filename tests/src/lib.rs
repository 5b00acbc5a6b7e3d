//! Shared helpers for the integration tests.
//!
//! These tests need the real services that `localstack/up.sh` starts (a Flink session
//! cluster and moto). They read its `env.sh` exports from the process environment and
//! fail loudly, never skip, when a service is missing.

pub mod bus;
pub mod counter;
pub mod counting_proxy;
pub mod crash;
pub mod fault_proxy;
pub mod flink;
pub mod harness;
pub mod lambda;
pub mod oidc;
pub mod otlp;
pub mod printed;
pub mod security;
pub mod viewer;

use std::path::PathBuf;

/// Where the local services are, as exported by `localstack/up.sh`.
#[derive(Debug, Clone)]
pub struct LocalEnv {
    /// Flink REST base URL.
    pub flink_url: String,
    /// AWS endpoint (moto).
    pub aws_endpoint: String,
    /// Artifact root directory.
    pub artifact_root: PathBuf,
    /// Directory with the built test job jars.
    pub jobs_dir: PathBuf,
    /// Directory test jobs write their output to.
    pub out_dir: PathBuf,
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: integration tests need the local services. \
             Run `localstack/up.sh` and `source .local/env.sh` (scripts/test.sh does both)."
        )
    })
}

impl LocalEnv {
    /// Reads the environment; panics with instructions when a variable is missing.
    pub fn from_env() -> LocalEnv {
        LocalEnv {
            flink_url: required("FJC_FLINK_URL"),
            aws_endpoint: required("AWS_ENDPOINT_URL"),
            artifact_root: PathBuf::from(required("FJC_ARTIFACT_ROOT")),
            jobs_dir: PathBuf::from(required("FJC_TEST_JOBS_DIR")),
            out_dir: PathBuf::from(required("FJC_TEST_OUT_DIR")),
        }
    }

    /// The programs submitted for jobs that are not jars: the SQL and Python
    /// runners built next to the test jobs by `localstack/up.sh`.
    pub fn runners(&self) -> fjc_core::context::Runners {
        fjc_core::context::Runners {
            sql: Some(self.jobs_dir.join("fjc-sql-runner.jar")),
            python: Some(self.jobs_dir.join("fjc-python-runner.jar")),
        }
    }

    /// Path of a built test job jar (`stream-counter.jar`, `batch-sum.jar`).
    pub fn job_jar(&self, name: &str) -> PathBuf {
        self.jobs_dir.join(name)
    }
}
