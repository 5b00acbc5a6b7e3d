//! Filtering, sorting, paging and counting of jobs: the dashboard's table logic, kept
//! pure here so it is unit-tested on the host.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::{ClusterHealth, JobType, JobView, Lifecycle, Shown, Snapshot};

/// Which jobs to show. Empty / `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this lifecycle.
    pub lifecycle: Option<Shown>,
    /// Only this type.
    pub job_type: Option<JobType>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Case-insensitive substring of job id, namespace, cluster, Flink state,
    /// Flink job id or last error.
    pub text: String,
    /// Only jobs whose deployed version differs from the spec.
    pub only_drift: bool,
    /// Only jobs with a last error.
    pub only_errors: bool,
}

impl Filter {
    /// Whether `job` passes. `needle` is `self.text` lower-cased (computed once per query).
    fn matches(&self, job: &JobView, needle: &str) -> bool {
        if self.lifecycle.is_some_and(|l| l != job.lifecycle)
            || self.job_type.is_some_and(|t| t != job.job_type)
            || self.namespace.as_ref().is_some_and(|n| n != &job.namespace)
            || (self.only_drift && !job.drift)
            || (self.only_errors && job.last_error.is_none())
        {
            return false;
        }
        if needle.is_empty() {
            return true;
        }
        let hit = |s: &str| s.to_lowercase().contains(needle);
        hit(&job.job_id)
            || hit(&job.namespace)
            || hit(&job.cluster)
            || job.flink_state.as_deref().is_some_and(hit)
            || job.flink_job_id.as_deref().is_some_and(hit)
            || job.last_error.as_ref().is_some_and(|e| hit(&e.message))
    }
}

/// Table columns that can be sorted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Job id (then namespace).
    #[default]
    JobId,
    /// Namespace.
    Namespace,
    /// Type.
    JobType,
    /// Lifecycle.
    Lifecycle,
    /// Flink state.
    FlinkState,
    /// Cluster.
    Cluster,
    /// Last transition time.
    UpdatedAt,
}

impl SortKey {
    /// Every key with its column label.
    pub const ALL: [(SortKey, &'static str); 7] = [
        (SortKey::JobId, "Job"),
        (SortKey::Namespace, "Namespace"),
        (SortKey::JobType, "Type"),
        (SortKey::Lifecycle, "Lifecycle"),
        (SortKey::FlinkState, "Flink state"),
        (SortKey::Cluster, "Cluster"),
        (SortKey::UpdatedAt, "Last change"),
    ];

    fn compare(self, a: &JobView, b: &JobView) -> Ordering {
        let primary = match self {
            SortKey::JobId => Ordering::Equal,
            SortKey::Namespace => a.namespace.cmp(&b.namespace),
            SortKey::JobType => a.job_type.cmp(&b.job_type),
            SortKey::Lifecycle => a.lifecycle.cmp(&b.lifecycle),
            SortKey::FlinkState => a.flink_state.cmp(&b.flink_state),
            SortKey::Cluster => a.cluster.cmp(&b.cluster),
            SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
        };
        primary
            .then_with(|| a.job_id.cmp(&b.job_id))
            .then_with(|| a.namespace.cmp(&b.namespace))
    }
}

/// A sort order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    /// Column.
    pub key: SortKey,
    /// Largest first.
    pub descending: bool,
}

/// Indices into `jobs` of the jobs passing `filter`, in `sort` order.
pub fn select(jobs: &[JobView], filter: &Filter, sort: Sort) -> Vec<usize> {
    let needle = filter.text.trim().to_lowercase();
    let mut idx: Vec<usize> = jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| filter.matches(j, &needle))
        .map(|(i, _)| i)
        .collect();
    idx.sort_by(|&a, &b| {
        let o = sort.key.compare(&jobs[a], &jobs[b]);
        if sort.descending { o.reverse() } else { o }
    });
    idx
}

/// One page of a list of `total` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Page number, from 0, clamped to the last page.
    pub number: usize,
    /// Number of pages (at least 1).
    pub count: usize,
    /// First item index.
    pub start: usize,
    /// One past the last item index.
    pub end: usize,
}

/// Page `number` of `total` items, `size` per page (a size of 0 counts as 1).
pub fn page(total: usize, size: usize, number: usize) -> Page {
    let size = size.max(1);
    let count = total.div_ceil(size).max(1);
    let number = number.min(count - 1);
    let start = (number * size).min(total);
    Page {
        number,
        count,
        start,
        end: (start + size).min(total),
    }
}

/// Why a job needs a person to look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attention {
    /// FAILED: it waits for a spec change or `fjc restart`.
    Failed,
    /// ROLLED_BACK: the spec's version was rejected.
    RolledBack,
    /// As many recoveries in the window as the budget allows: the next failure
    /// stays FAILED.
    RecoveryBudgetExhausted,
    /// The deployed version differs from the spec, no operation is in flight, and
    /// attempts have failed.
    DriftNotConverging,
    /// The namespace policy holds the spec back.
    HeldByPolicy,
    /// The last artifact upload was refused.
    ArtifactRefused,
    /// The job's cluster did not answer this cycle.
    ClusterUnreachable,
}

impl Attention {
    /// Every reason, in display order.
    pub const ALL: [Attention; 7] = [
        Attention::Failed,
        Attention::RolledBack,
        Attention::RecoveryBudgetExhausted,
        Attention::DriftNotConverging,
        Attention::HeldByPolicy,
        Attention::ArtifactRefused,
        Attention::ClusterUnreachable,
    ];

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Attention::Failed => "failed",
            Attention::RolledBack => "rolled back",
            Attention::RecoveryBudgetExhausted => "recovery budget exhausted",
            Attention::DriftNotConverging => "drift not converging",
            Attention::HeldByPolicy => "held by policy",
            Attention::ArtifactRefused => "artifact refused",
            Attention::ClusterUnreachable => "cluster unreachable",
        }
    }
}

/// Why `job` needs attention (empty when it does not). `unreachable` holds the
/// names of the clusters that did not answer.
pub fn attention(job: &JobView, unreachable: &BTreeSet<&str>) -> Vec<Attention> {
    let mut why = Vec::new();
    match job.lifecycle {
        Shown::Is(Lifecycle::Failed) => why.push(Attention::Failed),
        Shown::Is(Lifecycle::RolledBack) => why.push(Attention::RolledBack),
        _ => {}
    }
    if let Some(b) = job.recovery_budget
        && job.recoveries.len() >= usize::try_from(b.allowed).unwrap_or(usize::MAX)
        && b.allowed > 0
    {
        why.push(Attention::RecoveryBudgetExhausted);
    }
    if job.drift && job.has_spec && job.operation.is_none() && job.failed_attempts > 0 {
        why.push(Attention::DriftNotConverging);
    }
    if job.held_by_policy.is_some() {
        why.push(Attention::HeldByPolicy);
    }
    if job.artifact_refused.is_some() {
        why.push(Attention::ArtifactRefused);
    }
    if unreachable.contains(job.cluster.as_str()) {
        why.push(Attention::ClusterUnreachable);
    }
    why
}

/// The names of the clusters that did not answer in the snapshot's cycle.
pub fn unreachable_clusters(snapshot: &Snapshot) -> BTreeSet<&str> {
    snapshot
        .clusters
        .iter()
        .filter(|c| c.health == ClusterHealth::Unreachable)
        .map(|c| c.name.as_str())
        .collect()
}

/// The jobs that need attention, with why, in the snapshot's order.
pub fn needs_attention(snapshot: &Snapshot) -> Vec<(usize, Vec<Attention>)> {
    let down = unreachable_clusters(snapshot);
    snapshot
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (i, attention(j, &down)))
        .filter(|(_, why)| !why.is_empty())
        .collect()
}

/// Counts for the overview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// All jobs.
    pub total: usize,
    /// By lifecycle (every value of [`Shown::all`] is a key, with 0 when no job
    /// has it; `UNKNOWN` only when some job has it), so the counts add up to
    /// [`Counts::total`].
    pub by_lifecycle: BTreeMap<Shown, usize>,
    /// By type.
    pub by_type: BTreeMap<JobType, usize>,
    /// With drift.
    pub drift: usize,
    /// With a last error.
    pub errors: usize,
    /// With an operation in flight.
    pub in_flight: usize,
}

/// Counts jobs by lifecycle and type.
pub fn counts(jobs: &[JobView]) -> Counts {
    let mut c = Counts {
        total: jobs.len(),
        by_lifecycle: Shown::all().map(|l| (l, 0)).collect(),
        ..Counts::default()
    };
    for j in jobs {
        *c.by_lifecycle.entry(j.lifecycle).or_default() += 1;
        *c.by_type.entry(j.job_type).or_default() += 1;
        c.drift += usize::from(j.drift);
        c.errors += usize::from(j.last_error.is_some());
        c.in_flight += usize::from(j.operation.is_some());
    }
    c
}

/// The distinct namespaces, sorted.
pub fn namespaces(jobs: &[JobView]) -> Vec<String> {
    let mut v: Vec<String> = jobs.iter().map(|j| j.namespace.clone()).collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests;
