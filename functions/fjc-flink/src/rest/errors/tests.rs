use super::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_short_line(line: &str) {
    assert!(
        line.chars().count() <= MAX_MESSAGE_CHARS,
        "too long: {line}"
    );
    assert!(
        !line.contains('\n') && !line.contains('\t'),
        "not one line: {line:?}"
    );
    assert!(!line.contains(" at org."), "stack frame kept: {line}");
    assert!(
        !line.contains("Exception on server side"),
        "wrapper kept: {line}"
    );
}

#[test]
fn bad_entry_class_keeps_the_class_not_found_line() {
    let line = reduce_error_body(&fixture("error-bad-entry-class-2.3.json"));
    assert_eq!(
        line,
        "java.util.concurrent.CompletionException: org.apache.flink.client.program.\
         ProgramInvocationException: The program's entry point class 'foo.Bar' was not found \
         in the jar file. / Caused by: java.lang.ClassNotFoundException: foo.Bar"
    );
    assert_short_line(&line);
}

#[test]
fn duplicate_job_keeps_the_duplicate_submission_line() {
    let line = reduce_error_body(&fixture("error-duplicate-job-2.3.json"));
    assert_eq!(
        line,
        "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute \
         application. / Caused by: org.apache.flink.runtime.client.\
         DuplicateApplicationSubmissionException: Application has already been submitted."
    );
}

#[test]
fn missing_savepoint_keeps_the_file_not_found_line() {
    let line = reduce_error_body(&fixture("error-missing-savepoint-2.3.json"));
    assert!(
        line.starts_with(
            "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute \
             application. / Caused by: java.io.FileNotFoundException: Cannot find checkpoint \
             or savepoint"
        ),
        "{line}"
    );
    assert_short_line(&line);
}

#[test]
fn unknown_jar_skips_the_generic_internal_server_error_entry() {
    let line = reduce_error_body(&fixture("error-unknown-jar-2.3.json"));
    assert!(
        line.starts_with("java.util.concurrent.CompletionException: "),
        "{line}"
    );
    assert!(line.contains("nope_nope.jar does not exist"), "{line}");
    assert_short_line(&line);
}

#[test]
fn first_line_alone_or_with_its_cause() {
    let line = reduce_error_body(&fixture("error-cancel-terminal-2.3.json"));
    assert_eq!(
        line,
        "org.apache.flink.runtime.rest.handler.RestHandlerException: Job cancellation failed \
         because the job has already reached another terminal state (FINISHED)."
    );
    let line = reduce_error_body(&fixture("error-job-not-found-2.3.json"));
    assert_eq!(
        line,
        "org.apache.flink.runtime.rest.NotFoundException: Job 00000000000000000000000000000042 \
         not found / Caused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: \
         Could not find Flink job (00000000000000000000000000000042)"
    );
}

#[test]
fn every_captured_error_reduces_to_a_short_line() {
    for name in [
        "error-bad-entry-class-2.3.json",
        "error-cancel-terminal-2.3.json",
        "error-cancel-unknown-2.3.json",
        "error-delete-unknown-jar-2.3.json",
        "error-duplicate-job-2.3.json",
        "error-job-not-found-2.3.json",
        "error-missing-savepoint-2.3.json",
        "error-unknown-jar-2.3.json",
    ] {
        let line = reduce_error_body(&fixture(name));
        assert!(!line.is_empty(), "{name}");
        assert_short_line(&line);
    }
}

#[test]
fn cause_already_in_the_first_line_is_not_repeated() {
    let trace = "java.util.concurrent.CompletionException: java.lang.RuntimeException: boom\n\
                 \tat a.b.C.d(C.java:1)\n\
                 Caused by: java.lang.RuntimeException: boom\n\
                 \tat x.Y.z(Y.java:2)\n";
    assert_eq!(
        reduce_stack_trace(trace),
        "java.util.concurrent.CompletionException: java.lang.RuntimeException: boom"
    );
}

#[test]
fn long_messages_are_capped() {
    let body =
        serde_json::json!({ "errors": [format!("x.Y: {}\n\tat a.b(C.java:1)", "m".repeat(2000))] });
    let line = reduce_error_body(&body.to_string());
    assert_eq!(line.chars().count(), MAX_MESSAGE_CHARS);
    assert!(line.ends_with('…'));
}

#[test]
fn non_json_and_empty_bodies() {
    assert_eq!(
        reduce_error_body("<html>\n<body>Bad Gateway</body>"),
        "<html>"
    );
    assert_eq!(reduce_error_body("  \n"), "");
    assert_eq!(reduce_error_body(r#"{"errors":[]}"#), "");
    assert_eq!(
        reduce_error_body(r#"{"errors":["Internal server error."]}"#),
        "Internal server error."
    );
}

#[test]
fn statuses_map_to_error_kinds() {
    let m = || "msg".to_string();
    assert_eq!(status_error(404, m(), "job x").kind(), "not_found");
    assert_eq!(
        status_error(400, m(), "x"),
        FlinkError::BadRequest {
            message: "msg".into()
        }
    );
    assert_eq!(
        status_error(401, m(), "x"),
        FlinkError::Unauthorized { status: 401 }
    );
    assert_eq!(
        status_error(403, m(), "x"),
        FlinkError::Unauthorized { status: 403 }
    );
    assert_eq!(
        status_error(503, String::new(), "x"),
        FlinkError::Server {
            status: 503,
            message: "HTTP 503".into()
        }
    );
    assert_eq!(
        status_error(413, m(), "x"),
        FlinkError::BadRequest {
            message: "HTTP 413: msg".into()
        }
    );
    assert_eq!(status_error(301, m(), "x").kind(), "transport");
}
