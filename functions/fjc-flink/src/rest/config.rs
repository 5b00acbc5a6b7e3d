//! Configuration of the REST adapter. `Debug` never prints a secret.

use std::fmt;
use std::time::Duration;

use super::retry::RetryPolicy;

/// How the adapter authenticates to Flink (or to a proxy in front of it).
#[derive(Clone, Default, PartialEq, Eq)]
pub enum FlinkAuth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP basic authentication.
    Basic {
        /// User name (printed by `Debug`).
        username: String,
        /// Password (never printed).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token (never printed).
        token: String,
    },
}

impl fmt::Debug for FlinkAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlinkAuth::None => f.write_str("None"),
            FlinkAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &Redacted)
                .finish(),
            FlinkAuth::Bearer { .. } => f.debug_struct("Bearer").field("token", &Redacted).finish(),
        }
    }
}

/// Everything [`RestClient::new`](super::RestClient::new) needs to reach one Flink cluster.
#[derive(Clone, PartialEq, Eq)]
pub struct RestClientConfig {
    /// REST base URL, e.g. `http://127.0.0.1:8081` or `https://flink.example/flink/`
    /// (a path prefix is kept).
    pub base_url: String,
    /// Limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit for a whole ordinary call, answer body included.
    pub request_timeout: Duration,
    /// Limit for a whole jar upload.
    pub upload_timeout: Duration,
    /// Credentials to send with every call.
    pub auth: FlinkAuth,
    /// Extra trusted root certificates (PEM, one or more), added to the system roots.
    pub ca_bundle_pem: Option<String>,
    /// Client certificate chain and private key (PEM) for mutual TLS.
    pub client_identity_pem: Option<String>,
    /// Retries and the per-call deadline.
    pub retry: RetryPolicy,
}

impl RestClientConfig {
    /// A configuration with no authentication and the default timeouts
    /// (connect 5 s, request 30 s, upload 300 s).
    pub fn new(base_url: impl Into<String>) -> RestClientConfig {
        RestClientConfig {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(300),
            auth: FlinkAuth::None,
            ca_bundle_pem: None,
            client_identity_pem: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for RestClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestClientConfig")
            .field("base_url", &redact_url(&self.base_url))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("upload_timeout", &self.upload_timeout)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .field(
                "ca_bundle_pem",
                &self.ca_bundle_pem.as_ref().map(|pem| PemSize(pem.len())),
            )
            .field(
                "client_identity_pem",
                &self.client_identity_pem.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}

/// The URL without user name and password; `<invalid URL>` when it does not parse
/// (an unparsable string may still hold a secret).
pub(crate) fn redact_url(raw: &str) -> String {
    match reqwest::Url::parse(raw) {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                // Both only fail for URLs that cannot have credentials at all.
                let _ = url.set_username("");
                let _ = url.set_password(None);
            }
            url.to_string()
        }
        Err(_) => "<invalid URL>".to_string(),
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

struct PemSize(usize);

impl fmt::Debug for PemSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes of PEM>", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_password_token_or_key() {
        let mut config = RestClientConfig::new("https://admin:url-secret@flink.example:8443/api");
        config.auth = FlinkAuth::Basic {
            username: "ops".into(),
            password: "hunter2-password".into(),
        };
        config.ca_bundle_pem = Some("-----BEGIN CERTIFICATE-----\nMIIB\n".into());
        config.client_identity_pem =
            Some("-----BEGIN PRIVATE KEY-----\nkey-secret-material\n".into());
        let printed = format!("{config:?} {config:#?}");
        for secret in [
            "hunter2-password",
            "url-secret",
            "key-secret-material",
            "PRIVATE KEY",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked: {printed}");
        }
        assert!(printed.contains("ops"));
        assert!(printed.contains("flink.example:8443/api"));
        assert!(printed.contains("<redacted>"));

        config.auth = FlinkAuth::Bearer {
            token: "tok-abc-123".into(),
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("tok-abc-123"), "{printed}");
        assert!(printed.contains("Bearer"));
    }

    #[test]
    fn invalid_url_is_not_echoed() {
        assert_eq!(redact_url("not a url with pass:word"), "<invalid URL>");
        assert_eq!(
            redact_url("http://127.0.0.1:8081"),
            "http://127.0.0.1:8081/"
        );
    }
}
