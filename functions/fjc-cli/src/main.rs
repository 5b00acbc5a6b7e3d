//! `fjc`: the command line of the Flink job controller.
//!
//! Exit codes: 0 success, 1 user error (bad input, unknown job), 2 infrastructure
//! error (store, Flink or artifact source unavailable), 3 unhealthy (`fjc health`).

mod cmd;
mod exit;
mod files;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::exit::Failure;

/// Declarative lifecycle controller for Flink jobs.
#[derive(Debug, Parser)]
#[command(name = "fjc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check spec files (YAML or JSON); report every problem with its field and line.
    Validate {
        /// Spec files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate and store specs; prints created / updated / unchanged per job.
    Apply {
        /// Spec files or directories (repeatable).
        #[arg(short = 'f', long = "file", required = true)]
        files: Vec<PathBuf>,
    },
    /// Delete a spec; the next reconcile cancels its job.
    Delete {
        /// Job id.
        job_id: String,
    },
    /// Show every job: spec vs deployed fingerprint, lifecycle, Flink state, errors.
    Status {
        /// Print JSON instead of a table: the list of job rows.
        #[arg(long)]
        json: bool,
        /// With --json: one object `{"jobs": [...], "clusters": [...], "orphans": [...]}`
        /// instead of the list, adding cluster health and orphans.
        #[arg(long, requires = "json")]
        full: bool,
    },
    /// Controller health from the heartbeat and breakers; exits 3 when the
    /// heartbeat is stale, a cluster is down or a canary is not converged.
    Health {
        /// The heartbeat is stale after this long (e.g. `5m`).
        #[arg(long, value_parser = parse_interval, default_value = "5m")]
        stale_after: Duration,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show what a reconcile would do now, without doing it.
    Plan,
    /// Run reconcile cycles against the configured clusters.
    Reconcile {
        /// Run a single cycle.
        #[arg(long, conflicts_with = "every")]
        once: bool,
        /// Run a cycle every interval (e.g. `30s`, `1m`) until interrupted.
        #[arg(long, value_parser = parse_interval)]
        every: Option<Duration>,
        /// With --every: stop after this many rounds (default: until interrupted).
        #[arg(long, requires = "every")]
        cycles: Option<u64>,
        /// Serve Prometheus metrics on this address (`GET /metrics`), e.g.
        /// `127.0.0.1:9249`.
        #[arg(long)]
        metrics_addr: Option<std::net::SocketAddr>,
        /// Reconcile only this shard (0-based; with `reconcile.shards` > 1).
        #[arg(long)]
        shard: Option<u32>,
    },
    /// Apply spec files and follow them and the artifact roots as they change:
    /// a settled spec file is validated and applied, a settled artifact verified
    /// and its jobs redeployed; a full reconcile every interval. Until SIGINT or
    /// SIGTERM (the step under way ends first; exit 0).
    Watch {
        /// Spec files or directories (repeatable).
        #[arg(short = 'f', long = "file", required = true)]
        files: Vec<PathBuf>,
        /// A removed spec file (or a spec a file no longer holds) deletes its spec.
        #[arg(long)]
        prune: bool,
        /// The full reconcile's interval (default: `reconcile.interval_seconds`).
        #[arg(long, value_parser = parse_interval)]
        every: Option<Duration>,
        /// How long a file must stay unchanged before it is acted on.
        #[arg(long, value_parser = parse_interval, default_value = "500ms")]
        settle: Duration,
    },
    /// Start a run of a batch job now (at the next reconcile).
    Run {
        /// Job id of a batch spec.
        job_id: String,
    },
    /// Start a stream job again (also a FAILED one past its recovery budget),
    /// from its newest savepoint; the recovery budget starts over.
    Restart {
        /// Job id of a stream spec.
        job_id: String,
        /// Start from this savepoint or retained checkpoint (a directory with a
        /// `_metadata` file) instead of the newest one found.
        #[arg(long, conflicts_with = "empty")]
        from: Option<String>,
        /// Start with empty state, on purpose (the job's state is lost).
        #[arg(long)]
        empty: bool,
    },
    /// Take a savepoint of a running stream job now (at the next reconcile).
    Savepoint {
        /// Job id of a stream spec.
        job_id: String,
    },
    /// Deploy an earlier revision again (default: the last stable one). The
    /// spec is not changed; its version is not deployed again until it changes.
    Rollback {
        /// Job id of a stream spec.
        job_id: String,
        /// Revision number (see `fjc history`).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Who changed a spec, what and when (apply, delete, artifact updates), and
    /// the revisions deployed with their outcome.
    History {
        /// Job id.
        job_id: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List a batch job's runs, newest first.
    Runs {
        /// Job id.
        job_id: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The web dashboard (`fjc dashboard serve --dir dashboard/dist`).
    Dashboard {
        #[command(subcommand)]
        command: cmd::dashboard::DashboardCommand,
    },
    /// Create the DynamoDB table if it does not exist.
    Bootstrap,
    /// Print the JSON Schema of the spec format.
    Schema,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = fjc_spec::units::parse_duration(s)?;
    if d.is_zero() {
        return Err("must be > 0".into());
    }
    Ok(d)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli.command));
    drop(runtime);
    cmd::finish_telemetry();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Validate { paths } => cmd::validate::run(&paths),
        Command::Schema => cmd::schema::run(),
        Command::Apply { files } => cmd::apply::run(&files).await,
        Command::Delete { job_id } => cmd::apply::delete(&job_id).await,
        Command::Status { json, full } => cmd::status::run(json, full).await,
        Command::Health { stale_after, json } => cmd::health::run(stale_after, json).await,
        Command::Plan => cmd::reconcile::plan().await,
        Command::Reconcile {
            once,
            every,
            cycles,
            metrics_addr,
            shard,
        } => cmd::reconcile::run(once, every, cycles, metrics_addr, shard).await,
        Command::Watch {
            files,
            prune,
            every,
            settle,
        } => {
            cmd::watch::run(cmd::watch::Options {
                paths: files,
                prune,
                every,
                settle,
            })
            .await
        }
        Command::Run { job_id } => cmd::runs::run(&job_id).await,
        Command::Runs { job_id, json } => cmd::runs::list(&job_id, json).await,
        Command::Restart {
            job_id,
            from,
            empty,
        } => {
            use fjc_core::revisions::RestartFrom;
            let from = match (from, empty) {
                (Some(p), _) => RestartFrom::Path(p),
                (None, true) => RestartFrom::Empty,
                (None, false) => RestartFrom::Newest,
            };
            cmd::lifecycle::request(&job_id, fjc_core::revisions::Command::Restart(from)).await
        }
        Command::Savepoint { job_id } => {
            cmd::lifecycle::request(&job_id, fjc_core::revisions::Command::Savepoint).await
        }
        Command::Rollback { job_id, to } => {
            cmd::lifecycle::request(&job_id, fjc_core::revisions::Command::Rollback(to)).await
        }
        Command::History { job_id, json } => cmd::history::run(&job_id, json).await,
        Command::Dashboard { command } => cmd::dashboard::run(command).await,
        Command::Bootstrap => cmd::bootstrap::run().await,
    }
}
