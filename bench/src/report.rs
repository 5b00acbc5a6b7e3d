//! Measured cycles, and the table of their min / median / max over the runs.

use fjc_core::cycle::CycleReport;

use crate::probe;

/// One measured cycle (or the sum of several, `cycles` > 1).
#[derive(Debug, Clone)]
pub struct Sample {
    /// Fleet size.
    pub n: usize,
    /// `overview` or `per-job`.
    pub mode: &'static str,
    /// What was measured.
    pub phase: &'static str,
    /// Cycles summed in this sample.
    pub cycles: u64,
    /// Wall time, ms.
    pub wall_ms: u64,
    /// User plus system CPU time of this process, ms.
    pub cpu_ms: u64,
    /// Flink calls (the cycle's report).
    pub flink_calls: u64,
    /// DynamoDB read requests (pages).
    pub dynamo_reads: u64,
    /// DynamoDB write requests.
    pub dynamo_writes: u64,
    /// Actions carried out.
    pub actions: u64,
    /// Bytes the stand-in received as jar uploads.
    pub upload_bytes: Option<u64>,
    /// Bytes the S3 relay carried from moto to the controller.
    pub s3_bytes: Option<u64>,
    /// Peak resident set size, MiB.
    pub rss_mib: f64,
}

/// The start of a measured phase.
pub struct Phase {
    wall: std::time::Instant,
    cpu: u64,
}

/// Resets the peak RSS and notes the wall and CPU time.
pub fn begin() -> Phase {
    probe::reset_peak();
    Phase {
        wall: std::time::Instant::now(),
        cpu: probe::cpu_ms(),
    }
}

impl Sample {
    /// The figures of one cycle, from its report and the process probes.
    pub fn of(
        n: usize,
        mode: &'static str,
        phase: &'static str,
        p: Phase,
        r: &CycleReport,
    ) -> Sample {
        Sample {
            n,
            mode,
            phase,
            cycles: 1,
            wall_ms: u64::try_from(p.wall.elapsed().as_millis()).unwrap_or(u64::MAX),
            cpu_ms: probe::cpu_ms().saturating_sub(p.cpu),
            flink_calls: r.flink.reads + r.flink.writes,
            dynamo_reads: r.store.reads,
            dynamo_writes: r.store.writes,
            actions: r.actions.len() as u64,
            upload_bytes: None,
            s3_bytes: None,
            rss_mib: probe::peak_rss_mib(),
        }
    }

    /// An empty sum.
    pub fn zero(n: usize, mode: &'static str, phase: &'static str) -> Sample {
        Sample {
            n,
            mode,
            phase,
            cycles: 0,
            wall_ms: 0,
            cpu_ms: 0,
            flink_calls: 0,
            dynamo_reads: 0,
            dynamo_writes: 0,
            actions: 0,
            upload_bytes: None,
            s3_bytes: None,
            rss_mib: 0.0,
        }
    }

    /// Adds another cycle's figures (peak RSS: the larger).
    pub fn add(&mut self, o: &Sample) {
        let opt = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.cycles += o.cycles;
        self.wall_ms += o.wall_ms;
        self.cpu_ms += o.cpu_ms;
        self.flink_calls += o.flink_calls;
        self.dynamo_reads += o.dynamo_reads;
        self.dynamo_writes += o.dynamo_writes;
        self.actions += o.actions;
        self.upload_bytes = opt(self.upload_bytes, o.upload_bytes);
        self.s3_bytes = opt(self.s3_bytes, o.s3_bytes);
        self.rss_mib = self.rss_mib.max(o.rss_mib);
    }
}

/// Min, median and max of some runs' values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spread {
    min: f64,
    median: f64,
    max: f64,
}

fn spread(mut values: Vec<f64>) -> Option<Spread> {
    values.sort_by(f64::total_cmp);
    let (min, max) = (*values.first()?, *values.last()?);
    let mid = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    };
    Some(Spread { min, median, max })
}

/// `min / median / max`, or one number when every run gave the same.
fn cell(s: Option<Spread>, scale: f64, decimals: usize) -> String {
    let Some(s) = s else {
        return "—".to_string();
    };
    let f = |v: f64| format!("{:.*}", decimals, v / scale);
    if f(s.min) == f(s.max) {
        f(s.min)
    } else {
        format!("{} / {} / {}", f(s.min), f(s.median), f(s.max))
    }
}

/// The samples of one row of the table: same size, mode and phase.
struct Group<'a> {
    n: usize,
    mode: &'static str,
    phase: &'static str,
    samples: Vec<&'a Sample>,
}

impl Group<'_> {
    fn of(&self, f: impl Fn(&Sample) -> Option<f64>) -> Option<Spread> {
        let values: Option<Vec<f64>> = self.samples.iter().map(|s| f(s)).collect();
        spread(values?)
    }
}

fn groups(samples: &[Sample]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for s in samples {
        match out
            .iter_mut()
            .find(|g| g.n == s.n && g.mode == s.mode && g.phase == s.phase)
        {
            Some(g) => g.samples.push(s),
            None => out.push(Group {
                n: s.n,
                mode: s.mode,
                phase: s.phase,
                samples: vec![s],
            }),
        }
    }
    out
}

/// Prints the table (each cell min / median / max over the runs) and the
/// per-job / overview ratios of the medians.
pub fn print(samples: &[Sample]) {
    println!(
        "| jobs | observation | cycle | runs | cycles | wall ms | controller CPU ms | Flink calls | DynamoDB reads (pages) | DynamoDB writes | actions | MB uploaded to Flink | S3 MB read | peak RSS MiB |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let all = groups(samples);
    let int = |v: u64| Some(v as f64);
    let mb = 1_000_000.0;
    for g in &all {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            g.n,
            g.mode,
            g.phase,
            g.samples.len(),
            cell(g.of(|s| int(s.cycles)), 1.0, 0),
            cell(g.of(|s| int(s.wall_ms)), 1.0, 0),
            cell(g.of(|s| int(s.cpu_ms)), 1.0, 0),
            cell(g.of(|s| int(s.flink_calls)), 1.0, 0),
            cell(g.of(|s| int(s.dynamo_reads)), 1.0, 0),
            cell(g.of(|s| int(s.dynamo_writes)), 1.0, 0),
            cell(g.of(|s| int(s.actions)), 1.0, 0),
            cell(g.of(|s| s.upload_bytes.map(|b| b as f64)), mb, 1),
            cell(g.of(|s| s.s3_bytes.map(|b| b as f64)), mb, 1),
            cell(g.of(|s| Some(s.rss_mib)), 1.0, 0),
        );
    }
    println!();
    let median = |n: usize, mode: &str, phase: &str, f: fn(&Sample) -> u64| {
        all.iter()
            .find(|g| g.n == n && g.mode == mode && g.phase == phase)
            .and_then(|g| g.of(|s| Some(f(s) as f64)))
            .map(|s| s.median)
    };
    for g in all.iter().filter(|g| g.mode == "overview") {
        let wall = (
            median(g.n, "overview", g.phase, |s| s.wall_ms),
            median(g.n, "per-job", g.phase, |s| s.wall_ms),
        );
        let calls = (
            median(g.n, "overview", g.phase, |s| s.flink_calls),
            median(g.n, "per-job", g.phase, |s| s.flink_calls),
        );
        if let ((Some(ow), Some(pw)), (Some(oc), Some(pc))) = (wall, calls) {
            println!(
                "{} jobs, {}: per-job / overview (medians) = {:.1}x wall time, {:.1}x Flink calls",
                g.n,
                g.phase,
                pw / ow.max(1.0),
                pc / oc.max(1.0)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_cells() {
        let s = spread(vec![3.0, 1.0, 2.0]);
        assert_eq!(
            s,
            Some(Spread {
                min: 1.0,
                median: 2.0,
                max: 3.0
            })
        );
        assert_eq!(cell(s, 1.0, 0), "1 / 2 / 3");
        assert_eq!(cell(spread(vec![5.0, 5.0]), 1.0, 0), "5");
        assert_eq!(
            cell(spread(vec![1.0, 2.0, 3.0, 4.0]), 1.0, 1),
            "1.0 / 2.5 / 4.0"
        );
        assert_eq!(cell(None, 1.0, 0), "—");
        assert_eq!(spread(Vec::new()), None);
    }
}
