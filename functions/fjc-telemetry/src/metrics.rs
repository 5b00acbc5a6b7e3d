//! Metrics of reconcile cycles, computed from a [`CycleReport`] (no I/O), and
//! rendered two ways: Prometheus text exposition for local mode
//! (`fjc reconcile --every … --metrics-addr …`) and CloudWatch Embedded Metric
//! Format lines from the Lambda functions. Counters accumulate in a [`Registry`]
//! across cycles; gauges hold the last cycle's value. Gauges describe the jobs
//! as the cycle found them (before its actions), so they lag one cycle.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fjc_spec::JobType;

use fjc_core::cycle::CycleReport;
use fjc_core::executor::Outcome;
use fjc_core::planner::Observation;

/// Counter (only goes up) or gauge (a current value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Accumulated across cycles.
    Counter,
    /// The last value.
    Gauge,
    /// A job's health signal, set when a cycle probes the job (the jobs take
    /// turns within the probe budget): kept across cycles until its next probe.
    Probe,
}

/// Name, help text and kind of every metric.
pub const METRICS: [(&str, &str, Kind); 21] = [
    (
        "flink_job_deployments_total",
        "Deployments (deploy, recovery, resume, restart, rollback) by outcome and job type.",
        Kind::Counter,
    ),
    (
        "flink_job_deployment_duration_seconds_sum",
        "Time spent in deployment actions that completed, in seconds.",
        Kind::Counter,
    ),
    (
        "flink_job_deployment_duration_seconds_count",
        "Deployment actions that completed.",
        Kind::Counter,
    ),
    (
        "fjc_transition_duration_seconds_sum",
        "Time from a transition's recorded intent (or its cycle's start) to its completion, by transition (deploy, upgrade, recover, resume, restart, rollback, suspend, savepoint, delete).",
        Kind::Counter,
    ),
    (
        "fjc_transition_duration_seconds_count",
        "Transitions completed, by transition.",
        Kind::Counter,
    ),
    (
        "fjc_flink_errors_total",
        "Failed Flink calls by error class (timeout, connection_refused, server, …).",
        Kind::Counter,
    ),
    (
        "flink_active_jobs",
        "Flink jobs running for specs, by job type (stream jobs and active batch runs).",
        Kind::Gauge,
    ),
    (
        "flink_reconciliation_errors_total",
        "Failed actions and unreachable clusters.",
        Kind::Counter,
    ),
    (
        "flink_cluster_health_status",
        "1 when the cluster answered /jobs/overview in the last cycle, else 0.",
        Kind::Gauge,
    ),
    (
        "fjc_heartbeat",
        "1 per completed reconcile cycle (store readable); missing data means no cycle.",
        Kind::Gauge,
    ),
    (
        "fjc_last_cycle_timestamp_seconds",
        "When the last completed reconcile cycle ended (Unix seconds).",
        Kind::Gauge,
    ),
    (
        "fjc_cluster_breaker_open",
        "1 while the cluster's circuit breaker refuses calls (open), else 0.",
        Kind::Gauge,
    ),
    (
        "fjc_jobs",
        "Jobs by controller lifecycle state.",
        Kind::Gauge,
    ),
    (
        "fjc_reconcile_cycles_total",
        "Reconcile cycles by lease outcome.",
        Kind::Counter,
    ),
    (
        "fjc_reconcile_cycle_duration_seconds",
        "Duration of the last reconcile cycle.",
        Kind::Gauge,
    ),
    (
        "fjc_flink_calls_total",
        "Flink REST calls by kind (read, write).",
        Kind::Counter,
    ),
    (
        "fjc_dynamodb_requests_total",
        "DynamoDB requests by kind (read, write).",
        Kind::Counter,
    ),
    (
        "fjc_job_checkpoint_age_seconds",
        "Time since the job's newest completed checkpoint, at its last health probe.",
        Kind::Probe,
    ),
    (
        "fjc_job_checkpoints_failed",
        "Failed checkpoints of the job's Flink job since it started, at its last health probe.",
        Kind::Probe,
    ),
    (
        "fjc_job_restarts",
        "Restarts Flink made of the job's Flink job since it started, at its last health probe.",
        Kind::Probe,
    ),
    (
        "fjc_job_backpressure_ratio",
        "Share of time the job's most backpressured operator spent backpressured since it started (0 to 1), at its last health probe.",
        Kind::Probe,
    ),
];

/// Labels of one series, sorted by name.
pub type Labels = Vec<(&'static str, String)>;

/// One value of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name (one of [`METRICS`]).
    pub name: &'static str,
    /// Labels.
    pub labels: Labels,
    /// The cycle's increment (counters) or value (gauges).
    pub value: f64,
}

fn sample(name: &'static str, labels: &[(&'static str, &str)], value: f64) -> Sample {
    let mut labels: Labels = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
    labels.sort();
    Sample {
        name,
        labels,
        value,
    }
}

/// The samples of one cycle.
pub fn cycle_samples(report: &CycleReport) -> Vec<Sample> {
    let loaded = &report.loaded;
    let job_type = |job: &str| -> &'static str {
        loaded
            .specs
            .get(job)
            .map(|r| r.spec.job_type)
            .or(loaded.states.get(job).map(|s| s.job_type))
            .map_or("unknown", JobType::as_str)
    };
    let mut out = Vec::new();
    let mut deployments: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    let mut errors = 0.0;
    let (mut seconds, mut done) = (0.0, 0.0);
    for a in &report.actions {
        let failed = matches!(a.outcome, Outcome::Failed(_));
        if failed {
            errors += 1.0;
        }
        let deployment = transitions::transition(report, a).is_some_and(transitions::is_deployment);
        if !deployment || matches!(a.outcome, Outcome::InProgress(_)) {
            continue;
        }
        let status = if failed { "failure" } else { "success" };
        *deployments
            .entry((status, job_type(&a.job_id)))
            .or_default() += 1.0;
        if !failed {
            seconds += a.duration_ms as f64 / 1000.0;
            done += 1.0;
        }
    }
    for ((status, ty), n) in deployments {
        out.push(sample(
            "flink_job_deployments_total",
            &[("status", status), ("job_type", ty)],
            n,
        ));
    }
    out.push(sample(
        "flink_job_deployment_duration_seconds_sum",
        &[],
        seconds,
    ));
    out.push(sample(
        "flink_job_deployment_duration_seconds_count",
        &[],
        done,
    ));
    out.extend(transitions::durations(report));
    for (kind, n) in &report.flink_errors {
        out.push(sample(
            "fjc_flink_errors_total",
            &[("class", kind)],
            *n as f64,
        ));
    }
    errors += report.clusters.values().filter(|c| c.is_err()).count() as f64;
    out.push(sample("flink_reconciliation_errors_total", &[], errors));

    let mut active: BTreeMap<&str, f64> = BTreeMap::from([("stream", 0.0), ("batch", 0.0)]);
    let mut lifecycles: BTreeMap<&str, f64> = BTreeMap::new();
    for s in loaded.states.values() {
        *lifecycles.entry(s.lifecycle.as_str()).or_default() += 1.0;
        let Some(Observation::Reachable(jobs)) = loaded.observed.get(&s.cluster) else {
            continue;
        };
        let live = |id: &fjc_flink::JobId| {
            jobs.get(id)
                .is_some_and(|j| !j.state.is_globally_terminal())
        };
        let mut n = s.flink_job_id.iter().filter(|id| live(id)).count();
        if let Some(b) = &s.batch {
            n += b.active.iter().filter(|r| live(&r.flink_job_id)).count();
        }
        *active.entry(s.job_type.as_str()).or_default() += n as f64;
    }
    for (ty, n) in active {
        out.push(sample("flink_active_jobs", &[("job_type", ty)], n));
    }
    for (lifecycle, n) in lifecycles {
        out.push(sample("fjc_jobs", &[("lifecycle", lifecycle)], n));
    }
    for (cluster, o) in &loaded.observed {
        let up = matches!(o, Observation::Reachable(_));
        out.push(sample(
            "flink_cluster_health_status",
            &[("cluster", cluster)],
            if up { 1.0 } else { 0.0 },
        ));
    }
    let ended = report.started_at + i64::try_from(report.duration_ms).unwrap_or(0);
    out.push(sample("fjc_heartbeat", &[], 1.0));
    out.push(sample(
        "fjc_last_cycle_timestamp_seconds",
        &[],
        ended as f64 / 1000.0,
    ));
    for (cluster, b) in &report.breakers {
        let open = b.is_open(ended);
        out.push(sample(
            "fjc_cluster_breaker_open",
            &[("cluster", cluster)],
            if open { 1.0 } else { 0.0 },
        ));
    }
    let lease = match report.lease {
        fjc_core::cycle::LeaseReport::NotNeeded => "not-needed",
        fjc_core::cycle::LeaseReport::Acquired { .. } => "acquired",
        fjc_core::cycle::LeaseReport::Lost { .. } => "lost",
        fjc_core::cycle::LeaseReport::Held { .. } => "held",
    };
    out.push(sample(
        "fjc_reconcile_cycles_total",
        &[("lease", lease)],
        1.0,
    ));
    out.push(sample(
        "fjc_reconcile_cycle_duration_seconds",
        &[],
        report.duration_ms as f64 / 1000.0,
    ));
    for (kind, n) in [("read", report.flink.reads), ("write", report.flink.writes)] {
        out.push(sample("fjc_flink_calls_total", &[("kind", kind)], n as f64));
    }
    for (kind, n) in [("read", report.store.reads), ("write", report.store.writes)] {
        out.push(sample(
            "fjc_dynamodb_requests_total",
            &[("kind", kind)],
            n as f64,
        ));
    }
    out.extend(probe_samples(report));
    out
}

/// The live values of the cycle's health probes, labelled by job.
fn probe_samples(report: &CycleReport) -> Vec<Sample> {
    let mut out = Vec::new();
    for (job, p) in &report.loaded.probes {
        let m = &p.metrics;
        let labels = [("job", job.as_str())];
        if let Some(t) = m.last_checkpoint_at {
            let age = (p.at - t).max(0) as f64 / 1000.0;
            out.push(sample("fjc_job_checkpoint_age_seconds", &labels, age));
        }
        if let Some(n) = m.checkpoints_failed {
            out.push(sample("fjc_job_checkpoints_failed", &labels, n as f64));
        }
        if let Some(n) = m.restarts {
            out.push(sample("fjc_job_restarts", &labels, n as f64));
        }
        if let Some(b) = p.backpressure {
            out.push(sample("fjc_job_backpressure_ratio", &labels, b));
        }
    }
    out
}

fn kind_of(name: &str) -> Kind {
    METRICS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(Kind::Gauge, |(_, _, k)| *k)
}

/// Series values across cycles.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    series: BTreeMap<(&'static str, Labels), f64>,
}

impl Registry {
    /// Adds a cycle's samples: counters accumulate, gauges are replaced (a gauge
    /// series the cycle did not report is dropped, e.g. a lifecycle no job has),
    /// and a job's health signals are replaced when the cycle probed the job
    /// (kept otherwise: the jobs take turns; a deleted job's series stay until
    /// the process restarts).
    pub fn observe(&mut self, samples: &[Sample]) {
        let reported: std::collections::BTreeSet<&str> = samples
            .iter()
            .filter(|s| kind_of(s.name) == Kind::Gauge)
            .map(|s| s.name)
            .collect();
        self.series.retain(|(name, _), _| !reported.contains(name));
        for s in samples {
            let v = self.series.entry((s.name, s.labels.clone())).or_default();
            match kind_of(s.name) {
                Kind::Counter => *v += s.value,
                Kind::Gauge | Kind::Probe => *v = s.value,
            }
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, kind) in METRICS {
            let family = name
                .strip_suffix("_sum")
                .or(name.strip_suffix("_count"))
                .unwrap_or(name);
            let series: Vec<_> = self
                .series
                .iter()
                .filter(|((n, _), _)| *n == name)
                .collect();
            if series.is_empty() {
                continue;
            }
            if family == name {
                let t = match kind {
                    Kind::Counter => "counter",
                    Kind::Gauge | Kind::Probe => "gauge",
                };
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {t}");
            } else if name.ends_with("_sum") {
                let _ = writeln!(out, "# HELP {family} {help}\n# TYPE {family} summary");
            }
            for ((_, labels), v) in series {
                let _ = writeln!(out, "{name}{} {v}", render_labels(labels));
            }
        }
        out
    }
}

fn render_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// The cycle's samples as EMF lines: one line per label set, the labels as its
/// dimensions (plus `Function`).
pub fn emf_lines(function: &str, samples: &[Sample], timestamp_ms: i64) -> Vec<String> {
    let mut groups: BTreeMap<&Labels, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        groups.entry(&s.labels).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|(labels, samples)| {
            let mut dims: Vec<(&str, &str)> = vec![("Function", function)];
            dims.extend(labels.iter().map(|(k, v)| (*k, v.as_str())));
            let metrics: Vec<crate::emf::Metric<'_>> = samples
                .iter()
                .map(|s| crate::emf::Metric {
                    name: s.name,
                    value: s.value,
                    unit: if s.name.contains("seconds") {
                        "Seconds"
                    } else if s.name.ends_with("_ratio") {
                        "None"
                    } else {
                        "Count"
                    },
                })
                .collect();
            crate::emf::line("FJC", &dims, &metrics, timestamp_ms)
        })
        .collect()
}

mod transitions;

#[cfg(test)]
mod tests;
