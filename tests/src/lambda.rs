//! Runs this workspace's Lambda functions through their real runtime: `cargo lambda watch`
//! (a local Lambda Runtime API that starts the function binary with `cargo run`) and
//! `cargo lambda invoke` with a fixture event. Nothing is mocked: the function is the same
//! `lambda_runtime` process that runs on AWS.
//!
//! cargo-lambda prints no `REPORT` line (no Init Duration, no Max Memory Used) and does not
//! support the Telemetry API, so [`LambdaWatch`] measures both itself:
//! - **init duration**: from the moment the function binary is exec'ed (watched in `/proc`
//!   every millisecond) to the timestamp of the handler's first log line, i.e. process start,
//!   configuration, SDK and HTTP clients, and the first `/next` round trip;
//! - **max memory**: the function process's peak resident set (`VmHWM` in `/proc/PID/status`).
//!
//! The watch process and everything it started are stopped when the [`LambdaWatch`] is dropped,
//! so a failing test leaves nothing running.

use std::fs::File;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The workspace root (the manifest `cargo lambda watch` runs).
pub fn repo_root() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .parent()
    .expect("repo root")
    .to_path_buf()
}

/// A checked-in event from `tests/fixtures/events/`.
pub fn event_fixture(name: &str) -> PathBuf {
    let path = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("fixtures/events")
    .join(name);
    assert!(path.is_file(), "no fixture {}", path.display());
    path
}

/// The cargo-lambda binary: `$FJC_CARGO_LAMBDA`, else the venv `infra/ensure-cargo-lambda.sh`
/// installs (`$FJC_CACHE_DIR/venv-cargo-lambda`), else `cargo-lambda` on `PATH`.
pub fn cargo_lambda() -> PathBuf {
    if let Ok(p) = std::env::var("FJC_CARGO_LAMBDA") {
        return PathBuf::from(p);
    }
    let cache = std::env::var("FJC_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/fjc")
        });
    let venv = cache.join("venv-cargo-lambda/bin/cargo-lambda");
    if venv.is_file() {
        return venv;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("cargo-lambda"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "cargo-lambda not found: run `infra/ensure-cargo-lambda.sh` \
                 (scripts/test.sh does) or set FJC_CARGO_LAMBDA"
            )
        })
}

/// The target directory this test binary was built into (`<target>/debug/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .expect("target dir above debug/deps")
        .to_path_buf()
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One invocation's outcome.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function's answer.
    pub response: serde_json::Value,
    /// Wall time of `cargo lambda invoke`, end to end.
    pub wall: Duration,
}

/// What a cold start cost, measured as described in the module docs.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Exec of the function binary to its handler's first log line.
    pub init: Option<Duration>,
    /// Peak resident set of the function process so far, in KiB.
    pub max_rss_kib: Option<u64>,
    /// The function process.
    pub pid: u32,
}

#[derive(Default)]
struct Exec {
    pid: Option<u32>,
    at: Option<SystemTime>,
}

/// A running `cargo lambda watch`; stopped (with its children) on drop.
pub struct LambdaWatch {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
    exec: Arc<Mutex<Exec>>,
    stop_poll: Arc<AtomicBool>,
    poller: Option<std::thread::JoinHandle<()>>,
}

impl LambdaWatch {
    /// Starts `cargo lambda watch -A 127.0.0.1 -P <free port> --ignore-changes` in the
    /// workspace, with `envs` added to the environment the functions inherit, and waits until
    /// it answers. `function` is the binary whose process start is timed.
    pub fn start(function: &str, envs: &[(&str, String)]) -> LambdaWatch {
        Self::start_on(function, envs, free_port(), 1)
    }

    /// Like [`LambdaWatch::start`], on `port`, running up to `concurrency` instances of
    /// a function at once (`--concurrency`).
    pub fn start_on(
        function: &str,
        envs: &[(&str, String)],
        port: u16,
        concurrency: u32,
    ) -> LambdaWatch {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("watch.log");
        let out = File::create(&log).expect("watch log");
        let mut cmd = Command::new(cargo_lambda());
        cmd.args(["lambda", "watch", "--ignore-changes", "--invoke-address"])
            .arg("127.0.0.1")
            .arg("--invoke-port")
            .arg(port.to_string())
            .arg("--concurrency")
            .arg(concurrency.to_string())
            .arg("--manifest-path")
            .arg(repo_root().join("Cargo.toml"))
            .current_dir(repo_root())
            .env("CARGO_TERM_COLOR", "never")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log fd"))
            .stderr(out);
        if std::env::var_os("CARGO_TARGET_DIR").is_none() {
            // `cargo run` under the watch must reuse this build's artifacts, not start over.
            cmd.env("CARGO_TARGET_DIR", target_dir());
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start cargo lambda watch");
        let exec = Arc::new(Mutex::new(Exec::default()));
        let stop_poll = Arc::new(AtomicBool::new(false));
        let poller = {
            let (exec, stop, root, name) = (
                exec.clone(),
                stop_poll.clone(),
                child.id(),
                function.to_string(),
            );
            std::thread::spawn(move || poll_exec(root, &name, &exec, &stop))
        };
        let mut watch = LambdaWatch {
            child,
            port,
            log,
            _dir: dir,
            exec,
            stop_poll,
            poller: Some(poller),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = watch.child.try_wait() {
                panic!(
                    "cargo lambda watch exited ({status}):\n{}",
                    watch.log_tail(40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {port} within 60 s:\n{}",
                watch.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        watch
    }

    /// The invoke port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `cargo lambda invoke FUNCTION --data-file EVENT`; panics with the watch log when the
    /// function fails or nothing answers within `timeout`.
    pub fn invoke(&mut self, function: &str, event: &Path, timeout: Duration) -> Invocation {
        let (ok, stdout, stderr, wall) = self.run_invoke(function, event, timeout);
        assert!(
            ok,
            "invoke {function} failed: {stdout}{stderr}\n--- watch log ---\n{}",
            self.log_tail(60)
        );
        let response = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("invoke {function}: answer is not JSON ({e}): {stdout}"));
        Invocation { response, wall }
    }

    /// Like [`LambdaWatch::invoke`] for an invocation that must fail; returns what
    /// `cargo lambda invoke` printed (the function's error).
    pub fn invoke_error(&mut self, function: &str, event: &Path, timeout: Duration) -> String {
        let (ok, stdout, stderr, _) = self.run_invoke(function, event, timeout);
        assert!(!ok, "invoke {function} was expected to fail: {stdout}");
        format!("{stdout}{stderr}")
    }

    fn run_invoke(
        &mut self,
        function: &str,
        event: &Path,
        timeout: Duration,
    ) -> (bool, String, String, Duration) {
        let start = Instant::now();
        let mut child = Command::new(cargo_lambda())
            .args(["lambda", "invoke", function, "--data-file"])
            .arg(event)
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(self.port.to_string())
            .args(["--output-format", "json"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cargo lambda invoke");
        loop {
            if child.try_wait().expect("invoke status").is_some() {
                break;
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "invoke {function} took over {timeout:?}:\n{}",
                    self.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let wall = start.elapsed();
        let output = child.wait_with_output().expect("invoke output");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            wall,
        )
    }

    /// Init duration and peak memory of the function process started so far, if any.
    /// `first_log` is a text the handler's first log line contains.
    pub fn cold_start(&self, first_log: &str) -> Option<ColdStart> {
        let (pid, at) = {
            let e = self.exec.lock().expect("exec");
            (e.pid?, e.at)
        };
        let init = at.and_then(|at| {
            let logged = self.log_timestamp(first_log)?;
            logged.duration_since(at).ok()
        });
        Some(ColdStart {
            init,
            max_rss_kib: max_rss_kib(pid),
            pid,
        })
    }

    /// The timestamp of the first JSON log line containing `text`.
    fn log_timestamp(&self, text: &str) -> Option<SystemTime> {
        let log = std::fs::read_to_string(&self.log).ok()?;
        log.lines()
            .filter(|l| l.contains(text))
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
            .find_map(|v| v.get("timestamp")?.as_str().and_then(parse_rfc3339_utc))
    }

    /// Lines of the watch output (cargo, cargo-lambda and the functions' own
    /// stdout/stderr) containing `text`, as printed.
    pub fn log_lines(&self, text: &str) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(text))
            .map(|l| l.trim().to_string())
            .collect()
    }

    /// The last `n` lines of the watch output (cargo, cargo-lambda and function logs).
    pub fn log_tail(&self, n: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Stops the watch and every process below it: SIGTERM, then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        self.stop_poll.store(true, Ordering::Relaxed);
        if let Some(p) = self.poller.take() {
            let _ = p.join();
        }
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        // Remember the tree first: watchexec puts the function in a process group of its own.
        let mut tree = descendants(self.child.id());
        tree.push(self.child.id());
        signal(&tree, "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && tree.iter().any(|p| alive(*p)) {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(100));
        }
        let left: Vec<u32> = tree.into_iter().filter(|p| alive(*p)).collect();
        if !left.is_empty() {
            signal(&left, "KILL");
        }
        let _ = self.child.wait();
    }
}

impl Drop for LambdaWatch {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Watches the process tree below `root` every millisecond until a process whose executable
/// is named `name` appears; records its pid and when it was first seen.
fn poll_exec(root: u32, name: &str, exec: &Mutex<Exec>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        for pid in descendants(root) {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            if exe.as_deref().and_then(Path::file_name) == Some(name.as_ref()) {
                let mut e = exec.lock().expect("exec");
                e.pid = Some(pid);
                e.at = Some(SystemTime::now());
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every process below `pid` (children of all its threads, recursively).
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for c in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !out.contains(&c) {
                    out.push(c);
                    todo.push(c);
                }
            }
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

fn signal(pids: &[u32], sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// Peak resident set (`VmHWM`) of a live process, in KiB.
pub fn max_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `2026-11-26T14:10:00.123456Z` (UTC, as tracing's JSON output writes it).
fn parse_rfc3339_utc(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let nanos: u64 = format!("{frac:0<9}")[..9].parse().ok()?;
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::try_from(era * 146_097 + doe - 719_468).ok()?;
    Some(
        UNIX_EPOCH
            + Duration::from_secs(days * 86_400 + hh * 3600 + mm * 60 + ss)
            + Duration::from_nanos(nanos),
    )
}

/// The environment a function under `cargo lambda watch` needs to work on `w`'s
/// table, artifact root and cluster (AWS_* for moto come from the process
/// environment `localstack/up.sh` wrote); downloads go to `tmp`.
pub fn function_env(w: &crate::harness::World, tmp: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("FJC_ENV", "local".into()),
        (
            "FJC_CONFIG_DIR",
            repo_root().join("config").display().to_string(),
        ),
        ("FJC_TABLE", w.table.clone()),
        ("FJC_FLINK_URL", w.env.flink_url.clone()),
        (
            "FJC_ARTIFACT_ROOT",
            w.artifact_root.path().display().to_string(),
        ),
        ("FJC_TMP_DIR", tmp.display().to_string()),
        ("FJC_LOG_FORMAT", "json".into()),
        ("FJC_LOG_LEVEL", "info".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tracing_timestamps() {
        let t = parse_rfc3339_utc("2026-11-26T14:10:00.123456Z").unwrap();
        let d = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(d.as_secs(), 1_795_702_200);
        assert_eq!(d.subsec_micros(), 123_456);
        assert!(parse_rfc3339_utc("1970-01-01T00:00:00Z").is_some());
        assert!(parse_rfc3339_utc("garbage").is_none());
    }
}
