use super::*;

fn spec(yaml: &str) -> JobSpec {
    fjc_spec::parse_spec("t.yaml", yaml).unwrap()
}

fn security() -> Security {
    let mut namespaces = BTreeMap::new();
    namespaces.insert(
        "team-a".to_string(),
        NamespacePolicy {
            allowed_artifacts: vec!["s3://art/team-a/".into(), "jobs/team-a".into()],
            max_parallelism: Some(4),
            max_jobs: Some(2),
            max_memory: Some("2g".into()),
        },
    );
    namespaces.insert("open".to_string(), NamespacePolicy::default());
    Security {
        namespaces,
        trusted_keys: TrustedKeys::default(),
        spec_secret_prefixes: Vec::new(),
        reserved_secrets: vec!["fjc/flink-credentials".into()],
    }
}

const BASE: &str = "job_type: stream\nentry_class: a.B\n";

#[test]
fn allows_inside_and_refuses_outside_the_allowlist() {
    let s = security();
    for ok in [
        "s3://art/team-a/x.jar",
        "s3://art/team-a/sub/x.jar",
        "jobs/team-a/x.jar",
    ] {
        let sp = spec(&format!(
            "job_id: a\nnamespace: team-a\nartifact_path: {ok}\n{BASE}"
        ));
        assert_eq!(s.check_spec(&sp), Vec::<String>::new(), "{ok}");
    }
    for bad in [
        "s3://art/team-ab/x.jar",
        "s3://other/team-a/x.jar",
        "jobs/team-b/x.jar",
        "jobs/team-a.jar",
    ] {
        let sp = spec(&format!(
            "job_id: a\nnamespace: team-a\nartifact_path: {bad}\n{BASE}"
        ));
        let p = s.check_spec(&sp);
        assert_eq!(p.len(), 1, "{bad}: {p:?}");
        assert!(p[0].starts_with("artifact_path: "), "{p:?}");
        assert!(p[0].contains("team-a"), "{p:?}");
    }
}

#[test]
fn limits_and_unknown_namespaces() {
    let s = security();
    let sp = spec(&format!(
        "job_id: a\nnamespace: team-a\nartifact_path: jobs/team-a/x.jar\n{BASE}\
         deployment: {{parallelism: 8}}\nresources: {{memory: 4g}}\n"
    ));
    let p = s.check_spec(&sp);
    assert!(
        p.iter()
            .any(|m| m.starts_with("deployment.parallelism: 8 exceeds")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("resources.memory: 4g exceeds")),
        "{p:?}"
    );
    let sp = spec(&format!("job_id: a\nartifact_path: jobs/x.jar\n{BASE}"));
    let p = s.check_spec(&sp);
    assert!(
        p[0].contains("namespace: \"default\" is not configured"),
        "{p:?}"
    );
    // Nothing configured: everything allowed.
    assert!(Security::default().check_spec(&sp).is_empty());
}

#[test]
fn quota_holds_the_same_jobs_every_time() {
    let s = security();
    let specs: Vec<JobSpec> = ["c", "a", "b"]
        .iter()
        .map(|id| {
            spec(&format!(
                "job_id: {id}\nnamespace: team-a\nartifact_path: jobs/team-a/x.jar\n{BASE}"
            ))
        })
        .collect();
    let held = s.held(specs.iter());
    assert_eq!(held.keys().collect::<Vec<_>>(), vec!["c"]);
    assert!(held["c"].contains("at most 2 jobs"));
}

#[test]
fn verification_needs_keys() {
    let s = security();
    let sp = spec(&format!(
        "job_id: a\nnamespace: open\nartifact_path: jobs/x.jar\n{BASE}security: {{artifact_verification: true}}\n"
    ));
    let p = s.check_spec(&sp);
    assert!(
        p[0].starts_with("security.artifact_verification: no trusted"),
        "{p:?}"
    );
}

#[test]
fn policy_settings_are_checked() {
    for (p, want) in [
        (
            NamespacePolicy {
                allowed_artifacts: vec!["../x".into()],
                ..Default::default()
            },
            "allowed_artifacts[0]",
        ),
        (
            NamespacePolicy {
                allowed_artifacts: vec!["gs://b/".into()],
                ..Default::default()
            },
            "only s3://",
        ),
        (
            NamespacePolicy {
                allowed_artifacts: vec!["s3://".into()],
                ..Default::default()
            },
            "names no bucket",
        ),
        (
            NamespacePolicy {
                max_parallelism: Some(0),
                ..Default::default()
            },
            "max_parallelism",
        ),
        (
            NamespacePolicy {
                max_jobs: Some(0),
                ..Default::default()
            },
            "max_jobs",
        ),
        (
            NamespacePolicy {
                max_memory: Some("lots".into()),
                ..Default::default()
            },
            "max_memory",
        ),
    ] {
        let e = p.check("ns").unwrap_err();
        assert!(e.contains(want) && e.contains("namespaces.ns."), "{e}");
    }
}

#[test]
fn specs_may_not_reference_the_controllers_own_secrets() {
    let mut s = security();
    let sp = |v: &str| {
        spec(&format!(
            "job_id: a\nnamespace: open\nartifact_path: jobs/x.jar\n{BASE}env_vars: {{K: '{v}'}}\n"
        ))
    };
    for reserved in [
        "secret://fjc/flink-credentials#password",
        "secret://arn:aws:secretsmanager:eu-west-1:1:secret:fjc/flink-credentials-AbCdEf#password",
    ] {
        let p = s.check_spec(&sp(reserved));
        assert!(
            p[0].starts_with("env_vars.K: secret") && p[0].contains("controller's own"),
            "{p:?}"
        );
    }
    assert!(s.check_spec(&sp("secret://team/db#pw")).is_empty());
    s.spec_secret_prefixes = vec!["fjc/jobs/".into()];
    let p = s.check_spec(&sp("secret://team/db#pw"));
    assert!(
        p[0].contains("outside the secrets specs may use (fjc/jobs/)"),
        "{p:?}"
    );
    assert!(s.check_spec(&sp("secret://fjc/jobs/db#pw")).is_empty());
    // Also without any namespace configured.
    s.namespaces.clear();
    assert_eq!(s.check_spec(&sp("secret://team/db#pw")).len(), 1);
}
