//! One REST call (what to send) and its answer (read whole), plus JSON decoding.

use bytes::Bytes;
use reqwest::multipart::Form;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::errors;
use crate::FlinkError;

/// What to send.
pub(super) enum Payload {
    None,
    Json(serde_json::Value),
    Multipart(Form),
}

/// One REST call: an operation name for logs and errors, and the request.
pub(super) struct Call<'a> {
    pub(super) operation: &'static str,
    pub(super) method: Method,
    pub(super) segments: &'a [&'a str],
    pub(super) query: Option<(&'a str, &'a str)>,
    pub(super) body: Payload,
    /// Whether sending it twice does no harm (reads, cancel, deletions): such a
    /// call is retried after a timeout or reset too, not only when refused.
    pub(super) idempotent: bool,
}

impl<'a> Call<'a> {
    /// A call without a body; `segments` are appended to the base URL's path (escaped).
    pub(super) fn new(operation: &'static str, method: Method, segments: &'a [&'a str]) -> Self {
        Call {
            operation,
            segments,
            query: None,
            body: Payload::None,
            idempotent: matches!(method, Method::GET | Method::PATCH | Method::DELETE),
            method,
        }
    }

    pub(super) fn query(mut self, key: &'a str, value: &'a str) -> Self {
        self.query = Some((key, value));
        self
    }

    pub(super) fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Payload::Json(body);
        self
    }

    pub(super) fn multipart(mut self, form: Form) -> Self {
        self.body = Payload::Multipart(form);
        self
    }
}

/// Flink's answer, read whole.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Bytes,
}

impl Answer {
    /// 2xx.
    pub(super) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The raw body.
    pub(super) fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (lossy), e.g. to look for a specific exception.
    pub(super) fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body reduced to one short line.
    pub(super) fn message(&self) -> String {
        errors::reduce_error_body(&self.text())
    }

    /// The error for an unsuccessful answer; `what` names the object for a 404.
    pub(super) fn error(&self, what: &str) -> FlinkError {
        errors::status_error(self.status.as_u16(), self.message(), what)
    }
}

/// Parses JSON, mapping failures to [`FlinkError::Decode`].
pub(crate) fn decode<T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T, FlinkError> {
    serde_json::from_slice(body).map_err(|e| FlinkError::Decode {
        operation: operation.to_string(),
        message: e.to_string(),
    })
}
