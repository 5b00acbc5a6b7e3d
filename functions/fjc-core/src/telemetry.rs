//! Logs and traces: the `tracing` subscriber (text or JSON lines to stderr) and,
//! when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, protocol from
//! `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` default, or `http/json`), an
//! OpenTelemetry layer exporting the same spans: one per cycle (`reconcile`), per
//! action (`action`, with the job id) and per Flink call (`flink_call`).
//!
//! In Lambda the X-Ray trace header becomes the parent of the invocation's spans
//! ([`xray_parent`]), so its traces join the X-Ray trace.

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, filter::Targets};

use crate::config::Config;

/// Keeps the trace exporter alive; flush it before a Lambda invocation returns
/// (the process is frozen between invocations).
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports every finished span now (blocking; run off the async workers).
    pub async fn flush(&self) {
        if let Some(p) = self.provider.clone() {
            let done = tokio::task::spawn_blocking(move || p.force_flush()).await;
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "trace export failed");
            }
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()))
}

/// Whether to colour output on a stream: only a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
pub fn colour(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `true` the first time it is called with `key` in this process, `false` after:
/// for a warning about something that cannot change while the process runs (it
/// would otherwise repeat every cycle).
pub fn first_time(key: &'static str) -> bool {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    SEEN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key)
}

/// Installs the subscriber: log level from configuration (overridable with
/// `RUST_LOG`), text or JSON lines to stderr, plus span export when an OTLP
/// endpoint is set. `service` names the process in traces (`fjc`, `reconcile`,
/// `artifact-event`).
pub fn init(config: &Config, service: &str) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,fjc={0},fjc_core={0},fjc_flink={0},reconcile={0},artifact_event={0}",
            config.log_level
        ))
    });
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").as_deref(),
        ));
    let fmt = if config.log_format == "json" {
        fmt.json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .with_filter(filter)
            .boxed()
    } else {
        fmt.compact().with_filter(filter).boxed()
    };
    let mut telemetry = Telemetry::default();
    let otel = if otlp_configured() {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
        {
            Ok(exporter) => {
                let provider = SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        opentelemetry_sdk::Resource::builder()
                            .with_service_name(service.to_string())
                            .build(),
                    )
                    .build();
                let tracer = provider.tracer("fjc");
                telemetry.provider = Some(provider);
                // Spans of our crates down to the Flink calls (debug spans).
                let targets = Targets::new()
                    .with_target("fjc", tracing::Level::DEBUG)
                    .with_target("fjc_core", tracing::Level::DEBUG)
                    .with_target("fjc_flink", tracing::Level::DEBUG)
                    .with_target("reconcile", tracing::Level::DEBUG)
                    .with_target("artifact_event", tracing::Level::DEBUG);
                Some(
                    tracing_opentelemetry::layer()
                        .with_tracer(tracer)
                        .with_filter(targets),
                )
            }
            Err(e) => {
                eprintln!("warning: OTLP trace exporter not started: {e}");
                None
            }
        }
    } else {
        None
    };
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init();
    telemetry
}

/// The OpenTelemetry parent context of an X-Ray trace header
/// (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`): the trace id is the
/// root's two hex parts joined. `None` for a header without a valid root and
/// parent.
pub fn xray_parent(header: &str) -> Option<opentelemetry::Context> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = false;
    for part in header.split(';') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Root" => {
                let mut p = v.split('-');
                let (version, epoch, rest) = (p.next()?, p.next()?, p.next()?);
                if version != "1" || epoch.len() != 8 || rest.len() != 24 {
                    return None;
                }
                root = TraceId::from_hex(&format!("{epoch}{rest}")).ok();
            }
            "Parent" => parent = SpanId::from_hex(v).ok(),
            "Sampled" => sampled = v == "1",
            _ => {}
        }
    }
    let (trace, span) = (root?, parent?);
    if trace == TraceId::INVALID || span == SpanId::INVALID {
        return None;
    }
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let context = SpanContext::new(trace, span, flags, true, TraceState::default());
    Some(opentelemetry::Context::new().with_remote_span_context(context))
}

/// Makes `span` a child of the X-Ray trace in `header` (no-op without a valid one
/// or without span export).
pub fn join_xray(span: &tracing::Span, header: Option<&str>) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if let Some(cx) = header.and_then(xray_parent) {
        let _ = span.set_parent(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
    }

    #[test]
    fn first_time_is_true_once_per_key() {
        assert!(first_time("telemetry-test-a"));
        assert!(!first_time("telemetry-test-a"));
        assert!(first_time("telemetry-test-b"));
    }

    #[test]
    fn xray_header_becomes_the_parent_context() {
        let cx = xray_parent(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .expect("valid header");
        let sc = cx.span().span_context().clone();
        assert_eq!(
            sc.trace_id().to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(sc.span_id().to_string(), "53995c3f42cd8ad8");
        assert!(sc.is_sampled() && sc.is_remote());
    }

    #[test]
    fn bad_xray_headers_are_ignored() {
        for h in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-zz59e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
            "garbage",
        ] {
            assert!(xray_parent(h).is_none(), "{h:?}");
        }
    }
}
