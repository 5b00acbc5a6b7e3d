//! A fleet of checkpointing stream jobs at rest costs one overview per cycle plus
//! at most the health-probe budget, seen from outside the controller (issue 15,
//! item 6; issue 19, "cost at rest"): the controller's Flink client and its
//! DynamoDB client both go through a counting proxy, five stream jobs
//! checkpointing every 1 s, 5 s, 10 s, 30 s and 60 s run and have completed
//! checkpoints, and then each of 10 idle cycles makes exactly one
//! `GET /jobs/overview` and at most `reconcile.health_probe_budget` (4 here, for
//! 5 jobs) probe calls (`GET /jobs/:id/metrics` and `/jobs/:id/checkpoints`),
//! the jobs taking turns, and writes nothing to DynamoDB (no lease either:
//! healthy signals are not written). With the budget at 0, the overview is the
//! only call. The DynamoDB reads are reported, and the proxies' counts must
//! agree with the cycle reports' own counters.
//!
//! Cycles a minute apart, as users run them: after 65 s without a cycle, one
//! cycle probes every job and finds none overdue. Flink's REST metrics answer
//! with what it fetched at the previous metrics request, a minute before here;
//! read from them, the 1 s, 5 s and 10 s jobs' newest checkpoints looked 65 s old
//! (over the 60 s floor), and CI recorded them overdue. The test runs alone
//! (scripts/test.sh), so no other test's requests refresh Flink's metrics.
//!
//! The heartbeat (one write and one `GET /overview` every
//! `reconcile.heartbeat_seconds`) is periodic bookkeeping, not idle cost: the
//! test measures the cycle that writes it separately, then runs the idle cycles
//! right after it so none of them is due to write it.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use fjc_aws::dynamo::DynamoStore;
use fjc_aws::wiring;
use fjc_core::clock::Clock;
use fjc_core::cycle::{CycleReport, LeaseReport};
use fjc_core::state::{JobState, Lifecycle};
use fjc_core::store::{ControlStore, StateStore};
use fjc_flink::{FlinkApi, JobId};
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::counting_proxy::{
    CountingProxy, Seen, by_operation, by_path, dynamo_reads, dynamo_writes,
};
use fjc_integration_tests::harness::{World, unique};
use futures::FutureExt;

const WAIT: Duration = Duration::from_secs(180);

/// The checkpoint intervals of the fleet, one job each.
const INTERVALS: [&str; 5] = ["1s", "5s", "10s", "30s", "60s"];

/// Idle cycles measured.
const IDLE_CYCLES: usize = 10;

/// Health probe calls a cycle may make (2 per checkpointing job: fewer than the
/// jobs need, so they take turns).
const BUDGET: u32 = 4;

/// The Flink job a `GET /jobs/<id>/metrics` probed, if the path is one (one per
/// probe).
fn probed(path: &str) -> Option<&str> {
    path.strip_prefix("/jobs/")?
        .strip_suffix("/metrics")
        .filter(|id| !id.contains('/'))
}

/// Whether the path is a probe's call: the metrics or the checkpoint statistics.
fn probe_call(path: &str) -> bool {
    probed(path).is_some()
        || path
            .strip_prefix("/jobs/")
            .and_then(|p| p.strip_suffix("/checkpoints"))
            .is_some_and(|id| !id.contains('/'))
}

struct Proxies {
    flink: CountingProxy,
    dynamo: CountingProxy,
}

impl Proxies {
    fn drain(&self) {
        self.flink.take();
        self.dynamo.take();
    }
}

/// What the proxies saw during some cycles, and what the cycles counted.
struct Measured {
    flink: Vec<Seen>,
    dynamo: Vec<Seen>,
    reports: Vec<CycleReport>,
}

impl Measured {
    fn controller_flink(&self) -> (u64, u64) {
        self.reports
            .iter()
            .fold((0, 0), |(r, w), c| (r + c.flink.reads, w + c.flink.writes))
    }

    fn controller_store(&self) -> (u64, u64) {
        self.reports
            .iter()
            .fold((0, 0), |(r, w), c| (r + c.store.reads, w + c.store.writes))
    }

    fn print(&self, title: &str) {
        println!("== {title} ({} cycle(s)) ==", self.reports.len());
        println!("  Flink requests (proxy): {}", self.flink.len());
        for (path, n) in by_path(&self.flink) {
            println!("    {path:<40} {n}");
        }
        println!(
            "  DynamoDB requests (proxy): {} ({} item reads, {} item writes)",
            self.dynamo.len(),
            dynamo_reads(&self.dynamo),
            dynamo_writes(&self.dynamo)
        );
        for (op, n) in by_operation(&self.dynamo) {
            println!("    {op:<40} {n}");
        }
        let (fr, fw) = self.controller_flink();
        let (sr, sw) = self.controller_store();
        println!(
            "  controller counters: flink reads {fr} writes {fw}; store reads {sr} writes {sw}"
        );
        for (i, r) in self.reports.iter().enumerate() {
            println!(
                "    cycle {}: flink {}r/{}w, store {}r/{}w, lease {:?}, actions {}, {} ms",
                i + 1,
                r.flink.reads,
                r.flink.writes,
                r.store.reads,
                r.store.writes,
                r.lease,
                r.plan.actions.len(),
                r.duration_ms
            );
        }
    }

    /// The proxies and the controller's own counters tell the same story.
    fn assert_counters_agree(&self) {
        let (fr, fw) = self.controller_flink();
        assert_eq!(
            fr + fw,
            self.flink.len() as u64,
            "Flink calls: controller counted {fr} reads + {fw} writes, proxy saw {:?}",
            by_path(&self.flink)
        );
        let flink_gets = self.flink.iter().filter(|s| s.method == "GET").count() as u64;
        assert_eq!(fr, flink_gets, "Flink reads vs proxy GETs");
        let (sr, sw) = self.controller_store();
        assert_eq!(
            sr,
            dynamo_reads(&self.dynamo) as u64,
            "DynamoDB reads: controller vs proxy {:?}",
            by_operation(&self.dynamo)
        );
        assert_eq!(
            sw,
            dynamo_writes(&self.dynamo) as u64,
            "DynamoDB writes: controller vs proxy {:?}",
            by_operation(&self.dynamo)
        );
    }
}

/// Runs `n` cycles with the proxies drained first.
async fn measure(w: &World, p: &Proxies, n: usize) -> Measured {
    p.drain();
    let mut reports = Vec::new();
    for _ in 0..n {
        reports.push(w.cycle().await);
    }
    Measured {
        flink: p.flink.take(),
        dynamo: p.dynamo.take(),
        reports,
    }
}

async fn states(w: &World, ids: &[String]) -> Vec<JobState> {
    let all = w.ctx.store.list_states().await.expect("states");
    ids.iter()
        .map(|id| {
            all.iter()
                .find(|s| &s.job_id == id)
                .cloned()
                .unwrap_or_else(|| panic!("{id} has no state"))
        })
        .collect()
}

/// Completed checkpoints per Flink job, read on a direct client (not the proxy);
/// a failed read is tried again a few times (the cluster is shared).
async fn completed(w: &World, jobs: &[JobId]) -> Vec<u64> {
    let mut out = Vec::new();
    for id in jobs {
        let mut tries = 0;
        let c = loop {
            match FlinkApi::checkpoints(&w.flink, id).await {
                Ok(c) => break c,
                Err(e) if tries < 5 => {
                    println!("checkpoints of {id} not read ({e}); trying again");
                    tries += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => panic!("checkpoints of {id}: {e:?}"),
            }
        };
        out.push(c.counts.completed);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_an_idle_fleet_of_checkpointing_jobs_costs_one_overview_per_cycle_and_no_write() {
    let env = LocalEnv::from_env();
    let proxies = Proxies {
        flink: CountingProxy::start(&env.flink_url).await,
        dynamo: CountingProxy::start(&env.aws_endpoint).await,
    };
    // The controller's Flink client through one proxy, its store through the other.
    let mut w = World::with_flink_url("idle", Some(&proxies.flink.url)).await;
    w.ctx.settings.health_probe_budget = BUDGET;
    let sdk = wiring::aws_config().await;
    let dynamo = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(&proxies.dynamo.url)
        .build();
    w.ctx.store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(dynamo), &w.table);

    let outcome = AssertUnwindSafe(idle_fleet(&mut w, &proxies))
        .catch_unwind()
        .await;
    w.cleanup().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn idle_fleet(w: &mut World, p: &Proxies) {
    let ids: Vec<String> = INTERVALS
        .iter()
        .map(|every| unique(&format!("idle-{every}")))
        .collect();
    let specs = ids
        .iter()
        .zip(INTERVALS)
        .map(|(id, every)| {
            let mut spec = w.stream_spec(id);
            spec.deployment.parallelism = 1;
            spec.deployment.checkpoint_interval = Some(every.into());
            // Reach the resting lifecycle (STABLE) soon, so the fleet is at rest.
            spec.deployment.stable_after = Some("5s".into());
            spec
        })
        .collect();
    w.apply(specs).await;

    // Deployed: RUNNING with all tasks, no operation.
    let start = Instant::now();
    for id in &ids {
        w.cycle_until(id, WAIT, |s| {
            s.running_since.is_some() && s.operation.is_none()
        })
        .await;
    }
    let jobs: Vec<JobId> = states(w, &ids)
        .await
        .into_iter()
        .map(|s| s.flink_job_id.expect("flink job id"))
        .collect();
    println!("fleet running after {:?}", start.elapsed());

    // Each job has completed at least one checkpoint.
    let start = Instant::now();
    let before = loop {
        let done = completed(w, &jobs).await;
        if done.iter().all(|n| *n >= 1) {
            break done;
        }
        assert!(
            start.elapsed() < WAIT,
            "not every job completed a checkpoint within {WAIT:?}: {done:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    println!(
        "completed checkpoints per job ({}): {before:?}, after {:?}",
        INTERVALS.join(", "),
        start.elapsed()
    );

    // At rest: every job STABLE, and a cycle that plans nothing and writes nothing.
    let start = Instant::now();
    loop {
        let r = w.cycle().await;
        let rest = states(w, &ids).await;
        let stable = rest
            .iter()
            .all(|s| s.lifecycle == Lifecycle::Stable && s.operation.is_none());
        if stable && r.plan.actions.is_empty() && r.store.writes == 0 && r.flink.writes == 0 {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "fleet not at rest within {WAIT:?}: plan {:?}, states {:?}",
            r.plan.actions,
            rest.iter()
                .map(|s| (&s.job_id, s.lifecycle, s.operation.is_some()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The heartbeat cycle: wait until the heartbeat is due, and measure the
    // cycle that writes it. The idle cycles then follow within its interval.
    let every_ms = i64::try_from(w.ctx.settings.heartbeat_seconds * 1000).expect("heartbeat");
    let control = w.ctx.store.control().await.expect("control");
    let last = control.heartbeat.map_or(0, |h| h.at);
    let due_in = last + every_ms - w.ctx.clock.now_ms();
    if due_in > 0 {
        println!("waiting {due_in} ms for the heartbeat to be due");
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(due_in).unwrap_or(0) + 200,
        ))
        .await;
    }
    let heartbeat = measure(w, p, 1).await;
    heartbeat.print(&format!(
        "heartbeat cycle (once every {} s)",
        w.ctx.settings.heartbeat_seconds
    ));
    heartbeat.assert_counters_agree();
    assert!(
        heartbeat.reports[0].plan.actions.is_empty(),
        "{:?}",
        heartbeat.reports[0].plan.actions
    );
    assert_eq!(heartbeat.reports[0].lease, LeaseReport::NotNeeded);
    assert_eq!(heartbeat.controller_flink().1, 0, "no Flink write");

    // The idle cycles, one at a time so each is checked on its own.
    let mut idle = Measured {
        flink: Vec::new(),
        dynamo: Vec::new(),
        reports: Vec::new(),
    };
    let mut probes_per_job: BTreeMap<String, usize> = BTreeMap::new();
    for i in 1..=IDLE_CYCLES {
        let one = measure(w, p, 1).await;
        let paths = by_path(&one.flink);
        assert_eq!(
            paths.get("GET /jobs/overview"),
            Some(&1),
            "idle cycle {i}: exactly one GET /jobs/overview: {paths:?}"
        );
        let probes: Vec<&str> = one.flink.iter().filter_map(|s| probed(&s.path)).collect();
        let calls = one.flink.iter().filter(|s| probe_call(&s.path)).count();
        assert_eq!(calls, 2 * probes.len(), "idle cycle {i}: {paths:?}");
        assert!(
            calls <= BUDGET as usize,
            "idle cycle {i}: {calls} probe calls, budget {BUDGET}: {paths:?}"
        );
        assert_eq!(
            one.flink.len(),
            1 + calls,
            "idle cycle {i}: nothing but the overview and the probes: {paths:?}"
        );
        for id in probes {
            *probes_per_job.entry(id.to_string()).or_default() += 1;
        }
        idle.flink.extend(one.flink);
        idle.dynamo.extend(one.dynamo);
        idle.reports.extend(one.reports);
    }
    idle.print("idle cycles");
    println!("health probes per Flink job over {IDLE_CYCLES} cycles: {probes_per_job:?}");
    // The jobs took turns: every one was probed, none starved.
    let job_ids: Vec<String> = jobs.iter().map(ToString::to_string).collect();
    for id in &job_ids {
        assert!(
            probes_per_job.get(id).is_some_and(|n| *n >= 2),
            "{id} probed too rarely: {probes_per_job:?}"
        );
    }
    assert!(
        idle.flink
            .iter()
            .all(|s| s.method == "GET" && (s.path == "/jobs/overview" || probe_call(&s.path))),
        "{:?}",
        by_path(&idle.flink)
    );
    assert_eq!(
        dynamo_writes(&idle.dynamo),
        0,
        "DynamoDB writes in idle cycles: {:?}",
        by_operation(&idle.dynamo)
    );
    assert!(
        !by_operation(&idle.dynamo).contains_key("UpdateItem"),
        "a lease (UpdateItem) was taken: {:?}",
        by_operation(&idle.dynamo)
    );
    for r in &idle.reports {
        assert_eq!(r.lease, LeaseReport::NotNeeded);
        assert!(r.plan.actions.is_empty(), "{:?}", r.plan.actions);
        assert!(!r.has_errors(), "{:?}", r.clusters);
    }
    idle.assert_counters_agree();
    assert_eq!(idle.controller_flink().1, 0, "no Flink write");
    assert_eq!(idle.controller_store().1, 0);
    // The probes cost what the budget allows, not more.
    assert!(idle.controller_flink().0 <= (IDLE_CYCLES as u64) * u64::from(1 + BUDGET));

    // With no budget, the overview is the only call.
    w.ctx.settings.health_probe_budget = 0;
    let off = measure(w, p, 3).await;
    off.print("idle cycles, health_probe_budget 0");
    assert_eq!(
        by_path(&off.flink),
        BTreeMap::from([("GET /jobs/overview".to_string(), 3)]),
    );
    assert_eq!(dynamo_writes(&off.dynamo), 0);

    // Cycles a minute apart: nothing asks Flink for metrics for 65 s, then one
    // cycle probes every job (2 calls each). None is overdue, no job state is
    // written (the heartbeat, due again, may be).
    w.ctx.settings.health_probe_budget = 2 * INTERVALS.len() as u32;
    let resting = states(w, &ids).await;
    println!("no cycle for 65 s");
    tokio::time::sleep(Duration::from_secs(65)).await;
    let later = measure(w, p, 1).await;
    later.print("one cycle after 65 s, every job probed");
    let probes: BTreeMap<&str, usize> =
        later
            .flink
            .iter()
            .filter_map(|s| probed(&s.path))
            .fold(BTreeMap::new(), |mut m, id| {
                *m.entry(id).or_default() += 1;
                m
            });
    assert_eq!(probes.len(), INTERVALS.len(), "{:?}", by_path(&later.flink));
    assert!(later.reports[0].plan.actions.is_empty());
    let now = states(w, &ids).await;
    for (a, b) in resting.iter().zip(&now) {
        assert_eq!(
            a.version, b.version,
            "{} written after a minute's pause: {:?}",
            b.job_id, b.health
        );
        assert!(
            !b.health.as_ref().is_some_and(|h| h.checkpoints_overdue),
            "{:?}",
            b.health
        );
    }

    // The jobs kept checkpointing meanwhile (the 1 s one at least).
    let after = completed(w, &jobs).await;
    println!("completed checkpoints per job now: {after:?}");
    assert!(after.iter().zip(&before).all(|(a, b)| a >= b));
    assert!(after[0] > before[0], "{before:?} -> {after:?}");
}
