use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use serde_json::json;

use super::*;

const S3_FIXTURE: &str =
    include_str!("../../../../../tests/fixtures/events/s3-object-created.json");
const EB_FIXTURE: &str =
    include_str!("../../../../../tests/fixtures/events/eventbridge-s3-object-created.json");

fn s3_fixture() -> Value {
    serde_json::from_str(S3_FIXTURE).unwrap()
}

fn eb_fixture() -> Value {
    serde_json::from_str(EB_FIXTURE).unwrap()
}

/// `value` with the field at JSON pointer `pointer` set (or removed with `None`).
fn with(mut value: Value, pointer: &str, new: Option<Value>) -> Value {
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let parent = value.pointer_mut(parent).unwrap();
    match (parent, new) {
        (Value::Object(map), Some(v)) => {
            map.insert(name.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.remove(name);
        }
        (Value::Array(items), Some(v)) => items[name.parse::<usize>().unwrap()] = v,
        (other, _) => panic!("cannot edit {pointer} in {other}"),
    }
    value
}

fn s3_with_key(raw: &str) -> Value {
    with(s3_fixture(), "/Records/0/s3/object/key", Some(json!(raw)))
}

fn record(name: &str, key: &str) -> Value {
    let mut record = s3_fixture()["Records"][0].clone();
    record["eventName"] = json!(name);
    record["s3"]["object"]["key"] = json!(key);
    record
}

fn malformed_field(value: &Value) -> String {
    match parse_event(value) {
        Err(EventError::Malformed { field, reason }) => {
            assert!(!reason.is_empty(), "empty reason for {field}");
            field
        }
        Ok(parsed) => panic!("expected an error, parsed {parsed:?}"),
    }
}

fn the_object() -> ObjectCreated {
    ObjectCreated {
        bucket: "fjc-artifacts".into(),
        key: "jobs/stream-counter.jar".into(),
        version_id: Some("3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY".into()),
        sequencer: Some("006B083B6012F1A4C7".into()),
        size: Some(18432),
        event_time: None,
    }
}

#[test]
fn s3_notification_fixture() {
    let parsed = parse_event(&s3_fixture()).unwrap();

    assert_eq!(
        parsed.objects,
        [ObjectCreated {
            event_time: Some("2026-11-26T14:00:00.512Z".into()),
            ..the_object()
        }]
    );
    assert!(parsed.ignored.is_empty());
    assert_eq!(
        parsed.objects[0].path(),
        "s3://fjc-artifacts/jobs/stream-counter.jar"
    );
}

#[test]
fn eventbridge_fixture() {
    let parsed = parse_event(&eb_fixture()).unwrap();

    assert_eq!(
        parsed.objects,
        [ObjectCreated {
            event_time: Some("2026-11-26T14:00:00Z".into()),
            ..the_object()
        }]
    );
    assert!(parsed.ignored.is_empty());
}

#[test]
fn fixtures_have_the_shapes_aws_lambda_events_models() {
    let s3: S3Event = serde_json::from_str(S3_FIXTURE).unwrap();
    assert_eq!(s3.records.len(), 1);
    assert_eq!(s3.records[0].event_source.as_deref(), Some("aws:s3"));
    assert_eq!(
        s3.records[0].s3.object.key.as_deref(),
        Some("jobs/stream-counter.jar")
    );

    let eb: EventBridgeEvent<Value> = serde_json::from_str(EB_FIXTURE).unwrap();
    assert_eq!(eb.source, "aws.s3");
    assert_eq!(eb.detail_type, "Object Created");
}

#[test]
fn keys_are_url_decoded_form_style() {
    for (raw, decoded) in [
        ("jobs/my+app%3Dv2.jar", "jobs/my app=v2.jar"),
        ("jobs/c%2B%2B.jar", "jobs/c++.jar"),
        ("jobs/100%25.jar", "jobs/100%.jar"),
        ("jobs/caf%C3%A9.jar", "jobs/café.jar"),
        ("jobs%2Fnested%2fx.jar", "jobs/nested/x.jar"),
        ("jobs/%20lead.jar", "jobs/ lead.jar"),
    ] {
        let parsed = parse_event(&s3_with_key(raw)).unwrap();
        assert_eq!(parsed.objects[0].key, decoded, "{raw}");

        let eb = with(eb_fixture(), "/detail/object/key", Some(json!(raw)));
        assert_eq!(parse_event(&eb).unwrap().objects[0].key, decoded, "{raw}");
    }
}

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
fn a_key_of_one_space_is_accepted() {
    let parsed = parse_event(&s3_with_key("+")).unwrap();
    assert_eq!(parsed.objects[0].key, " ");
}

#[test]
fn multiple_records_keep_their_order() {
    let event = json!({"Records": [
        record("ObjectCreated:Put", "jobs/a.jar"),
        record("ObjectCreated:CompleteMultipartUpload", "jobs/b.jar"),
        record("ObjectCreated:Copy", "jobs/c.jar"),
    ]});

    let parsed = parse_event(&event).unwrap();

    let keys: Vec<&str> = parsed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["jobs/a.jar", "jobs/b.jar", "jobs/c.jar"]);
    assert!(parsed.ignored.is_empty());
}

#[test]
fn removals_are_ignored_with_a_reason() {
    let event = json!({"Records": [
        record("ObjectCreated:Put", "jobs/a.jar"),
        record("ObjectRemoved:Delete", "jobs/b.jar"),
        record("ObjectRestore:Completed", "jobs/c.jar"),
    ]});

    let parsed = parse_event(&event).unwrap();

    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.objects[0].key, "jobs/a.jar");
    assert_eq!(
        parsed.ignored,
        [
            "Records[1]: eventName ObjectRemoved:Delete is not an object creation",
            "Records[2]: eventName ObjectRestore:Completed is not an object creation",
        ]
    );
}

#[test]
fn an_ignored_record_is_not_validated_further() {
    let mut removed = record("ObjectRemoved:DeleteMarkerCreated", "");
    removed["s3"]["object"] = json!({"key": "jobs/x.jar"});
    let parsed = parse_event(&json!({"Records": [removed]})).unwrap();
    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.ignored.len(), 1);
}

#[test]
fn eventbridge_deletions_are_ignored() {
    let event = with(eb_fixture(), "/detail-type", Some(json!("Object Deleted")));
    let parsed = parse_event(&event).unwrap();
    assert!(parsed.objects.is_empty());
    assert_eq!(
        parsed.ignored,
        ["detail-type Object Deleted is not an object creation"]
    );
}

#[test]
fn the_s3_test_event_is_ignored() {
    let event = json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-26T13:59:58.089Z",
        "Bucket": "fjc-artifacts",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"
    });

    let parsed = parse_event(&event).unwrap();

    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.ignored.len(), 1);
    assert!(
        parsed.ignored[0].starts_with("s3:TestEvent for bucket fjc-artifacts"),
        "{:?}",
        parsed.ignored
    );
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    let mut event = s3_fixture();
    let object = &mut event["Records"][0]["s3"]["object"];
    object["versionId"] = Value::Null;
    object.as_object_mut().unwrap().remove("sequencer");
    object.as_object_mut().unwrap().remove("size");
    event["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("eventTime");

    let parsed = parse_event(&event).unwrap();

    let object = &parsed.objects[0];
    assert_eq!(
        (
            &object.version_id,
            &object.sequencer,
            object.size,
            &object.event_time
        ),
        (&None, &None, None, &None)
    );
    let unversioned = with(eb_fixture(), "/detail/object/version-id", Some(json!("")));
    assert_eq!(
        parse_event(&unversioned).unwrap().objects[0].version_id,
        None
    );
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

#[test]
fn sequencers_compare_as_hex_numbers() {
    let a = "0055AED6DCD90281E5";
    assert!(!sequencer_newer(a, a));
    assert!(sequencer_newer("0055AED6DCD90281E6", a));
    assert!(!sequencer_newer(a, "0055AED6DCD90281E6"));
    // Case does not matter.
    assert!(!sequencer_newer("00ab", "00AB"));
    assert!(!sequencer_newer("00AB", "00ab"));
    assert!(sequencer_newer("00ac", "00AB"));
    // The shorter one is left-padded: "617f..." (2021) is older than "006449..." (2023).
    assert!(sequencer_newer("006449950D7FBE1F45", "617f08299329d189"));
    assert!(!sequencer_newer("617f08299329d189", "006449950D7FBE1F45"));
    assert!(sequencer_newer("10", "F"));
    assert!(!sequencer_newer("F", "10"));
    assert!(!sequencer_newer("0F", "F"));
    assert!(!sequencer_newer("", "0"));
}
