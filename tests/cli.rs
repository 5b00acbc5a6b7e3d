//! The `fjc` binary against moto: bad input is refused with field paths and changes
//! nothing; apply reports created/updated/unchanged; exit codes follow the contract.

use std::process::{Command, Output};

use fjc_core::store::{ControlStore, SpecStore};
use fjc_integration_tests::harness::{World, fjc_binary, unique};

fn fjc(w: &World, args: &[&str]) -> Output {
    w.fjc(args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_spec_is_rejected_with_field_path_and_nothing_is_written() {
    let w = World::new("cli-bad").await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    let id = unique("good");
    std::fs::write(
        &good,
        format!("job_id: {id}\njob_type: stream\nartifact_path: stream-counter.jar\n"),
    )
    .unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "job_id: Bad_Id\njob_type: stream\nartifact_path: stream-counter.jar\n\
         deployment:\n  parallelism: 0\n  colour: blue\n",
    )
    .unwrap();

    let out = fjc(&w, &["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    // Every problem, each with file, line and field path.
    assert!(t.contains("bad.yaml:1: job_id:"), "{t}");
    assert!(
        t.contains("bad.yaml:5: deployment.parallelism: must be >= 1"),
        "{t}"
    );
    assert!(
        t.contains("bad.yaml:6: deployment.colour: unknown field"),
        "{t}"
    );

    // A directory with one good and one bad spec: nothing is applied.
    let out = fjc(&w, &["apply", "-f", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nothing was applied"));
    assert!(w.ctx.store.list_specs().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reports_created_updated_unchanged_and_missing_artifact_is_refused() {
    let w = World::new("cli-apply").await;
    let dir = tempfile::tempdir().unwrap();
    let id = unique("job");
    let file = dir.path().join("job.yaml");
    let write = |parallelism: u32| {
        std::fs::write(
            &file,
            format!(
                "job_id: {id}\njob_type: stream\nartifact_path: stream-counter.jar\n\
                 deployment:\n  parallelism: {parallelism}\n"
            ),
        )
        .unwrap()
    };
    write(1);
    let f = file.to_str().unwrap();
    let out = fjc(&w, &["apply", "-f", f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(&format!("{id}: created")));
    let out = fjc(&w, &["apply", "-f", f]);
    assert!(
        text(&out).contains(&format!("{id}: unchanged")),
        "{}",
        text(&out)
    );
    write(2);
    let out = fjc(&w, &["apply", "-f", f]);
    assert!(
        text(&out).contains(&format!("{id}: updated")),
        "{}",
        text(&out)
    );
    let stored = w.ctx.store.get_spec(&id).await.unwrap().unwrap();
    assert_eq!(stored.spec.deployment.parallelism, 2);
    assert_eq!(stored.version, 2);

    // A missing artifact: refused, stored spec untouched.
    std::fs::write(
        &file,
        format!("job_id: {id}\njob_type: stream\nartifact_path: missing.jar\n"),
    )
    .unwrap();
    let out = fjc(&w, &["apply", "-f", f]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing.jar"), "{}", text(&out));
    assert_eq!(w.ctx.store.get_spec(&id).await.unwrap().unwrap().version, 2);

    // Status lists it; delete of an unknown job is a user error.
    let out = fjc(&w, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["job_id"], id.as_str());
    assert_eq!(rows[0]["lifecycle"], "PENDING");
    let out = fjc(&w, &["delete", "no-such-job"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_unreachable_is_an_infrastructure_error() {
    let w = World::new("cli-infra").await;
    let out = Command::new(fjc_binary())
        .args(["status"])
        .env("FJC_TABLE", &w.table)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("FJC_CONFIG_DIR", "/nonexistent")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = Command::new(fjc_binary())
        .args(["status"])
        .env("FJC_MAX_CONCURRENCY", "lots")
        .env("FJC_CONFIG_DIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FJC_MAX_CONCURRENCY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_batch_schedule_is_rejected_at_validate_with_field_paths() {
    let w = World::new("cli-cron").await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nightly.yaml");
    std::fs::write(
        &f,
        "job_id: nightly\njob_type: batch\nartifact_path: batch-sum.jar\n\
         batch_config:\n  cron: \"61 25 * * *\"\n  timezone: Mars/Olympus_Mons\n  \
         ttl_seconds: -5\n  concurrency_policy: sometimes\n",
    )
    .unwrap();
    let out = fjc(&w, &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("nightly.yaml:5: batch_config.cron"), "{t}");
    assert!(t.contains("nightly.yaml:6: batch_config.timezone"), "{t}");
    assert!(
        t.contains("nightly.yaml:7: batch_config.ttl_seconds: must be >= 1"),
        "{t}"
    );
    assert!(
        t.contains("nightly.yaml:8: batch_config.concurrency_policy"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_policy_is_enforced_by_validate_apply_and_shown_by_status() {
    let w = World::new("cli-policy").await;
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(
        conf.path().join("config.yaml"),
        "namespaces:\n  team-a:\n    allowed_artifacts: [\"jobs/team-a/\", \"s3://acme/team-a/\"]\n    \
         max_parallelism: 2\n    max_jobs: 1\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(fjc_binary())
            .args(args)
            .env("FJC_TABLE", &w.table)
            .env("FJC_ARTIFACT_ROOT", w.artifact_root.path())
            .env("FJC_FLINK_URL", &w.env.flink_url)
            .env("FJC_CONFIG_DIR", conf.path())
            .output()
            .expect("run fjc")
    };
    let dir = tempfile::tempdir().unwrap();
    let spec = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let outside = spec(
        "outside.yaml",
        "job_id: out\njob_type: stream\nnamespace: team-a\nartifact_path: s3://other/team-a/x.jar\n\
         deployment: {parallelism: 4}\n",
    );
    let unknown = spec(
        "unknown.yaml",
        "job_id: unk\njob_type: stream\nnamespace: team-b\nartifact_path: jobs/team-a/x.jar\n",
    );
    let out = run(&["validate", &outside, &unknown]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("outside.yaml: artifact_path: s3://other/team-a/x.jar is outside what namespace team-a allows"), "{t}");
    assert!(
        t.contains("outside.yaml: deployment.parallelism: 4 exceeds namespace team-a's limit of 2"),
        "{t}"
    );
    assert!(
        t.contains("unknown.yaml: namespace: \"team-b\" is not configured (configured: team-a)"),
        "{t}"
    );
    let out = run(&["apply", "-f", &outside]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nothing was applied"));
    assert!(w.ctx.store.list_specs().await.unwrap().is_empty());

    // Two specs in a namespace allowing one: refused together, by validate and apply.
    std::fs::create_dir_all(w.artifact_root.path().join("jobs/team-a")).unwrap();
    std::fs::copy(
        w.artifact("stream-counter.jar"),
        w.artifact_root.path().join("jobs/team-a/x.jar"),
    )
    .unwrap();
    let one = spec(
        "one.yaml",
        "job_id: one\njob_type: stream\nnamespace: team-a\nartifact_path: jobs/team-a/x.jar\n",
    );
    let two = spec(
        "two.yaml",
        "job_id: two\njob_type: stream\nnamespace: team-a\nartifact_path: jobs/team-a/x.jar\n",
    );
    let out = run(&["validate", &one, &two]);
    assert!(
        text(&out).contains("two: namespace: team-a allows at most 1 jobs"),
        "{}",
        text(&out)
    );
    let out = run(&["apply", "-f", &one]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&["apply", "-f", &two]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // The policy tightens: status shows the stored spec as held.
    std::fs::write(
        conf.path().join("config.yaml"),
        "namespaces:\n  team-a:\n    allowed_artifacts: [\"s3://acme/team-a/\"]\n",
    )
    .unwrap();
    let out = run(&["status"]);
    assert!(
        text(&out).contains("held by policy: artifact_path: jobs/team-a/x.jar is outside"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_jobs_no_spec_owns_and_leaves_them_alone() {
    use fjc_flink::FlinkApi;
    use fjc_integration_tests::flink::{stream_counter, unique_out_dir};
    let w = World::new("cli-orphan").await;
    let id = fjc_flink::JobId::random();
    let jar = w
        .flink
        .upload_jar(&w.artifact("stream-counter.jar"))
        .await
        .unwrap();
    let request = stream_counter(&id, "someone-elses-job", &unique_out_dir(&w.env, "orphan"));
    w.flink.run_jar(&jar, &request).await.unwrap();
    let out = fjc(&w, &["status"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("orphans (running on a cluster, owned by no spec; left alone):"),
        "{t}"
    );
    let row = t
        .lines()
        .find(|l| l.contains(id.as_str()))
        .unwrap_or_default();
    assert!(
        row.contains("someone-elses-job") && row.contains("default"),
        "{t}"
    );
    // A reconcile leaves it running.
    let report = w.cycle().await;
    assert!(report.actions.is_empty());
    assert!(!w.flink_job(&id).await.unwrap().state.is_globally_terminal());
    w.flink.cancel(&id).await.unwrap();
    w.flink.delete_jar(&jar).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_commands_refuse_bad_input_and_record_nothing() {
    let w = World::new("cli-cmd").await;
    let stream = unique("cmd-stream");
    let batch = unique("cmd-batch");
    w.apply(vec![w.stream_spec(&stream), w.batch_spec(&batch, 3)])
        .await;
    for (args, expect) in [
        (
            vec!["rollback", stream.as_str(), "--to", "7"],
            "no revision 7 (kept: none)",
        ),
        (vec!["savepoint", batch.as_str()], "applies to stream jobs"),
        (
            vec!["restart", "no-such-job"],
            "no spec with job_id no-such-job",
        ),
        (vec!["run", stream.as_str()], "applies to batch jobs"),
    ] {
        let out = fjc(&w, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expect), "{args:?}: {}", text(&out));
    }
    assert!(w.ctx.store.list_commands().await.unwrap().is_empty());
    // A valid one is recorded for the next cycle.
    let out = fjc(&w, &["savepoint", &stream]);
    assert!(out.status.success(), "{}", text(&out));
    let commands = w.ctx.store.list_commands().await.unwrap();
    assert!(commands[&stream].savepoint.is_some(), "{commands:?}");
}

/// `fjc status --json` rows.
fn status_rows(w: &World) -> Vec<serde_json::Value> {
    let out = fjc(w, &["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("status JSON is a list")
}

fn row<'a>(rows: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["job_id"] == id)
        .unwrap_or_else(|| panic!("no row for {id}: {rows:?}"))
}

/// Runs `fjc ARGS` under a pseudo-terminal (`script`), returning what it wrote.
fn on_a_terminal(w: &World, args: &[&str], no_color: bool) -> String {
    let line = std::iter::once(fjc_binary().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let c = w.fjc_command(&[]);
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let out = script.output().expect("run script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tells_flinks_state_now_history_records_every_request_and_output_suits_pipes() {
    use fjc_core::state::Lifecycle;
    use fjc_flink::{FlinkApi, FlinkJobState};
    use std::time::Duration;
    let w = World::new("cli-truth").await;
    let id = unique("truth");
    w.apply(vec![w.stream_spec(&id)]).await;
    let s = w
        .cycle_until(&id, Duration::from_secs(120), |s| {
            s.lifecycle == Lifecycle::Running && s.operation.is_none()
        })
        .await;
    let flink_id = s.flink_job_id.clone().expect("deployed");

    // Colour only on a terminal and never with NO_COLOR; a warning that cannot
    // change between cycles is logged once per process.
    let cycles = ["reconcile", "--every", "1s", "--cycles", "3"];
    let out = fjc(&w, &cycles);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains('\u{1b}'),
        "escape codes in a pipe: {err}"
    );
    assert_eq!(
        err.matches("no namespaces are configured").count(),
        1,
        "the warning once per process: {err}"
    );
    let tty = on_a_terminal(&w, &cycles, false);
    assert!(tty.contains("no namespaces are configured"), "{tty}");
    assert!(tty.contains("\u{1b}["), "a terminal gets colour: {tty}");
    let tty = on_a_terminal(&w, &cycles, true);
    assert!(tty.contains("no namespaces are configured"), "{tty}");
    assert!(!tty.contains('\u{1b}'), "NO_COLOR: {tty}");

    // Flink's state as Flink says it now.
    let rows = status_rows(&w);
    assert_eq!(row(&rows, &id)["flink_state"], "RUNNING");
    assert_eq!(row(&rows, &id)["flink_state_seen"]["source"], "observed");
    // Behind the controller's back the job ends: the stored state still says
    // RUNNING, status says what Flink says.
    w.flink.cancel(&flink_id).await.expect("cancel");
    w.wait_flink_state(&flink_id, FlinkJobState::Canceled, Duration::from_secs(60))
        .await;
    let stored = w.state(&id).await.expect("state");
    assert_eq!(stored.flink_state.as_deref(), Some("RUNNING"));
    let rows = status_rows(&w);
    assert_eq!(row(&rows, &id)["flink_state"], "CANCELED", "{rows:?}");
    assert_eq!(row(&rows, &id)["flink_state_seen"]["source"], "observed");
    let table = text(&fjc(&w, &["status"]));
    let line = table.lines().find(|l| l.starts_with(&id)).expect("row");
    // JOB TYPE LIFECYCLE FLINK ...: the lifecycle is the controller's (RUNNING until
    // its next cycle), the FLINK column is Flink's.
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[2..4], ["RUNNING", "CANCELED"], "{table}");
    // The full form adds cluster health and orphans; the list form is unchanged.
    let out = fjc(&w, &["status", "--json", "--full"]);
    assert!(out.status.success(), "{}", text(&out));
    let full: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(full["jobs"], serde_json::Value::Array(status_rows(&w)));
    assert_eq!(full["clusters"][0]["name"], "default");
    assert_eq!(full["clusters"][0]["health"], "healthy");
    assert!(
        full["clusters"][0]["slots"]["total"].as_u64() > Some(0),
        "{full}"
    );
    assert!(full["orphans"].is_array());

    // Every request is in the audit trail with its own action and the caller.
    for args in [
        vec!["restart", id.as_str()],
        vec!["savepoint", id.as_str()],
        vec!["rollback", id.as_str()],
    ] {
        let out = fjc(&w, &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let mut suspended = w.stream_spec(&id);
    suspended.desired_state = fjc_spec::DesiredState::Suspended;
    w.apply(vec![suspended]).await;
    w.apply(vec![w.stream_spec(&id)]).await;
    let out = fjc(&w, &["history", &id, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let audit = history["audit"].as_array().expect("audit");
    let actions: Vec<&str> = audit.iter().filter_map(|a| a["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "restart",
            "savepoint",
            "rollback",
            "suspend",
            "resume"
        ],
        "{history}"
    );
    assert!(
        audit
            .iter()
            .all(|a| a["actor"].as_str().is_some_and(|s| !s.is_empty())),
        "{history}"
    );
    w.cleanup().await;
}

/// `fjc dashboard serve` on an address other than loopback: refused without a
/// token or `--allow-anonymous` (exit 1, naming both, nothing listening); with a
/// token (from `FJC_DASHBOARD_TOKEN`) only requests carrying it are served, and
/// a browser opening `/?token=…` once gets a cookie and the page without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_serve_off_loopback_needs_a_token_or_the_explicit_opt_out() {
    let site = tempfile::tempdir().expect("dir");
    std::fs::write(site.path().join("index.html"), "<html>fjc</html>").expect("index");
    std::fs::write(site.path().join("snapshot.json"), "{\"jobs\":[]}").expect("snapshot");
    let dir = site.path().to_str().expect("utf-8 path");

    let refused = Command::new(fjc_binary())
        .args(["dashboard", "serve", "--dir", dir, "--addr", "0.0.0.0:0"])
        .env_remove("FJC_DASHBOARD_TOKEN")
        .output()
        .expect("fjc");
    let said = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(
        said.contains("--addr 0.0.0.0:0 is not a loopback address")
            && said.contains("--token")
            && said.contains("--allow-anonymous"),
        "{said}"
    );

    let token = "dashboard-token-0123456789";
    let mut server = tokio::process::Command::new(fjc_binary())
        .args(["dashboard", "serve", "--dir", dir, "--addr", "0.0.0.0:0"])
        .env("FJC_DASHBOARD_TOKEN", token)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("fjc dashboard serve");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("the server starts")
        .expect("read")
        .expect("a line");
    assert!(first.contains("token holders only"), "{first}");
    assert!(
        !first.contains(token),
        "the token is never printed: {first}"
    );
    let port = first
        .split("http://0.0.0.0:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("the address");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let anonymous = http
        .get(format!("{base}/snapshot.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    assert!(!anonymous.text().await.expect("body").contains("jobs"));
    let wrong = http
        .get(format!("{base}/"))
        .bearer_auth("dashboard-token-0123456788")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 401);
    let bearer = http
        .get(format!("{base}/snapshot.json"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(bearer.status(), 200);
    assert_eq!(bearer.text().await.expect("body"), "{\"jobs\":[]}");

    let first_visit = http
        .get(format!("{base}/?job=a&token={token}"))
        .send()
        .await
        .expect("get");
    assert_eq!(first_visit.status(), 303);
    assert_eq!(first_visit.headers()["location"], "/?job=a");
    let cookie = first_visit.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let page = http
        .get(format!("{base}/?job=a"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.expect("body"), "<html>fjc</html>");
    server.kill().await.expect("stop");
}
