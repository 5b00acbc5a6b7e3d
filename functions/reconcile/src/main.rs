//! The `reconcile` Lambda: fired by an EventBridge schedule, runs one reconcile
//! cycle. Clients are built once at cold start and reused across invocations.
//!
//! With `reconcile.shards` > 1 the scheduled invocation fans out: it invokes this
//! function asynchronously once per shard (`{"shard": {"index", "count"}}`), then
//! takes a read-only look at the whole fleet for the heartbeat and the dashboard.

#![recursion_limit = "256"]

mod fanout;

use fanout::LambdaFanout;
use fjc_core::config::Config;
use fjc_core::fanout::{Request, fan_out, request};
use fjc_core::handler::{CycleReport, Scope, reconcile_until, view_fleet};
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
    let fanout = LambdaFanout::from_env(&fjc_core::runtime::aws_config().await);
    let fanout = fanout.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", correlation_id = %event.context.request_id);
        fjc_core::telemetry::join_xray(&span, event.context.xray_trace_id.as_deref());
        let result = handle(ctx, dashboard, fanout, event).instrument(span).await;
        // The process is frozen after the answer: export this invocation's spans now.
        telemetry.flush().await;
        result
    }))
    .await
}

/// One invocation: one cycle over every job (or one shard's jobs), or the
/// fan-out. The answer summarises it; a store failure fails the invocation (so
/// it is retried / dead-lettered).
async fn handle(
    ctx: &RealContext,
    dashboard: Option<&Dashboard>,
    fanout: Option<&LambdaFanout>,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let source = event
        .payload
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or("manual")
        .to_string();
    let request_id = event.context.request_id.clone();
    // The lease never outlives the invocation.
    let deadline = i64::try_from(event.context.deadline).ok();
    // The X-Ray trace id, when Lambda passes one, ties the logs to the trace.
    let trace = event.context.xray_trace_id.clone().unwrap_or_default();
    let shards = ctx.settings.shards;
    let wanted = request(&event.payload, shards).map_err(|why| {
        tracing::warn!(reason = %why, "event refused");
        Error::from(why)
    })?;
    tracing::info!(correlation_id = %request_id, xray_trace_id = %trace, %source, request = ?wanted, "reconcile invoked");
    let report = match wanted {
        Request::Fleet if shards > 1 => {
            return fan_out_and_view(ctx, dashboard, fanout, &request_id).await;
        }
        Request::Fleet => reconcile_until(ctx, &Scope::All, &request_id, deadline).await?,
        Request::Shard(shard) => {
            reconcile_until(ctx, &Scope::Shard(shard), &request_id, deadline).await?
        }
    };
    emit_metrics(&report);
    // A shard sees part of the fleet: the fan-out's view publishes the snapshot.
    let shard = match wanted {
        Request::Shard(s) => json!(s.to_string()),
        Request::Fleet => {
            publish(ctx, dashboard, &report).await;
            Value::Null
        }
    };
    Ok(json!({
        "shard": shard,
        "specs": report.specs,
        "actions": report.actions.len(),
        "failed": report.actions.iter().filter(|a| matches!(a.outcome, fjc_core::executor::Outcome::Failed(_))).count(),
        "waiting": report.plan.skipped.len(),
        "duration_ms": report.duration_ms as u64,
        "clusters_unreachable": report.clusters.values().filter(|c| c.is_err()).count(),
    }))
}

/// The sharded schedule tick: starts every shard's invocation, then takes the
/// read-only fleet view (heartbeat, metrics, dashboard). Fails when a shard
/// could not be started, so the tick is retried.
async fn fan_out_and_view(
    ctx: &RealContext,
    dashboard: Option<&Dashboard>,
    fanout: Option<&LambdaFanout>,
    request_id: &str,
) -> Result<Value, Error> {
    let shards = ctx.settings.shards;
    let fanout = fanout.ok_or(
        "reconcile.shards > 1 needs this function's name \
         (AWS_LAMBDA_FUNCTION_NAME, or FJC_FANOUT_FUNCTION) to fan out",
    )?;
    let failed = fan_out(fanout, shards, request_id).await;
    for (shard, e) in &failed {
        tracing::error!(%shard, error = %e, retryable = e.is_retryable(), "fan-out failed");
    }
    tracing::info!(
        function = fanout.function(),
        shards,
        failed = failed.len(),
        "fanned out"
    );
    let view = view_fleet(ctx, request_id).await?;
    emit_metrics(&view);
    publish(ctx, dashboard, &view).await;
    if let Some((shard, e)) = failed.first() {
        return Err(format!(
            "{} of {shards} shards not started; {shard}: {e}",
            failed.len()
        )
        .into());
    }
    Ok(json!({
        "shards": shards,
        "started": shards,
        "specs": view.specs,
        "waiting": view.plan.actions.len(),
        "clusters_unreachable": view.clusters.values().filter(|c| c.is_err()).count(),
    }))
}

/// CloudWatch Embedded Metric Format: the log lines are the metrics.
fn emit_metrics(report: &CycleReport) {
    let samples = fjc_core::metrics::cycle_samples(report);
    for line in fjc_core::metrics::emf_lines("reconcile", &samples, report.started_at) {
        println!("{line}");
    }
}

/// The dashboard snapshot (when configured); written only when it changed.
async fn publish(ctx: &RealContext, dashboard: Option<&Dashboard>, report: &CycleReport) {
    if let Some(d) = dashboard {
        d.after_cycle(ctx, report).await;
    }
}
