//! The HTTP machinery shared by every call: one `reqwest::Client`, URL building,
//! authentication, timeouts, tracing and transport-error mapping.

use std::error::Error as _;
use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Url;
use tracing::Instrument;

use super::call::{Answer, Call, Payload};
use super::config::{FlinkAuth, RestClientConfig, redact_url};
use super::retry::{self, RetryPolicy};
use crate::FlinkError;

/// A [`FlinkApi`](crate::FlinkApi) adapter over Flink's REST API. Build it once and
/// share it: it holds one connection pool. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    base: Url,
    /// The base URL without credentials, for messages.
    base_display: String,
    auth: FlinkAuth,
    connect_timeout: Duration,
    request_timeout: Duration,
    upload_timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for RestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestClient")
            .field("base_url", &self.base_display)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("upload_timeout", &self.upload_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// Builds the client. TLS certificates are always verified; `ca_bundle_pem` adds
    /// roots, `client_identity_pem` enables mutual TLS.
    pub fn new(config: RestClientConfig) -> Result<RestClient, FlinkError> {
        let base_display = redact_url(&config.base_url);
        let base = Url::parse(&config.base_url).map_err(|e| FlinkError::Config {
            message: format!("base URL {base_display}: {e}"),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(FlinkError::Config {
                message: format!("base URL {base_display} must be http:// or https://"),
            });
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fjc-flink/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.ca_bundle_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                FlinkError::Config {
                    message: format!("CA bundle: {}", innermost(&e)),
                }
            })?;
            if certs.is_empty() {
                return Err(FlinkError::Config {
                    message: "CA bundle holds no certificate".to_string(),
                });
            }
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(pem) = &config.client_identity_pem {
            let identity =
                reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| FlinkError::Config {
                    message: format!("client identity: {}", innermost(&e)),
                })?;
            builder = builder.identity(identity);
        }
        let http = builder.build().map_err(|e| FlinkError::Config {
            message: format!("HTTP client: {}", innermost(&e)),
        })?;
        Ok(RestClient {
            http,
            base,
            base_display,
            auth: config.auth,
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            upload_timeout: config.upload_timeout,
            retry: config.retry,
        })
    }

    /// The base URL, without credentials.
    pub fn base_url(&self) -> &str {
        &self.base_display
    }

    /// Sends one call and reads the whole answer. Safe failures are tried again
    /// with jittered backoff ([`RetryPolicy`]) until the call's deadline.
    pub(super) async fn call(&self, call: Call<'_>) -> Result<Answer, FlinkError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| FlinkError::Config {
                message: "base URL cannot take a path".to_string(),
            })?
            .pop_if_empty()
            .extend(call.segments);
        if let Some((key, value)) = call.query {
            url.query_pairs_mut().append_pair(key, value);
        }
        let span = tracing::debug_span!(
            "flink_call",
            operation = call.operation,
            method = %call.method,
            path = url.path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let read = call.method == reqwest::Method::GET;
        let idempotent = call.idempotent;
        let operation = call.operation;
        let method = call.method;
        let (policy, mut form, json) = match call.body {
            // A streamed upload cannot be sent twice.
            Payload::Multipart(form) => (RetryPolicy::none(self.upload_timeout), Some(form), None),
            Payload::Json(v) => (self.retry, None, Some(v)),
            Payload::None => (self.retry, None, None),
        };
        async move {
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let remaining = policy.deadline.saturating_sub(started.elapsed());
                let timeout = if form.is_some() {
                    self.upload_timeout
                } else {
                    self.request_timeout.min(remaining)
                };
                let mut request = self
                    .http
                    .request(method.clone(), url.clone())
                    .timeout(timeout);
                request = match &self.auth {
                    FlinkAuth::None => request,
                    FlinkAuth::Basic { username, password } => {
                        request.basic_auth(username, Some(password))
                    }
                    FlinkAuth::Bearer { token } => request.bearer_auth(token),
                };
                if let Some(form) = form.take() {
                    request = request.multipart(form);
                } else if let Some(v) = &json {
                    request = request.json(v);
                }
                let result = async {
                    let response = request.send().await?;
                    let status = response.status();
                    let body = response.bytes().await?;
                    Ok::<_, reqwest::Error>((status, body))
                }
                .await;
                let result = result.map_err(|e| self.transport_error(&e, operation, timeout));
                let again = attempt < policy.max_attempts
                    && match &result {
                        Ok((status, _)) => retry::retry_status(*status, idempotent, read),
                        Err(e) => retry::retry_error(e, idempotent),
                    };
                let delay = policy.delay(attempt);
                if again && started.elapsed() + delay < policy.deadline {
                    let why = match &result {
                        Ok((status, _)) => format!("HTTP {}", status.as_u16()),
                        Err(e) => e.kind().to_string(),
                    };
                    tracing::info!(
                        operation,
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        %why,
                        "flink call retried"
                    );
                    tokio::time::sleep(delay).await;
                    continue;
                }
                let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                let span = tracing::Span::current();
                span.record("duration_ms", duration_ms);
                span.record("attempts", attempt);
                return match result {
                    Ok((status, body)) => {
                        span.record("status", status.as_u16());
                        tracing::debug!(
                            status = status.as_u16(),
                            duration_ms,
                            "flink call answered"
                        );
                        Ok(Answer { status, body })
                    }
                    Err(error) => {
                        tracing::debug!(
                            error.kind = error.kind(),
                            duration_ms,
                            %error,
                            "flink call failed"
                        );
                        Err(error)
                    }
                };
            }
        }
        .instrument(span)
        .await
    }

    fn transport_error(
        &self,
        e: &reqwest::Error,
        operation: &'static str,
        timeout: Duration,
    ) -> FlinkError {
        if e.is_timeout() {
            let (operation, limit) = if e.is_connect() {
                (format!("{operation} (connect)"), self.connect_timeout)
            } else {
                (operation.to_string(), timeout)
            };
            return FlinkError::Timeout {
                operation,
                seconds: limit
                    .as_millis()
                    .div_ceil(1000)
                    .try_into()
                    .unwrap_or(u64::MAX),
            };
        }
        if is_connection_refused(e) {
            return FlinkError::ConnectionRefused {
                url: self.base_display.clone(),
            };
        }
        let stage = if e.is_connect() {
            "connect"
        } else if e.is_body() || e.is_decode() {
            "reading answer"
        } else {
            "request"
        };
        let detail: String = innermost(e).chars().take(200).collect();
        if is_tls_auth_failure(&detail) {
            return FlinkError::TlsRejected {
                message: format!("{operation}: {detail}"),
            };
        }
        FlinkError::Transport {
            message: format!("{operation}: {stage}: {detail}"),
        }
    }
}

fn is_connection_refused(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// Whether a transport failure is the TLS layer refusing on trust: the server wants
/// or rejects our client certificate (an alert), or we reject its certificate.
fn is_tls_auth_failure(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("received fatal alert")
        || d.contains("invalid peer certificate")
        || d.contains("certificate required")
        || d.contains("certificaterequired")
        || d.contains("unknownca")
        || d.contains("badcertificate")
}

/// The deepest cause's message (reqwest's own message carries the URL).
fn innermost(e: &reqwest::Error) -> String {
    let mut deepest: Option<&(dyn std::error::Error + 'static)> = None;
    let mut source = e.source();
    while let Some(err) = source {
        deepest = Some(err);
        source = err.source();
    }
    match deepest {
        Some(err) => err.to_string(),
        None if e.is_builder() => "invalid request".to_string(),
        None => "unknown error".to_string(),
    }
}

#[cfg(test)]
mod tests;
