//! The EventBridge adapter of [`EventSink`]: `PutEvents` to the configured bus
//! (`FJC_EVENT_BUS`), source `fjc`, detail-type `FJC Job State Change` or
//! `FJC Job Alert`, the event as its detail. Ten entries per call (the API's
//! limit), in order.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use fjc_core::events::{EventError, EventSink, JobEvent};
use futures::future::BoxFuture;

/// The `source` of every event the controller sends.
pub const SOURCE: &str = "fjc";

/// Sends events to one bus.
#[derive(Debug, Clone)]
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeSink {
    /// Events to `bus` (a name or ARN).
    pub fn new(sdk: &aws_config::SdkConfig, bus: &str) -> EventBridgeSink {
        EventBridgeSink {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: bus.to_string(),
        }
    }

    /// Events to `bus` through `client`.
    pub fn from_client(client: aws_sdk_eventbridge::Client, bus: &str) -> EventBridgeSink {
        EventBridgeSink {
            client,
            bus: bus.to_string(),
        }
    }

    fn error(&self, message: String, retryable: bool) -> EventError {
        EventError::Send {
            bus: self.bus.clone(),
            message,
            retryable,
        }
    }

    async fn put(&self, events: &[JobEvent]) -> Result<(), EventError> {
        for chunk in events.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for e in chunk {
                let detail = serde_json::to_string(e)
                    .map_err(|x| self.error(format!("event {}: {x}", e.id), false))?;
                entries.push(
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(e.kind.detail_type())
                        .detail(detail)
                        .build(),
                );
            }
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    let message = aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string();
                    let retryable = match e.as_service_error() {
                        Some(s) => s.is_internal_exception(),
                        // Network, timeout, throttling, an unparsable answer.
                        None => true,
                    } || message.contains("Throttl");
                    self.error(message, retryable)
                })?;
            if out.failed_entry_count() > 0 {
                let first = out
                    .entries()
                    .iter()
                    .find_map(|r| {
                        r.error_code()
                            .map(|c| format!("{c}: {}", r.error_message().unwrap_or("")))
                    })
                    .unwrap_or_default();
                return Err(self.error(
                    format!(
                        "{} of {} events refused ({first})",
                        out.failed_entry_count(),
                        chunk.len()
                    ),
                    true,
                ));
            }
        }
        Ok(())
    }
}

impl EventSink for EventBridgeSink {
    fn send<'a>(&'a self, events: &'a [JobEvent]) -> BoxFuture<'a, Result<(), EventError>> {
        Box::pin(self.put(events))
    }
}
