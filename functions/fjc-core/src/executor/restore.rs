//! Finding a job's restore points when they are needed: the executor asks the
//! cluster where it keeps checkpoints and savepoints, lists them for every Flink
//! job id of the spec it knows, checks the recorded savepoints still exist, and
//! orders it all with [`crate::restore::chain`].

use std::collections::{BTreeMap, BTreeSet};

use fjc_flink::{FlinkApi, JobId};
use fjc_spec::JobSpec;
use tracing::{debug, warn};

use super::Executor;
use crate::context::Ports;
use crate::restore::{Candidate, Dirs, Found, chain, savepoint_prefix};
use crate::state::{JobState, SavepointRecord};

/// Cluster configurations (`GET /jobmanager/config`) read during one cycle: the
/// first action that needs a cluster's reads it, the others wait for that read.
/// A failed read is not kept, so a later action tries again.
#[derive(Debug, Default)]
pub struct ClusterConfigs(
    std::collections::BTreeMap<String, tokio::sync::OnceCell<BTreeMap<String, String>>>,
);

impl ClusterConfigs {
    /// An empty cache for these clusters.
    pub fn new<'n>(clusters: impl IntoIterator<Item = &'n String>) -> ClusterConfigs {
        ClusterConfigs(
            clusters
                .into_iter()
                .map(|c| (c.clone(), tokio::sync::OnceCell::new()))
                .collect(),
        )
    }

    /// `cluster`'s configuration, read through `read` the first time.
    pub(crate) async fn get<Fut>(
        &self,
        cluster: &str,
        read: impl FnOnce() -> Fut,
    ) -> Result<BTreeMap<String, String>, fjc_flink::FlinkError>
    where
        Fut: std::future::Future<Output = Result<BTreeMap<String, String>, fjc_flink::FlinkError>>,
    {
        match self.0.get(cluster) {
            Some(cell) => cell.get_or_try_init(read).await.cloned(),
            None => read().await,
        }
    }
}

/// Every Flink job id of this spec the state knows: the deployed one, those of the
/// operation in flight, and those its savepoints came from.
pub fn known_jobs(state: &JobState) -> BTreeSet<JobId> {
    let mut jobs: BTreeSet<JobId> = state.flink_job_id.iter().cloned().collect();
    if let Some(op) = &state.operation {
        jobs.extend(op.flink_jobs().into_iter().cloned());
    }
    jobs.extend(state.last_savepoint.iter().map(|s| s.from_job.clone()));
    jobs.extend(state.savepoints.iter().map(|s| s.from_job.clone()));
    jobs
}

fn recorded(p: &SavepointRecord) -> Candidate {
    Candidate {
        location: p.location.clone(),
        completed_at: p.at,
        kind: if p.kind == "savepoint" {
            "savepoint"
        } else {
            "checkpoint"
        },
        from_job: Some(p.from_job.clone()),
    }
}

impl<P: Ports> Executor<'_, P> {
    /// Where `cluster` keeps checkpoints and savepoints (`/jobmanager/config`),
    /// with the spec's `checkpoint_dir` and `savepoint_path` first, and whether the
    /// cluster's could not be read.
    async fn dirs(&self, cluster: &str, spec: Option<&JobSpec>) -> (Dirs, bool) {
        let mut incomplete = false;
        let config = match self.flink(cluster) {
            Ok(flink) => {
                match Box::pin(self.cluster_configs.get(cluster, || flink.cluster_config())).await {
                    Ok(c) => c,
                    Err(e) => {
                        warn!(%cluster, error = %e, "cluster configuration unavailable: checkpoint storage not listed");
                        incomplete = true;
                        Default::default()
                    }
                }
            }
            Err(_) => {
                incomplete = true;
                Default::default()
            }
        };
        let get = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| config.get(*k))
                .filter(|v| !v.trim().is_empty())
                .cloned()
        };
        let cluster_checkpoints = get(&["state.checkpoints.dir", "execution.checkpointing.dir"]);
        let mut checkpoint_dirs: Vec<String> = spec
            .and_then(|s| s.deployment.checkpoint_dir.clone())
            .into_iter()
            .chain(cluster_checkpoints)
            .collect();
        checkpoint_dirs.dedup();
        let cluster_savepoints = get(&[
            "state.savepoints.dir",
            "execution.checkpointing.savepoint-dir",
        ]);
        let mut savepoint_dirs: Vec<String> = spec
            .and_then(|s| s.deployment.savepoint_path.clone())
            .into_iter()
            .chain(cluster_savepoints.clone())
            .collect();
        savepoint_dirs.dedup();
        (
            Dirs {
                checkpoints: checkpoint_dirs,
                savepoints: savepoint_dirs,
            },
            incomplete,
        )
    }

    /// The complete restore points of Flink job `job` in `dirs`: its `chk-<n>`
    /// directories (when `checkpoints`) and its `savepoint-<id6>-…` ones. The flag
    /// says whether some place could not be listed.
    async fn complete_points(
        &self,
        state: &JobState,
        dirs: &Dirs,
        job: &JobId,
        checkpoints: bool,
    ) -> (Vec<Candidate>, bool) {
        // (directory, name prefix, kind) of every place this job's state may be.
        let checkpoint_places = dirs.checkpoints.iter().filter(|_| checkpoints).map(|d| {
            let dir = format!("{}/{job}", d.trim_end_matches('/'));
            (dir, "chk-".to_string(), "checkpoint")
        });
        let savepoint_places = dirs
            .savepoints
            .iter()
            .map(|d| (d.clone(), savepoint_prefix(job), "savepoint"));
        let mut found = Vec::new();
        let mut incomplete = false;
        for (dir, prefix, kind) in checkpoint_places.chain(savepoint_places) {
            match Box::pin(self.ctx.storage.complete_under(&dir, &prefix)).await {
                Ok(points) => found.extend(points.into_iter().map(|(location, at)| Candidate {
                    location,
                    completed_at: at,
                    kind,
                    from_job: Some(job.clone()),
                })),
                Err(e) => {
                    warn!(job = %state.job_id, %kind, error = %e, "restore points not listed");
                    incomplete = true;
                }
            }
        }
        (found, incomplete)
    }

    /// The job's restore points, newest first: the complete checkpoints and
    /// savepoints of every Flink job of the spec that storage holds, and the
    /// recorded savepoints that still exist.
    pub(crate) async fn restore_chain(&self, state: &JobState, spec: Option<&JobSpec>) -> Found {
        let (dirs, mut incomplete) = self.dirs(&state.cluster, spec).await;
        let storage = &self.ctx.storage;
        let mut discovered = Vec::new();
        for job in known_jobs(state) {
            let (found, unlisted) = self.complete_points(state, &dirs, &job, true).await;
            discovered.extend(found);
            incomplete |= unlisted;
        }
        let mut kept = Vec::new();
        for p in state.last_savepoint.iter().chain(&state.savepoints) {
            if discovered
                .iter()
                .any(|d| crate::restore::same_place(&d.location, &p.location))
            {
                continue;
            }
            match Box::pin(storage.is_complete(&p.location)).await {
                Ok(true) => kept.push(recorded(p)),
                Ok(false) => {
                    debug!(job = %state.job_id, location = %p.location, "recorded restore point is gone")
                }
                Err(e) => {
                    // Cannot tell: keep it, last among equals; Flink decides.
                    warn!(job = %state.job_id, error = %e, "recorded restore point not checked");
                    kept.push(recorded(p));
                }
            }
        }
        Found {
            chain: chain(discovered, kept),
            incomplete,
        }
    }

    /// Complete savepoints of Flink job `job` in the savepoint directories that the
    /// state does not record: savepoints Flink completed after the step that asked
    /// for them gave up (timed out, or Flink forgot the trigger and it was asked
    /// again). Unreadable storage yields nothing; the next look finds them.
    pub(crate) async fn unknown_savepoints(
        &self,
        state: &JobState,
        spec: Option<&JobSpec>,
        job: &JobId,
    ) -> Vec<SavepointRecord> {
        let (dirs, _) = self.dirs(&state.cluster, spec).await;
        let (found, _) = self.complete_points(state, &dirs, job, false).await;
        let mut unknown: Vec<SavepointRecord> = Vec::new();
        for c in found {
            let seen = |p: &SavepointRecord| crate::restore::same_place(&p.location, &c.location);
            if state
                .savepoints
                .iter()
                .chain(&state.last_savepoint)
                .any(seen)
                || unknown.iter().any(seen)
            {
                continue;
            }
            unknown.push(SavepointRecord {
                location: c.location,
                at: c.completed_at,
                from_job: job.clone(),
                kind: "savepoint".into(),
            });
        }
        unknown
    }
}
