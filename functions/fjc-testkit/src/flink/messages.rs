//! What Flink 2.3 says when it refuses or fails, written as Flink writes it (an
//! exception, `Caused by:` lines, stack frames) and reduced to one line by the
//! same functions the REST adapter uses, so that the fake's errors read exactly
//! like the real adapter's.

use fjc_flink::rest::{reduce_error_body, reduce_stack_trace};
use fjc_flink::{FlinkError, JarId, JobId};

const FRAME: &str = "\tat org.apache.flink.runtime.rest.handler.AbstractRestHandler.respondToRequest(AbstractRestHandler.java:83)";

/// Flink's `{"errors": [...]}` body.
fn body(errors: &[&str]) -> String {
    serde_json::json!({ "errors": errors }).to_string()
}

/// The file system Flink names in a "Cannot find" message.
fn file_system(location: &str) -> &str {
    match location.split_once("://") {
        Some((scheme, _)) if !scheme.contains('/') => scheme,
        _ => "file",
    }
}

fn cannot_find(location: &str) -> String {
    format!(
        "java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory \
         '{location}' on file system '{}'.",
        file_system(location)
    )
}

/// `POST /jars/:id/run` of a jar that is not there: HTTP 500.
pub(super) fn unknown_jar(upload_dir: &str, jar: &JarId) -> FlinkError {
    let what = format!(
        "org.apache.flink.runtime.rest.handler.RestHandlerException: Jar file {upload_dir}/{jar} does not exist"
    );
    let server_side = format!(
        "<Exception on server side:\njava.util.concurrent.CompletionException: {what}\n{FRAME}\n\
         Caused by: {what}\n\t... 43 more\n\nEnd of exception on server side>"
    );
    FlinkError::Server {
        status: 500,
        message: reduce_error_body(&body(&["Internal server error.", &server_side])),
    }
}

/// `POST /jars/:id/run` restoring from a location that is not there: HTTP 400.
pub(super) fn missing_restore_point(location: &str, job_name: &str) -> FlinkError {
    let trace = format!(
        "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\
         \tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:114)\n\
         Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: Failed to execute job '{job_name}'.\n\
         \t... 4 more\n\
         Caused by: org.apache.flink.runtime.client.JobInitializationException: Could not start the JobMaster.\n\
         \t... 1 more\n\
         Caused by: {}\n\t... 5 more\n",
        cannot_find(location)
    );
    FlinkError::BadRequest {
        message: reduce_error_body(&body(&[&trace])),
    }
}

/// The exception of the FAILED job a refused restore leaves behind.
pub(super) fn job_master_not_started(location: &str) -> String {
    format!(
        "org.apache.flink.runtime.client.JobInitializationException: Could not start the JobMaster.\n\
         \tat org.apache.flink.runtime.jobmaster.DefaultJobMasterServiceProcess.lambda$new$0(DefaultJobMasterServiceProcess.java:97)\n\
         Caused by: java.util.concurrent.CompletionException: java.lang.RuntimeException: {0}\n\
         Caused by: java.lang.RuntimeException: {0}\n\
         Caused by: {0}\n\t... 5 more\n",
        cannot_find(location)
    )
}

/// The exception of a job a test failed with `cause`.
pub(super) fn job_failed(cause: &str) -> String {
    format!(
        "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\
         \tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:219)\n\
         Caused by: {cause}\n\t... 30 more\n"
    )
}

/// A savepoint of a job the cluster no longer runs (ended, or unknown).
pub(super) fn job_not_found(id: &JobId) -> String {
    let what = format!(
        "org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job ({id})"
    );
    reduce_stack_trace(&format!(
        "java.util.concurrent.CompletionException: {what}\n\
         \tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable(CompletableFuture.java:332)\n\
         Caused by: {what}\n\t... 36 more\n"
    ))
}

/// A savepoint of a job whose tasks are not all running.
pub(super) fn tasks_not_running(id: &JobId) -> String {
    let what = format!(
        "org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint of job {id} failed. \
         Failure reason: Not all required tasks are currently running."
    );
    reduce_stack_trace(&format!(
        "java.util.concurrent.CompletionException: {what}\nCaused by: {what}\n\t... 12 more\n"
    ))
}

/// A disposal of a location that is not there.
pub(super) fn disposal_failed(location: &str) -> String {
    reduce_stack_trace(&format!(
        "org.apache.flink.util.FlinkException: Could not dispose savepoint {location}.\n\
         \tat org.apache.flink.runtime.dispatcher.Dispatcher.lambda$disposeSavepoint$29(Dispatcher.java:1523)\n\
         Caused by: {}\n\t... 4 more\n",
        cannot_find(location)
    ))
}

/// A savepoint without a target directory on a cluster without a default one.
pub(super) fn no_savepoint_dir() -> FlinkError {
    FlinkError::BadRequest {
        message: reduce_error_body(&body(&[
            "org.apache.flink.runtime.rest.handler.RestHandlerException: Config key \
             [execution.checkpointing.savepoint-dir] is not set. Property [targetDirectory] \
             must be provided.",
        ])),
    }
}

/// The adapter refuses a malformed trigger id before calling Flink.
pub(super) fn bad_trigger_id(trigger_id: &str) -> FlinkError {
    FlinkError::BadRequest {
        message: format!("not a Flink trigger id (32 hex characters): {trigger_id:?}"),
    }
}

/// `GET|PUT /jobs/:id/resource-requirements` of a job under the default
/// scheduler: HTTP 500.
pub(super) fn default_scheduler() -> FlinkError {
    let server_side = "<Exception on server side:\njava.lang.UnsupportedOperationException: The \
         DefaultScheduler does not support changing the parallelism without a job restart. This \
         feature is currently only expected to work with the AdaptiveScheduler.\n\
         \tat org.apache.flink.runtime.scheduler.SchedulerNG.requestJobResourceRequirements(SchedulerNG.java:225)\n\
         \nEnd of exception on server side>";
    FlinkError::Server {
        status: 500,
        message: reduce_error_body(&body(&["Internal server error.", server_side])),
    }
}
