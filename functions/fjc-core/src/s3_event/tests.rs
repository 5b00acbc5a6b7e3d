use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use serde_json::json;

use super::*;

mod malformed;

const S3_FIXTURE: &str = include_str!("../../../../tests/fixtures/events/s3-object-created.json");
const EB_FIXTURE: &str =
    include_str!("../../../../tests/fixtures/events/eventbridge-s3-object-created.json");

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

#[test]
fn a_skipped_record_needs_no_s3_entity() {
    let event = json!({"Records": [
        {"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete"},
        {"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete", "s3": "gone"},
    ]});
    let parsed = parse_event(&event).unwrap();
    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.ignored.len(), 2);
}

#[test]
fn a_record_needs_no_identity_parameters_or_time() {
    // aws_lambda_events' own S3EventRecord requires all three.
    let event = json!({"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "b"}, "object": {"key": "jobs/a.jar"}},
    }]});
    let parsed = parse_event(&event).unwrap();
    assert_eq!(parsed.objects[0].path(), "s3://b/jobs/a.jar");
    assert_eq!(parsed.objects[0].event_time, None);
}

#[test]
fn eventbridge_deletions_need_no_detail() {
    let deleted = with(eb_fixture(), "/detail-type", Some(json!("Object Deleted")));
    let parsed = parse_event(&with(deleted, "/detail", None)).unwrap();
    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.ignored.len(), 1);
}

#[test]
fn eventbridge_time_is_given_in_utc() {
    for (time, utc) in [
        ("2026-11-26T15:00:00+01:00", "2026-11-26T14:00:00Z"),
        ("2026-11-26T14:00:00.250Z", "2026-11-26T14:00:00.250Z"),
    ] {
        let event = with(eb_fixture(), "/time", Some(json!(time)));
        let parsed = parse_event(&event).unwrap();
        assert_eq!(parsed.objects[0].event_time.as_deref(), Some(utc), "{time}");
    }
}
