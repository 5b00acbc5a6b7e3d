//! Four reconcilers hammering one table and one cluster at once (the lease with its
//! fencing token against a real moto and Flink): five stream jobs are deployed,
//! then all changed (savepoint upgrades), while all four run cycles back to back.
//! Each version of each job is submitted exactly once, each job ends with exactly
//! one running Flink job restored from its savepoint, and no update is lost.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fjc_core::cycle::{LeaseReport, Scope, reconcile};
use fjc_core::executor::Outcome;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{World, unique};

const JOBS: usize = 5;
const WAIT: Duration = Duration::from_secs(180);

#[derive(Default, Debug)]
struct Tally {
    cycles: usize,
    acquired: usize,
    held: usize,
    lost: usize,
    deploys: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_reconcilers_act_on_each_job_version_exactly_once() {
    let w = World::new("hammer").await;
    let ctxs = [
        &w.ctx,
        &w.another_reconciler().await,
        &w.another_reconciler().await,
        &w.another_reconciler().await,
    ];
    let mut specs: Vec<_> = (0..JOBS)
        .map(|_| w.stream_spec(&unique("hammer")))
        .collect();
    for s in &mut specs {
        s.deployment.checkpoint_interval = Some("1s".into());
    }
    let ids: Vec<String> = specs.iter().map(|s| s.job_id.clone()).collect();
    let v1: Vec<String> = w
        .apply(specs.clone())
        .await
        .into_iter()
        .map(|a| a.fingerprint)
        .collect();
    let stop = AtomicBool::new(false);

    let driver = async {
        w.wait_deployed(&ids, &v1, WAIT).await;
        for s in &mut specs {
            s.args.extend(["--note".to_string(), "v2".to_string()]);
        }
        let v2: Vec<String> = w
            .apply(specs.clone())
            .await
            .into_iter()
            .map(|a| a.fingerprint)
            .collect();
        w.wait_deployed(&ids, &v2, WAIT).await;
        stop.store(true, Ordering::SeqCst);
    };
    let run = |ctx| {
        let stop = &stop;
        async move {
            let mut t = Tally::default();
            while !stop.load(Ordering::SeqCst) {
                let r = reconcile(ctx, &Scope::All).await.expect("cycle");
                t.cycles += 1;
                match r.lease {
                    LeaseReport::Acquired { .. } => t.acquired += 1,
                    LeaseReport::Held { .. } => t.held += 1,
                    LeaseReport::Lost { .. } => t.lost += 1,
                    LeaseReport::NotNeeded => {}
                }
                // Deploys that went ahead (a write refused by a newer lease or version
                // is a failed action, not a deploy).
                t.deploys += r
                    .actions
                    .iter()
                    .filter(|a| a.action == "deploy" && !matches!(a.outcome, Outcome::Failed(_)))
                    .count();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            t
        }
    };
    let ((), a, b, c, d) = tokio::join!(
        driver,
        run(ctxs[0]),
        run(ctxs[1]),
        run(ctxs[2]),
        run(ctxs[3])
    );
    let tallies = [a, b, c, d];

    for id in &ids {
        let jobs = w.jobs_named(&format!("fjc:{id}")).await;
        assert_eq!(
            jobs.len(),
            2,
            "{id}: v1 and v2 each submitted exactly once: {jobs:?}"
        );
        let live: Vec<_> = jobs
            .iter()
            .filter(|j| !j.state.is_globally_terminal())
            .collect();
        assert_eq!(live.len(), 1, "{id}: {jobs:?}");
        let state = w.state(id).await.unwrap();
        assert_eq!(state.flink_job_id.as_ref(), Some(&live[0].id));
        w.wait_flink_state(&live[0].id, FlinkJobState::Running, WAIT)
            .await;
        let restored = w
            .flink
            .checkpoints(&live[0].id)
            .await
            .unwrap()
            .latest_restored;
        assert_eq!(
            restored.and_then(|r| r.external_path),
            state.last_savepoint.map(|s| s.location),
            "{id}: v2 restored from the savepoint v1 was stopped with"
        );
    }
    let deploys: usize = tallies.iter().map(|t| t.deploys).sum();
    assert_eq!(deploys, 2 * JOBS, "deploy operations started: {tallies:?}");
    let contended: usize = tallies.iter().map(|t| t.held + t.lost).sum();
    let _ = writeln!(
        std::io::stderr(),
        "4 reconcilers: {} cycles, lease acquired {}, held by another {}, lost {}; {deploys} deploys for {JOBS} jobs x 2 versions",
        tallies.iter().map(|t| t.cycles).sum::<usize>(),
        tallies.iter().map(|t| t.acquired).sum::<usize>(),
        tallies.iter().map(|t| t.held).sum::<usize>(),
        tallies.iter().map(|t| t.lost).sum::<usize>(),
    );
    assert!(
        contended > 0,
        "the reconcilers never contended: {tallies:?}"
    );
    w.cleanup().await;
}
