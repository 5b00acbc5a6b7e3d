//! Sharding (issue 9) against a real moto and Flink: the fleet is split into 3
//! shards, and two reconcilers per shard (six in all) run cycles back to back
//! while six stream jobs are deployed and then changed (savepoint upgrades).
//! Each version of each job is submitted exactly once, every cycle reads and
//! touches only its own shard's jobs (with `cancel-own` orphan handling on, so
//! another shard's job mistaken for an orphan would be cancelled), each shard
//! takes its own lease, and a whole-fleet view sees all six.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fjc_core::config::OrphanPolicy;
use fjc_core::cycle::{LeaseReport, Scope, reconcile, view_fleet};
use fjc_core::executor::Outcome;
use fjc_core::shard::Shard;
use fjc_core::store::{ControlStore, StoreError};
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{TestContext, World, unique};

const SHARDS: u32 = 3;
const PER_SHARD: usize = 2;
const WAIT: Duration = Duration::from_secs(240);

/// Job ids, `PER_SHARD` in each shard.
fn ids() -> Vec<String> {
    let mut per: BTreeMap<Shard, Vec<String>> = BTreeMap::new();
    while per.len() < SHARDS as usize || per.values().any(|v| v.len() < PER_SHARD) {
        let id = unique("shard");
        let v = per.entry(Shard::of(&id, SHARDS)).or_default();
        if v.len() < PER_SHARD {
            v.push(id);
        }
    }
    per.into_values().flatten().collect()
}

fn sharded(mut ctx: TestContext) -> TestContext {
    ctx.settings.shards = SHARDS;
    ctx.settings.orphan_policy = OrphanPolicy::CancelOwn;
    ctx
}

#[derive(Default, Debug)]
struct Tally {
    cycles: usize,
    acquired: usize,
    contended: usize,
    /// Deploy operations that went ahead, by job id.
    deploys: BTreeMap<String, usize>,
    /// Job ids seen outside the reconciler's shard (must stay empty).
    strays: BTreeSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sharded_two_reconcilers_per_shard_act_on_each_job_version_exactly_once() {
    let mut w = World::new("shards").await;
    w.ctx.settings.shards = SHARDS;
    w.ctx.settings.orphan_policy = OrphanPolicy::CancelOwn;
    // A whole-fleet cycle would take a lease no shard holds: refused.
    let refused = reconcile(&w.ctx, &Scope::All).await;
    assert!(
        matches!(refused, Err(StoreError::Sharded { shards: SHARDS })),
        "{refused:?}"
    );
    let mut others = Vec::new();
    for _ in 0..(2 * SHARDS - 1) {
        others.push(sharded(w.another_reconciler().await));
    }
    let ctxs: Vec<&TestContext> = std::iter::once(&w.ctx).chain(others.iter()).collect();

    let ids = ids();
    let mut specs: Vec<_> = ids.iter().map(|id| w.stream_spec(id)).collect();
    for s in &mut specs {
        s.deployment.checkpoint_interval = Some("1s".into());
    }
    let fingerprints = |applied: Vec<fjc_core::apply::Applied>| -> Vec<String> {
        applied.into_iter().map(|a| a.fingerprint).collect()
    };
    let v1 = fingerprints(w.apply(specs.clone()).await);
    let stop = AtomicBool::new(false);

    let driver = async {
        w.wait_deployed(&ids, &v1, WAIT).await;
        for s in &mut specs {
            s.args.extend(["--note".to_string(), "v2".to_string()]);
        }
        let v2 = fingerprints(w.apply(specs.clone()).await);
        w.wait_deployed(&ids, &v2, WAIT).await;
        stop.store(true, Ordering::SeqCst);
    };
    let run = |ctx, shard: Shard| {
        let stop = &stop;
        async move {
            let mut t = Tally::default();
            while !stop.load(Ordering::SeqCst) {
                let r = reconcile(ctx, &Scope::Shard(shard)).await.expect("cycle");
                t.cycles += 1;
                match r.lease {
                    LeaseReport::Acquired { .. } => t.acquired += 1,
                    LeaseReport::Held { .. } | LeaseReport::Lost { .. } => t.contended += 1,
                    LeaseReport::NotNeeded => {}
                }
                let seen = r.loaded.specs.keys().chain(r.loaded.states.keys());
                let acted = r.actions.iter().map(|a| &a.job_id);
                t.strays
                    .extend(seen.chain(acted).filter(|id| !shard.contains(id)).cloned());
                for a in &r.actions {
                    if a.action == "deploy" && !matches!(a.outcome, Outcome::Failed(_)) {
                        *t.deploys.entry(a.job_id.clone()).or_default() += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            t
        }
    };
    let runners = ctxs.iter().enumerate().map(|(i, c)| {
        let shard = Shard::new(i as u32 / 2, SHARDS).expect("shard");
        run(*c, shard)
    });
    let (tallies, ()) = tokio::join!(futures::future::join_all(runners), driver);

    let mut deploys: BTreeMap<String, usize> = BTreeMap::new();
    for t in &tallies {
        assert!(t.strays.is_empty(), "a shard saw other shards' jobs: {t:?}");
        for (id, n) in &t.deploys {
            *deploys.entry(id.clone()).or_default() += n;
        }
    }
    for id in &ids {
        assert_eq!(
            deploys.get(id),
            Some(&2),
            "{id}: v1 and v2 deployed once each"
        );
        let jobs = w.jobs_named(&format!("fjc:{id}")).await;
        assert_eq!(jobs.len(), 2, "{id}: each version submitted once: {jobs:?}");
        let live: Vec<_> = jobs
            .iter()
            .filter(|j| !j.state.is_globally_terminal())
            .collect();
        assert_eq!(live.len(), 1, "{id}: {jobs:?}");
        w.wait_flink_state(&live[0].id, FlinkJobState::Running, WAIT)
            .await;
        let state = w.state(id).await.expect("state");
        assert_eq!(state.flink_job_id.as_ref(), Some(&live[0].id), "{id}");
    }
    // One lease per shard, and none for the whole fleet.
    let leases = lease_names(&w).await;
    let want: BTreeSet<String> = Shard::all(SHARDS).map(|s| s.lease_name()).collect();
    assert_eq!(leases, want);
    let contended: usize = tallies.iter().map(|t| t.contended).sum();
    assert!(contended > 0, "the reconcilers of a shard never contended");

    // The read-only fleet view sees every job, acts on nothing, writes the heartbeat.
    let view = view_fleet(&w.ctx, "view-test").await.expect("view");
    assert_eq!(view.specs, ids.len());
    assert!(view.actions.is_empty() && view.lease == LeaseReport::NotNeeded);
    let beat = w.ctx.store.control().await.expect("control").heartbeat;
    assert_eq!(
        beat.map(|b| (b.correlation_id, b.specs)),
        Some(("view-test".into(), 6))
    );

    let _ = writeln!(
        std::io::stderr(),
        "{SHARDS} shards x 2 reconcilers: {} cycles, lease acquired {}, contended {contended}; {} deploys for {} jobs x 2 versions",
        tallies.iter().map(|t| t.cycles).sum::<usize>(),
        tallies.iter().map(|t| t.acquired).sum::<usize>(),
        deploys.values().sum::<usize>(),
        ids.len(),
    );
    w.cleanup().await;
}

/// The lease items' names (`pk = LEASE`).
async fn lease_names(w: &World) -> BTreeSet<String> {
    let out = w
        .ctx
        .store
        .client()
        .query()
        .table_name(&w.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("LEASE".into()),
        )
        .send()
        .await
        .expect("query leases");
    out.items()
        .iter()
        .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).cloned())
        .collect()
}
