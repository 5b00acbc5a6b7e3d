//! `fjc watch`: a local controller that follows spec files and artifact
//! directories as they change.
//!
//! It applies the specs it is given, then watches them (inotify, through
//! `notify`; no polling) with every artifact root. A spec file that settles
//! ([`settle`]) is validated and applied, and its jobs reconciled at once; an
//! invalid one is reported with its file, line and field and changes nothing.
//! A removed file deletes its specs only with `--prune`. An artifact that
//! settles goes the way an S3 upload goes (`fjc_core::artifact_event`):
//! verified (digest, signature) for the specs that use it, recorded, and those
//! jobs reconciled. A full round runs every `--every` as `fjc reconcile
//! --every` does, publishing the dashboard snapshot.
//!
//! SIGINT or SIGTERM: the step under way ends (a cycle ends as usual and
//! releases its lease; an operation that would be looked at again later is
//! left to its saved state, from which the next controller goes on), then the
//! watcher exits 0.

mod fs;
mod settle;
mod specs;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fjc_core::apply::{Caller, SourcedSpec, apply, delete};
use fjc_core::artifact_event::refresh_artifacts;
use fjc_core::cycle::Scope;
use fjc_core::tick::{Look, TickPlan, tick};
use notify::EventKind;
use tokio_util::sync::CancellationToken;

use self::fs::{Kind, Targets, files_in};
use self::settle::{Seen, Settling};
use self::specs::{FileNow, SpecFiles};
use super::reconcile::{Round, print_report};
use crate::exit::Failure;
use crate::files;

/// How `fjc watch` was asked to run.
pub struct Options {
    /// Spec files and directories (`-f`).
    pub paths: Vec<PathBuf>,
    /// Delete the specs of removed files.
    pub prune: bool,
    /// The full round's interval (default: `reconcile.interval_seconds`).
    pub every: Option<Duration>,
    /// How long a file must stay unchanged before it is acted on.
    pub settle: Duration,
}

/// Runs until SIGINT or SIGTERM.
pub async fn run(options: Options) -> Result<(), Failure> {
    let config = super::config()?;
    let wiring = fjc_aws::wiring::wire(&config, "fjc").await?;
    let actor = fjc_aws::sts::caller_identity(&wiring.sdk).await;
    let every = options
        .every
        .unwrap_or(Duration::from_secs(config.reconcile.interval_seconds));
    let mut targets = Targets::new(&options.paths, &config.artifact_roots());
    let stop = CancellationToken::new();
    stop_on_signals(stop.clone())?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .map_err(|e| Failure::Infra(format!("file watcher: {e}")))?;
    targets.refresh(&mut watcher);
    let registry = super::metrics::Shared::default();
    let scopes = Scope::full_cycles(config.reconcile.shards);
    let mut w = Watch {
        ctx: &wiring.ctx,
        actor: &actor,
        prune: options.prune,
        shards: config.reconcile.shards,
        stop: &stop,
        files: SpecFiles::default(),
        round: Round {
            ctx: &wiring.ctx,
            scopes: &scopes,
            view: config.reconcile.shards > 1,
            publish: true,
            dashboard: wiring.dashboard.as_ref(),
            registry: &registry,
            stop: Some(&stop),
        },
    };
    // Every spec file as it is now, in one apply; then a full round deploys
    // what changed.
    w.first(targets.spec_files_now()).await;
    w.round().await;
    let mut following = Following::default();
    let roots: Vec<String> = targets
        .roots()
        .dirs()
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    eprintln!(
        "watching {} spec file(s) and artifact root(s) {}; a full round every {}s; Ctrl-C to stop",
        w.files.len(),
        if roots.is_empty() {
            "none".into()
        } else {
            roots.join(", ")
        },
        every.as_secs()
    );

    let clock = Instant::now();
    let ms = || u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    let every_ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX);
    let mut settling = Settling::new(u64::try_from(options.settle.as_millis()).unwrap_or(500));
    let mut next_round = ms().saturating_add(every_ms);
    while !stop.is_cancelled() {
        // Wake for the next settling path, the next round, and once a second
        // to watch directories created again.
        let wake = settling
            .next_due()
            .unwrap_or(u64::MAX)
            .min(following.next_due().unwrap_or(u64::MAX))
            .min(next_round)
            .min(ms() + 1_000);
        tokio::select! {
            () = stop.cancelled() => break,
            event = rx.recv() => match event {
                Some(Ok(event)) => {
                    if !matches!(event.kind, EventKind::Access(_)) {
                        for path in event.paths {
                            if targets.kind(&path).is_some() {
                                settling.touched(path, ms());
                            }
                        }
                    }
                }
                Some(Err(e)) => eprintln!("file watcher: {e}"),
                None => break,
            },
            () = tokio::time::sleep(Duration::from_millis(wake.saturating_sub(ms()))) => {}
        }
        for dir in targets.refresh(&mut watcher) {
            for f in files_in(&dir, targets.is_root(&dir)) {
                settling.touched(f, ms());
            }
        }
        let (mut spec_changes, mut artifacts) = (Vec::new(), BTreeSet::new());
        for (path, seen) in settling.settled(ms(), fs::look) {
            if seen == Seen::Dir {
                // A directory created below a root, with what was written into
                // it before its watch was added.
                for f in files_in(&path, true) {
                    settling.touched(f, ms());
                }
                continue;
            }
            match targets.kind(&path) {
                Some(Kind::Spec) => spec_changes.push((path, seen != Seen::Gone)),
                Some(Kind::Artifact(rel)) if seen != Seen::Gone => {
                    artifacts.insert(rel);
                }
                _ => {}
            }
        }
        if !spec_changes.is_empty() {
            following.add(w.specs(spec_changes, true).await, ms());
        }
        if !artifacts.is_empty() {
            following.add(w.artifacts(artifacts).await, ms());
        }
        let due = following.due(ms());
        if !due.is_empty() {
            following.add(w.reconcile(due).await, ms());
        }
        if ms() >= next_round && !stop.is_cancelled() {
            w.round().await;
            next_round = ms().saturating_add(every_ms);
        }
    }
    drop(watcher);
    eprintln!("stopped");
    Ok(())
}

/// How soon a job acted on is looked at again: a deployed version is recorded
/// RUNNING (and its gates judged) by a later cycle, which the watcher runs
/// itself instead of leaving it to the next full round.
const FOLLOW_MS: u64 = 2_000;

/// Jobs acted on, looked at again (scoped) until a cycle finds nothing to do
/// for them.
#[derive(Debug, Default)]
struct Following {
    at: std::collections::BTreeMap<String, u64>,
}

impl Following {
    /// `jobs` were acted on at `now`.
    fn add(&mut self, jobs: BTreeSet<String>, now: u64) {
        for j in jobs {
            self.at.insert(j, now + FOLLOW_MS);
        }
    }

    fn next_due(&self) -> Option<u64> {
        self.at.values().min().copied()
    }

    /// The jobs due by `now`, no longer followed (until acted on again).
    fn due(&mut self, now: u64) -> BTreeSet<String> {
        let due: BTreeSet<String> = self
            .at
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(j, _)| j.clone())
            .collect();
        self.at.retain(|j, _| !due.contains(j));
        due
    }
}

/// One applied spec, as `fjc apply` prints it, with the file it came from.
fn print_applied(source: &str, a: &fjc_core::apply::Applied) {
    println!(
        "{source}: {}: {} ({})",
        a.job_id,
        a.outcome.as_str(),
        a.fingerprint.get(..12).unwrap_or(&a.fingerprint)
    );
}

/// Cancels `stop` on SIGINT or SIGTERM.
fn stop_on_signals(stop: CancellationToken) -> Result<(), Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| Failure::Infra(format!("SIGTERM handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| Failure::Infra(format!("SIGINT handler: {e}")))?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        eprintln!("stopping: the step under way ends first");
        stop.cancel();
    });
    Ok(())
}

/// What the watcher acts with.
struct Watch<'a> {
    ctx: &'a fjc_aws::wiring::RealContext,
    actor: &'a str,
    prune: bool,
    shards: u32,
    stop: &'a CancellationToken,
    files: SpecFiles,
    round: Round<'a>,
}

impl Watch<'_> {
    /// Applies `sourced` as `fjc apply` does, as this watcher's caller.
    async fn apply(
        &self,
        sourced: Vec<SourcedSpec>,
    ) -> Result<Vec<fjc_core::apply::Applied>, fjc_core::error::CoreError> {
        let caller = Caller {
            actor: self.actor,
            security: &self.ctx.security,
        };
        apply(
            &self.ctx.store,
            &self.ctx.artifacts,
            &self.ctx.clock,
            caller,
            sourced,
        )
        .await
    }

    /// The spec files found at the start: the valid ones applied together
    /// (file by file when that fails, so one file's problem holds back only
    /// that file), the invalid ones reported.
    async fn first(&mut self, found: Vec<PathBuf>) {
        let mut sourced = Vec::new();
        for file in &found {
            match files::load(file) {
                Ok(specs) => sourced.extend(specs.into_iter().map(|spec| SourcedSpec {
                    source: file.display().to_string(),
                    spec,
                })),
                Err(problems) => eprintln!("{problems}\n{}: not applied", file.display()),
            }
        }
        if sourced.is_empty() {
            return;
        }
        let sources: std::collections::BTreeMap<String, String> = sourced
            .iter()
            .map(|s| (s.spec.job_id.clone(), s.source.clone()))
            .collect();
        match self.apply(sourced).await {
            Ok(applied) => {
                let mut by_file: std::collections::BTreeMap<String, BTreeSet<String>> =
                    std::collections::BTreeMap::new();
                let mut unchanged = 0;
                for a in applied {
                    let source = sources.get(&a.job_id).cloned().unwrap_or_default();
                    if a.outcome == fjc_core::apply::ApplyOutcome::Unchanged {
                        unchanged += 1;
                    } else {
                        print_applied(&source, &a);
                    }
                    by_file.entry(source).or_default().insert(a.job_id);
                }
                if unchanged > 0 {
                    println!("{unchanged} spec(s) unchanged");
                }
                for (file, ids) in by_file {
                    self.files.record(std::path::Path::new(&file), ids);
                }
            }
            Err(e) => {
                eprintln!("{e}\napplying the files one by one");
                let each: Vec<(PathBuf, bool)> = found.into_iter().map(|f| (f, true)).collect();
                self.specs(each, false).await;
            }
        }
    }

    /// Spec files that settled (there, or removed): each validated and
    /// applied (or its specs deleted), then the changed jobs reconciled.
    async fn specs(&mut self, changes: Vec<(PathBuf, bool)>, reconcile: bool) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        for (file, present) in changes {
            let now = if present {
                match files::load(&file) {
                    Ok(specs) => FileNow::Specs(specs),
                    Err(problems) => FileNow::Invalid(problems),
                }
            } else {
                FileNow::Gone
            };
            let gone = matches!(now, FileNow::Gone);
            let decision = self.files.decide(&file, now, self.prune);
            if let Some(note) = &decision.note {
                eprintln!("{note}");
            }
            let mut ids: BTreeSet<String> = BTreeSet::new();
            if !decision.apply.is_empty() {
                let source = file.display().to_string();
                let sourced = decision
                    .apply
                    .into_iter()
                    .map(|spec| SourcedSpec {
                        source: source.clone(),
                        spec,
                    })
                    .collect();
                match self.apply(sourced).await {
                    Ok(applied) => {
                        for a in applied {
                            print_applied(&source, &a);
                            if a.outcome != fjc_core::apply::ApplyOutcome::Unchanged {
                                changed.insert(a.job_id.clone());
                            }
                            ids.insert(a.job_id);
                        }
                        self.files.record(&file, ids);
                    }
                    Err(e) => eprintln!("{source}: {e}\n{source}: not applied"),
                }
            }
            for id in &decision.delete {
                match delete(&self.ctx.store, &self.ctx.clock, self.actor, id).await {
                    Ok(()) => {
                        println!("{}: {id}: deleted (--prune)", file.display());
                        changed.insert(id.clone());
                    }
                    Err(e) => eprintln!("{}: {id}: not deleted: {e}", file.display()),
                }
            }
            if gone && self.prune {
                self.files.record(&file, BTreeSet::new());
            }
        }
        if !reconcile {
            return BTreeSet::new();
        }
        self.reconcile(changed).await
    }

    /// Artifacts that settled: verified for the specs that use them, and the
    /// accepted jobs reconciled.
    async fn artifacts(&mut self, paths: BTreeSet<String>) -> BTreeSet<String> {
        let mut acted = BTreeSet::new();
        match refresh_artifacts(
            self.ctx,
            paths,
            Duration::ZERO,
            self.actor,
            None,
            Some(self.stop),
        )
        .await
        {
            Ok(report) => {
                for o in &report.objects {
                    let mut parts = Vec::new();
                    if o.unused {
                        parts.push("no spec uses it".to_string());
                    }
                    if !o.accepted.is_empty() {
                        parts.push(format!("accepted for {}", o.accepted.join(", ")));
                    }
                    if !o.unchanged.is_empty() {
                        parts.push(format!("unchanged for {}", o.unchanged.join(", ")));
                    }
                    for (job, why) in &o.refused {
                        parts.push(format!("refused for {job}: {why}"));
                    }
                    println!("artifact {}: {}", o.path, parts.join("; "));
                }
                for c in report.cycles.iter().chain(&report.requeued) {
                    print_report(c);
                    acted.extend(c.actions.iter().map(|a| a.job_id.clone()));
                }
            }
            Err(e) => eprintln!("artifact change not handled: {e}"),
        }
        acted
    }

    /// One tick over just `jobs` (and the cycles their operations ask for);
    /// the jobs it acted on.
    async fn reconcile(&self, jobs: BTreeSet<String>) -> BTreeSet<String> {
        let mut acted = BTreeSet::new();
        if jobs.is_empty() || self.stop.is_cancelled() {
            return acted;
        }
        let scopes = Scope::jobs(jobs, self.shards);
        let plan = TickPlan {
            scopes: &scopes,
            view: false,
            publish: false,
            correlation_id: None,
            deadline: None,
            stop: Some(self.stop),
        };
        let done =
            tick::<_, fjc_aws::dashboard::Publisher>(self.ctx, None, plan, |look, report| {
                if let Look::Cycle(_) = look {
                    print_report(report);
                    acted.extend(report.actions.iter().map(|a| a.job_id.clone()));
                }
            })
            .await;
        if let Err(e) = done {
            eprintln!("cycle failed: {e}");
        }
        acted
    }

    /// The periodic full round.
    async fn round(&self) {
        if let Err(e) = self.round.run().await {
            eprintln!("cycle failed: {}", e.text());
        }
    }
}
