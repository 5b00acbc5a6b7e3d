use super::*;
use crate::breaker::BreakerConfig;

fn beat(at: EpochMs, reachable: bool) -> Heartbeat {
    Heartbeat {
        at,
        clusters: BTreeMap::from([(
            "default".to_string(),
            ClusterHealth {
                reachable,
                breaker: "closed".into(),
                taskmanagers: Some(1),
                error: (!reachable).then(|| "connection refused".into()),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }
}

#[test]
fn fresh_heartbeat_with_reachable_clusters_is_healthy() {
    let c = Control {
        heartbeat: Some(beat(100_000, true)),
        ..Default::default()
    };
    assert_eq!(verdict(&c, 150_000, 60_000).problems, Vec::<String>::new());
}

#[test]
fn stale_missing_down_and_canary_problems_are_named() {
    assert!(verdict(&Control::default(), 0, 1).problems[0].starts_with("no heartbeat"));
    let mut c = Control {
        heartbeat: Some(beat(0, false)),
        ..Default::default()
    };
    c.heartbeat.as_mut().unwrap().canaries.insert(
        "canary".into(),
        CanaryHealth {
            converged: false,
            detail: Some("FAILED".into()),
        },
    );
    let v = verdict(&c, 120_000, 60_000);
    assert!(!v.healthy);
    assert!(v.problems[0].contains("heartbeat stale"), "{v:?}");
    assert!(v.problems[1].contains("cluster default down: connection refused"));
    assert!(v.problems[2].contains("canary canary not converged: FAILED"));
}

#[test]
fn an_open_breaker_is_a_problem_even_with_a_fresh_heartbeat() {
    let mut b = Breaker::closed("other");
    let cfg = BreakerConfig {
        failure_threshold: 1,
        ..Default::default()
    };
    b = b.failed(0, "x", &cfg);
    let c = Control {
        heartbeat: Some(beat(1_000, true)),
        breakers: BTreeMap::from([("other".to_string(), b)]),
    };
    let v = verdict(&c, 2_000, 60_000);
    assert_eq!(v.problems, vec!["cluster other: circuit breaker open"]);
}
