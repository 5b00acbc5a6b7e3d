//! Tests that kill and restart the real JobManager. They disturb every job on the
//! cluster, so scripts/test.sh runs them alone, after the other integration tests
//! (`--test disruptive -- --test-threads 1`); every test here is named
//! `disruptive_*` so the parallel phase can `--skip disruptive_`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fjc_core::runs::RunStatus;
use fjc_core::state::Lifecycle;
use fjc_core::store::StateStore;
use fjc_flink::FlinkJobState;
use fjc_integration_tests::counter;
use fjc_integration_tests::harness::{World, unique};
use fjc_integration_tests::printed;

const T: Duration = Duration::from_secs(120);

fn flink_ctl(command: &str) {
    let script = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../localstack/flink-ctl.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(command)
        .status()
        .expect("run flink-ctl.sh");
    assert!(status.success(), "flink-ctl.sh {command} failed");
}

/// Kills the JobManager (non-HA: it forgets every job) and starts it again.
fn restart_jobmanager_losing_all_jobs() {
    flink_ctl("kill-jobmanager");
    flink_ctl("start-jobmanager");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_jobmanager_restart_batch_run_is_lost_and_stream_job_redeployed() {
    let w = World::new("jm").await;
    let batch_id = unique("long-batch");
    let stream_id = unique("survivor");
    let batch: fjc_spec::JobSpec = serde_json::from_value(serde_json::json!({
        "job_id": batch_id, "job_type": "batch", "artifact_path": "batch-sum.jar",
        "entry_class": "fjc.testjobs.BatchSum",
        "args": ["--n", "10", "--sleep-ms", "600000",
                 "--out", w.out_dir.join("long.txt").display().to_string()],
        "batch_config": {},
    }))
    .unwrap();
    w.apply(vec![batch, w.stream_spec(&stream_id)]).await;
    let s = w
        .cycle_until(&stream_id, T, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let old_stream = s.flink_job_id.unwrap();
    let run = w.ctx.store.list_runs(&batch_id).await.unwrap().remove(0);
    w.wait_flink_job_state(&run.flink_job_id, FlinkJobState::Running, T)
        .await;

    restart_jobmanager_losing_all_jobs();
    assert!(
        w.flink_job(&run.flink_job_id).await.is_none(),
        "JM forgot the run"
    );

    // The batch run is resolved through /execution-result (404) and recorded LOST;
    // the streaming job is submitted again under a new id.
    let s = w
        .cycle_until(&stream_id, T, |s| {
            s.lifecycle == Lifecycle::Running && s.flink_job_id.as_ref() != Some(&old_stream)
        })
        .await;
    w.wait_flink_state(s.flink_job_id.as_ref().unwrap(), FlinkJobState::Running, T)
        .await;
    let lost = w.ctx.store.list_runs(&batch_id).await.unwrap().remove(0);
    assert_eq!(lost.status, RunStatus::Lost, "{lost:?}");
    assert!(lost.reason.unwrap().contains("vanished"));
    let b = w.state(&batch_id).await.unwrap();
    assert_eq!(b.lifecycle, Lifecycle::Failed);
    // A lost run of this fingerprint is not rerun by itself (use `fjc run`).
    let again = w.cycle().await;
    assert!(
        again.actions.iter().all(|a| a.job_id != batch_id),
        "{again:?}"
    );
    w.cleanup().await;
}

/// Stream jobs checkpointing every 1 s, 5 s (into a directory of its own, the
/// spec's `checkpoint_dir`) and 30 s lose their JobManager (no HA:
/// the cluster forgets them) long after the last cycle, as with minute-spaced
/// cycles: nothing was recorded in between, and Flink has subsumed and deleted
/// every checkpoint but the newest. Each is RUNNING again once the TaskManager has
/// stopped the lost job's tasks (cycles 2 s apart; none submits beside them),
/// restored from the newest complete checkpoint in storage;
/// no key's count starts over, no gap (values after the checkpoint repeat, as the
/// source replays from it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_killed_jobmanager_stream_jobs_recover_from_the_newest_checkpoint_in_storage() {
    let w = World::new("jm-recover").await;
    let intervals = ["1s", "5s", "30s"];
    let own_checkpoints = w.out_dir.join("own-checkpoints");
    let ids: Vec<String> = intervals
        .iter()
        .map(|i| unique(&format!("jm-{i}")))
        .collect();
    let specs = ids
        .iter()
        .zip(intervals)
        .map(|(id, every)| {
            let mut spec = w.stream_spec(id);
            spec.deployment.checkpoint_interval = Some(every.to_string());
            if every == "5s" {
                // Its own checkpoint directory (deployment.checkpoint_dir): looked
                // for there.
                spec.deployment.checkpoint_dir =
                    Some(format!("file://{}", own_checkpoints.display()));
            }
            spec
        })
        .collect();
    w.apply(specs).await;
    let mut old = Vec::new();
    for id in &ids {
        let s = w
            .cycle_until(id, T, |s| s.lifecycle == Lifecycle::Running)
            .await;
        old.push(s.flink_job_id.unwrap());
    }
    // Every job completes a checkpoint after each of its keys counted to 5. No
    // cycle runs meanwhile.
    for (id, job) in ids.iter().zip(&old) {
        counter::counted(&w.out_dir.join(id), 4, 5, T).await;
        // A checkpoint completed after every key counted: restoring from it
        // cannot look like a reset (an earlier one may hold keys not yet counted).
        w.wait_newer_checkpoint(job, T).await;
    }
    let ck_dir = w.storage_dirs().await.checkpoints;
    let before: Vec<_> = ids
        .iter()
        .map(|id| counter::latest(&counter::counts(&w.out_dir.join(id))))
        .collect();
    restart_jobmanager_losing_all_jobs();
    // What storage holds now: each job's newest complete checkpoint.
    let newest: Vec<String> = old
        .iter()
        .zip(intervals)
        .map(|(job, every)| {
            let base = if every == "5s" {
                own_checkpoints.clone()
            } else {
                ck_dir.clone()
            };
            let dir = base.join(job.as_str());
            let n = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| {
                    let name = e.ok()?.file_name().into_string().ok()?;
                    let n: u64 = name.strip_prefix("chk-")?.parse().ok()?;
                    dir.join(&name).join("_metadata").is_file().then_some(n)
                })
                .max()
                .expect("a complete checkpoint on disk");
            format!("chk-{n}")
        })
        .collect();
    for job in &old {
        assert!(w.flink_job(job).await.is_none(), "JM forgot the job");
    }

    // Cycles 2 s apart until every job was submitted again: a recovery waits while a
    // TaskManager still runs the lost job's tasks (they outlive the JobManager by
    // seconds), so no two copies ever write at once (the gap check below).
    let start = std::time::Instant::now();
    loop {
        w.cycle().await;
        let mut all = true;
        for (k, id) in ids.iter().enumerate() {
            let s = w.state(id).await.unwrap();
            let resubmitted = s.flink_job_id.is_some() && s.flink_job_id.as_ref() != Some(&old[k]);
            all &= resubmitted;
        }
        if all {
            break;
        }
        assert!(
            start.elapsed() < T,
            "not every job was recovered within {T:?}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    for (k, id) in ids.iter().enumerate() {
        let s = w.state(id).await.unwrap();
        assert_ne!(s.flink_job_id.as_ref(), Some(&old[k]), "{id}: {s:?}");
        assert_eq!(s.recoveries.len(), 1, "{id}: {s:?}");
        let from = s.restored_from.clone().unwrap_or_default();
        assert!(
            from.contains(old[k].as_str()) && from.ends_with(&newest[k]),
            "{id} restored from {from}, the newest on disk is {}",
            newest[k]
        );
        let new = s.flink_job_id.clone().unwrap();
        w.wait_flink_state(&new, FlinkJobState::Running, T).await;
        let top = before[k].values().max().copied().unwrap_or(0);
        let after = counter::counted(&w.out_dir.join(id), 4, top + 5, T).await;
        assert!(counter::resets(&after).is_empty(), "{id}: reset: {after:?}");
        assert!(counter::gaps(&after).is_empty(), "{id}: gap: {after:?}");
    }
    w.cleanup().await;
}

/// Slot admission: a stream job and a batch run needing one slot more than the
/// cluster has are not submitted (no Flink job is created) and say why; once a
/// second TaskManager registers, the next cycle deploys it and it runs with all
/// its tasks. (It adds a TaskManager to the shared cluster, so it runs here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_a_job_waits_for_slots_and_deploys_once_a_taskmanager_is_added() {
    use fjc_flink::FlinkApi;
    // One TaskManager, whatever an earlier run left.
    flink_ctl("stop-second-taskmanager");
    let w = World::new("slots").await;
    let flink = fjc_integration_tests::harness::flink_client(&w.env.flink_url, T);
    let total = flink
        .cluster_overview()
        .await
        .expect("overview")
        .slots_total;
    let id = unique("slots");
    let mut spec = w.stream_spec(&id);
    let needed = total + 1;
    spec.deployment.parallelism = i64::from(needed);
    // A batch run as wide: it stays STARTING, not submitted, with the reason.
    let batch_id = unique("slots-batch");
    let mut batch = w.batch_spec(&batch_id, 1000);
    batch.deployment.parallelism = i64::from(needed);
    w.apply(vec![spec, batch]).await;
    for _ in 0..2 {
        w.cycle().await;
    }
    let s = w.state(&id).await.expect("state");
    let error = s.last_error.clone().map(|e| e.message).unwrap_or_default();
    assert!(
        error.starts_with(&format!("waiting for {needed} slots, "))
            && error.ends_with(&format!("free on cluster default ({total} in all)")),
        "{error}"
    );
    assert!(s.operation.is_some(), "the deployment waits: {s:?}");
    let jobs = w.jobs_named(&format!("fjc:{id}")).await;
    assert!(jobs.is_empty(), "no Flink job was created: {jobs:?}");
    let status = w.fjc(&["status"]);
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(
        shown.contains(&format!("waiting for {needed} slots")),
        "{shown}"
    );
    let runs = w.ctx.store.list_runs(&batch_id).await.expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].status, RunStatus::Starting);
    assert!(
        runs[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with(&format!("waiting for {needed} slots, "))),
        "{runs:?}"
    );
    assert!(
        w.jobs_named(&format!("fjc:{batch_id}")).await.is_empty(),
        "no Flink job for the run"
    );

    flink_ctl("start-second-taskmanager");
    let result = async {
        let s = w
            .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Running)
            .await;
        let job = s.flink_job_id.clone().expect("the job");
        w.wait_flink_state(&job, FlinkJobState::Running, T).await;
        let start = std::time::Instant::now();
        loop {
            let j = w.flink_job(&job).await.expect("listed");
            if j.tasks_running == j.tasks_total {
                break s;
            }
            assert!(start.elapsed() < T, "not all tasks run: {j:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    .await;
    assert!(result.last_error.is_none(), "{:?}", result.last_error);
    assert_eq!(result.deployed_parallelism, Some(needed));
    // The run was submitted once the slots were there: Flink took it under the
    // run's recorded job id. (How it ends is Flink's: 9 batch subtasks over these
    // two small TaskManagers can run out of network buffers.)
    let start = std::time::Instant::now();
    loop {
        w.cycle().await;
        let runs = w.ctx.store.list_runs(&batch_id).await.expect("runs");
        assert_eq!(runs.len(), 1, "one run: {runs:?}");
        if runs[0].started_at.is_some() {
            assert!(
                w.flink_job(&runs[0].flink_job_id).await.is_some(),
                "submitted under its id: {runs:?}"
            );
            break;
        }
        assert!(start.elapsed() < T, "the run was not submitted: {runs:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    w.cleanup().await;
    flink_ctl("stop-second-taskmanager");
}

/// A PyFlink job (`examples/py-counts.py`, checkpoints every 5 s) loses its
/// JobManager (no HA: the cluster forgets it) long after the last cycle. Within
/// 2 cycles of the cluster coming back it runs again through the Python runner,
/// restored from its newest checkpoint in storage: no key's count starts over.
///
/// On a JobManager just restarted the Python program may take longer than the
/// controller's call (20 s by default; 30 s seen here): the first cycle then
/// records the submission as pending and keeps its jar, the program goes on and
/// submits the job, and the second cycle, a minute later as users run them (here
/// as soon as Flink lists the job, at most a minute), adopts it. Never two jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_killed_jobmanager_pyflink_job_recovers_from_its_newest_checkpoint() {
    let w = World::new("jm-py").await;
    let id = unique("jm-py");
    let ident = format!("j{}", id.replace('-', ""));
    w.apply(vec![w.python_spec(&id, &["--ident", &ident])])
        .await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let old = s.flink_job_id.expect("the job");
    w.wait_flink_state(&old, FlinkJobState::Running, T).await;
    printed::counted(&w.env.flink_url, &ident, 4, 5, T).await;
    // A checkpoint after every key counted to 5; no cycle runs meanwhile.
    w.wait_newer_checkpoint(&old, T).await;
    let before = printed::printed(&w.env.flink_url, &ident);
    let top = before.iter().map(|(_, _, n)| *n).max().unwrap_or(0);
    restart_jobmanager_losing_all_jobs();
    assert!(w.flink_job(&old).await.is_none(), "JM forgot the job");

    let first = std::time::Instant::now();
    w.cycle().await;
    let pending = w.state(&id).await.expect("state");
    if pending.operation.is_some() {
        println!("after the first cycle: {:?}", pending.last_error);
        let minute = first + Duration::from_secs(60);
        while std::time::Instant::now() < minute
            && w.jobs_named(&format!("fjc:{id}")).await.is_empty()
        {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    w.cycle().await;
    let s = w.state(&id).await.expect("state");
    assert!(s.pending_jars.is_empty(), "kept jars deleted: {s:?}");
    let jobs = w.live_jobs(&id).await;
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    let new = s.flink_job_id.clone().expect("a new job");
    assert_ne!(new, old, "{s:?}");
    assert_eq!(s.recoveries.len(), 1, "{s:?}");
    let from = s.restored_from.clone().unwrap_or_default();
    assert!(
        from.contains(old.as_str()) && from.contains("chk-"),
        "restored from {from:?}"
    );
    w.wait_flink_state(&new, FlinkJobState::Running, T).await;
    let after = printed::counted(&w.env.flink_url, &ident, 4, top + 5, T).await;
    let inserts = printed::inserts(&after);
    assert!(
        inserts.values().all(|n| *n == 1) && inserts.len() == 4,
        "a key started again from 1: {inserts:?}"
    );
    w.cleanup().await;
}

/// A reconciler records its stop-with-savepoint trigger, stops the job, and dies;
/// then the JobManager restarts (no HA), so Flink knows neither the trigger nor the
/// job. The next reconciler finds out from the job's own savepoint directory: the
/// new version starts from that stop-savepoint, never from an older restore point,
/// and every key's count goes on exactly (a stop-savepoint leaves nothing to replay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_a_forgotten_stop_savepoint_is_found_in_storage() {
    use fjc_core::clock::Clock;
    use fjc_core::state::{Operation, Purpose, UpgradeProgress};
    use fjc_core::store::LeaseOutcome;
    use fjc_flink::FlinkApi;
    let w = World::new("jm-trigger").await;
    let id = unique("jm-stop");
    let mut spec = w.stream_spec(&id);
    spec.deployment.checkpoint_interval = Some("5s".into());
    w.apply(vec![spec.clone()]).await;
    let s = w
        .cycle_until(&id, T, |s| s.lifecycle == Lifecycle::Running)
        .await;
    let old = s.flink_job_id.clone().unwrap();
    let dir = w.out_dir.join(&id);
    counter::counted(&dir, 4, 10, T).await;

    // v2 is applied; a reconciler writes its intent (the trigger id), stops the
    // job with a savepoint, and dies before recording where it went.
    spec.args.extend(["--note".to_string(), "v2".to_string()]);
    let v2 = w.apply(vec![spec]).await[0].fingerprint.clone();
    let now = w.clock.now_ms();
    let LeaseOutcome::Acquired(lease) = w
        .ctx
        .store
        .acquire_lease("reconcile", "doomed", 2_000, now)
        .await
        .unwrap()
    else {
        panic!("lease")
    };
    let trigger = fjc_flink::rest::new_trigger_id();
    let mut state = w.state(&id).await.unwrap();
    state.lifecycle = Lifecycle::Upgrading;
    state.operation = Some(Operation::Deploy {
        fingerprint: fjc_spec::Fingerprint(v2.clone()),
        flink_job_id: fjc_flink::JobId::random(),
        replaces: Some(old.clone()),
        started_at: now,
        upgrade: Some(UpgradeProgress {
            trigger_id: Some(trigger.clone()),
            savepoint_started_at: Some(now),
            ..UpgradeProgress::new(fjc_spec::UpgradeMode::Savepoint, None)
        }),
        purpose: Purpose::Deploy,
    });
    w.ctx.store.put_state(&state, &lease).await.unwrap();
    w.flink
        .stop_with_savepoint(&old, None, &trigger)
        .await
        .unwrap();
    w.wait_flink_state(&old, FlinkJobState::Finished, T).await;
    let before = counter::latest(&counter::counts(&dir));

    restart_jobmanager_losing_all_jobs();
    assert!(w.flink_job(&old).await.is_none(), "JM forgot the job");
    tokio::time::sleep(Duration::from_secs(3)).await;

    let s = w.cycle_until(&id, T, |s| s.operation.is_none()).await;
    let from = s.restored_from.clone().unwrap_or_default();
    let prefix = format!("savepoint-{}-", &old.as_str()[..6]);
    assert!(
        from.contains(&prefix),
        "restored from {from}, not the stop-savepoint: {s:?}"
    );
    assert_eq!(
        s.deployed_fingerprint.as_ref().map(|f| f.0.as_str()),
        Some(v2.as_str())
    );
    let new = s.flink_job_id.clone().unwrap();
    w.wait_flink_state(&new, FlinkJobState::Running, T).await;
    let top = before.values().max().copied().unwrap_or(0);
    let after = counter::counted(&dir, 4, top + 5, T).await;
    assert!(counter::resets(&after).is_empty(), "no reset: {after:?}");
    for (k, n) in &before {
        assert!(
            after[k].contains(&(n + 1)),
            "key {k} went on after {n}: {after:?}"
        );
    }
    assert!(
        counter::inexact(&after).is_empty(),
        "nothing replayed: {after:?}"
    );
    w.cleanup().await;
}

/// `orphan_policy: cancel-own` cancels a job this controller submitted that no
/// state accounts for (named `fjc:…`), and leaves a foreign job alone. It is
/// here, in the serial phase, because it cancels every such job on the shared
/// cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_orphan_policy_cancel_own_cancels_only_the_controllers_leftovers() {
    use fjc_flink::{FlinkApi, JobId};
    use fjc_integration_tests::flink::{stream_counter, wait_for_job};
    let mut w = World::new("orphans").await;
    w.ctx.settings.orphan_policy = fjc_core::config::OrphanPolicy::CancelOwn;
    let jar = w
        .flink
        .upload_jar(&w.env.job_jar("stream-counter.jar"))
        .await
        .unwrap();
    let own = JobId::random();
    let foreign = JobId::random();
    for (id, name) in [
        (&own, format!("fjc:{}", unique("left-over"))),
        (&foreign, unique("someone-else")),
    ] {
        w.flink
            .run_jar(
                &jar,
                &stream_counter(id, &name, &w.out_dir.join(id.as_str())),
            )
            .await
            .unwrap();
        wait_for_job(&w.flink, id, T, "running", |j| {
            j.state == FlinkJobState::Running
        })
        .await;
    }
    let report = w.cycle().await;
    assert!(
        report
            .actions
            .iter()
            .any(|a| a.action == "cancel-orphan" && a.job_id.starts_with("fjc:")),
        "{:?}",
        report.actions
    );
    wait_for_job(&w.flink, &own, T, "cancelled", |j| {
        j.state.is_globally_terminal()
    })
    .await;
    let other = w.flink_job(&foreign).await.unwrap();
    assert_eq!(
        other.state,
        FlinkJobState::Running,
        "foreign jobs are never touched"
    );
    let _ = w.flink.cancel(&foreign).await;
    let _ = w.flink.delete_jar(&jar).await;
}
