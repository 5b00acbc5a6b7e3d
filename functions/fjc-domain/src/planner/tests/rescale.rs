//! In-place rescale: chosen only when the parallelism alone changed, the job
//! runs healthy under the adaptive scheduler and checkpoints, and it was not
//! tried in place for this spec already; every other case upgrades through a
//! savepoint as before.

use super::*;

/// Job `a` at parallelism `p` (fingerprint `f`), checkpointing unless `plain`.
fn at(f: &str, p: u32, plain: bool) -> SpecRecord {
    let mut deployment = serde_json::json!({"parallelism": p});
    if !plain {
        deployment["checkpoint_interval"] = "5s".into();
    }
    crate::record::test_record(f, serde_json::json!({ "deployment": deployment }))
}

/// Deployed as `f1` at parallelism 1 (with the classes of `deployed`), running
/// as Flink job 1.
fn deployed(deployed: &SpecRecord, l: Lifecycle) -> St {
    St::new("a", Stream)
        .deployed("f1", jid(1), l, "RUNNING")
        .with(|s| {
            s.deployed_classes = Some(fjc_spec::class_fingerprints(
                &deployed.spec,
                &deployed.artifact_digest,
            ));
            s.deployed_parallelism = Some(1);
        })
}

fn on(adaptive: bool, running: u32) -> Option<Vec<JobSummary>> {
    let mut j = job(jid(1), F::Running, running, 2);
    j.adaptive = adaptive;
    Some(vec![j])
}

fn rescale(to: u32) -> Action {
    Action::Rescale {
        job_id: "a".into(),
        flink_job_id: jid(1),
        from: 1,
        to,
    }
}

fn case(
    name: &'static str,
    spec: SpecRecord,
    state: St,
    cluster: Option<Vec<JobSummary>>,
    expect: Action,
) -> Case {
    Case {
        name,
        specs: vec![spec],
        states: vec![state],
        cluster,
        expect: vec![expect],
        skipped: 0,
        commands: BTreeMap::new(),
    }
}

#[test]
fn only_a_parallelism_change_under_the_adaptive_scheduler_rescales_in_place() {
    let v1 = at("f1", 1, false);
    let changed = deploy("a", Some(jid(1)), DeployReason::Changed);
    let cases = vec![
        case(
            "parallelism 1 → 3, adaptive, stable",
            at("f2", 3, false),
            deployed(&v1, L::Stable),
            on(true, 2),
            rescale(3),
        ),
        case(
            "while still gated (RUNNING)",
            at("f2", 3, false),
            deployed(&v1, L::Running),
            on(true, 2),
            rescale(3),
        ),
        case(
            "default scheduler: savepoint upgrade",
            at("f2", 3, false),
            deployed(&v1, L::Stable),
            on(false, 2),
            changed.clone(),
        ),
        case(
            "not all tasks running: savepoint upgrade",
            at("f2", 3, false),
            deployed(&v1, L::Stable),
            on(true, 1),
            changed.clone(),
        ),
        case(
            "no checkpoints (state would be lost): savepoint upgrade",
            at("f2", 3, true),
            deployed(&at("f1", 1, true), L::Stable),
            on(true, 2),
            changed.clone(),
        ),
        case(
            "more than the parallelism changed: savepoint upgrade",
            crate::record::test_record(
                "f2",
                serde_json::json!({
                    "deployment": {"parallelism": 3, "checkpoint_interval": "5s"},
                    "args": ["--new"]
                }),
            ),
            deployed(&v1, L::Stable),
            on(true, 2),
            changed.clone(),
        ),
        case(
            "tried in place already (fell back): the savepoint upgrade's retry",
            at("f2", 3, false),
            deployed(&v1, L::Stable).with(|s| {
                s.attempted_fingerprint = Some(fp("f2"));
                s.next_attempt_at = Some(NOW);
                s.last_error = Some(LastError {
                    message: "in-place rescale to parallelism 3 not possible".into(),
                    at: NOW,
                    retryable: true,
                });
            }),
            on(true, 2),
            deploy("a", Some(jid(1)), DeployReason::Retry),
        ),
        case(
            "a deployment in flight goes on first",
            at("f2", 3, false),
            deployed(&v1, L::Deploying),
            on(true, 2),
            changed.clone(),
        ),
    ];
    for c in &cases {
        let p = run(c);
        assert_eq!(p.actions, c.expect, "{}", c.name);
    }
}
