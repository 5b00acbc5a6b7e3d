//! How the page names and colours a lifecycle.
//!
//! Every `match` on [`Lifecycle`] here is exhaustive with NO wildcard arm, on
//! purpose: a value added to `fjc_snapshot::Lifecycle` fails to compile the
//! dashboard until it has a hint and a colour here (and in style.css).

use fjc_snapshot::{Lifecycle, Shown};

/// What a lifecycle value means, in one sentence (tooltips and the job page).
pub fn hint(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Created => "Spec known; nothing deployed yet.",
        Lifecycle::Deploying => {
            "Submitted to Flink; not yet running with all tasks (or a deployment is in flight)."
        }
        Lifecycle::Upgrading => "The running version is being replaced by the spec's new version.",
        Lifecycle::Running => {
            "Running in Flink (a batch job: a run is active); a stream job becomes STABLE after deployment.stable_after."
        }
        Lifecycle::Stable => {
            "Running with all tasks for deployment.stable_after: a revision a rollback can return to."
        }
        Lifecycle::Suspending => "Being stopped with a savepoint (desired_state: suspended).",
        Lifecycle::Suspended => {
            "Stopped on purpose: a suspended stream job, or a batch schedule with suspend: true."
        }
        Lifecycle::Recovering => {
            "Failed or lost; being restarted from its newest savepoint or checkpoint."
        }
        Lifecycle::RollingBack => {
            "A failing new version is being replaced by the last stable revision."
        }
        Lifecycle::RolledBack => {
            "Runs a rolled-back revision; the spec's version is not deployed again until the spec changes."
        }
        Lifecycle::Scheduled => {
            "A batch job waiting for its next fire time (or stopped by max_runs)."
        }
        Lifecycle::Finished => "A batch job that completed.",
        Lifecycle::Failed => {
            "Failed; see the last error. Waits for a spec change, fjc restart, or its retry time."
        }
        Lifecycle::Deleting => "The spec was deleted; the job is being cancelled.",
    }
}

/// The CSS class of a lifecycle value (`lc-` and the lower-case name).
pub fn css(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Created => "lc-created",
        Lifecycle::Deploying => "lc-deploying",
        Lifecycle::Upgrading => "lc-upgrading",
        Lifecycle::Running => "lc-running",
        Lifecycle::Stable => "lc-stable",
        Lifecycle::Suspending => "lc-suspending",
        Lifecycle::Suspended => "lc-suspended",
        Lifecycle::Recovering => "lc-recovering",
        Lifecycle::RollingBack => "lc-rolling_back",
        Lifecycle::RolledBack => "lc-rolled_back",
        Lifecycle::Scheduled => "lc-scheduled",
        Lifecycle::Finished => "lc-finished",
        Lifecycle::Failed => "lc-failed",
        Lifecycle::Deleting => "lc-deleting",
    }
}

/// How a lifecycle value counts on the overview's transitions chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Running as asked, or done.
    Fine,
    /// On its way somewhere (deploying, upgrading, recovering, ...).
    Changing,
    /// Stopped on purpose.
    Stopped,
    /// Failed or rolled back: needs a person.
    Bad,
}

impl Health {
    /// Every group, in stacking order (bottom first).
    pub const ALL: [Health; 4] = [Health::Bad, Health::Changing, Health::Stopped, Health::Fine];

    /// Label and CSS class.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Health::Fine => ("running or done", "h-fine"),
            Health::Changing => ("changing", "h-changing"),
            Health::Stopped => ("stopped", "h-stopped"),
            Health::Bad => ("failed or rolled back", "h-bad"),
        }
    }
}

/// The group of a shown lifecycle (exhaustive on purpose, see the module doc).
pub fn health(s: Shown) -> Health {
    match s {
        Shown::Pending | Shown::Unknown => Health::Changing,
        Shown::Is(l) => match l {
            Lifecycle::Running | Lifecycle::Stable | Lifecycle::Scheduled | Lifecycle::Finished => {
                Health::Fine
            }
            Lifecycle::Created
            | Lifecycle::Deploying
            | Lifecycle::Upgrading
            | Lifecycle::Suspending
            | Lifecycle::Recovering
            | Lifecycle::RollingBack
            | Lifecycle::Deleting => Health::Changing,
            Lifecycle::Suspended => Health::Stopped,
            Lifecycle::Failed | Lifecycle::RolledBack => Health::Bad,
        },
    }
}

/// The hint of a shown lifecycle.
pub fn shown_hint(s: Shown) -> &'static str {
    match s {
        Shown::Pending => "A spec no reconcile cycle has acted on yet.",
        Shown::Is(l) => hint(l),
        Shown::Unknown => "Written by a newer controller than this dashboard knows.",
    }
}

/// The CSS class of a shown lifecycle.
pub fn shown_css(s: Shown) -> &'static str {
    match s {
        Shown::Pending => "lc-pending",
        Shown::Is(l) => css(l),
        Shown::Unknown => "lc-unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_value_has_its_own_class_named_after_it_and_a_hint() {
        let classes: BTreeSet<&str> = Shown::all()
            .chain([Shown::Unknown])
            .map(shown_css)
            .collect();
        assert_eq!(classes.len(), Lifecycle::ALL.len() + 2);
        for s in Shown::all().chain([Shown::Unknown]) {
            assert_eq!(shown_css(s), format!("lc-{}", s.as_str().to_lowercase()));
            assert!(shown_hint(s).ends_with('.'), "{s}");
        }
    }

    #[test]
    fn style_css_colours_every_value() {
        let css_text = include_str!("../style.css");
        for s in Shown::all().chain([Shown::Unknown]) {
            let class = shown_css(s);
            assert!(
                css_text.contains(&format!(".{class} "))
                    || css_text.contains(&format!(".{class},")),
                "style.css has no rule for .{class}"
            );
        }
    }
}
