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
fn trigger_ids_are_32_hex_characters() {
    let id = new_trigger_id();
    assert!(is_valid_trigger_id(&id), "{id}");
    assert_ne!(id, new_trigger_id());
    assert!(!is_valid_trigger_id("not-hex"));
    assert!(!is_valid_trigger_id("abcd"));
    assert_eq!(check_trigger_id("abcd").unwrap_err().kind(), "bad_request");
}

#[test]
fn trigger_answer_gives_the_request_id() {
    let id = parse_triggered(&fixture("savepoint-trigger-2.3.json"), "t").unwrap();
    assert_eq!(id, "92c17b1018f1589da94dcc9a43ea8029");
}

#[test]
fn savepoint_in_progress() {
    let status = parse_savepoint_status(&fixture("savepoint-status-first-2.3.json")).unwrap();
    assert_eq!(status, SavepointStatus::InProgress);
}

#[test]
fn savepoint_completed_has_a_location() {
    let status = parse_savepoint_status(&fixture("savepoint-status-completed-2.3.json")).unwrap();
    assert_eq!(
        status,
        SavepointStatus::Completed {
            location: "file:/work/main/.local/flink/savepoints/savepoint-3f724e-35213a0ef063"
                .into()
        }
    );
}

#[test]
fn failed_savepoint_also_says_completed_but_has_a_failure_cause() {
    let status = parse_savepoint_status(&fixture("savepoint-status-failed-2.3.json")).unwrap();
    let SavepointStatus::Failed { cause } = status else {
        panic!("expected Failed, got {status:?}");
    };
    assert!(
        cause.ends_with(
            "Caused by: java.io.IOException: Failed to create savepoint directory at \
             file:/proc/nope"
        ),
        "{cause}"
    );
    assert!(cause.len() < 500);
}

#[test]
fn completed_without_location_or_cause_is_a_decode_error() {
    let body = br#"{"status":{"id":"COMPLETED"},"operation":{}}"#;
    assert_eq!(parse_savepoint_status(body).unwrap_err().kind(), "decode");
}

#[test]
fn checkpoints_of_a_running_job() {
    let stats = parse_checkpoints(&fixture("checkpoints-running-2.3.json")).unwrap();
    assert_eq!(
        stats.counts,
        CheckpointCounts {
            restored: 0,
            total: 7,
            in_progress: 0,
            completed: 6,
            failed: 1
        }
    );
    let latest = stats.latest_completed.unwrap();
    assert_eq!(latest.id, 6);
    assert!(!latest.is_savepoint);
    assert_eq!(
        latest.external_path.as_deref(),
        Some("file:/work/main/.local/flink/checkpoints/3f724ec59d5f1348fe049f643ffcfc60/chk-6")
    );
    assert_eq!(stats.latest_savepoint, None);
    assert_eq!(stats.latest_restored, None);
}

#[test]
fn checkpoints_after_stop_with_savepoint_and_after_restore() {
    let stats = parse_checkpoints(&fixture("checkpoints-finished-2.3.json")).unwrap();
    assert_eq!(stats.latest_completed.map(|c| c.id), Some(16));
    let sp = stats.latest_savepoint.unwrap();
    assert!(sp.is_savepoint);
    assert_eq!(
        sp.external_path.as_deref(),
        Some("file:/work/main/.local/flink/savepoints/savepoint-3f724e-0a0c528f230f")
    );

    let restored = parse_checkpoints(&fixture("checkpoints-restored-2.3.json")).unwrap();
    assert_eq!(restored.counts.restored, 1);
    let from = restored.latest_restored.unwrap();
    assert_eq!(from.id, 17);
    assert_eq!(from.external_path, sp.external_path);
}

#[test]
fn checkpoints_without_any() {
    let stats = parse_checkpoints(br#"{"counts":{},"latest":{"completed":null}}"#).unwrap();
    assert_eq!(stats, CheckpointStats::default());
}
