use serde_json::{Value, json};

use super::*;

fn stream() -> Value {
    json!({"job_id": "orders", "job_type": "stream", "artifact_path": "jobs/orders.jar"})
}

fn sql() -> Value {
    json!({"job_id": "counts", "job_type": "stream", "artifact_path": "sql/counts.sql"})
}

fn python_script() -> Value {
    json!({"job_id": "py", "job_type": "stream", "artifact_path": "py/job.py"})
}

fn python_package() -> Value {
    json!({"job_id": "pkg", "job_type": "stream", "artifact_path": "s3://bucket/pkg.zip",
           "python": {"entry_module": "pipelines.orders"}})
}

fn batch() -> Value {
    json!({"job_id": "nightly", "job_type": "batch", "artifact_path": "nightly.jar"})
}

/// `base` with the value at a `/`-separated path set (objects created as needed).
fn with(mut base: Value, path: &str, value: Value) -> Value {
    let mut node = &mut base;
    let parts: Vec<&str> = path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let Value::Object(map) = node else {
            panic!("{path}: not an object");
        };
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            break;
        }
        node = map.entry(part.to_string()).or_insert_with(|| json!({}));
    }
    base
}

fn problems_of(spec: &Value) -> Vec<Problem> {
    match parse_specs("t.json", &spec.to_string()) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

fn yaml_problems(text: &str) -> Vec<(String, Option<usize>, String)> {
    match parse_specs("t.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| (p.path, p.line, p.message))
            .collect(),
    }
}

/// (base, field, value, `None` if valid or `Some((path, message fragment))`).
type Case = (
    fn() -> Value,
    &'static str,
    Value,
    Option<(&'static str, &'static str)>,
);

fn cases() -> Vec<Case> {
    let hex = "0123456789abcdef".repeat(4);
    vec![
        (stream, "job_id", json!("a"), None),
        (stream, "job_id", json!("orders-2-eu"), None),
        (stream, "job_id", json!("a".repeat(63)), None),
        (
            stream,
            "job_id",
            json!("a".repeat(64)),
            Some(("job_id", "1 to 63")),
        ),
        (stream, "job_id", json!(""), Some(("job_id", "1 to 63"))),
        (
            stream,
            "job_id",
            json!("-orders"),
            Some(("job_id", "starting with")),
        ),
        (
            stream,
            "job_id",
            json!("Orders"),
            Some(("job_id", "lowercase")),
        ),
        (
            stream,
            "job_id",
            json!("a_b"),
            Some(("job_id", "lowercase")),
        ),
        (stream, "cluster", json!("eu-1"), None),
        (
            stream,
            "cluster",
            json!("EU"),
            Some(("cluster", "lowercase")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://my.bucket-1/jobs/orders.jar"),
            None,
        ),
        (stream, "artifact_path", json!("orders.jar"), None),
        (stream, "artifact_path", json!("./team/orders.jar"), None),
        (
            stream,
            "artifact_path",
            json!("s3://ab/x.jar"),
            Some(("artifact_path", "bucket")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://My/x.jar"),
            Some(("artifact_path", "bucket")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://a..b/x.jar"),
            Some(("artifact_path", "bucket")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://10.0.0.1/x.jar"),
            Some(("artifact_path", "bucket")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://bucket"),
            Some(("artifact_path", "key is missing")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://bucket/"),
            Some(("artifact_path", "key is missing")),
        ),
        (
            stream,
            "artifact_path",
            json!("s3://bucket/x.zip"),
            Some(("artifact_path", "python.entry_module")),
        ),
        (
            stream,
            "artifact_path",
            json!("/opt/jobs/x.jar"),
            Some(("artifact_path", "absolute")),
        ),
        (
            stream,
            "artifact_path",
            json!("C:\\jobs\\x.jar"),
            Some(("artifact_path", "absolute")),
        ),
        (
            stream,
            "artifact_path",
            json!("../x.jar"),
            Some(("artifact_path", "`..`")),
        ),
        (
            stream,
            "artifact_path",
            json!("a/../../x.jar"),
            Some(("artifact_path", "`..`")),
        ),
        (
            stream,
            "artifact_path",
            json!("x.jar.txt"),
            Some(("artifact_path", ".jar")),
        ),
        (
            stream,
            "artifact_path",
            json!("dir/.jar"),
            Some(("artifact_path", ".jar")),
        ),
        (
            stream,
            "artifact_path",
            json!("https://h/x.jar"),
            Some(("artifact_path", "unsupported")),
        ),
        (
            stream,
            "artifact_path",
            json!("a\nb.jar"),
            Some(("artifact_path", "control")),
        ),
        (
            stream,
            "artifact_signature",
            json!(format!("sha256:{hex}")),
            None,
        ),
        (
            stream,
            "artifact_signature",
            json!(hex.clone()),
            Some(("artifact_signature", "sha256:")),
        ),
        (
            stream,
            "artifact_signature",
            json!(format!("sha256:{}", hex.to_uppercase())),
            Some(("artifact_signature", "lowercase hex")),
        ),
        (
            stream,
            "artifact_signature",
            json!(format!("sha256:{}", &hex[1..])),
            Some(("artifact_signature", "64")),
        ),
        (stream, "entry_class", json!("com.example.Main"), None),
        (stream, "entry_class", json!("Main$Inner"), None),
        (
            stream,
            "entry_class",
            json!("com..Main"),
            Some(("entry_class", "Java class")),
        ),
        (
            stream,
            "entry_class",
            json!("com.example.1Main"),
            Some(("entry_class", "Java class")),
        ),
        (
            stream,
            "entry_class",
            json!("com/example/Main"),
            Some(("entry_class", "Java class")),
        ),
        (stream, "deployment/parallelism", json!(1), None),
        (stream, "deployment/parallelism", json!(32768), None),
        (
            stream,
            "deployment/parallelism",
            json!(0),
            Some(("deployment.parallelism", "must be >= 1")),
        ),
        (
            stream,
            "deployment/parallelism",
            json!(-3),
            Some(("deployment.parallelism", "must be >= 1")),
        ),
        (
            stream,
            "deployment/parallelism",
            json!(32769),
            Some(("deployment.parallelism", "must be <= 32768")),
        ),
        (
            stream,
            "deployment/checkpoint_interval",
            json!("500ms"),
            None,
        ),
        (
            stream,
            "deployment/checkpoint_interval",
            json!("0s"),
            Some(("deployment.checkpoint_interval", "must be > 0")),
        ),
        (
            stream,
            "deployment/checkpoint_interval",
            json!("30"),
            Some(("deployment.checkpoint_interval", "invalid duration")),
        ),
        (stream, "deployment/restart_delay", json!("2m"), None),
        (
            stream,
            "deployment/restart_delay",
            json!("0ms"),
            Some(("deployment.restart_delay", "must be > 0")),
        ),
        (
            stream,
            "deployment/restart_delay",
            json!("soon"),
            Some(("deployment.restart_delay", "invalid duration")),
        ),
        (stream, "deployment/max_restart_attempts", json!(0), None),
        (
            stream,
            "deployment/max_restart_attempts",
            json!(-1),
            Some(("deployment.max_restart_attempts", "must be >= 0")),
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("s3://b/savepoints"),
            None,
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("file:///data/sp"),
            None,
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("hdfs://nn:8020/sp"),
            None,
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("/data/sp"),
            Some(("deployment.savepoint_path", "scheme")),
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("s3://"),
            Some(("deployment.savepoint_path", "scheme")),
        ),
        (
            stream,
            "deployment/savepoint_path",
            json!("1s3://b/x"),
            Some(("deployment.savepoint_path", "scheme")),
        ),
        (
            stream,
            "deployment/checkpoint_dir",
            json!("s3://b/checkpoints"),
            None,
        ),
        (
            stream,
            "deployment/checkpoint_dir",
            json!("file:///data/ck"),
            None,
        ),
        (
            stream,
            "deployment/checkpoint_dir",
            json!("hdfs://nn:8020/ck"),
            Some(("deployment.checkpoint_dir", "scheme \"hdfs\" is not one")),
        ),
        (
            stream,
            "deployment/checkpoint_dir",
            json!("/data/ck"),
            Some(("deployment.checkpoint_dir", "scheme")),
        ),
        (stream, "resources/memory", json!("2g"), None),
        (
            stream,
            "resources/memory",
            json!("0m"),
            Some(("resources.memory", "must be > 0")),
        ),
        (
            stream,
            "resources/memory",
            json!("1.5g"),
            Some(("resources.memory", "invalid size")),
        ),
        (stream, "resources/network_memory", json!("256MB"), None),
        (
            stream,
            "resources/network_memory",
            json!("lots"),
            Some(("resources.network_memory", "invalid size")),
        ),
        (stream, "deployment/max_backpressure", json!(0.8), None),
        (stream, "deployment/max_backpressure", json!(1), None),
        (
            stream,
            "deployment/max_backpressure",
            json!(0),
            Some((
                "deployment.max_backpressure",
                "must be a share of time in (0, 1]",
            )),
        ),
        (
            stream,
            "deployment/max_backpressure",
            json!(80),
            Some((
                "deployment.max_backpressure",
                "must be a share of time in (0, 1]",
            )),
        ),
        (stream, "resources/cpu_cores", json!(0.5), None),
        (stream, "resources/cpu_cores", json!(2), None),
        (
            stream,
            "resources/cpu_cores",
            json!(0),
            Some(("resources.cpu_cores", "must be > 0")),
        ),
        (
            stream,
            "resources/cpu_cores",
            json!(-1.5),
            Some(("resources.cpu_cores", "must be > 0")),
        ),
        (stream, "advanced/taskmanager_heap_size", json!("1g"), None),
        (
            stream,
            "advanced/taskmanager_heap_size",
            json!("0g"),
            Some(("advanced.taskmanager_heap_size", "must be > 0")),
        ),
        (
            stream,
            "advanced/taskmanager_heap_size",
            json!("1 gib"),
            Some(("advanced.taskmanager_heap_size", "invalid size")),
        ),
        (
            stream,
            "advanced/network_buffer_timeout",
            json!("100ms"),
            None,
        ),
        (
            stream,
            "advanced/network_buffer_timeout",
            json!("0ms"),
            Some(("advanced.network_buffer_timeout", "must be > 0")),
        ),
        (stream, "monitoring/metrics_port", json!(1), None),
        (stream, "monitoring/metrics_port", json!(65535), None),
        (
            stream,
            "monitoring/metrics_port",
            json!(0),
            Some(("monitoring.metrics_port", "between 1 and 65535")),
        ),
        (
            stream,
            "monitoring/metrics_port",
            json!(65536),
            Some(("monitoring.metrics_port", "between 1 and 65535")),
        ),
        (stream, "env_vars", json!({"A": "1", "_b2": "x"}), None),
        (
            stream,
            "env_vars",
            json!({"1A": "1"}),
            Some(("env_vars.1A", "variable name")),
        ),
        (
            stream,
            "env_vars",
            json!({"A-B": "1"}),
            Some(("env_vars.A-B", "variable name")),
        ),
        (
            stream,
            "env_vars",
            json!({"a.b": "1"}),
            Some((r#"env_vars["a.b"]"#, "variable name")),
        ),
        (
            stream,
            "env_vars",
            json!({"": "1"}),
            Some((r#"env_vars[""]"#, "variable name")),
        ),
        (
            stream,
            "stream_config/checkpoint_timeout",
            json!("60s"),
            None,
        ),
        (
            stream,
            "stream_config/checkpoint_timeout",
            json!("0s"),
            Some(("stream_config.checkpoint_timeout", "must be > 0")),
        ),
        (
            stream,
            "stream_config/min_pause_between_checkpoints",
            json!("x"),
            Some((
                "stream_config.min_pause_between_checkpoints",
                "invalid duration",
            )),
        ),
        (
            stream,
            "stream_config/savepoint_trigger_interval",
            json!("0h"),
            Some(("stream_config.savepoint_trigger_interval", "must be > 0")),
        ),
        (
            stream,
            "stream_config/max_concurrent_checkpoints",
            json!(1),
            None,
        ),
        (
            stream,
            "stream_config/max_concurrent_checkpoints",
            json!(0),
            Some(("stream_config.max_concurrent_checkpoints", "must be >= 1")),
        ),
        (
            stream,
            "batch_config",
            json!({}),
            Some((
                "batch_config",
                "only allowed with job_type batch (this job is stream)",
            )),
        ),
        (
            batch,
            "stream_config",
            json!({}),
            Some((
                "stream_config",
                "only allowed with job_type stream (this job is batch)",
            )),
        ),
        (batch, "batch_config/cron", json!("0 2 * * *"), None),
        (batch, "batch_config/cron", json!("*/10 * * * * *"), None),
        (batch, "batch_config/cron", json!("@daily"), None),
        (batch, "batch_config/cron", json!("@hourly"), None),
        (batch, "batch_config/cron", json!("0 9 * * MON-FRI"), None),
        (
            batch,
            "batch_config/cron",
            json!("* * *"),
            Some(("batch_config.cron", "invalid cron")),
        ),
        (
            batch,
            "batch_config/cron",
            json!("61 * * * *"),
            Some(("batch_config.cron", "invalid cron")),
        ),
        (
            batch,
            "batch_config/cron",
            json!("0 0 0 1 1 * 2030"),
            Some(("batch_config.cron", "invalid cron")),
        ),
        (
            batch,
            "batch_config/cron",
            json!("@sometimes"),
            Some(("batch_config.cron", "invalid cron")),
        ),
        (
            batch,
            "batch_config/cron",
            json!(""),
            Some(("batch_config.cron", "invalid cron")),
        ),
        (batch, "batch_config/timezone", json!("Europe/Berlin"), None),
        (batch, "batch_config/timezone", json!("UTC"), None),
        (
            batch,
            "batch_config/timezone",
            json!("Mars/Olympus"),
            Some(("batch_config.timezone", "unknown time zone")),
        ),
        (batch, "batch_config/max_runs", json!(1), None),
        (
            batch,
            "batch_config/max_runs",
            json!(0),
            Some(("batch_config.max_runs", "must be >= 1")),
        ),
        (batch, "batch_config/ttl_seconds", json!(1), None),
        (
            batch,
            "batch_config/ttl_seconds",
            json!(0),
            Some(("batch_config.ttl_seconds", "must be >= 1")),
        ),
        // Artifact types: by extension, or `artifact_type`.
        (
            sql,
            "artifact_path",
            json!("s3://bucket/q/counts.SQL"),
            None,
        ),
        (python_script, "args", json!(["--rate", "5"]), None),
        (python_package, "job_type", json!("batch"), None),
        (stream, "artifact_type", json!("sql"), None),
        (
            stream,
            "artifact_path",
            json!("jobs/orders.txt"),
            Some(("artifact_path", "cannot tell what \"orders.txt\" is")),
        ),
        (stream, "artifact_type", json!("jar"), None),
        (
            stream,
            "artifact_type",
            json!("ruby"),
            Some(("artifact_type", "")),
        ),
        (
            sql,
            "entry_class",
            json!("com.acme.Main"),
            Some(("entry_class", "only for jar artifacts")),
        ),
        (
            sql,
            "args",
            json!(["--x"]),
            Some(("args", "a SQL job takes no program arguments")),
        ),
        (
            stream,
            "python",
            json!({"entry_module": "a.b"}),
            Some(("python", "only for python artifacts")),
        ),
        (
            python_package,
            "python/entry_module",
            json!("9pipelines.orders"),
            Some(("python.entry_module", "not a module path")),
        ),
        (
            python_script,
            "python/entry_module",
            json!("job"),
            Some(("python.entry_module", "only for a .zip package")),
        ),
        (
            python_package,
            "python",
            json!({}),
            Some(("artifact_path", "needs python.entry_module")),
        ),
        (python_package, "artifact_type", json!("python"), None),
    ]
}

#[test]
fn every_rule() {
    for (base, field, value, expected) in cases() {
        let spec = with(base(), field, value.clone());
        let problems = problems_of(&spec);
        match expected {
            None => assert!(problems.is_empty(), "{field} = {value}: {problems:?}"),
            Some((path, fragment)) => {
                assert!(
                    problems.len() == 1
                        && problems[0].path == path
                        && problems[0].message.contains(fragment),
                    "{field} = {value}: expected {path}: ...{fragment}..., got {problems:?}"
                );
            }
        }
    }
}

#[test]
fn validate_alone_has_no_lines() {
    let mut spec: JobSpec = match serde_json::from_value(stream()) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    };
    assert!(validate(&spec).is_empty());
    spec.deployment.parallelism = 0;
    assert_eq!(
        validate(&spec),
        vec![Problem::new("deployment.parallelism", "must be >= 1")]
    );
}

#[test]
fn five_problems_with_paths_and_lines() {
    let text = "\
job_id: Orders
job_type: stream
artifact_path: /abs/orders.jar
deployment:
  parallelism: 0
  checkpoint_interval: 30 seconds
env_vars:
  OK: yes
  9LIVES: x
";
    let found = yaml_problems(text);
    let summary: Vec<(&str, Option<usize>)> =
        found.iter().map(|(p, l, _)| (p.as_str(), *l)).collect();
    assert_eq!(
        summary,
        vec![
            ("job_id", Some(1)),
            ("artifact_path", Some(3)),
            ("deployment.parallelism", Some(5)),
            ("deployment.checkpoint_interval", Some(6)),
            ("env_vars.9LIVES", Some(9)),
        ],
        "{found:?}"
    );
}

#[test]
fn structural_problems_are_all_reported() {
    let text = "\
job_id: orders
job_type: strem
artifact_path: orders.jar
colour: blue
deployment:
  paralelism: 2
  restart_strategy: sometimes
monitoring:
  metrics_port: \"9250\"
args: [--x, 3]
batch_config: {cron: 5}
";
    let found = yaml_problems(text);
    let expected: Vec<(&str, usize, &str)> = vec![
        (
            "job_type",
            2,
            "must be one of: stream, batch (found string \"strem\")",
        ),
        (
            "colour",
            4,
            "unknown field (allowed: advanced, args, artifact_path, ",
        ),
        (
            "deployment.paralelism",
            6,
            "unknown field, did you mean `parallelism`? (allowed: auto_rollback, checkpoint_dir, checkpoint_interval,",
        ),
        (
            "deployment.restart_strategy",
            7,
            "must be one of: fixed-delay, exponential-delay, failure-rate, none",
        ),
        (
            "monitoring.metrics_port",
            9,
            "expected integer, found string \"9250\"",
        ),
        ("args[1]", 10, "expected string, found integer 3"),
        ("batch_config.cron", 11, "expected string, found integer 5"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:?}");
    for ((path, line, message), (want_path, want_line, want_message)) in found.iter().zip(&expected)
    {
        assert_eq!((path.as_str(), *line), (*want_path, Some(*want_line)));
        assert!(message.starts_with(want_message), "{path}: {message}");
    }
}

#[test]
fn missing_required_fields() {
    let found = yaml_problems("# nothing useful\njob_type: batch\n");
    assert_eq!(
        found,
        vec![
            ("job_id".into(), Some(2), "required field is missing".into()),
            (
                "artifact_path".into(),
                Some(2),
                "required field is missing".into()
            ),
        ]
    );
}

#[test]
fn wrong_types() {
    let cases = [
        (
            "deployment: 3",
            "deployment",
            "expected object, found integer 3",
        ),
        (
            "deployment: {parallelism: two}",
            "deployment.parallelism",
            "expected integer, found string \"two\"",
        ),
        (
            "deployment: {parallelism: 1.5}",
            "deployment.parallelism",
            "expected integer, found number 1.5",
        ),
        (
            "deployment: {parallelism: 99999999999999999999}",
            "deployment.parallelism",
            "expected integer, found number",
        ),
        (
            "deployment: {parallelism: 18446744073709551615}",
            "deployment.parallelism",
            "must be <= 9223372036854775807",
        ),
        ("args: --x", "args", "expected array, found string \"--x\""),
        (
            "env_vars: {A: 1}",
            "env_vars.A",
            "expected string, found integer 1",
        ),
        (
            "security: {ssl_enabled: \"yes\"}",
            "security.ssl_enabled",
            "expected boolean, found string \"yes\"",
        ),
        (
            "stream_config: [1]",
            "stream_config",
            "expected object, found array",
        ),
        ("cluster: ~", "cluster", "expected string, found null"),
    ];
    for (extra, path, message) in cases {
        let text = format!("job_id: a\njob_type: stream\nartifact_path: a.jar\n{extra}\n");
        let found = yaml_problems(&text);
        assert_eq!(found.len(), 1, "{extra}: {found:?}");
        assert_eq!(found[0].0, path, "{extra}");
        assert_eq!(found[0].1, Some(4), "{extra}");
        assert!(found[0].2.starts_with(message), "{extra}: {}", found[0].2);
    }
}

#[test]
fn not_a_mapping() {
    for text in ["- a\n- b\n", "just text\n", "---\n"] {
        let found = yaml_problems(text);
        assert_eq!(found.len(), 1, "{text:?}: {found:?}");
        assert_eq!(found[0].0, "");
        assert!(
            found[0].2.starts_with("expected object, found "),
            "{found:?}"
        );
    }
    let found = yaml_problems("# only a comment\n");
    assert_eq!(found[0].2, "no job spec found (the text has no document)");
}

#[test]
fn multiple_documents() {
    let text = "\
job_id: first
job_type: stream
artifact_path: first.jar
---
job_id: second
job_type: batch
artifact_path: second.jar
batch_config: {cron: \"@daily\"}
";
    let specs = parse_specs("t.yaml", text).unwrap_or_default();
    let ids: Vec<&str> = specs.iter().map(|s| s.job_id.as_str()).collect();
    assert_eq!(ids, ["first", "second"]);
    let err = parse_spec("t.yaml", text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.yaml: expected exactly one job spec, found 2 documents"
    );
    // Problems in later documents carry their own lines.
    let bad = text.replace("@daily", "@never");
    assert_eq!(yaml_problems(&bad)[0].1, Some(8));
    let twice = format!(
        "{text}---\n{}",
        text.lines().take(3).collect::<Vec<_>>().join("\n")
    );
    let found = yaml_problems(&twice);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "job_id");
    assert_eq!(found[0].1, Some(10));
    assert_eq!(
        found[0].2,
        "job_id \"first\" appears more than once (first at line 1)"
    );
}

#[test]
fn json_input() {
    let spec = parse_spec("spec.json", &stream().to_string());
    assert_eq!(spec.map(|s| s.job_id), Ok("orders".to_string()));
    let two = json!([stream(), with(batch(), "deployment/parallelism", json!(0))]);
    let err = parse_specs("specs.json", &two.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "specs.json: [1].deployment.parallelism: must be >= 1"
    );
    let err = parse_spec("spec.json", "{\"job_id\": \"a\",\n\"job_type\": }").unwrap_err();
    assert_eq!(err.problems[0].line, Some(2));
}

#[test]
fn malformed_yaml_gives_a_line() {
    let err = parse_spec(
        "bad.yaml",
        "job_id: a\njob_type: stream\n  artifact_path: x\n",
    )
    .unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].line, Some(3));
    assert!(
        err.to_string().starts_with("bad.yaml:3: invalid YAML: "),
        "{err}"
    );
}

#[test]
fn oversized_spec_is_refused() {
    let text = format!(
        "job_id: a\njob_type: stream\nartifact_path: a.jar\nargs: [\"{}\"]\n",
        "x".repeat(300 * 1024)
    );
    let err = parse_spec("big.yaml", &text).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert!(
        err.problems[0].message.contains("larger than the limit"),
        "{err}"
    );
}

#[test]
fn spec_error_display() {
    let err = parse_spec("x.yaml", "job_id: a\njob_type: stream\nartifact_path: a.jar\ndeployment:\n  parallelism: 0\ncluster: UP\n")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.yaml:5: deployment.parallelism: must be >= 1\n\
         x.yaml:6: cluster: must be 1 to 63 lowercase letters, digits or '-', starting with a \
         letter or digit (^[a-z0-9][a-z0-9-]{0,62}$), found \"UP\""
    );
}

#[test]
fn defaults_are_applied() {
    let spec = parse_spec(
        "t.yaml",
        "job_id: a\njob_type: stream\nartifact_path: a.jar\n",
    );
    let spec = spec.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.cluster, "default");
    assert_eq!(spec.deployment.parallelism, 1);
    assert!(spec.monitoring.alert_on_failure);
}

#[test]
fn structural_and_semantic_problems_are_reported_together() {
    let text = "job_id: Bad_Id\njob_type: stream\nartifact_path: x.jar\n\
                deployment:\n  parallelism: 0\n  colour: blue\nargs: [1]\n";
    let err = parse_specs("mixed.yaml", text).unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"job_id"), "{paths:?}");
    assert!(paths.contains(&"deployment.parallelism"), "{paths:?}");
    assert!(paths.contains(&"deployment.colour"), "{paths:?}");
    assert!(paths.contains(&"args[0]"), "{paths:?}");
    // Nothing is reported twice.
    let mut dedup = paths.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), paths.len(), "{paths:?}");
}

#[test]
fn missing_required_field_still_reports_structure_only() {
    let err = parse_specs("m.yaml", "job_type: stream\nartifact_path: x.jar\n").unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].path, "job_id");
}
