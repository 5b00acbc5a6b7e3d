//! Setting the fake up: a default cluster, then the `with_*` changes to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fjc_core::clock::{Clock, SystemClock};

use super::model::{CHECKPOINT_DIR, Cluster, SAVEPOINT_DIR, Settings};
use super::{ScriptedFlink, Shared, lock};

impl Default for ScriptedFlink {
    fn default() -> Self {
        ScriptedFlink::new()
    }
}

impl ScriptedFlink {
    /// A cluster of one TaskManager with 8 slots, Flink 2.3.0, checkpoints and
    /// savepoints below `file:///scripted-flink/`, savepoints complete at the
    /// second status ask, the system clock.
    pub fn new() -> ScriptedFlink {
        let config = BTreeMap::from([
            (
                CHECKPOINT_DIR[0].to_string(),
                "file:///scripted-flink/checkpoints".to_string(),
            ),
            (
                SAVEPOINT_DIR[0].to_string(),
                "file:///scripted-flink/savepoints".to_string(),
            ),
            ("parallelism.default".to_string(), "1".to_string()),
            ("taskmanager.numberOfTaskSlots".to_string(), "8".to_string()),
        ]);
        let settings = Settings {
            flink_version: "2.3.0".into(),
            taskmanagers: 1,
            slots_per_taskmanager: 8,
            config,
            pending_polls: 1,
            checkpoint_when_looked_at: true,
            storage: None,
            upload_dir: "/scripted-flink/web-upload/flink-web-upload".into(),
            adaptive: false,
        };
        ScriptedFlink {
            inner: Arc::new(Shared {
                cluster: Mutex::new(Cluster::new(settings)),
                clock: Mutex::new(Arc::new(SystemClock)),
                calls: Mutex::default(),
                injected: Mutex::default(),
            }),
        }
    }

    /// How many status asks a savepoint (or disposal) answers IN_PROGRESS before
    /// it completes (0: at the first).
    pub fn with_pending_polls(self, polls: u32) -> ScriptedFlink {
        self.cluster().settings.pending_polls = polls;
        self
    }

    /// Sets a key of the cluster's configuration (`/jobmanager/config`), e.g.
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    pub fn with_config(self, key: &str, value: &str) -> ScriptedFlink {
        self.cluster()
            .settings
            .config
            .insert(key.to_string(), value.to_string());
        self
    }

    /// TaskManagers and slots each (`/overview`).
    pub fn with_taskmanagers(self, taskmanagers: u32, slots_each: u32) -> ScriptedFlink {
        {
            let mut c = self.cluster();
            c.settings.taskmanagers = taskmanagers;
            c.settings.slots_per_taskmanager = slots_each;
            c.settings.config.insert(
                "taskmanager.numberOfTaskSlots".into(),
                slots_each.to_string(),
            );
        }
        self
    }

    /// `jobmanager.scheduler: adaptive`: jobs submitted from now on rescale in
    /// place through `PUT /jobs/:id/resource-requirements`.
    pub fn with_adaptive_scheduler(self) -> ScriptedFlink {
        self.cluster().settings.adaptive = true;
        self
    }

    /// The version `/overview` reports.
    pub fn with_flink_version(self, version: &str) -> ScriptedFlink {
        self.cluster().settings.flink_version = version.to_string();
        self
    }

    /// Start and end times from `clock` (e.g. the test's `OffsetClock`).
    pub fn with_clock(self, clock: impl Clock + 'static) -> ScriptedFlink {
        *lock(&self.inner.clock) = Arc::new(clock);
        self
    }

    /// Checkpoints and savepoints as directories with a `_metadata` file below
    /// `dir` (`checkpoints/`, `savepoints/`, the cluster's configured
    /// directories): written when taken, deleted when discarded or disposed of,
    /// and a restore needs the file. A test may delete or create them.
    pub fn with_storage(self, dir: impl Into<PathBuf>) -> ScriptedFlink {
        let dir = dir.into();
        {
            let mut c = self.cluster();
            for (keys, sub) in [
                (CHECKPOINT_DIR, "checkpoints"),
                (SAVEPOINT_DIR, "savepoints"),
            ] {
                c.settings.config.insert(
                    keys[0].to_string(),
                    format!("file://{}", dir.join(sub).display()),
                );
            }
            c.settings.storage = Some(dir);
        }
        self
    }

    /// Whether looking at a checkpointing job's checkpoints completes one (on by
    /// default); off, only [`complete_checkpoint`](Self::complete_checkpoint) does.
    pub fn with_checkpoints_when_looked_at(self, on: bool) -> ScriptedFlink {
        self.cluster().settings.checkpoint_when_looked_at = on;
        self
    }

    /// The storage directory, when [`with_storage`](Self::with_storage) set one.
    pub fn storage(&self) -> Option<PathBuf> {
        self.cluster().storage().map(Path::to_path_buf)
    }
}
