//! Events that are not S3 news: each error names the JSON path at fault.

use serde_json::json;

use super::*;

#[test]
fn bad_url_encoding_is_malformed() {
    // "%+1": a sign is not a hex digit, although `u8::from_str_radix` takes it.
    for raw in [
        "%",
        "jobs/%4",
        "jobs/%zz.jar",
        "jobs/%+1.jar",
        "jobs/%FF.jar",
    ] {
        assert_eq!(
            malformed_field(&s3_with_key(raw)),
            "Records[0].s3.object.key",
            "{raw}"
        );
    }
}

#[test]
fn malformed_notifications_name_the_field() {
    let s3 = s3_fixture;
    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "$"),
        (json!("Records"), "$"),
        (json!({}), "$"),
        (json!({"hello": "world"}), "$"),
        (json!({"Records": {}}), "Records"),
        (json!({"Records": []}), "Records"),
        (json!({"Records": [1]}), "Records[0]"),
        (
            with(s3(), "/Records/0/eventSource", None),
            "Records[0].eventSource",
        ),
        (
            with(s3(), "/Records/0/eventSource", Some(json!("aws:sqs"))),
            "Records[0].eventSource",
        ),
        (
            with(s3(), "/Records/0/eventName", None),
            "Records[0].eventName",
        ),
        (
            with(s3(), "/Records/0/eventName", Some(json!(7))),
            "Records[0].eventName",
        ),
        (with(s3(), "/Records/0/s3", None), "Records[0].s3"),
        (
            with(s3(), "/Records/0/s3", Some(json!([]))),
            "Records[0].s3",
        ),
        (
            with(s3(), "/Records/0/s3/bucket", None),
            "Records[0].s3.bucket",
        ),
        (
            with(s3(), "/Records/0/s3/bucket/name", None),
            "Records[0].s3.bucket.name",
        ),
        (
            with(s3(), "/Records/0/s3/bucket/name", Some(json!(""))),
            "Records[0].s3.bucket.name",
        ),
        (
            with(s3(), "/Records/0/s3/bucket/name", Some(json!("a/b"))),
            "Records[0].s3.bucket.name",
        ),
        (
            with(s3(), "/Records/0/s3/object", None),
            "Records[0].s3.object",
        ),
        (
            with(s3(), "/Records/0/s3/object/key", None),
            "Records[0].s3.object.key",
        ),
        (
            with(s3(), "/Records/0/s3/object/key", Some(json!(""))),
            "Records[0].s3.object.key",
        ),
        (
            with(s3(), "/Records/0/s3/object/key", Some(json!(12))),
            "Records[0].s3.object.key",
        ),
        (
            with(s3(), "/Records/0/s3/object/size", Some(json!("18432"))),
            "Records[0].s3.object.size",
        ),
        (
            with(s3(), "/Records/0/s3/object/size", Some(json!(-1))),
            "Records[0].s3.object.size",
        ),
        (
            with(s3(), "/Records/0/s3/object/size", Some(json!(1.5))),
            "Records[0].s3.object.size",
        ),
        (
            with(s3(), "/Records/0/s3/object/versionId", Some(json!(5))),
            "Records[0].s3.object.versionId",
        ),
        (
            with(s3(), "/Records/0/s3/object/sequencer", Some(json!("xyz"))),
            "Records[0].s3.object.sequencer",
        ),
        (
            with(s3(), "/Records/0/eventTime", Some(json!(false))),
            "Records[0].eventTime",
        ),
        (
            json!({"Records": [record("ObjectCreated:Put", "a.jar"), record("ObjectCreated:Put", "")]}),
            "Records[1].s3.object.key",
        ),
    ];
    for (event, field) in cases {
        assert_eq!(malformed_field(&event), field, "{event}");
    }
}

#[test]
fn malformed_eventbridge_events_name_the_field() {
    let eb = eb_fixture;
    let cases: Vec<(Value, &str)> = vec![
        (with(eb(), "/source", Some(json!("aws.ec2"))), "source"),
        (with(eb(), "/source", None), "source"),
        (with(eb(), "/detail-type", None), "detail-type"),
        (
            with(eb(), "/detail-type", Some(json!(["x"]))),
            "detail-type",
        ),
        (with(eb(), "/detail", None), "detail"),
        (with(eb(), "/detail", Some(json!("x"))), "detail"),
        (with(eb(), "/detail/bucket", None), "detail.bucket"),
        (
            with(eb(), "/detail/bucket/name", None),
            "detail.bucket.name",
        ),
        (with(eb(), "/detail/object", None), "detail.object"),
        (with(eb(), "/detail/object/key", None), "detail.object.key"),
        (
            with(eb(), "/detail/object/version-id", Some(json!({}))),
            "detail.object.version-id",
        ),
        (
            with(eb(), "/detail/object/size", Some(json!(true))),
            "detail.object.size",
        ),
        (with(eb(), "/time", Some(json!(1))), "time"),
        (json!({"Event": "s3:Other"}), "Event"),
    ];
    for (event, field) in cases {
        assert_eq!(malformed_field(&event), field, "{event}");
    }
}

#[test]
fn errors_read_well_and_are_not_retryable() {
    let err = parse_event(&with(s3_fixture(), "/Records/0/s3/object/key", None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed S3 event: Records[0].s3.object.key: is missing"
    );
    assert!(!err.is_retryable());
    assert_eq!(err.kind(), "malformed_event");
}

#[test]
fn long_values_are_cut_short_in_messages() {
    let long = "x".repeat(10_000);
    let err = parse_event(&with(
        s3_fixture(),
        "/Records/0/eventSource",
        Some(json!(long)),
    ))
    .unwrap_err();
    assert!(err.to_string().len() < 300, "{err}");
}

fn field_and_reason(value: &Value) -> (String, String) {
    match parse_event(value) {
        Err(EventError::Malformed { field, reason }) => (field, reason),
        Ok(parsed) => panic!("expected an error, parsed {parsed:?}"),
    }
}

#[test]
fn null_parts_are_missing() {
    for (event, field) in [
        (
            with(s3_fixture(), "/Records/0/s3", Some(Value::Null)),
            "Records[0].s3",
        ),
        (
            with(s3_fixture(), "/Records/0/s3/object/key", Some(Value::Null)),
            "Records[0].s3.object.key",
        ),
        (with(eb_fixture(), "/detail", Some(Value::Null)), "detail"),
    ] {
        assert_eq!(
            field_and_reason(&event),
            (field.to_string(), "is missing".to_string())
        );
    }
}

#[test]
fn wrong_types_say_what_was_expected() {
    let event = with(s3_fixture(), "/Records/0/eventName", Some(json!(7)));
    let (field, reason) = field_and_reason(&event);
    assert_eq!(field, "Records[0].eventName");
    assert!(reason.contains("expected a string"), "{reason}");

    let long = "9".repeat(10_000);
    let event = with(s3_fixture(), "/Records/0/s3/object/size", Some(json!(long)));
    let (field, reason) = field_and_reason(&event);
    assert_eq!(field, "Records[0].s3.object.size");
    assert!(reason.len() < 300, "{reason}");
    assert!(reason.ends_with("expected i64"), "{reason}");
}

#[test]
fn an_eventbridge_time_must_be_a_date() {
    let event = with(eb_fixture(), "/time", Some(json!("yesterday")));
    assert_eq!(field_and_reason(&event).0, "time");
}

#[test]
fn the_root_must_be_an_object() {
    let (field, reason) = field_and_reason(&json!(["Records"]));
    assert_eq!(field, "$");
    assert_eq!(reason, r#"expected an object, found ["Records"]"#);
}

#[test]
fn a_bare_creation_names_its_first_missing_part() {
    let s3 = json!({"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "b"}},
    }]});
    assert_eq!(malformed_field(&s3), "Records[0].s3.object");
    let eb = json!({"source": "aws.s3", "detail-type": "Object Created", "detail": {}});
    assert_eq!(malformed_field(&eb), "detail.bucket");
}
