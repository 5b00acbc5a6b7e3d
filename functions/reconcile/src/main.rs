//! The `reconcile` Lambda: fired by an EventBridge schedule, runs one reconcile
//! cycle. Clients are built once at cold start and reused across invocations.

#![recursion_limit = "256"]

use fjc_core::config::Config;
use fjc_core::handler::{Scope, reconcile};
use fjc_core::runtime::{RealContext, build, init_tracing};
use fjc_core::snapshot::publish::Dashboard;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::load()?;
    init_tracing(&config);
    let ctx = build(&config, "lambda").await?;
    let ctx = &ctx;
    let dashboard = Dashboard::from_config(&config).await;
    let dashboard = dashboard.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(ctx, dashboard, event).await
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
    tracing::info!(request_id = %event.context.request_id, %source, "reconcile invoked");
    let report = reconcile(ctx, &Scope::All).await?;
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
