//! The `reconcile` Lambda: fired by an EventBridge schedule, runs one reconcile
//! cycle. Clients are built once at cold start and reused across invocations.
//!
//! With `reconcile.shards` > 1 the scheduled invocation fans out: it invokes this
//! function asynchronously once per shard (`{"shard": {"index", "count"}}`), then
//! takes a read-only look at the whole fleet for the heartbeat and the dashboard.

#![recursion_limit = "256"]

use fjc_aws::fanout::LambdaFanout;
use fjc_aws::wiring::{RealContext, RealDashboard, Wiring, wire};
use fjc_core::config::Config;
use fjc_core::cycle::{CycleReport, Scope};
use fjc_core::fanout::{Request, fan_out, request};
use fjc_core::tick::{TickPlan, tick};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::load()?;
    let telemetry = fjc_telemetry::init(&config, "reconcile");
    let telemetry = &telemetry;
    // The SDK configuration is loaded once; every client is made from it.
    let Wiring {
        sdk,
        ctx,
        dashboard,
    } = wire(&config, "lambda").await?;
    let (ctx, dashboard) = (&ctx, dashboard.as_ref());
    let fanout = LambdaFanout::from_env(&sdk);
    let fanout = fanout.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", correlation_id = %event.context.request_id);
        fjc_telemetry::join_xray(&span, event.context.xray_trace_id.as_deref());
        let result = handle(ctx, dashboard, fanout, event).instrument(span).await;
        // The process is frozen after the answer: export this invocation's spans now.
        telemetry.flush().await;
        result
    }))
    .await
}

/// The function's answer.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Answer {
    /// One cycle, over the whole fleet or one shard.
    Cycle(CycleAnswer),
    /// A sharded schedule tick: shard invocations started, then the fleet view.
    FanOut(FanOutAnswer),
}

/// What one cycle did.
#[derive(Debug, Serialize)]
struct CycleAnswer {
    /// The shard (`"2/4"`), or `null` for the whole fleet.
    shard: Option<String>,
    /// Specs in scope.
    specs: usize,
    /// Actions carried out.
    actions: usize,
    /// Actions that failed.
    failed: usize,
    /// Jobs held back this cycle (backoff, breaker, policy), each with a reason.
    waiting: usize,
    /// Wall time of the cycle, with the cycles of its requeued jobs.
    duration_ms: u64,
    /// Clusters whose observation failed.
    clusters_unreachable: usize,
    /// Cycles of jobs whose operations asked to be looked at again (after the
    /// first cycle, within this invocation).
    requeued: usize,
    /// Jobs still waiting to be looked at again: the next tick goes on with them.
    left_waiting: usize,
}

/// What a sharded schedule tick did.
#[derive(Debug, Serialize)]
struct FanOutAnswer {
    /// Shards configured.
    shards: u32,
    /// Shard invocations started.
    started: u32,
    /// Specs in the fleet.
    specs: usize,
    /// Actions the fleet view plans (the shard invocations carry them out).
    planned: usize,
    /// Clusters whose observation failed.
    clusters_unreachable: usize,
}

fn unreachable_clusters(report: &CycleReport) -> usize {
    report.clusters.values().filter(|c| c.is_err()).count()
}

/// One invocation: one cycle over every job (or one shard's jobs), or the
/// fan-out. The answer summarises it; a store failure fails the invocation (so
/// it is retried / dead-lettered).
async fn handle(
    ctx: &RealContext,
    dashboard: Option<&RealDashboard>,
    fanout: Option<&LambdaFanout>,
    event: LambdaEvent<Value>,
) -> Result<Answer, Error> {
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
    let scope = match wanted {
        Request::Fleet if shards > 1 => {
            return fan_out_and_view(ctx, dashboard, fanout, &request_id).await;
        }
        Request::Fleet => Scope::All,
        Request::Shard(shard) => Scope::Shard(shard),
    };
    let done = tick(
        ctx,
        dashboard,
        TickPlan {
            scopes: std::slice::from_ref(&scope),
            view: false,
            // A shard sees part of the fleet: the fan-out's view publishes the snapshot.
            publish: matches!(wanted, Request::Fleet),
            correlation_id: Some(&request_id),
            deadline,
            stop: None,
        },
        |_, report| emit_metrics(report),
    )
    .await?;
    // Each job's action once, with its last outcome (requeued cycles included).
    let report = &done.combined().ok_or("no cycle ran")?;
    Ok(Answer::Cycle(CycleAnswer {
        shard: match wanted {
            Request::Shard(s) => Some(s.to_string()),
            Request::Fleet => None,
        },
        specs: report.specs,
        actions: report.actions.len(),
        failed: report
            .actions
            .iter()
            .filter(|a| matches!(a.outcome, fjc_core::executor::Outcome::Failed(_)))
            .count(),
        waiting: report.plan.skipped.len(),
        duration_ms: report.duration_ms as u64,
        clusters_unreachable: unreachable_clusters(report),
        requeued: done.requeued,
        left_waiting: done.left_waiting.len(),
    }))
}

/// The sharded schedule tick: starts every shard's invocation, then takes the
/// read-only fleet view (heartbeat, metrics, dashboard). Fails when a shard
/// could not be started, so the tick is retried.
async fn fan_out_and_view(
    ctx: &RealContext,
    dashboard: Option<&RealDashboard>,
    fanout: Option<&LambdaFanout>,
    request_id: &str,
) -> Result<Answer, Error> {
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
    let done = tick(
        ctx,
        dashboard,
        TickPlan {
            scopes: &[],
            view: true,
            publish: true,
            correlation_id: Some(request_id),
            deadline: None,
            stop: None,
        },
        |_, report| emit_metrics(report),
    )
    .await?;
    let view = done.view.as_ref().ok_or("no fleet view taken")?;
    if let Some((shard, e)) = failed.first() {
        return Err(format!(
            "{} of {shards} shards not started; {shard}: {e}",
            failed.len()
        )
        .into());
    }
    Ok(Answer::FanOut(FanOutAnswer {
        shards,
        started: shards,
        specs: view.specs,
        planned: view.plan.actions.len(),
        clusters_unreachable: unreachable_clusters(view),
    }))
}

/// CloudWatch Embedded Metric Format: the log lines are the metrics.
fn emit_metrics(report: &CycleReport) {
    let samples = fjc_telemetry::metrics::cycle_samples(report);
    for line in fjc_telemetry::metrics::emf_lines("reconcile", &samples, report.started_at) {
        println!("{line}");
    }
}
