//! Who is calling, from STS: the identity recorded in the audit trail.

use fjc_core::audit::local_user;

/// The caller's IAM ARN (STS `GetCallerIdentity`), or `local:<user>@<host>`.
pub async fn caller_identity(sdk: &aws_config::SdkConfig) -> String {
    let sts = aws_sdk_sts::Client::new(sdk);
    match sts.get_caller_identity().send().await {
        Ok(out) => match out.arn() {
            Some(arn) => arn.to_string(),
            None => local_user(),
        },
        Err(e) => {
            tracing::debug!(error = %aws_sdk_sts::error::DisplayErrorContext(&e), "no AWS caller identity; using the local user");
            local_user()
        }
    }
}
