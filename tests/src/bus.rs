//! An EventBridge bus on moto with a rule that sends every event of source
//! `fjc` to an SQS queue, and a reader of that queue: where the tests read
//! the controller's lifecycle events and alerts, as a user's rule would.

use std::collections::BTreeMap;

use fjc_aws::events::{EventBridgeSink, SOURCE};
use fjc_core::events::JobEvent;

use crate::harness::unique;

/// A bus, a queue, and a rule sending every `fjc` event from the bus to the
/// queue.
pub struct Bus {
    /// The bus name.
    pub name: String,
    events: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    queue: String,
    /// Every event read so far, by job.
    seen: std::sync::Mutex<BTreeMap<String, Vec<(String, JobEvent)>>>,
}

impl Bus {
    /// A new bus (named after `name`), queue and rule.
    pub async fn new(name: &str) -> Bus {
        let sdk = fjc_aws::wiring::aws_config().await;
        let events = aws_sdk_eventbridge::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let name = unique(name);
        events
            .create_event_bus()
            .name(&name)
            .send()
            .await
            .expect("create bus");
        let queue = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        events
            .put_rule()
            .name("all-fjc")
            .event_bus_name(&name)
            .event_pattern(serde_json::json!({"source": [SOURCE]}).to_string())
            .send()
            .await
            .expect("rule");
        events
            .put_targets()
            .rule("all-fjc")
            .event_bus_name(&name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
        Bus {
            name,
            events,
            sqs,
            queue,
            seen: Default::default(),
        }
    }

    /// The controller's adapter for this bus.
    pub fn sink(&self) -> EventBridgeSink {
        EventBridgeSink::from_client(self.events.clone(), &self.name)
    }

    /// Reads what the queue holds now into `seen`.
    pub async fn drain(&self) {
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            for m in messages {
                let body: serde_json::Value =
                    serde_json::from_str(m.body().unwrap_or("{}")).expect("an event envelope");
                assert_eq!(body["source"], SOURCE, "{body}");
                let detail_type = body["detail-type"].as_str().unwrap_or("").to_string();
                let event: JobEvent =
                    serde_json::from_value(body["detail"].clone()).expect("the event as detail");
                self.seen
                    .lock()
                    .unwrap()
                    .entry(event.job_id.clone())
                    .or_default()
                    .push((detail_type, event));
                if let Some(handle) = m.receipt_handle() {
                    let _ = self
                        .sqs
                        .delete_message()
                        .queue_url(&self.queue)
                        .receipt_handle(handle)
                        .send()
                        .await;
                }
            }
        }
    }

    /// What arrived for `job` so far.
    pub async fn of(&self, job: &str) -> Vec<(String, JobEvent)> {
        self.drain().await;
        self.seen
            .lock()
            .unwrap()
            .get(job)
            .cloned()
            .unwrap_or_default()
    }
}
