//! What both fleets use to run and measure a reconcile cycle: the stand-in as a
//! child process and its counters, specs applied through the real `apply` path,
//! and the benchmark's controller configuration.

use std::io::BufRead;
use std::path::Path;

use fjc_core::apply::{Caller, SourcedSpec, apply};
use fjc_core::clock::SystemClock;
use fjc_core::config::{ClusterConfig, Config, ObserveMode, ReconcileConfig};
use fjc_core::context::{Context, Ports};
use fjc_core::cycle::{CycleReport, Scope};
use fjc_spec::JobSpec;
use serde_json::Value;

use crate::Error;
use crate::report::{Sample, begin};

/// Applies specs through the real `apply` path, 500 at a time.
pub(crate) async fn apply_all<S: fjc_core::store::Store, A: fjc_core::artifacts::ArtifactSource>(
    store: &S,
    artifacts: &A,
    specs: Vec<JobSpec>,
) -> Result<(), Error> {
    let security = fjc_core::policy::Security::default();
    for chunk in specs.chunks(500) {
        let sourced = chunk
            .iter()
            .map(|s| SourcedSpec {
                source: "bench".into(),
                spec: s.clone(),
            })
            .collect();
        let caller = Caller {
            actor: "local:bench",
            security: &security,
        };
        apply(store, artifacts, &SystemClock, caller, sourced).await?;
    }
    Ok(())
}

/// The stand-in, a child process (its CPU is not ours). Killed on drop.
pub(crate) struct StandInProc {
    child: std::process::Child,
    /// Its Flink REST URL.
    pub(crate) url: String,
    /// Its counting S3 relay, when started with one.
    pub(crate) s3_url: Option<String>,
}

impl StandInProc {
    /// Starts `fjc-bench stand-in` with its storage below `storage` and, when
    /// `s3_upstream` is given, a counting relay to that S3 endpoint.
    pub(crate) fn start(storage: &Path, s3_upstream: Option<&str>) -> Result<StandInProc, Error> {
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg("stand-in").arg("--storage").arg(storage);
        if let Some(up) = s3_upstream {
            cmd.arg("--s3-upstream").arg(up);
        }
        let mut child = cmd.stdout(std::process::Stdio::piped()).spawn()?;
        let out = child.stdout.take().ok_or("stand-in stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(out).read_line(&mut line)?;
        let mut words = line.split_whitespace();
        let url = words.next().ok_or("stand-in printed no URL")?.to_string();
        let s3_url = words.next().filter(|w| *w != "-").map(str::to_string);
        Ok(StandInProc { child, url, s3_url })
    }

    /// `GET /stand-in/stats`: its counters.
    pub(crate) fn stats(&self) -> Result<Value, Error> {
        self.call("GET", "/stand-in/stats", None)
    }

    /// One HTTP/1.1 call to the stand-in (outside the controller's client).
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr)?;
        let body = body.map(Value::to_string).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nhost: stand-in\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        let json = text.split("\r\n\r\n").nth(1).ok_or("stand-in: no body")?;
        Ok(serde_json::from_str(json)?)
    }
}

impl Drop for StandInProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `after[key] - before[key]`.
pub(crate) fn delta(before: &Value, after: &Value, key: &str) -> u64 {
    after[key]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(before[key].as_u64().unwrap_or(0))
}

/// Every counter that moved, `key +n`.
pub(crate) fn deltas(before: &Value, after: &Value) -> String {
    let Some(keys) = after.as_object() else {
        return String::new();
    };
    keys.keys()
        .filter(|k| !matches!(k.as_str(), "running" | "finished" | "jars"))
        .filter_map(|k| {
            let d = delta(before, after, k);
            (d > 0).then(|| format!("{k} +{d}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One tick over the whole fleet, as the `reconcile` Lambda runs it: a cycle,
/// then the cycles of jobs whose operations asked to be looked at again within
/// `cancel_wait_seconds`, told as one report (`TickReport::combined`).
pub(crate) async fn tick_once<P: Ports>(ctx: &Context<P>) -> Result<CycleReport, Error> {
    let scopes = [Scope::All];
    let plan = fjc_core::tick::TickPlan {
        scopes: &scopes,
        view: false,
        publish: false,
        correlation_id: None,
        deadline: None,
        stop: None,
    };
    let done = fjc_core::tick::tick::<_, fjc_aws::dashboard::Publisher>(ctx, None, plan, |_, _| {})
        .await?;
    if done.requeued > 0 {
        eprintln!("[bench] the tick ran {} requeued cycle(s)", done.requeued);
    }
    done.combined().ok_or_else(|| "a tick ran no cycle".into())
}

/// One measured tick ([`tick_once`]), with the stand-in's upload and S3 byte
/// counts.
pub(crate) async fn measure<P: Ports>(
    ctx: &Context<P>,
    stand_in: &StandInProc,
    n: usize,
    mode: &'static str,
    phase: &'static str,
) -> Result<(Sample, CycleReport), Error> {
    let before = stand_in.stats()?;
    let p = begin();
    let r = tick_once(ctx).await?;
    let mut sample = Sample::of(n, mode, phase, p, &r);
    let after = stand_in.stats()?;
    sample.upload_bytes = Some(delta(&before, &after, "upload_bytes"));
    sample.s3_bytes = stand_in
        .s3_url
        .as_ref()
        .map(|_| delta(&before, &after, "s3_bytes_read"));
    report_failures(phase, &r);
    Ok((sample, r))
}

/// Prints the first few failed actions of a cycle (a stand-in the controller
/// does not understand shows here).
pub(crate) fn report_failures(phase: &str, r: &CycleReport) {
    let failed: Vec<String> = r
        .actions
        .iter()
        .filter_map(|a| match &a.outcome {
            fjc_core::executor::Outcome::Failed(why) => Some(format!("{}: {why}", a.job_id)),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        eprintln!(
            "[bench] {phase}: {} failed actions, e.g. {}",
            failed.len(),
            failed
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}

/// The controller configuration of a benchmark: one cluster, the stand-in.
pub(crate) fn bench_config(table: &str, url: &str) -> Config {
    let mut config = Config {
        table: table.to_string(),
        ..Config::default()
    };
    config.clusters.insert(
        "default".into(),
        ClusterConfig {
            url: url.to_string(),
            credentials_secret: None,
        },
    );
    config
}

/// Reconcile settings of the benchmark: 32 actions at once, a long lease.
pub(crate) fn bench_settings(mode: ObserveMode) -> ReconcileConfig {
    ReconcileConfig {
        observe: mode,
        max_concurrency: 32,
        lease_ttl_seconds: 3600,
        ..ReconcileConfig::default()
    }
}

pub(crate) fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}
