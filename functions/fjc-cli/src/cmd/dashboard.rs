//! `fjc dashboard serve`: serves the built dashboard and the local snapshot,
//! with ETags, for local runs and tests: to anyone on loopback, elsewhere only to
//! holders of a token unless `--allow-anonymous` ([`access`]). Production serves
//! the same files from S3/CloudFront.
//!
//! hyper (HTTP/1.1 only) is used because it is already in the dependency tree
//! through reqwest and the AWS SDK: the server adds no new crate to audit and
//! almost no build time, unlike axum or tiny_http.

mod access;
mod files;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use clap::Subcommand;
use fjc_core::snapshot::publish::{PublishOutcome, PublishReport};

use crate::exit::Failure;
use access::Access;
use files::{Roots, answer};

/// `fjc dashboard ...`
#[derive(Debug, Subcommand)]
pub enum DashboardCommand {
    /// Serve the built dashboard and the local snapshot over HTTP (loopback by default;
    /// another address needs --token or --allow-anonymous).
    Serve {
        /// The built dashboard (`dashboard/dist`).
        #[arg(long)]
        dir: PathBuf,
        /// Directory with `snapshot.json` (default: `FJC_DASHBOARD_DIR`, else `--dir`).
        #[arg(long, env = "FJC_DASHBOARD_DIR")]
        snapshot_dir: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8088")]
        addr: SocketAddr,
        /// Serve only requests carrying this token (16+ of A-Z a-z 0-9 . _ ~ -):
        /// `Authorization: Bearer <token>`, or a browser opening `/?token=<token>`
        /// once (it then keeps it in a cookie). Prefer the environment variable:
        /// a command line is visible to other users.
        #[arg(long, env = "FJC_DASHBOARD_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Serve a non-loopback address to anyone who reaches it, without a token
        /// (for a private network only).
        #[arg(long)]
        allow_anonymous: bool,
    },
    /// Print a sample snapshot (JSON, every job with its detail) with one job in
    /// every lifecycle value, built by the real snapshot builder: the browser tests'
    /// fixture. With `--out`, also publish it there as the controller does
    /// (`snapshot.json` and `jobs/*.json`).
    Sample {
        /// Build it as of this time (epoch milliseconds; default: now).
        #[arg(long)]
        now: Option<i64>,
        /// A fleet of this many jobs (the sample's jobs again and again, numbered)
        /// instead of one of each (the dashboard benchmark).
        #[arg(long)]
        jobs: Option<usize>,
        /// Publish it into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing (with `--out`).
        #[arg(long, requires = "out")]
        quiet: bool,
    },
}

/// Runs a dashboard subcommand.
pub async fn run(command: DashboardCommand) -> Result<(), Failure> {
    match command {
        DashboardCommand::Serve {
            dir,
            snapshot_dir,
            addr,
            token,
            allow_anonymous,
        } => {
            let access =
                Access::for_listener(addr, token, allow_anonymous).map_err(Failure::User)?;
            serve(dir, snapshot_dir, addr, access).await
        }
        DashboardCommand::Sample {
            now,
            jobs,
            out,
            quiet,
        } => sample(now, jobs, out, quiet).await,
    }
}

async fn sample(
    now: Option<i64>,
    jobs: Option<usize>,
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<(), Failure> {
    use fjc_core::clock::Clock;
    use fjc_core::snapshot::dir::DirPublisher;
    use fjc_core::snapshot::publish::Sink;
    use fjc_core::snapshot::sample;
    let now = now.unwrap_or_else(|| fjc_core::clock::SystemClock.now_ms());
    let snapshot = match jobs {
        Some(n) => sample::fleet(n, now),
        None => sample::sample(now),
    }
    .map_err(|e| Failure::Infra(e.to_string()))?;
    if !quiet {
        let text = serde_json::to_string_pretty(&snapshot)
            .map_err(|e| Failure::Infra(format!("cannot render the sample: {e}")))?;
        println!("{text}");
    }
    if let Some(dir) = out {
        let doc = fjc_core::snapshot::publish::encode(snapshot)
            .map_err(|e| Failure::Infra(e.to_string()))?;
        Sink::new(DirPublisher::new(dir), 0)
            .publish(&doc)
            .await
            .map_err(|e| Failure::Infra(e.to_string()))?;
    }
    Ok(())
}

/// What `fjc reconcile` prints of a snapshot publication: the targets written
/// and the failures (which never fail the cycle).
pub fn print_published(published: &[PublishReport]) {
    for r in published {
        match &r.result {
            Ok(PublishOutcome::Written) => println!("  dashboard snapshot written: {}", r.target),
            Ok(PublishOutcome::Unchanged) => {}
            Err(e) => println!("  dashboard snapshot NOT written: {e}"),
        }
    }
}

/// Serves `dir` (the dashboard's `dist/`) and `snapshot_dir/snapshot.json` on `addr`
/// to whom `access` lets in, until Ctrl-C.
pub async fn serve(
    dir: PathBuf,
    snapshot_dir: Option<PathBuf>,
    addr: SocketAddr,
    access: Access,
) -> Result<(), Failure> {
    if !dir.join("index.html").is_file() {
        return Err(Failure::User(format!(
            "{}: no index.html (build the dashboard with dashboard/build.sh)",
            dir.display()
        )));
    }
    let roots = Arc::new(Roots {
        snapshot: snapshot_dir.unwrap_or_else(|| dir.clone()),
        site: dir,
    });
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Infra(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().unwrap_or(addr);
    let who = match &access {
        Access::Token(_) => "token holders only",
        Access::Open if local.ip().is_loopback() => "this machine",
        Access::Open => "ANYONE who reaches this address (--allow-anonymous)",
    };
    println!(
        "dashboard: http://{local}/ (site {}, snapshot {}/snapshot.json; served to {who}); \
         Ctrl-C to stop",
        roots.site.display(),
        roots.snapshot.display()
    );
    let access = Arc::new(access);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let roots = roots.clone();
                let access = access.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let roots = roots.clone();
                        let access = access.clone();
                        async move {
                            let response = match access.answer(access.check(&req)) {
                                Some(refused) => refused,
                                None => answer(&roots, &req).await,
                            };
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    if let Err(e) = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping");
                return Ok(());
            }
        }
    }
}
