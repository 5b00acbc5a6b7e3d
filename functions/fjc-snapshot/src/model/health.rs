//! A running stream job's health signals as the controller last kept them
//! ([`HealthView`]), and the one line `fjc status` and the dashboard both print.

use serde::{Deserialize, Serialize};

use crate::EpochMs;

/// Health signals of a job's deployed Flink job: checkpoints, restarts,
/// backpressure, and the rollout gate it waits on. The values are as of
/// [`HealthView::at`]: the controller writes them only when something worth
/// acting on changed (live values are in the metrics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthView {
    /// When the values were read from Flink.
    pub at: EpochMs,
    /// Restarts Flink made of the job since it started.
    pub restarts: u64,
    /// Failed checkpoints since it started.
    pub checkpoints_failed: u64,
    /// Of which found since the look before.
    #[serde(default)]
    pub checkpoints_failed_new: u64,
    /// The newest completed checkpoint's time, when one completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checkpoint_at: Option<EpochMs>,
    /// Checkpoints were overdue (none for several intervals).
    #[serde(default)]
    pub checkpoints_overdue: bool,
    /// The most backpressured operator's share of time since the job started,
    /// in percent, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressure_percent: Option<u8>,
    /// Since when backpressure has been over the job's threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressured_since: Option<EpochMs>,
    /// For a version not promoted yet: the rollout gate that does not hold, in
    /// words (e.g. "no completed checkpoint in 5m").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
}

impl HealthView {
    /// One line: `checkpoint 4s before · 0 restarts · backpressure 12% ·
    /// 2 failed checkpoints (1 new) · as of 30s ago`, with the gate first when a
    /// rollout waits on one.
    pub fn summary(&self, now: EpochMs) -> String {
        let mut parts = Vec::new();
        if let Some(gate) = &self.gate {
            parts.push(format!("not promoted: {gate}"));
        }
        match (self.last_checkpoint_at, self.checkpoints_overdue) {
            (Some(t), overdue) => parts.push(format!(
                "last checkpoint {}{}",
                ago(t, self.at),
                if overdue { " (overdue)" } else { "" }
            )),
            (None, true) => parts.push("no checkpoint yet (overdue)".into()),
            (None, false) => {}
        }
        parts.push(format!(
            "{} restart{}",
            self.restarts,
            if self.restarts == 1 { "" } else { "s" }
        ));
        if self.checkpoints_failed > 0 {
            parts.push(format!(
                "{} failed checkpoint{} ({} new)",
                self.checkpoints_failed,
                if self.checkpoints_failed == 1 {
                    ""
                } else {
                    "s"
                },
                self.checkpoints_failed_new
            ));
        }
        if let Some(p) = self.backpressure_percent {
            let since = self
                .backpressured_since
                .map(|t| format!(", over threshold since {}", ago(t, now)))
                .unwrap_or_default();
            parts.push(format!("backpressure {p}%{since}"));
        }
        parts.push(format!("as of {}", ago(self.at, now)));
        parts.join(" · ")
    }
}

/// `12s ago`, `5m ago`, `3h ago`, `2d ago` (`just now` under a second).
fn ago(t: EpochMs, now: EpochMs) -> String {
    let s = (now - t).max(0) / 1000;
    match s {
        0 => "just now".into(),
        1..=119 => format!("{s}s ago"),
        120..=7199 => format!("{}m ago", s / 60),
        7200..=172_799 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_of_signals() {
        let mut h = HealthView {
            at: 100_000,
            restarts: 0,
            checkpoints_failed: 0,
            checkpoints_failed_new: 0,
            last_checkpoint_at: Some(96_000),
            checkpoints_overdue: false,
            backpressure_percent: Some(12),
            backpressured_since: None,
            gate: None,
        };
        assert_eq!(
            h.summary(130_000),
            "last checkpoint 4s ago · 0 restarts · backpressure 12% · as of 30s ago"
        );
        h.gate = Some("no completed checkpoint in 5m".into());
        h.last_checkpoint_at = None;
        h.checkpoints_overdue = true;
        h.restarts = 1;
        h.checkpoints_failed = 3;
        h.checkpoints_failed_new = 2;
        h.backpressure_percent = Some(97);
        h.backpressured_since = Some(40_000);
        assert_eq!(
            h.summary(100_000),
            "not promoted: no completed checkpoint in 5m · no checkpoint yet (overdue) · \
             1 restart · 3 failed checkpoints (2 new) · backpressure 97%, over threshold \
             since 60s ago · as of just now"
        );
    }
}
