//! Turning Flink's error answers (`{"errors":[...]}` with whole Java stack traces)
//! into one short line, and HTTP statuses into [`FlinkError`]s.

use serde::Deserialize;

use crate::FlinkError;

/// Longest reduced message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The wrapper Flink puts around a server-side exception in `errors[]`.
const SERVER_SIDE_START: &str = "<Exception on server side:";
const SERVER_SIDE_END: &str = "End of exception on server side>";

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// Reduces a Flink error answer body to one line of at most [`MAX_MESSAGE_CHARS`]
/// characters: the first line of the first meaningful error, then " / " and the last
/// "Caused by: ..." line when there is one. A body that is not Flink's JSON is
/// reduced as plain text.
pub fn reduce_error_body(body: &str) -> String {
    let body = body.trim();
    let errors: Vec<String> = match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => parsed
            .errors
            .into_iter()
            .map(|e| match e {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        Err(_) => return reduce_stack_trace(body),
    };
    // Flink often sends a generic line ("Internal server error.") and then the exception.
    let chosen = errors
        .iter()
        .find(|e| !is_generic(e))
        .or_else(|| errors.first());
    match chosen {
        Some(error) => reduce_stack_trace(error),
        None => String::new(),
    }
}

/// Reduces a Java stack trace (or any multi-line message) to its first line plus
/// the last "Caused by: ..." line, capped at [`MAX_MESSAGE_CHARS`] characters.
pub fn reduce_stack_trace(text: &str) -> String {
    let text = strip_server_side_wrapper(text);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.find(|l| !is_frame(l)) else {
        return String::new();
    };
    let last_cause = text
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with("Caused by:"));
    let line = match last_cause {
        Some(cause) if !first.contains(cause.trim_start_matches("Caused by:").trim()) => {
            format!("{first} / {cause}")
        }
        _ => first.to_string(),
    };
    cap(&line)
}

fn strip_server_side_wrapper(text: &str) -> &str {
    let text = text.trim();
    let text = text.strip_prefix(SERVER_SIDE_START).unwrap_or(text);
    text.strip_suffix(SERVER_SIDE_END).unwrap_or(text)
}

fn is_generic(error: &str) -> bool {
    let e = strip_server_side_wrapper(error).trim();
    e.is_empty() || matches!(e, "Internal server error." | "Internal server error")
}

fn is_frame(line: &str) -> bool {
    line.starts_with("at ") || (line.starts_with("...") && line.ends_with("more"))
}

/// One line, control characters replaced, at most [`MAX_MESSAGE_CHARS`] characters.
fn cap(line: &str) -> String {
    let clean: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= MAX_MESSAGE_CHARS {
        return clean;
    }
    let mut out: String = clean.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    out.push('…');
    out
}

/// The error for an unsuccessful HTTP status. `what` names the object for a 404
/// (`"job 0123…"`), `message` is the reduced body.
pub(crate) fn status_error(status: u16, message: String, what: &str) -> FlinkError {
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    match status {
        404 => FlinkError::NotFound {
            what: what.to_string(),
        },
        401 | 403 => FlinkError::Unauthorized { status },
        400 => FlinkError::BadRequest { message },
        402..=499 => FlinkError::BadRequest {
            message: cap(&format!("HTTP {status}: {message}")),
        },
        500..=599 => FlinkError::Server { status, message },
        300..=399 => FlinkError::Transport {
            message: format!(
                "unexpected redirect (HTTP {status}); is the URL's scheme (http/https) right?"
            ),
        },
        _ => FlinkError::Transport {
            message: format!("unexpected HTTP status {status}"),
        },
    }
}

#[cfg(test)]
mod tests;
