use std::path::Path;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{name}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn jar_id_is_the_basename_of_the_stored_file() {
    let jar = parse_upload(&fixture("jar-upload-2.3.json")).unwrap();
    assert_eq!(
        jar.0,
        "35affe25-2706-4cdc-be83-55f9bce566f4_stream-counter.jar"
    );
    assert_eq!(
        parse_upload(br#"{"filename":"/"}"#).unwrap_err().kind(),
        "decode"
    );
}

#[test]
fn run_answer_gives_the_job_id() {
    let id = parse_run(&fixture("jar-run-2.3.json")).unwrap();
    assert_eq!(id.as_str(), "3f724ec59d5f1348fe049f643ffcfc60");
}

#[test]
fn run_body_is_camel_case_and_omits_absent_values() {
    assert_eq!(
        run_body(&RunRequest::default()).unwrap(),
        serde_json::json!({})
    );
    let id = JobId::parse("0123456789abcdef0123456789abcdef").unwrap();
    let request = RunRequest {
        job_id: Some(id),
        entry_class: Some("fjc.testjobs.StreamCounter".into()),
        program_args: vec!["--out-dir".into(), "/tmp/x y".into()],
        parallelism: Some(2),
        savepoint_path: Some("file:/sp/savepoint-1".into()),
        allow_non_restored_state: true,
        flink_configuration: [("pipeline.name".to_string(), "fjc:a".to_string())].into(),
    };
    assert_eq!(
        run_body(&request).unwrap(),
        serde_json::json!({
            "entryClass": "fjc.testjobs.StreamCounter",
            "programArgsList": ["--out-dir", "/tmp/x y"],
            "parallelism": 2,
            "jobId": "0123456789abcdef0123456789abcdef",
            "savepointPath": "file:/sp/savepoint-1",
            "allowNonRestoredState": true,
            "flinkConfiguration": {"pipeline.name": "fjc:a"},
        })
    );
}

#[test]
fn upload_file_name_always_ends_in_jar() {
    assert_eq!(
        upload_file_name(Path::new("/a/stream-counter.jar")),
        "stream-counter.jar"
    );
    assert_eq!(upload_file_name(Path::new("/a/artifact")), "artifact.jar");
    assert_eq!(
        upload_file_name(Path::new("/a/my job (1).jar")),
        "my_job__1_.jar"
    );
    assert_eq!(upload_file_name(Path::new("/")), "job.jar");
}

#[test]
fn duplicate_job_answer_is_recognised() {
    let body = String::from_utf8(fixture("error-duplicate-job-2.3.json")).unwrap();
    assert!(is_duplicate_job(&body));
    let body = String::from_utf8(fixture("error-bad-entry-class-2.3.json")).unwrap();
    assert!(!is_duplicate_job(&body));
    let body = String::from_utf8(fixture("error-missing-savepoint-2.3.json")).unwrap();
    assert!(!is_duplicate_job(&body));
}
