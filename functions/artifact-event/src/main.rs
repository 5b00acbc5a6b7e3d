//! The `artifact-event` Lambda: fired when an artifact lands in S3 (the bucket's
//! ObjectCreated notification, or the EventBridge "Object Created" event). It
//! verifies the object for the specs that use it and reconciles only those jobs,
//! through the same cycle code as the scheduled `reconcile` function. Clients
//! are built once at cold start.

#![recursion_limit = "256"]

use std::time::Duration;

use fjc_aws::sts::caller_identity;
use fjc_aws::wiring::{aws_config, build};
use fjc_core::artifact_event::{EventReport, ObjectOutcome, handle_event_until};
use fjc_core::config::Config;
use fjc_core::executor::Outcome;
use fjc_telemetry::emf;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::load()?;
    let telemetry = fjc_telemetry::init(&config, "artifact-event");
    let telemetry = &telemetry;
    let ctx = build(&config, "artifact-event").await?;
    let ctx = &ctx;
    // The function's own role: the "who" of artifact updates in the audit trail.
    let actor = caller_identity(&aws_config().await).await;
    let actor = actor.as_str();
    let debounce = Duration::from_secs(config.artifacts.event_debounce_seconds);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let span = tracing::info_span!("invocation", correlation_id = %event.context.request_id);
        fjc_telemetry::join_xray(&span, event.context.xray_trace_id.as_deref());
        let result = async {
            tracing::info!("artifact event");
            let deadline = i64::try_from(event.context.deadline).ok();
            handle_event_until(ctx, &event.payload, debounce, actor, deadline).await
        }
        .instrument(span)
        .await;
        telemetry.flush().await;
        let answer = EventAnswer::of(result?);
        emit_metrics(&answer);
        Ok::<EventAnswer, Error>(answer)
    }))
    .await
}

/// CloudWatch metrics (Embedded Metric Format, namespace `FJC`) of one event:
/// artifacts accepted and refused, deploy actions and failures.
fn emit_metrics(answer: &EventAnswer) {
    let n = |count: usize| count as f64;
    let metric = |name, value| emf::Metric {
        name,
        value,
        unit: "Count",
    };
    let line = emf::line(
        "FJC",
        &[("Function", "artifact-event")],
        &[
            metric("ArtifactAccepted", n(answer.accepted)),
            metric("ArtifactRefused", n(answer.refused)),
            metric("ArtifactDeployActions", n(answer.actions)),
            metric("ArtifactDeployFailures", n(answer.failed)),
        ],
        chrono_now_ms(),
    );
    // EMF lines go to stdout, which Lambda sends to CloudWatch Logs as they are.
    println!("{line}");
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The invocation's answer: per object what happened, and the reconcile's outcome.
#[derive(Debug, Serialize)]
struct EventAnswer {
    /// What became of each uploaded object.
    objects: Vec<ObjectOutcome>,
    /// Records of the event that were not object creations.
    ignored: Vec<String>,
    /// Jobs whose spec took the new object.
    accepted: usize,
    /// Jobs whose spec refused it (digest, signature, offline check).
    refused: usize,
    /// Actions of the scoped cycles that did not fail.
    actions: usize,
    /// Actions that failed.
    failed: usize,
    /// The lease each scoped cycle held.
    leases: Vec<String>,
    /// Requeued cycles run within the invocation.
    requeued: usize,
}

impl EventAnswer {
    fn of(report: EventReport) -> EventAnswer {
        let actions = report.cycles.iter().flat_map(|c| &c.actions);
        let failed = actions
            .clone()
            .filter(|a| matches!(a.outcome, Outcome::Failed(_)))
            .count();
        EventAnswer {
            accepted: report.objects.iter().map(|o| o.accepted.len()).sum(),
            refused: report.objects.iter().map(|o| o.refused.len()).sum(),
            actions: actions.count() - failed,
            failed,
            leases: report
                .cycles
                .iter()
                .map(|c| format!("{:?}", c.lease))
                .collect(),
            requeued: report.requeued.len(),
            objects: report.objects,
            ignored: report.ignored,
        }
    }
}
