//! The Lambda adapter of [`Fanout`]: an asynchronous `Invoke` (`InvocationType:
//! Event`) of this same function, one per shard. Lambda queues each and retries
//! it on failure; the shard's lease keeps two runs of one shard apart.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use fjc_core::fanout::{Fanout, FanoutError};
use fjc_core::shard::Shard;
use serde_json::Value;

/// Invokes `function` (this function's name, or `FJC_FANOUT_FUNCTION`).
pub struct LambdaFanout {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl LambdaFanout {
    /// The adapter for this function: `FJC_FANOUT_FUNCTION`, else Lambda's
    /// `AWS_LAMBDA_FUNCTION_NAME`. `None` outside Lambda with neither set.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Option<LambdaFanout> {
        let function = std::env::var("FJC_FANOUT_FUNCTION")
            .or_else(|_| std::env::var("AWS_LAMBDA_FUNCTION_NAME"))
            .ok()
            .filter(|f| !f.is_empty())?;
        Some(LambdaFanout {
            client: aws_sdk_lambda::Client::new(sdk),
            function,
        })
    }

    /// The function invoked.
    pub fn function(&self) -> &str {
        &self.function
    }
}

impl Fanout for LambdaFanout {
    async fn start(&self, shard: Shard, event: Value) -> Result<(), FanoutError> {
        let result = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(event.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let message = aws_sdk_lambda::error::DisplayErrorContext(&e).to_string();
                let retryable = match e.as_service_error() {
                    Some(s) => s.is_too_many_requests_exception() || s.is_service_exception(),
                    // Network, timeout, unparsable answer: try again.
                    None => true,
                };
                let shard = shard.to_string();
                Err(if retryable {
                    FanoutError::Unavailable { shard, message }
                } else {
                    FanoutError::Refused { shard, message }
                })
            }
        }
    }
}
