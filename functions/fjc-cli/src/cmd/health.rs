//! `fjc health`: the controller's health from the stored heartbeat and breakers,
//! usable as a readiness probe (exit 0 healthy, 3 unhealthy, 2 store unreadable).

use std::time::Duration;

use fjc_aws::wiring::{aws_config, store};
use fjc_core::clock::{Clock, SystemClock, rfc3339};
use fjc_core::health::{Control, verdict};
use fjc_core::store::ControlStore;

use crate::exit::Failure;

/// Prints the heartbeat, each cluster and the verdict (or JSON).
pub async fn run(stale_after: Duration, json: bool) -> Result<(), Failure> {
    let config = super::config()?;
    let sdk = aws_config().await;
    let control = store(&sdk, &config).control().await?;
    let now = SystemClock.now_ms();
    let limit = i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX);
    let v = verdict(&control, now, limit);
    if json {
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "healthy": v.healthy,
            "problems": v.problems,
            "heartbeat": control.heartbeat,
            "breakers": control.breakers,
        }))
        .map_err(|e| Failure::Infra(format!("cannot render health: {e}")))?;
        println!("{text}");
    } else {
        print_text(&control, now);
    }
    if v.healthy {
        if !json {
            println!("healthy");
        }
        Ok(())
    } else {
        Err(Failure::Unhealthy(v.problems.join("; ")))
    }
}

fn print_text(control: &Control, now: i64) {
    match &control.heartbeat {
        Some(h) => {
            println!(
                "last full cycle {} ({} s ago) by {}, {} ms, {} specs, {} failed actions, correlation id {}",
                rfc3339(h.at),
                (now - h.at) / 1000,
                h.owner,
                h.cycle_ms,
                h.specs,
                h.failed_actions,
                h.correlation_id
            );
            for (name, c) in &h.clusters {
                let slots = match (c.slots_free, c.slots_total) {
                    (Some(f), Some(t)) => format!("{f}/{t} slots free"),
                    _ => "slots unknown".into(),
                };
                println!(
                    "  cluster {name}: {} · breaker {} · {} task managers · {slots}{}",
                    if c.reachable { "reachable" } else { "DOWN" },
                    c.breaker,
                    c.taskmanagers
                        .map_or_else(|| "?".to_string(), |t| t.to_string()),
                    c.error
                        .as_ref()
                        .map(|e| format!(" · {e}"))
                        .unwrap_or_default()
                );
            }
            for (job, c) in &h.canaries {
                println!(
                    "  canary {job}: {}",
                    if c.converged {
                        "converged".to_string()
                    } else {
                        format!("NOT converged: {}", c.detail.as_deref().unwrap_or("-"))
                    }
                );
            }
        }
        None => println!("no heartbeat yet"),
    }
    for (name, b) in &control.breakers {
        if let fjc_core::breaker::Admission::Refuse(why) = b.admit(now) {
            println!("  cluster {name}: {why}");
        }
    }
}
