//! Mapping failures to messages and exit codes.

use std::process::ExitCode;

use fjc_core::CoreError;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: exit 1.
    User(String),
    /// Infrastructure: exit 2.
    Infra(String),
    /// `fjc health` found a problem: exit 3.
    Unhealthy(String),
}

impl Failure {
    /// The message.
    pub fn text(&self) -> &str {
        match self {
            Failure::User(m) | Failure::Infra(m) | Failure::Unhealthy(m) => m,
        }
    }

    /// Prints the message and returns the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::User(m) => {
                eprintln!("error: {m}");
                ExitCode::from(1)
            }
            Failure::Infra(m) => {
                eprintln!("error: {m}");
                ExitCode::from(2)
            }
            Failure::Unhealthy(m) => {
                eprintln!("unhealthy: {m}");
                ExitCode::from(3)
            }
        }
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Failure {
        if e.is_user_error() {
            Failure::User(e.to_string())
        } else {
            Failure::Infra(e.to_string())
        }
    }
}

impl From<fjc_core::store::StoreError> for Failure {
    fn from(e: fjc_core::store::StoreError) -> Failure {
        Failure::from(CoreError::from(e))
    }
}
