//! Health signals of running stream jobs, and the gates a new version must pass
//! to become STABLE. Pure: which jobs a cycle probes within its budget
//! ([`select`]), what a probe means for the stored signals ([`fold`]), and
//! whether a version's gates hold ([`gates`]).
//!
//! A probe is one `GET /jobs/:id/metrics` (restarts), plus one
//! `GET /jobs/:id/checkpoints` (checkpoint counts, the newest completed
//! checkpoint's time) for checkpointing jobs and one `GET /jobs/:id` (the
//! backpressured share of time) for jobs that watch backpressure. Checkpoint
//! facts never come from the metrics: Flink's REST metrics answer with what
//! its metric fetcher held *before* the request, so a cluster asked once a
//! minute answers with minute-old values, and a job checkpointing every 10 s
//! would look a minute late. The checkpoint statistics are current within
//! Flink's `web.refresh-interval` (3 s). The signals are written to
//! the job's state only when something a person or a gate acts on changed (a
//! restart, a failed checkpoint, the first checkpoint, checkpoints overdue or
//! back, backpressure crossing its threshold or moving by 10 points), so a
//! healthy fleet at rest writes nothing; the live values go to metrics.

use fjc_flink::{JobId, JobMetrics};
use fjc_snapshot::HealthView;
use serde::{Deserialize, Serialize};

use crate::clock::{EpochMs, human_age, millis as ms};
use crate::record::SpecRecord;
use crate::state::{JobState, Lifecycle};

#[cfg(test)]
mod tests;

/// The backpressure share above which a job counts as backpressured for alerts
/// and status, when the spec sets no `deployment.max_backpressure`.
pub const DEFAULT_BACKPRESSURE_THRESHOLD: f64 = 0.5;

/// Checkpoints count as overdue when the newest completed one is older than this
/// many checkpoint intervals (and at least [`OVERDUE_FLOOR_MS`]): a checkpoint
/// may take longer than its interval, and Flink's statistics lag by seconds.
pub const OVERDUE_INTERVALS: i64 = 3;

/// The least age at which checkpoints count as overdue.
pub const OVERDUE_FLOOR_MS: EpochMs = 60_000;

/// What one probe of a running job read.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The Flink job probed.
    pub flink_job_id: JobId,
    /// When (the controller's clock).
    pub at: EpochMs,
    /// Restarts (Flink's metrics) and the checkpoint facts (its checkpoint
    /// statistics, for a checkpointing job).
    pub metrics: JobMetrics,
    /// The most backpressured vertex's share of time, when asked and measured.
    pub backpressure: Option<f64>,
}

/// The health signals kept for the deployed Flink job (see the module docs for
/// when they are written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The Flink job these signals are of (older ones are ignored).
    pub flink_job_id: JobId,
    /// When these values were read.
    pub at: EpochMs,
    /// Restarts Flink made of the job since it started.
    pub restarts: u64,
    /// Failed checkpoints of the job since it started.
    pub checkpoints_failed: u64,
    /// Failed checkpoints found since the look before (for alerts and status).
    #[serde(default)]
    pub checkpoints_failed_new: u64,
    /// When a probe first saw a completed checkpoint of the job (controller clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_checkpoint_at: Option<EpochMs>,
    /// The newest completed checkpoint's time as of [`Health::at`] (Flink's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkpoint_at: Option<EpochMs>,
    /// Checkpoints were overdue at [`Health::at`].
    #[serde(default)]
    pub checkpoints_overdue: bool,
    /// The backpressured share of time, in percent, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressure_percent: Option<u8>,
    /// Since when the share has been over its threshold (controller clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressured_since: Option<EpochMs>,
    /// Over the threshold for `monitoring.backpressure_alert_after` (5 minutes by
    /// default) at [`Health::at`]: sustained (alerted once per episode).
    #[serde(default)]
    pub backpressure_sustained: bool,
}

impl Health {
    /// The signals of `state`'s deployed Flink job, if any were kept.
    pub fn of(state: &JobState) -> Option<&Health> {
        state
            .health
            .as_ref()
            .filter(|h| state.flink_job_id.as_ref() == Some(&h.flink_job_id))
    }
}

/// Whether a job's version is inside its rollout's gate window: deployed,
/// running with all tasks, and not yet STABLE (nor a rolled-back revision, whose
/// target was stable already).
pub fn in_gate_window(state: &JobState) -> bool {
    state.running_since.is_some()
        && matches!(
            state.lifecycle,
            Lifecycle::Deploying | Lifecycle::Running | Lifecycle::Recovering
        )
}

/// What a job's probe costs and how urgent it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Spec job id.
    pub job_id: String,
    /// Flink calls the probe makes: the metrics, plus the checkpoint statistics
    /// of a checkpointing job, plus the job's details when it watches backpressure.
    pub calls: u32,
    /// In a rollout's gate window: probed before the others.
    pub urgent: bool,
}

/// The probe a running stream job needs, if any: every job in a gate window
/// (restarts decide there), a checkpointing job, a job that watches
/// backpressure. Only jobs running with all tasks are probed.
pub fn candidate(spec: &SpecRecord, state: &JobState) -> Option<Candidate> {
    let s = &spec.spec;
    if s.job_type != fjc_spec::JobType::Stream || state.running_since.is_none() {
        return None;
    }
    state.flink_job_id.as_ref()?;
    let urgent = in_gate_window(state);
    let backpressure = watches_backpressure(spec);
    let wanted = urgent || s.checkpoint_interval().is_some() || backpressure;
    wanted.then(|| Candidate {
        job_id: s.job_id.clone(),
        calls: 1 + u32::from(reads_checkpoints(spec)) + u32::from(backpressure),
        urgent,
    })
}

/// Whether the job's probe reads checkpoint statistics (`GET /jobs/:id/checkpoints`):
/// the job checkpoints.
pub fn reads_checkpoints(spec: &SpecRecord) -> bool {
    spec.spec.checkpoint_interval().is_some()
}

/// Whether the job's probe reads backpressure (`GET /jobs/:id`).
pub fn watches_backpressure(spec: &SpecRecord) -> bool {
    spec.spec.monitoring.alert_on_backpressure || spec.spec.max_backpressure().is_some()
}

/// The jobs a cycle probes within `budget` Flink calls: the urgent ones first,
/// then the others in turn. `turn` (the cycle's number in the process) moves
/// each group's starting point by as many jobs as a turn
/// takes from it, so over consecutive cycles every candidate gets its probe.
/// A probe that does not fit what is left is skipped for one that does.
pub fn select(mut candidates: Vec<Candidate>, budget: u32, turn: u64) -> Vec<String> {
    candidates.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    let (urgent, rest): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.urgent);
    let mut left = budget;
    let mut chosen = Vec::new();
    for group in [urgent, rest] {
        let n = group.len();
        if n == 0 {
            continue;
        }
        let take = |start: usize, left: &mut u32| -> Vec<&Candidate> {
            let mut out = Vec::new();
            for c in group.iter().cycle().skip(start).take(n) {
                if c.calls <= *left {
                    *left -= c.calls;
                    out.push(c);
                }
            }
            out
        };
        let per_turn = take(0, &mut left.clone()).len().max(1) as u64;
        let start = usize::try_from(turn.wrapping_mul(per_turn) % n as u64).unwrap_or(0);
        chosen.extend(take(start, &mut left).into_iter().map(|c| c.job_id.clone()));
    }
    chosen
}

/// The checkpoint age past which checkpoints are overdue, for a job that
/// checkpoints every `interval_ms`.
pub fn overdue_after(interval_ms: EpochMs) -> EpochMs {
    interval_ms
        .saturating_mul(OVERDUE_INTERVALS)
        .max(OVERDUE_FLOOR_MS)
}

/// The job's backpressure threshold: `deployment.max_backpressure`, else
/// [`DEFAULT_BACKPRESSURE_THRESHOLD`].
pub fn backpressure_threshold(spec: &SpecRecord) -> f64 {
    spec.spec
        .max_backpressure()
        .unwrap_or(DEFAULT_BACKPRESSURE_THRESHOLD)
}

/// What `probe` means for the job's kept signals: the new signals when something
/// worth writing changed (see the module docs), else `None`. A probe of another
/// Flink job than the deployed one changes nothing.
pub fn fold(spec: &SpecRecord, state: &JobState, probe: &Probe) -> Option<Health> {
    if state.flink_job_id.as_ref() != Some(&probe.flink_job_id) {
        return None;
    }
    let before = Health::of(state);
    let m = &probe.metrics;
    // Counted since the deployed version started on this Flink job.
    let base = state.baseline.clone().unwrap_or_default();
    let restarts = m
        .restarts
        .map(|r| r.saturating_sub(base.restarts))
        .unwrap_or(before.map_or(0, |h| h.restarts));
    let failed = m
        .checkpoints_failed
        .map(|f| f.saturating_sub(base.checkpoints_failed))
        .unwrap_or(before.map_or(0, |h| h.checkpoints_failed));
    let completed = m.checkpoints_completed.unwrap_or(0) > base.checkpoints_completed
        || (state.baseline.is_none() && m.last_checkpoint_at.is_some());
    let first_checkpoint_at = before
        .and_then(|h| h.first_checkpoint_at)
        .or(completed.then_some(probe.at));
    let last_checkpoint_at = m
        .last_checkpoint_at
        .or(before.and_then(|h| h.last_checkpoint_at));
    let overdue = spec.spec.checkpoint_interval().is_some_and(|every| {
        let since = last_checkpoint_at
            .or(state.running_since)
            .unwrap_or(probe.at);
        probe.at - since > overdue_after(ms(every))
    });
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let percent = probe
        .backpressure
        .map(|b| (b.clamp(0.0, 1.0) * 100.0).round() as u8)
        .or(before.and_then(|h| h.backpressure_percent));
    let over = probe.backpressure.map(|b| b > backpressure_threshold(spec));
    let backpressured_since = match over {
        Some(true) => before
            .and_then(|h| h.backpressured_since)
            .or(Some(probe.at)),
        Some(false) => None,
        None => before.and_then(|h| h.backpressured_since),
    };
    let sustained = backpressured_since
        .is_some_and(|t| probe.at - t >= ms(spec.spec.backpressure_alert_after()));
    let failed_before = before.map_or(0, |h| h.checkpoints_failed);
    let next = Health {
        flink_job_id: probe.flink_job_id.clone(),
        at: probe.at,
        restarts,
        checkpoints_failed: failed,
        checkpoints_failed_new: failed.saturating_sub(failed_before),
        first_checkpoint_at,
        last_checkpoint_at,
        checkpoints_overdue: overdue,
        backpressure_percent: percent,
        backpressured_since,
        backpressure_sustained: sustained,
    };
    let Some(b) = before else {
        return Some(next);
    };
    let tens = |p: Option<u8>| p.map(|p| p / 10);
    let changed = b.restarts != next.restarts
        || b.checkpoints_failed != next.checkpoints_failed
        || b.first_checkpoint_at != next.first_checkpoint_at
        || b.checkpoints_overdue != next.checkpoints_overdue
        || b.backpressured_since.is_some() != next.backpressured_since.is_some()
        || b.backpressure_sustained != next.backpressure_sustained
        || tens(b.backpressure_percent) != tens(next.backpressure_percent);
    changed.then_some(next)
}

/// What Flink had counted for a Flink job when the version now deployed on it
/// started (see [`JobState::baseline`]): the signals count from there.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    /// `numRestarts` then.
    pub restarts: u64,
    /// `numberOfCompletedCheckpoints` then.
    pub checkpoints_completed: u64,
    /// `numberOfFailedCheckpoints` then.
    pub checkpoints_failed: u64,
}

impl Baseline {
    /// The counts of `metrics` (a count Flink did not give is 0).
    pub fn of(metrics: &JobMetrics) -> Baseline {
        Baseline {
            restarts: metrics.restarts.unwrap_or(0),
            checkpoints_completed: metrics.checkpoints_completed.unwrap_or(0),
            checkpoints_failed: metrics.checkpoints_failed.unwrap_or(0),
        }
    }
}

/// Where a version stands with its gates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gates {
    /// Every gate has held since this time.
    Held {
        /// Since when.
        since: EpochMs,
    },
    /// A gate does not hold (yet): which one, in words ("no completed checkpoint
    /// in 5m", "restarted 2 times since it started", "backpressured 97% of the
    /// time, over max_backpressure 80%"). Past `readiness_timeout` this rolls
    /// the version back.
    Waiting(String),
    /// Not known yet: no probe has read the signal the gate needs. Never a
    /// reason to roll back (the controller's budget is not the version's fault).
    Unknown(String),
}

impl Gates {
    /// The gate that does not hold, in words, if any.
    pub fn waiting_for(&self) -> Option<&str> {
        match self {
            Gates::Held { .. } => None,
            Gates::Waiting(why) | Gates::Unknown(why) => Some(why),
        }
    }
}

/// Whether the gates of the deployed version hold at `now`, given the kept
/// signals. `probing` is false when the controller spends no calls on signals
/// (`reconcile.health_probe_budget: 0`): then only "running with all tasks"
/// gates the rollout. Without a probe yet, the version waits for one.
pub fn gates(spec: &SpecRecord, state: &JobState, probing: bool, now: EpochMs) -> Gates {
    let Some(running_since) = state.running_since else {
        return Gates::Unknown("not running with all tasks yet".into());
    };
    if !probing {
        return Gates::Held {
            since: running_since,
        };
    }
    let started = state
        .deployed_at
        .unwrap_or(running_since)
        .min(running_since);
    let Some(h) = Health::of(state) else {
        return Gates::Unknown(format!(
            "no health signal yet in {}",
            human_age(now - started)
        ));
    };
    if h.restarts > 0 {
        return Gates::Waiting(format!(
            "restarted {} time{} since it started",
            h.restarts,
            if h.restarts == 1 { "" } else { "s" }
        ));
    }
    let mut since = running_since;
    if spec.spec.checkpoint_interval().is_some() {
        match h.first_checkpoint_at {
            Some(t) => since = since.max(t),
            None => {
                return Gates::Waiting(format!(
                    "no completed checkpoint in {}",
                    human_age(now - started)
                ));
            }
        }
    }
    if let Some(max) = spec.spec.max_backpressure() {
        match h.backpressure_percent {
            Some(p) if f64::from(p) / 100.0 > max => {
                return Gates::Waiting(format!(
                    "backpressured {p}% of the time, over max_backpressure {}%",
                    (max * 100.0).round()
                ));
            }
            Some(_) => {}
            None => {
                return Gates::Unknown(format!(
                    "backpressure not measured in {}",
                    human_age(now - started)
                ));
            }
        }
    }
    Gates::Held { since }
}

/// What `fjc status` and the dashboard show of the kept signals of `state`'s
/// deployed Flink job: the values, and for a version in its gate window the
/// gate it waits on, as of the signals' reading (so the view changes only when
/// they are written, never by the clock alone). `None` when no signal was kept
/// for that job.
pub fn view(spec: Option<&SpecRecord>, state: &JobState) -> Option<HealthView> {
    let h = Health::of(state)?;
    let gate = match spec {
        Some(spec) if in_gate_window(state) => gates(spec, state, true, h.at)
            .waiting_for()
            .map(str::to_string),
        _ => None,
    };
    Some(HealthView {
        at: h.at,
        restarts: h.restarts,
        checkpoints_failed: h.checkpoints_failed,
        checkpoints_failed_new: h.checkpoints_failed_new,
        last_checkpoint_at: h.last_checkpoint_at,
        checkpoints_overdue: h.checkpoints_overdue,
        backpressure_percent: h.backpressure_percent,
        backpressured_since: h.backpressured_since,
        gate,
    })
}
