//! PyFlink jobs on the real Flink 2.3, submitted through the Python runner
//! (`python-runner/`: Flink's `flink-python` jar with the runner added, built by
//! `localstack/up.sh`) like any jar, with the cluster's Python from the PyFlink
//! venv `localstack/up.sh` installs. The program is `examples/py-counts.py` (a
//! Table API keyed count printed to the TaskManagers' stdout,
//! [`World::python_spec`]): upgraded through
//! a savepoint, every key's count goes on. A program Python cannot start ends
//! FAILED with Python's own last line, and no Flink job is created; an empty
//! script or a package that is not a zip is refused at apply, and nothing is
//! stored. (Its recovery after the JobManager is killed is in
//! tests/disruptive.rs, which runs alone.)

use std::time::Duration;

use fjc_core::state::Lifecycle;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::printed::{Row, counted as counted_keys, upgraded_keeping_counts};
use fjc_spec::JobSpec;

const WAIT: Duration = Duration::from_secs(180);

/// A PyFlink stream spec for the program `file` below the artifact root.
fn program_spec(id: &str, file: &str) -> JobSpec {
    serde_json::from_value(serde_json::json!({
        "job_id": id,
        "job_type": "stream",
        "artifact_path": file,
        "deployment": {"parallelism": 1},
    }))
    .expect("python spec")
}

fn write(w: &World, file: &str, bytes: &[u8]) {
    std::fs::write(w.artifact_root.path().join(file), bytes).expect("program");
}

async fn counted(w: &World, ident: &str, n: u64) -> Vec<Row> {
    counted_keys(&w.env.flink_url, ident, 4, n, WAIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pyflink_job_is_upgraded_through_a_savepoint_and_its_counts_go_on() {
    let w = World::new("py-up").await;
    let id = unique("py-up");
    let ident = format!("p{}", id.replace('-', ""));
    let v1_spec = w.python_spec(&id, &["--ident", &ident, "--where", "v >= 0"]);
    let applied = w.apply(vec![v1_spec]).await;
    let v1 = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let v1_job = v1.flink_job_id.clone().expect("flink job");
    let job = w.flink_job(&v1_job).await.expect("listed by Flink");
    assert_eq!(
        job.name,
        format!("fjc:{id}"),
        "pipeline.name set by the controller"
    );
    w.wait_flink_state(&v1_job, FlinkJobState::Running, WAIT)
        .await;
    counted(&w, &ident, 5).await;

    // A new filter in the program's args: the same plan shape, so the
    // aggregate's state carries over through the savepoint.
    let v2_spec = w.python_spec(&id, &["--ident", &ident, "--where", "v < 80"]);
    let changed = w.apply(vec![v2_spec]).await;
    assert_ne!(changed[0].fingerprint, applied[0].fingerprint);
    upgraded_keeping_counts(&w, &id, &changed[0].fingerprint, &v1_job, &ident, WAIT).await;
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_python_cannot_start_ends_failed_with_pythons_line_and_nothing_runs() {
    let w = World::new("py-bad").await;
    let id = unique("py-import");
    let file = format!("{id}.py");
    write(
        &w,
        &file,
        b"import fjc_no_such_module_anywhere\n\nprint('never')\n",
    );
    w.apply(vec![program_spec(&id, &file)]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Failed)
        .await;
    let error = s.last_error.expect("the reason").message;
    assert!(
        error.contains("ModuleNotFoundError: No module named 'fjc_no_such_module_anywhere'"),
        "{error}"
    );
    assert!(!error.contains("Caused by"), "Python's line only: {error}");
    assert!(!error.contains("\tat "), "no stack trace: {error}");
    eprintln!("recorded: {error}");
    let jobs = w.jobs_named(&format!("fjc:{id}")).await;
    assert!(jobs.is_empty(), "no Flink job was created: {jobs:?}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_script_or_a_package_that_is_not_a_zip_is_refused_at_apply() {
    let w = World::new("py-refused").await;
    let empty = unique("py-empty");
    write(&w, &format!("{empty}.py"), b"# nothing but a comment\n\n");
    let err = w
        .try_apply(vec![program_spec(&empty, &format!("{empty}.py"))])
        .await
        .expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains(&format!("{empty}.py")) && message.contains("the Python script is empty"),
        "{message}"
    );
    assert!(w.spec_record(&empty).await.is_none(), "nothing stored");

    let package = unique("py-package");
    write(
        &w,
        &format!("{package}.zip"),
        b"print('a script, not a package')\n",
    );
    let mut spec = program_spec(&package, &format!("{package}.zip"));
    spec.python = Some(fjc_spec::Python {
        entry_module: Some("pipelines.counts".into()),
    });
    let err = w.try_apply(vec![spec]).await.expect_err("refused");
    assert!(err.to_string().contains("must be a .zip archive"), "{err}");
    assert!(w.spec_record(&package).await.is_none(), "nothing stored");
    w.cleanup().await;
}

/// Flink finds a Python program's submission context through a JVM-wide static
/// that every jar run on the JobManager sets and clears. Two controllers (as two
/// shards would) submit at once to one cluster: a PyFlink job from one, four
/// batch jars from the other, three times over. Each PyFlink job runs on the
/// session under the id its controller chose, never in a mini cluster inside
/// the JobManager ("No jobs included in application").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pyflink_submissions_among_another_controllers_jar_submissions_run_under_their_ids() {
    let py = World::new("py-race").await;
    let jars = World::new("py-race-jars").await;
    for round in 0..3 {
        let id = unique("py-race");
        let ident = format!("r{}", id.replace('-', ""));
        py.apply(vec![py.python_spec(&id, &["--ident", &ident])])
            .await;
        let batch = (0..4)
            .map(|k| jars.batch_spec(&unique(&format!("race{round}-{k}")), 1000))
            .collect();
        jars.apply(batch).await;
        let (py_cycle, jar_cycle) = tokio::join!(py.one_cycle(), jars.one_cycle());
        let submitted = jar_cycle
            .actions
            .iter()
            .filter(|a| a.job_id.starts_with(&format!("race{round}-")))
            .count();
        assert_eq!(submitted, 4, "{:?}", jar_cycle.actions);
        // This round's deploy; earlier rounds' jobs may only have their health
        // signals recorded (they are in their gate window).
        let deploys = py_cycle.actions.iter().filter(|a| a.job_id == id).count();
        assert_eq!(deploys, 1, "{:?}", py_cycle.actions);
        assert!(
            py_cycle
                .actions
                .iter()
                .all(|a| a.job_id == id || a.action == "record"),
            "{:?}",
            py_cycle.actions
        );
        let s = py
            .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
            .await;
        assert!(s.last_error.is_none(), "{:?}", s.last_error);
        let job = s.flink_job_id.expect("the job");
        let listed = py
            .flink_job(&job)
            .await
            .expect("on the session under its id");
        assert_eq!(listed.name, format!("fjc:{id}"));
        py.wait_flink_state(&job, FlinkJobState::Running, WAIT)
            .await;
        counted(&py, &ident, 1).await;
    }
    py.cleanup().await;
    jars.cleanup().await;
}

/// A cluster whose Python cannot be started (here: the run's
/// `python.client.executable` names no program) refuses the run with one line
/// that says what the cluster needs, never a stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_python_refuses_the_run_saying_what_it_needs() {
    use fjc_flink::{FlinkApi, JobId, RunRequest};
    use fjc_integration_tests::LocalEnv;
    use fjc_integration_tests::harness::flink_client;

    let env = LocalEnv::from_env();
    let runner = env.runners().python.expect("the Python runner");
    let flink = flink_client(&env.flink_url, Duration::from_secs(60));
    let jar = flink.upload_jar(&runner).await.expect("upload");
    let request = RunRequest {
        flink_configuration: [(
            "python.client.executable".to_string(),
            "/nonexistent/python3".to_string(),
        )]
        .into(),
        ..counts_run(JobId::random(), &[])
    };
    let err = flink.run_jar(&jar, &request).await.expect_err("refused");
    let _ = flink.delete_jar(&jar).await;
    let message = err.to_string();
    assert!(
        message.contains(
            "fjc-python: the cluster cannot start Python (/nonexistent/python3): set \
             python.client.executable and python.executable to a Python with apache-flink \
             installed"
        ),
        "{message}"
    );
    let jobs = flink.list_jobs().await.expect("overview");
    assert!(
        jobs.iter().all(|j| Some(&j.id) != request.job_id.as_ref()),
        "no job was created"
    );
}

/// A PyFlink package: a `.zip` holding `pipelines/counts.py` (the example) run as
/// `python.entry_module: pipelines.counts`, with its `args`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pyflink_package_runs_its_entry_module() {
    let w = World::new("py-zip").await;
    let id = unique("py-zip");
    let ident = format!("z{}", id.replace('-', ""));
    let example = w.python_spec(&id, &[]);
    let script = w.artifact_root.path().join(&example.artifact_path);
    let zip = w.artifact_root.path().join(format!("{id}.zip"));
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
             \x20   z.writestr('pipelines/__init__.py', '')\n\
             \x20   z.write(sys.argv[2], 'pipelines/counts.py')\n",
        ])
        .arg(&zip)
        .arg(&script)
        .status()
        .expect("python3");
    assert!(made.success());
    let mut spec = program_spec(&id, &format!("{id}.zip"));
    spec.args = vec!["--ident".into(), ident.clone()];
    spec.python = Some(fjc_spec::Python {
        entry_module: Some("pipelines.counts".into()),
    });
    w.apply(vec![spec]).await;
    let s = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let job = s.flink_job_id.expect("the job");
    assert_eq!(
        w.flink_job(&job).await.expect("listed").name,
        format!("fjc:{id}")
    );
    w.wait_flink_state(&job, FlinkJobState::Running, WAIT).await;
    counted(&w, &ident, 3).await;
    w.cleanup().await;
}

/// A second run of a PyFlink program under a job id already taken, as when the
/// controller never got the first run's answer and submits again: Flink refuses
/// it inside the Python program, and the runner names Flink's refusal, so the
/// client reports a duplicate (the controller adopts the running job) rather
/// than a failed program.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pyflink_run_under_a_job_id_already_taken_is_a_duplicate_not_a_failure() {
    use fjc_flink::{FlinkApi, FlinkError, JobId};
    use fjc_integration_tests::LocalEnv;
    use fjc_integration_tests::harness::flink_client;

    let env = LocalEnv::from_env();
    let runner = env.runners().python.expect("the Python runner");
    let flink = flink_client(&env.flink_url, Duration::from_secs(90));
    let id = JobId::random();
    let ident = format!("dup{}", &id.to_string()[..8]);
    let request = counts_run(id.clone(), &["--ident", &ident]);
    let jar = flink.upload_jar(&runner).await.expect("upload");
    let first = flink.run_jar(&jar, &request).await;
    let second = flink.run_jar(&jar, &request).await;
    let _ = flink.delete_jar(&jar).await;
    let _ = flink.cancel(&id).await;
    assert_eq!(first.expect("the first run"), id);
    match second {
        Err(FlinkError::DuplicateJob { job }) => assert_eq!(job, id.to_string()),
        other => panic!("a duplicate, not {other:?}"),
    }
}

/// A run of `examples/py-counts.py` through the Python runner as `id`, with `args`.
fn counts_run(id: fjc_flink::JobId, args: &[&str]) -> fjc_flink::RunRequest {
    use base64::Engine;
    let script = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/py-counts.py"),
    )
    .expect("example");
    let mut program_args = vec![
        "--file".into(),
        "counts.py".into(),
        "--base64".into(),
        base64::engine::general_purpose::STANDARD.encode(script),
    ];
    if !args.is_empty() {
        program_args.push("--".into());
        program_args.extend(args.iter().map(ToString::to_string));
    }
    fjc_flink::RunRequest {
        job_id: Some(id),
        entry_class: Some("fjc.python.PythonRunner".into()),
        program_args,
        parallelism: Some(1),
        ..fjc_flink::RunRequest::default()
    }
}
