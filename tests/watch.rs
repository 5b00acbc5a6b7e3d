//! `fjc watch` as a user runs it, on the real Flink and moto: the binary
//! started on a spec directory and two artifact roots, files written the way
//! editors and builds write them, and the outcome read from the store, Flink
//! and the job's output. Every watcher is stopped with SIGTERM and must exit 0.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::{HistoryStore, SpecStore};
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, fjc_binary, unique};
use fjc_spec::JobSpec;

const T: Duration = Duration::from_secs(120);

/// A running `fjc watch`, its output in a file; SIGTERM on drop.
struct Watcher {
    child: Option<Child>,
    log: PathBuf,
}

impl Watcher {
    fn start(w: &World, specs: &Path, roots: &[&Path], extra: &[&str], log: PathBuf) -> Watcher {
        let out = std::fs::File::create(&log).expect("log");
        let err = out.try_clone().expect("log");
        let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        let mut args = vec![
            "watch",
            "-f",
            specs.to_str().expect("path"),
            "--settle",
            "300ms",
        ];
        args.extend_from_slice(extra);
        let child = Command::new(fjc_binary())
            .args(&args)
            .env("FJC_TABLE", &w.table)
            .env("FJC_ARTIFACT_ROOT", roots.join(":"))
            .env("FJC_FLINK_URL", &w.env.flink_url)
            .env("FJC_CONFIG_DIR", "/nonexistent")
            .env("FJC_RECONCILE_INTERVAL_SECONDS", "60")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("fjc watch");
        Watcher {
            child: Some(child),
            log,
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the output holds `text` (panics after `wait`).
    async fn said(&self, text: &str, wait: Duration) {
        let start = Instant::now();
        while !self.output().contains(text) {
            assert!(
                start.elapsed() < wait,
                "fjc watch never said {text:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM; the exit status, within `wait`.
    async fn stop(&mut self, wait: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                start.elapsed() < wait,
                "fjc watch did not stop within {wait:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `value` as block-style YAML (scalars JSON-quoted, which YAML reads alike).
fn yaml(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    let nested = |v: &Value| match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if nested(v) {
                    out.push_str(&format!("{pad}{k}:\n"));
                    yaml(v, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{k}: {v}\n"));
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                if nested(v) {
                    out.push_str(&format!("{pad}-\n"));
                    yaml(v, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}- {v}\n"));
                }
            }
        }
        other => out.push_str(&format!("{pad}{other}\n")),
    }
}

fn yaml_text(value: &serde_json::Value) -> String {
    let mut out = String::new();
    yaml(value, 0, &mut out);
    out
}

/// Writes `spec` as YAML the way editors save: a temp file renamed over it.
fn save(file: &Path, spec: &JobSpec) {
    let tmp = file.with_extension("yaml.tmp~");
    let value = serde_json::to_value(spec).expect("json");
    std::fs::write(&tmp, yaml_text(&value)).expect("write");
    std::fs::rename(&tmp, file).expect("rename");
}

fn with_rate(mut spec: JobSpec, rate: u32) -> JobSpec {
    let at = spec
        .args
        .iter()
        .position(|a| a == "--rate")
        .expect("--rate");
    spec.args[at + 1] = rate.to_string();
    spec
}

async fn until(w: &World, id: &str, what: &str, done: impl Fn(&JobState) -> bool) -> JobState {
    let start = Instant::now();
    loop {
        if let Some(s) = w.state(id).await
            && done(&s)
        {
            return s;
        }
        assert!(start.elapsed() < T, "{id}: not {what} within {T:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn deployed(s: &JobState, fingerprint: &str) -> bool {
    s.lifecycle == Lifecycle::Running
        && s.operation.is_none()
        && s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()) == Some(fingerprint)
}

async fn fingerprint(w: &World, id: &str) -> String {
    let spec = w.ctx.store.get_spec(id).await.expect("read").expect("spec");
    spec.fingerprint.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_spec_redeploys_by_savepoint_and_a_bad_edit_changes_nothing() {
    let w = World::new("watch-edit").await;
    let specs = tempfile::tempdir().expect("tempdir");
    let id = unique("watch-edit");
    let file = specs.path().join(format!("{id}.yaml"));
    let v1 = w.stream_spec(&id);
    save(&file, &v1);
    let log = w.out_dir.join(format!("{id}.log"));
    let mut fjc = Watcher::start(&w, specs.path(), &[w.artifact_root.path()], &[], log);
    let fp1 = {
        let s = until(&w, &id, "running", |s| s.lifecycle == Lifecycle::Running).await;
        s.deployed_fingerprint.clone().expect("deployed").0
    };
    let dir = w.out_dir.join(&id);
    counter::counted(&dir, 4, 5, T).await;

    // An edit of the args: applied and redeployed through a savepoint.
    let edited = Instant::now();
    save(&file, &with_rate(v1.clone(), 12));
    let s = until(&w, &id, "redeployed", |s| {
        s.deployed_fingerprint.as_ref().is_some_and(|f| f.0 != fp1)
            && s.lifecycle == Lifecycle::Running
    })
    .await;
    let took = edited.elapsed();
    eprintln!(
        "edit to the new version running: {:.1} s",
        took.as_secs_f64()
    );
    let sp = s.last_savepoint.clone().expect("an upgrade savepoint");
    assert_eq!(s.restored_from.as_deref(), Some(sp.location.as_str()));
    let before = counter::latest(&counter::counts(&dir));
    let top = before.values().max().copied().unwrap_or(0);
    let after = counter::counted(&dir, 4, top + 5, T).await;
    assert!(
        counter::resets(&after).is_empty(),
        "a count started again: {after:?}"
    );
    assert_eq!(w.live_jobs(&id).await.len(), 1, "exactly one job runs");

    // A save mid-edit with a syntax error, then one with a bad field: each
    // error names the file and line (and the field); nothing changes, and the
    // watcher goes on.
    let fp2 = fingerprint(&w, &id).await;
    let kept = "not applied; the jobs keep their current specs";
    std::fs::write(&file, format!("job_id: {id}\nargs: [\"--rate\", \n")).expect("write");
    fjc.said(kept, T).await;
    let said = fjc.output();
    let lines: Vec<&str> = said.lines().collect();
    let at = lines.iter().position(|l| l.contains(kept)).expect("told");
    let syntax = lines[..at].last().copied().unwrap_or_default();
    let name = file.display().to_string();
    assert!(syntax.starts_with(&format!("{name}:")), "{said}");
    assert!(
        syntax[name.len() + 1..]
            .split(':')
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok()),
        "a line number: {syntax}"
    );
    eprintln!("syntax error: {syntax}");
    let mut bad = serde_json::to_value(with_rate(v1.clone(), 13)).expect("json");
    bad["deployment"]["parallelism"] = 0.into();
    std::fs::write(&file, yaml_text(&bad)).expect("write");
    fjc.said("deployment.parallelism", T).await;
    let said = fjc.output();
    let line = said
        .lines()
        .find(|l| l.contains("deployment.parallelism"))
        .expect("the error line");
    assert!(line.starts_with(&format!("{name}:")), "{line}");
    assert!(
        line[name.len() + 1..]
            .split(':')
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok()),
        "a line number: {line}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fingerprint(&w, &id).await,
        fp2,
        "the bad edit was not applied"
    );
    let s = w.state(&id).await.expect("state");
    assert!(deployed(&s, &fp2), "{s:?}");

    // Fixed: applied.
    save(&file, &with_rate(v1, 13));
    until(&w, &id, "redeployed after the fix", |s| {
        s.deployed_fingerprint.as_ref().is_some_and(|f| f.0 != fp2)
            && s.lifecycle == Lifecycle::Running
    })
    .await;
    assert!(fjc.stop(T).await.success(), "{}", fjc.output());
    assert_eq!(w.live_jobs(&id).await.len(), 1);
    w.cleanup().await;
}

/// `stream-counter.jar` with one more entry: other bytes, the same job.
fn another_jar(from: &Path, to: &Path) {
    let script = "import shutil, sys, zipfile\n\
                  shutil.copy(sys.argv[1], sys.argv[2])\n\
                  with zipfile.ZipFile(sys.argv[2], 'a') as z:\n    z.writestr('fjc-marker.txt', 'v2')\n";
    let ok = Command::new("python3")
        .args(["-c", script])
        .arg(from)
        .arg(to)
        .status()
        .expect("python3");
    assert!(ok.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jar_written_in_five_chunks_to_a_second_root_is_verified_and_redeployed_once() {
    let w = World::new("watch-jar").await;
    let specs = tempfile::tempdir().expect("tempdir");
    let second = tempfile::tempdir().expect("tempdir");
    let id = unique("watch-jar");
    let jar = format!("{id}.jar");
    std::fs::copy(w.artifact("stream-counter.jar"), second.path().join(&jar)).expect("copy");
    let mut spec = w.stream_spec(&id);
    spec.artifact_path = jar.clone();
    save(&specs.path().join(format!("{id}.yaml")), &spec);
    let log = w.out_dir.join(format!("{id}.log"));
    let mut fjc = Watcher::start(
        &w,
        specs.path(),
        &[w.artifact_root.path(), second.path()],
        &[],
        log,
    );
    let s = until(&w, &id, "running", |s| s.lifecycle == Lifecycle::Running).await;
    let fp1 = s.deployed_fingerprint.clone().expect("deployed").0;
    let dir = w.out_dir.join(&id);
    counter::counted(&dir, 4, 5, T).await;

    // A build writes the new jar in place, truncating it first, in 5 chunks.
    let staged = w.out_dir.join(format!("{id}-v2.jar"));
    another_jar(&w.artifact("stream-counter.jar"), &staged);
    let bytes = std::fs::read(&staged).expect("jar");
    let mut f = std::fs::File::create(second.path().join(&jar)).expect("truncate");
    for chunk in bytes.chunks(bytes.len().div_ceil(5)) {
        f.write_all(chunk).expect("chunk");
        f.flush().expect("flush");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    drop(f);
    let s = until(&w, &id, "redeployed", |s| {
        s.deployed_fingerprint.as_ref().is_some_and(|f| f.0 != fp1)
            && s.lifecycle == Lifecycle::Running
    })
    .await;
    assert!(s.last_savepoint.is_some(), "redeployed through a savepoint");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let said = fjc.output();
    let verified: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with(&format!("artifact {jar}:")))
        .collect();
    assert_eq!(verified.len(), 1, "one verification: {verified:?}\n{said}");
    assert!(
        verified[0].contains(&format!("accepted for {id}")),
        "{said}"
    );
    let revisions = w.ctx.store.list_revisions(&id).await.expect("revisions");
    assert_eq!(revisions.len(), 2, "one redeploy: {revisions:?}");
    let after = counter::counted(
        &dir,
        4,
        counter::latest(&counter::counts(&dir))
            .values()
            .max()
            .copied()
            .unwrap_or(0)
            + 3,
        T,
    )
    .await;
    assert!(counter::resets(&after).is_empty());
    assert!(fjc.stop(T).await.success(), "{}", fjc.output());
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_spec_file_deletes_its_job_only_with_prune() {
    let w = World::new("watch-prune").await;
    let specs = tempfile::tempdir().expect("tempdir");
    let (kept, pruned) = (unique("watch-keep"), unique("watch-prune"));
    for id in [&kept, &pruned] {
        save(&specs.path().join(format!("{id}.yaml")), &w.stream_spec(id));
    }
    let log = w.out_dir.join(format!("{kept}.log"));
    let mut fjc = Watcher::start(&w, specs.path(), &[w.artifact_root.path()], &[], log);
    for id in [&kept, &pruned] {
        until(&w, id, "running", |s| s.lifecycle == Lifecycle::Running).await;
    }
    // Without --prune: the file goes, the job stays.
    std::fs::remove_file(specs.path().join(format!("{kept}.yaml"))).expect("rm");
    fjc.said(&format!("{kept} kept (run with --prune to delete)"), T)
        .await;
    assert!(fjc.stop(T).await.success(), "{}", fjc.output());
    assert!(w.ctx.store.get_spec(&kept).await.expect("read").is_some());
    assert_eq!(w.live_jobs(&kept).await.len(), 1);

    // With --prune: the removed file's job is cancelled and forgotten.
    let log = w.out_dir.join(format!("{pruned}.log"));
    let mut fjc = Watcher::start(
        &w,
        specs.path(),
        &[w.artifact_root.path()],
        &["--prune"],
        log,
    );
    fjc.said("a full round every", T).await;
    std::fs::remove_file(specs.path().join(format!("{pruned}.yaml"))).expect("rm");
    fjc.said(&format!("{pruned}: deleted (--prune)"), T).await;
    let start = Instant::now();
    while !w.live_jobs(&pruned).await.is_empty() || w.state(&pruned).await.is_some() {
        assert!(
            start.elapsed() < T,
            "{pruned} not cancelled:\n{}",
            fjc.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        w.live_jobs(&kept).await.len(),
        1,
        "the other job is untouched"
    );
    assert!(fjc.stop(T).await.success(), "{}", fjc.output());
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_upgrade_then_watch_again_leaves_exactly_one_job() {
    let w = World::new("watch-term").await;
    let specs = tempfile::tempdir().expect("tempdir");
    let id = unique("watch-term");
    let file = specs.path().join(format!("{id}.yaml"));
    let v1 = w.stream_spec(&id);
    save(&file, &v1);
    let log = w.out_dir.join(format!("{id}-1.log"));
    let mut fjc = Watcher::start(&w, specs.path(), &[w.artifact_root.path()], &[], log);
    let s = until(&w, &id, "running", |s| s.lifecycle == Lifecycle::Running).await;
    let fp1 = s.deployed_fingerprint.clone().expect("deployed").0;
    save(&file, &with_rate(v1, 14));
    // SIGTERM as soon as the upgrade is recorded in flight.
    until(&w, &id, "upgrading", |s| s.operation.is_some()).await;
    let status = fjc.stop(T).await;
    assert!(status.success(), "exit {status:?}:\n{}", fjc.output());
    let said = fjc.output();
    assert!(
        said.contains("stopping: the step under way ends first"),
        "{said}"
    );
    assert!(said.trim_end().ends_with("stopped"), "{said}");

    let log = w.out_dir.join(format!("{id}-2.log"));
    let mut again = Watcher::start(&w, specs.path(), &[w.artifact_root.path()], &[], log);
    let s = until(&w, &id, "upgraded", |s| {
        s.deployed_fingerprint.as_ref().is_some_and(|f| f.0 != fp1)
            && deployed(
                s,
                &s.deployed_fingerprint
                    .clone()
                    .map(|f| f.0)
                    .unwrap_or_default(),
            )
    })
    .await;
    let live = w.live_jobs(&id).await;
    assert_eq!(live.len(), 1, "exactly one job: {live:?}");
    assert_eq!(Some(&live[0].id), s.flink_job_id.as_ref());
    assert!(
        s.last_savepoint.is_some(),
        "the upgrade went on from its savepoint"
    );
    assert!(again.stop(T).await.success(), "{}", again.output());
    w.cleanup().await;
}
