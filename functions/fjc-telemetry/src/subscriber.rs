//! Logs and traces: the `tracing` subscriber (text or JSON lines to stderr) and,
//! when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, protocol from
//! `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` default, or `http/json`), an
//! OpenTelemetry layer exporting the same spans: one per cycle (`reconcile`), per
//! action (`action`, with the job id) and per Flink call (`flink_call`).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, filter::Targets};

use fjc_core::config::Config;

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

/// Installs the subscriber: log level from configuration (overridable with
/// `RUST_LOG`), text or JSON lines to stderr, plus span export when an OTLP
/// endpoint is set. `service` names the process in traces (`fjc`, `reconcile`,
/// `artifact-event`).
pub fn init(config: &Config, service: &str) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,fjc={0},fjc_core={0},fjc_aws={0},fjc_telemetry={0},fjc_flink={0},reconcile={0},artifact_event={0}",
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
                    .with_target("fjc_aws", tracing::Level::DEBUG)
                    .with_target("fjc_telemetry", tracing::Level::DEBUG)
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
}
