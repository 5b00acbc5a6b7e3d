//! The `reconcile` Lambda: fired by an EventBridge schedule, runs one reconcile
//! cycle. Clients are built once at cold start and reused across invocations.

#![recursion_limit = "256"]

use fjc_core::config::Config;
use fjc_core::handler::{Scope, reconcile_traced};
use fjc_core::runtime::{RealContext, build, init_tracing};
use fjc_core::snapshot::publish::Dashboard;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::load()?;
    let telemetry = init_tracing(&config, "reconcile");
    let telemetry = &telemetry;
    let ctx = build(&config, "lambda").await?;
    let ctx = &ctx;
    let dashboard = Dashboard::from_config(&config).await;
    let dashboard = dashboard.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", correlation_id = %event.context.request_id);
        fjc_core::telemetry::join_xray(&span, event.context.xray_trace_id.as_deref());
        let result = handle(ctx, dashboard, event).instrument(span).await;
        // The process is frozen after the answer: export this invocation's spans now.
        telemetry.flush().await;
        result
    }))
    .await
}

/// One invocation: one cycle over every job. The answer summarises the cycle; a
/// store failure fails the invocation (so it is retried / dead-lettered).
async fn handle(
    ctx: &RealContext,
    dashboard: Option<&Dashboard>,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let source = event
        .payload
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or("manual")
        .to_string();
    let request_id = event.context.request_id.clone();
    // The X-Ray trace id, when Lambda passes one, ties the logs to the trace.
    let trace = event.context.xray_trace_id.clone().unwrap_or_default();
    tracing::info!(correlation_id = %request_id, xray_trace_id = %trace, %source, "reconcile invoked");
    let report = reconcile_traced(ctx, &Scope::All, &request_id).await?;
    // CloudWatch Embedded Metric Format: the log lines are the metrics.
    let samples = fjc_core::metrics::cycle_samples(&report);
    for line in fjc_core::metrics::emf_lines("reconcile", &samples, report.started_at) {
        println!("{line}");
    }
    // The dashboard snapshot (when configured); written only when it changed.
    if let Some(d) = dashboard {
        d.after_cycle(ctx, &report).await;
    }
    Ok(json!({
        "specs": report.specs,
        "actions": report.actions.len(),
        "failed": report.actions.iter().filter(|a| matches!(a.outcome, fjc_core::executor::Outcome::Failed(_))).count(),
        "waiting": report.plan.skipped.len(),
        "duration_ms": report.duration_ms as u64,
        "clusters_unreachable": report.clusters.values().filter(|c| c.is_err()).count(),
    }))
}
