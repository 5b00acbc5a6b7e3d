//! Real reconciler processes (`fjc reconcile --every 1s`, the shipped binary with its
//! default settings: a 30 s lease) killed with SIGKILL at random moments, 0.3–4 s
//! after they start, three times for each of six savepoint redeploys of a stream job
//! with 5 s checkpoints. After the last kill of each change a new reconciler runs
//! cycles as a schedule would. Within 60 s exactly one job runs, restored from the
//! stop-savepoint of the version it replaced, and every key's count goes on exactly
//! (1, 2, 3, … across all seven versions): a stop-savepoint leaves nothing to
//! replay, so a count never repeats or goes backwards.
//!
//! The kill moments come from a seed printed at the start; `FJC_KILL_SEED=N`
//! repeats a run.

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fjc_core::state::{JobState, Lifecycle, Operation};
use fjc_flink::FlinkJobState;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, unique};
use fjc_spec::UpgradeMode;

const WAIT: Duration = Duration::from_secs(150);
const CHANGES: usize = 6;
const KILLS_PER_CHANGE: usize = 3;
/// The bound: one lease time (30 s) plus the work, with room to spare.
const CONVERGE: Duration = Duration::from_secs(60);

/// xorshift64*: enough randomness for kill moments, reproducible from the seed.
struct Moments(u64);

impl Moments {
    fn next_delay(&mut self) -> Duration {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        Duration::from_millis(300 + r % 3_701)
    }
}

fn seed() -> u64 {
    std::env::var("FJC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        })
}

/// What a killed reconciler left behind, for the report.
fn left(state: Option<&JobState>) -> String {
    let Some(s) = state else {
        return "no state".into();
    };
    match &s.operation {
        None => format!("{}, no operation", s.lifecycle.as_str()),
        Some(Operation::Deploy { upgrade, .. }) => {
            let p = upgrade.as_ref();
            format!(
                "{} mid-deploy (trigger {}, restore point {})",
                s.lifecycle.as_str(),
                if p.and_then(|p| p.trigger_id.as_ref()).is_some() {
                    "recorded"
                } else {
                    "none"
                },
                if p.and_then(|p| p.restore_from.as_ref()).is_some() {
                    "known"
                } else {
                    "not yet"
                },
            )
        }
        Some(other) => format!("{} mid-{other:?}", s.lifecycle.as_str()),
    }
}

fn spawn_reconciler(w: &World, log: &std::path::Path) -> Child {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("reconciler log");
    let err = file.try_clone().expect("log handle");
    w.fjc_command(&["reconcile", "--every", "1s"])
        .env("FJC_LOG_LEVEL", "info")
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start fjc reconcile")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcilers_killed_18_times_over_6_savepoint_redeploys_lose_nothing() {
    let seed = seed();
    let mut moments = Moments(seed);
    let mut report = Vec::new();
    let w = World::new("kills").await;
    let id = unique("kills");
    let dir = w.out_dir.join(&id);
    let log = w.out_dir.join(format!("{id}-reconcilers.log"));
    let mut spec = w.stream_spec(&id);
    spec.deployment.checkpoint_interval = Some("5s".into());
    spec.deployment.upgrade_mode = Some(UpgradeMode::Savepoint);
    w.apply(vec![spec.clone()]).await;
    let first = w
        .cycle_until(&id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let mut running = first.flink_job_id.clone().expect("deployed");
    w.wait_flink_state(&running, FlinkJobState::Running, WAIT)
        .await;
    counter::counted(&dir, 4, 5, WAIT).await;

    for change in 1..=CHANGES {
        let old = running.clone();
        spec.args = spec
            .args
            .iter()
            .take_while(|a| *a != "--note")
            .cloned()
            .collect();
        spec.args
            .extend(["--note".to_string(), format!("v{}", change + 1)]);
        let target = w.apply(vec![spec.clone()]).await[0].fingerprint.clone();

        let mut last_kill = Instant::now();
        for k in 1..=KILLS_PER_CHANGE {
            let delay = moments.next_delay();
            let mut child = spawn_reconciler(&w, &log);
            tokio::time::sleep(delay).await;
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            last_kill = Instant::now();
            let now = w.state(&id).await;
            report.push(format!(
                "change {change} kill {k} after {} ms: {}",
                delay.as_millis(),
                left(now.as_ref())
            ));
        }

        // The next reconciler, cycling as a schedule would.
        let state = loop {
            let _ = w.cycle().await;
            let s = w.state(&id).await.expect("state");
            let live = w.live_jobs(&id).await;
            let deployed = s.deployed_fingerprint.as_ref().map(|f| f.0.as_str());
            if s.operation.is_none()
                && deployed == Some(target.as_str())
                && live.len() == 1
                && live[0].state == FlinkJobState::Running
            {
                break s;
            }
            assert!(
                last_kill.elapsed() < CONVERGE,
                "change {change} (seed {seed}): not converged {CONVERGE:?} after the last \
                 kill: {} {:?} {:?}; live {live:?}\n{}",
                s.lifecycle.as_str(),
                s.operation,
                s.last_error,
                report.join("\n")
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        report.push(format!(
            "change {change}: converged {} ms after the last kill",
            last_kill.elapsed().as_millis()
        ));

        running = state.flink_job_id.clone().expect("deployed");
        let live = w.live_jobs(&id).await;
        assert_eq!(live.len(), 1, "change {change} (seed {seed}): {live:?}");
        assert_eq!(live[0].id, running, "change {change}");
        let stopped = w.flink_job(&old).await.map(|j| j.state);
        assert_eq!(
            stopped,
            Some(FlinkJobState::Finished),
            "change {change} (seed {seed}): the old version was stopped with a savepoint"
        );
        let from = state.restored_from.clone().unwrap_or_default();
        let prefix = format!("savepoint-{}-", &old.as_str()[..6]);
        assert!(
            from.contains(&prefix),
            "change {change} (seed {seed}): restored from {from:?}, not the stop-savepoint \
             of {old}\n{}",
            report.join("\n")
        );

        // Every key goes on from where the replaced version stopped, exactly.
        let top = counter::latest(&counter::counts(&dir))
            .values()
            .max()
            .copied()
            .unwrap_or(0);
        let counts = counter::counted(&dir, 4, top + 2, WAIT).await;
        assert!(
            counter::inexact(&counts).is_empty(),
            "change {change} (seed {seed}): a count restarted, skipped or repeated: {:?}\n{}",
            counter::inexact(&counts),
            report.join("\n")
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "reconciler kills (seed {seed}):\n{}",
        report.join("\n")
    );
    w.cleanup().await;
}
