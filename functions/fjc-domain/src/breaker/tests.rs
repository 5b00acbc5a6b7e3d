use super::*;

const CFG: BreakerConfig = BreakerConfig {
    failure_threshold: 3,
    open_seconds: 60,
    max_open_seconds: 150,
};

#[test]
fn opens_after_the_threshold_and_refuses_until_the_time_passes() {
    let b = Breaker::closed("c");
    assert_eq!(b.admit(0), Admission::Call);
    let b = b.failed(1_000, "refused", &CFG);
    let b = b.failed(2_000, "refused", &CFG);
    assert_eq!(b.admit(2_000), Admission::Call, "below the threshold");
    let b = b.failed(3_000, "refused", &CFG);
    assert_eq!(b.state, BreakerState::Open { until: 63_000 });
    assert_eq!(b.since, Some(1_000), "unavailable since the first failure");
    match b.admit(62_999) {
        Admission::Refuse(why) => {
            assert!(
                why.starts_with("cluster unavailable since 1970-01-01T00:00:01"),
                "{why}"
            );
            assert!(why.ends_with(": refused"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(b.admit(63_000), Admission::Probe);
    assert_eq!(b.label(63_000), "half_open");
}

#[test]
fn a_failed_probe_doubles_the_wait_up_to_the_cap_and_a_good_one_closes() {
    let mut b = Breaker::closed("c");
    for t in 0..3 {
        b = b.failed(t, "x", &CFG);
    }
    assert_eq!(b.open_ms, 60_000);
    let b = b.failed(70_000, "x", &CFG);
    assert_eq!(b.state, BreakerState::Open { until: 190_000 });
    let b = b.failed(200_000, "x", &CFG);
    assert_eq!(b.open_ms, 150_000, "capped at max_open_seconds");
    let closed = b.succeeded();
    assert_eq!(closed.admit(200_001), Admission::Call);
    assert_eq!((closed.failures, closed.since), (0, None));
    assert!(closed.changed(&b));
    assert!(!closed.changed(&closed.succeeded()), "nothing to write");
}

#[test]
fn bad_settings_name_the_field() {
    let mut c = CFG;
    c.failure_threshold = 0;
    assert!(c.check().unwrap_err().contains("failure_threshold"));
    let mut c = CFG;
    c.max_open_seconds = 10;
    assert!(c.check().unwrap_err().contains("max_open_seconds"));
    assert!(CFG.check().is_ok());
}

#[test]
fn round_trips_through_json() {
    let b = Breaker::closed("c").failed(
        5,
        "x",
        &BreakerConfig {
            failure_threshold: 1,
            ..CFG
        },
    );
    let json = serde_json::to_string(&b).unwrap();
    assert!(json.contains(r#""state":"open""#), "{json}");
    assert_eq!(serde_json::from_str::<Breaker>(&json).unwrap(), b);
}
