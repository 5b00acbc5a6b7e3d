//! Helpers for tests that drive the real local Flink through `fjc_flink::rest::RestClient`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fjc_flink::rest::{RestClient, RestClientConfig};
use fjc_flink::{FlinkApi, JarId, JobId, JobSummary, RunRequest, SavepointStatus};

use crate::LocalEnv;

/// How often the wait helpers poll.
const POLL: Duration = Duration::from_millis(200);

/// A client for the local Flink with the default timeouts.
pub fn client(env: &LocalEnv) -> RestClient {
    client_with(&env.flink_url, |_| {})
}

/// A client for `url` with the configuration adjusted by `adjust`.
pub fn client_with(url: &str, adjust: impl FnOnce(&mut RestClientConfig)) -> RestClient {
    let mut config = RestClientConfig::new(url);
    adjust(&mut config);
    RestClient::new(config).expect("client configuration")
}

/// A fresh directory name under the test output directory (not created).
pub fn unique_out_dir(env: &LocalEnv, tag: &str) -> PathBuf {
    env.out_dir.join(format!("{tag}-{}", JobId::random()))
}

/// A run request for `stream-counter.jar` under `id`, named `name`, writing to `out_dir`.
pub fn stream_counter(id: &JobId, name: &str, out_dir: &std::path::Path) -> RunRequest {
    RunRequest {
        job_id: Some(id.clone()),
        program_args: vec!["--out-dir".into(), out_dir.display().to_string()],
        flink_configuration: [("pipeline.name".to_string(), name.to_string())].into(),
        ..RunRequest::default()
    }
}

/// Polls `/jobs/overview` until the job `id` satisfies `done`; panics with the last
/// seen summary after `within`.
pub async fn wait_for_job(
    client: &RestClient,
    id: &JobId,
    within: Duration,
    what: &str,
    done: impl Fn(&JobSummary) -> bool,
) -> JobSummary {
    let deadline = Instant::now() + within;
    let mut last = None;
    loop {
        match client.list_jobs().await {
            Ok(jobs) => {
                last = jobs.into_iter().find(|j| &j.id == id);
                if let Some(job) = &last
                    && done(job)
                {
                    return job.clone();
                }
            }
            Err(e) => eprintln!("list_jobs failed while waiting: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "job {id} not {what} within {within:?}; last seen: {last:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls the savepoint operation until it completes; returns its location, panics on
/// failure or after `within`.
pub async fn wait_for_savepoint(
    client: &RestClient,
    id: &JobId,
    trigger_id: &str,
    within: Duration,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        match client.savepoint_status(id, trigger_id).await {
            Ok(SavepointStatus::Completed { location }) => return location,
            Ok(SavepointStatus::Failed { cause }) => panic!("savepoint of {id} failed: {cause}"),
            Ok(SavepointStatus::InProgress) => {}
            Err(e) => eprintln!("savepoint_status failed while waiting: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "savepoint {trigger_id} of {id} not done within {within:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Cancels the registered jobs and deletes the registered jars when dropped, also when
/// the test panics. Errors are ignored (the job may already be over).
pub struct Cleanup {
    flink_url: String,
    jobs: Mutex<Vec<JobId>>,
    jars: Mutex<Vec<JarId>>,
}

impl Cleanup {
    /// Cleans up in the local Flink of `env`.
    pub fn new(env: &LocalEnv) -> Cleanup {
        Cleanup {
            flink_url: env.flink_url.clone(),
            jobs: Mutex::new(Vec::new()),
            jars: Mutex::new(Vec::new()),
        }
    }

    /// Cancel `id` at the end.
    pub fn job(&self, id: &JobId) {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(id.clone());
    }

    /// Delete `jar` at the end.
    pub fn jar(&self, jar: &JarId) {
        self.jars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(jar.clone());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let flink_url = self.flink_url.clone();
        let jobs = std::mem::take(&mut *self.jobs.lock().unwrap_or_else(|p| p.into_inner()));
        let jars = std::mem::take(&mut *self.jars.lock().unwrap_or_else(|p| p.into_inner()));
        // Drop cannot await: run the calls on a runtime of their own, in a thread of
        // their own, with a client of their own (pooled connections of the test's client
        // belong to the test's runtime, which is blocked here).
        let worker = std::thread::spawn(move || {
            let client = client_with(&flink_url, |c| c.request_timeout = Duration::from_secs(10));
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                for id in &jobs {
                    let _ = client.cancel(id).await;
                }
                for jar in &jars {
                    let _ = client.delete_jar(jar).await;
                }
            });
        });
        let _ = worker.join();
    }
}
