//! A job's parallelism changed in place: what the adaptive scheduler does with
//! `PUT /jobs/:id/resource-requirements`, and how the default scheduler
//! refuses it (Flink 2.3).

use fjc_flink::{ParallelismBounds, ResourceRequirements};

use super::*;

/// Runs the rescale contract against `flink`: under the adaptive scheduler
/// (`JobSummary::adaptive`), a job's bounds are read and set, and it runs with
/// the new parallelism under the same id within `patience` (Flink waits for a
/// cooldown after the job started, then restarts its tasks); under the default
/// scheduler both calls fail with Flink's 500. Cancels what it started.
pub async fn rescale_contract<F: FlinkApi>(
    flink: &F,
    setup: &FlinkContract<'_>,
    patience: Duration,
) {
    let run = Run {
        flink,
        setup,
        jobs: Mutex::default(),
        jars: Mutex::default(),
    };
    let checks: Vec<Check<'_>> = vec![(
        "the_scheduler_decides_whether_a_job_rescales_in_place",
        Box::pin(rescale(&run, patience)),
    )];
    let outcome = AssertUnwindSafe(run_all("rescale contract", checks))
        .catch_unwind()
        .await;
    run.clean_up().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn rescale<F: FlinkApi>(run: &Run<'_, F>, patience: Duration) {
    let flink = run.flink;
    let jar = run.upload().await;
    let id = JobId::random();
    ok("run", run.submit(&jar, &run.request(&id, "rescale")).await);
    let job = run.wait_job(&id, "RUNNING", running).await;
    // An unknown job has no requirements, whatever the scheduler.
    assert!(flink.resource_requirements(&JobId::random()).await.is_err());

    if !job.adaptive {
        let refused = flink.resource_requirements(&id).await;
        assert!(
            matches!(&refused, Err(FlinkError::Server { status: 500, message }) if message.contains("AdaptiveScheduler")),
            "the default scheduler refuses: {refused:?}"
        );
        let bounds = ParallelismBounds {
            lower_bound: 1,
            upper_bound: 2,
        };
        let set = flink
            .set_resource_requirements(&id, &[("0".repeat(32), bounds)].into())
            .await;
        assert!(set.is_err(), "{set:?}");
        ok("cancel", flink.cancel(&id).await);
        return;
    }

    let before = ok("requirements", flink.resource_requirements(&id).await);
    assert!(!before.is_empty(), "one entry per vertex");
    assert!(
        before
            .values()
            .all(|b| b.lower_bound >= 1 && b.upper_bound >= b.lower_bound),
        "{before:?}"
    );
    let wanted: ResourceRequirements = before
        .iter()
        .map(|(v, b)| {
            let mut b = *b;
            b.upper_bound += 1;
            (v.clone(), b)
        })
        .collect();
    ok("set", flink.set_resource_requirements(&id, &wanted).await);
    ok(
        "set again",
        flink.set_resource_requirements(&id, &wanted).await,
    );
    assert_eq!(
        ok("requirements", flink.resource_requirements(&id).await),
        wanted
    );
    let tasks: u32 = wanted.values().map(|b| b.upper_bound).sum();
    let deadline = Instant::now() + patience;
    let rescaled = loop {
        let jobs = ok("list", flink.list_jobs().await);
        let mine: Vec<&JobSummary> = jobs.iter().filter(|j| j.id == id).collect();
        assert_eq!(mine.len(), 1, "the same job, listed once");
        if mine[0].tasks_total == tasks && mine[0].runs_all_tasks() {
            break mine[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "job {id} not at {tasks} tasks within {patience:?}: {:?}",
            mine[0]
        );
        tokio::time::sleep(run.setup.poll.max(Duration::from_millis(200))).await;
    };
    assert_eq!(rescaled.start_time_ms, job.start_time_ms, "not a new job");
    // Counted as a restart, once Flink's metrics are refreshed (10 s).
    loop {
        let metrics = ok("metrics", flink.job_metrics(&id).await);
        if metrics.restarts.is_some_and(|r| r >= 1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rescale not counted as a restart within {patience:?}: {metrics:?}"
        );
        tokio::time::sleep(run.setup.poll.max(Duration::from_millis(200))).await;
    }
    ok("cancel", flink.cancel(&id).await);
}
