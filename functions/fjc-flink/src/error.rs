//! Errors of the Flink REST layer.

use thiserror::Error;

/// What can go wrong talking to Flink. Messages never contain a whole Java stack trace.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FlinkError {
    /// 404: the job, jar or trigger does not exist.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// 409 on cancel: the job is already finished, failed or cancelled.
    #[error("job {job} is already in a terminal state")]
    AlreadyTerminal {
        /// The job id.
        job: String,
    },
    /// A submission named a job id that the cluster already has: the job was submitted
    /// before (perhaps by an earlier attempt whose answer was lost) and can be adopted.
    #[error("job {job} was already submitted to this cluster")]
    DuplicateJob {
        /// The job id.
        job: String,
    },
    /// 400: Flink refused the request as malformed.
    #[error("Flink rejected the request: {message}")]
    BadRequest {
        /// First line and cause line of Flink's answer.
        message: String,
    },
    /// 401/403.
    #[error("Flink refused the credentials (HTTP {status})")]
    Unauthorized {
        /// HTTP status.
        status: u16,
    },
    /// 5xx: Flink failed (for a submission: the program failed to build or start).
    #[error("Flink server error (HTTP {status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// First line and cause line of Flink's answer.
        message: String,
    },
    /// Nothing listens at the address.
    #[error("cannot connect to Flink at {url}: connection refused")]
    ConnectionRefused {
        /// The base URL.
        url: String,
    },
    /// The call did not finish within its timeout.
    #[error("Flink call {operation} timed out after {seconds}s")]
    Timeout {
        /// Which call.
        operation: String,
        /// The timeout.
        seconds: u64,
    },
    /// The TLS handshake failed on authentication: the server refused our client
    /// certificate (or wanted one), or its certificate is not trusted.
    #[error("TLS handshake with Flink failed: {message}")]
    TlsRejected {
        /// The TLS layer's reason.
        message: String,
    },
    /// Any other transport problem (reset, DNS, TLS failure not about trust).
    #[error("transport error talking to Flink: {message}")]
    Transport {
        /// What happened.
        message: String,
    },
    /// The credentials for this cluster could not be obtained (nothing was sent).
    #[error("no credentials for Flink: {message}")]
    Credentials {
        /// Why (names the secret, never its value).
        message: String,
        /// Whether trying again may help (the secret store was unavailable).
        retryable: bool,
    },
    /// Flink answered something this client cannot read.
    #[error("unexpected answer from Flink for {operation}: {message}")]
    Decode {
        /// Which call.
        operation: String,
        /// What was wrong.
        message: String,
    },
    /// The client configuration is unusable (bad URL, unreadable certificate or key).
    #[error("invalid Flink client configuration: {message}")]
    Config {
        /// What is wrong (never the secret itself).
        message: String,
    },
    /// A local file (the jar) could not be read.
    #[error("cannot read {path}: {message}")]
    LocalIo {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
}

impl FlinkError {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            FlinkError::ConnectionRefused { .. }
            | FlinkError::Timeout { .. }
            | FlinkError::Transport { .. }
            | FlinkError::Unauthorized { .. }
            | FlinkError::TlsRejected { .. } => true,
            // 503/502/504 are infrastructure; 500 from a submission is the program's fault.
            FlinkError::Server { status, .. } => *status != 500,
            FlinkError::Credentials { retryable, .. } => *retryable,
            FlinkError::NotFound { .. }
            | FlinkError::AlreadyTerminal { .. }
            | FlinkError::DuplicateJob { .. }
            | FlinkError::BadRequest { .. }
            | FlinkError::Decode { .. }
            | FlinkError::Config { .. }
            | FlinkError::LocalIo { .. } => false,
        }
    }

    /// Whether Flink may have carried out the request although no answer arrived
    /// (a timeout or reset after the request was sent). A submission that ends like
    /// this must be looked up by its job id, never blindly repeated with a new id.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            FlinkError::Timeout { .. } | FlinkError::Transport { .. }
        )
    }

    /// Whether the cluster could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            FlinkError::ConnectionRefused { .. }
                | FlinkError::Timeout { .. }
                | FlinkError::Transport { .. }
        )
    }

    /// The same error with every free-text field passed through `scrub` (to mask
    /// values that must not be stored or logged, such as resolved secrets).
    pub fn scrubbed(self, scrub: impl Fn(&str) -> String) -> FlinkError {
        match self {
            FlinkError::NotFound { what } => FlinkError::NotFound { what: scrub(&what) },
            FlinkError::BadRequest { message } => FlinkError::BadRequest {
                message: scrub(&message),
            },
            FlinkError::Server { status, message } => FlinkError::Server {
                status,
                message: scrub(&message),
            },
            FlinkError::TlsRejected { message } => FlinkError::TlsRejected {
                message: scrub(&message),
            },
            FlinkError::Transport { message } => FlinkError::Transport {
                message: scrub(&message),
            },
            FlinkError::Decode { operation, message } => FlinkError::Decode {
                operation,
                message: scrub(&message),
            },
            FlinkError::Config { message } => FlinkError::Config {
                message: scrub(&message),
            },
            FlinkError::Credentials { message, retryable } => FlinkError::Credentials {
                message: scrub(&message),
                retryable,
            },
            other => other,
        }
    }

    /// Whether the cluster refused our credentials (HTTP 401/403 or a TLS handshake
    /// failure): fetching them again (rotation) may help.
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            FlinkError::Unauthorized { .. } | FlinkError::TlsRejected { .. }
        )
    }

    /// A short, stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            FlinkError::NotFound { .. } => "not_found",
            FlinkError::AlreadyTerminal { .. } => "already_terminal",
            FlinkError::DuplicateJob { .. } => "duplicate_job",
            FlinkError::BadRequest { .. } => "bad_request",
            FlinkError::Unauthorized { .. } => "unauthorized",
            FlinkError::TlsRejected { .. } => "tls_rejected",
            FlinkError::Credentials { .. } => "credentials",
            FlinkError::Server { .. } => "server",
            FlinkError::ConnectionRefused { .. } => "connection_refused",
            FlinkError::Timeout { .. } => "timeout",
            FlinkError::Transport { .. } => "transport",
            FlinkError::Decode { .. } => "decode",
            FlinkError::Config { .. } => "config",
            FlinkError::LocalIo { .. } => "local_io",
        }
    }
}
