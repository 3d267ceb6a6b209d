//! `almanac bench`: benchmarks that print figures, on throw-away databases.
//!
//! `almanac bench results` bulk-loads results through the store's write path,
//! then measures over HTTP on loopback: POSTs with concurrent clients, and the
//! latency of the lookups ResultsDB's clients make most.

mod audit;
mod bus;
mod composes;
mod gating;
mod graph;
mod http;
mod pdc;
mod results;
mod soak;
mod ui;

use crate::sample::Rng;
use almanac_store::Engine;
use anyhow::{Context, bail};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Results: bulk load, then POST rate and lookup latencies over HTTP.
    Results(ResultsArgs),
    /// The product model: bulk creation of release components, then list latencies.
    Pdc(pdc::PdcArgs),
    /// Composes: import of a distribution-sized compose, re-import, and a diff.
    Composes(composes::ComposesArgs),
    /// Gating: decisions over 1,000,000 results, 100,000 waivers and 20 policies.
    Gating(gating::GatingArgs),
    /// The artifact graph: 1,000,000 edges loaded over HTTP, then transitive
    /// queries and rebuild plans, in memory and by recursive SQL.
    Graph(graph::GraphArgs),
    /// The bus: messages applied per second from RabbitMQ, 100,000 of a mix.
    Bus(bus::BusArgs),
    /// Import and audit at distribution scale from local sources.
    Audit(audit::AuditArgs),
    /// The web UI: the server time of each page at scale.
    Ui(ui::UiArgs),
    /// A long mixed load (writes, lookups, decisions, bus messages) on the
    /// real `serve --listen` at a fraction of its peak: p50/p99 and memory
    /// over time.
    Soak(soak::SoakArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engines {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct ResultsArgs {
    /// Which engines (PostgreSQL: a throw-away database on ALMANAC_TEST_POSTGRES_URL's server).
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// Results to bulk-load before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    results: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Run only this phase (post, lookups); all by default.
    #[arg(long)]
    phase: Option<String>,
    /// SQLite's commit durability (full: fsync at every commit).
    #[arg(long, value_enum, default_value = "full")]
    sqlite_sync: SyncArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyncArg {
    Full,
    Normal,
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Results(args) => {
            let engines = engines(args.engine);
            println!(
                "# almanac bench results --engine {:?} --results {} --clients {} --seconds {} --sqlite-sync {:?}",
                args.engine, args.results, args.clients, args.seconds, args.sqlite_sync
            );
            println!(
                "# {} cores; client and server share them",
                std::thread::available_parallelism().map_or(0, |n| n.get())
            );
            for engine in engines {
                results::results_bench(engine, &args)?;
            }
            Ok(())
        }
        BenchCommand::Pdc(args) => pdc::run(&args),
        BenchCommand::Composes(args) => composes::run(&args),
        BenchCommand::Gating(args) => gating::run(&args),
        BenchCommand::Graph(args) => graph::run(&args),
        BenchCommand::Bus(args) => bus::run(&args),
        BenchCommand::Audit(args) => audit::run(&args),
        BenchCommand::Ui(args) => ui::run(&args),
        BenchCommand::Soak(args) => soak::run(&args),
    }
}

/// The engines a benchmark runs on.
pub fn engines(e: Engines) -> Vec<Engine> {
    match e {
        Engines::Sqlite => vec![Engine::Sqlite],
        Engines::Postgres => vec![Engine::Postgres],
        Engines::Both => vec![Engine::Sqlite, Engine::Postgres],
    }
}

/// One measured phase: requests made by `clients` connections for a while.
pub struct Phase {
    name: String,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Phase {
    /// Requests a second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn print(&mut self, engine: Engine) {
        self.latencies_us.sort_unstable();
        let pct = |p: f64| -> f64 {
            if self.latencies_us.is_empty() {
                return 0.0;
            }
            let i = ((self.latencies_us.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies_us.len())
                - 1;
            f64::from(self.latencies_us[i]) / 1000.0
        };
        println!(
            "{engine:8} {:52} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} errors)",
            self.name,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.requests,
            self.errors
        );
    }
}

pub async fn run_phase(
    name: &str,
    addr: std::net::SocketAddr,
    clients: usize,
    duration: Duration,
    make: impl Fn(&mut Rng) -> (&'static str, String, Option<String>, u16)
    + Send
    + Sync
    + Clone
    + 'static,
) -> anyhow::Result<Phase> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let errors = errors.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1000 + c as u64);
            let mut client = http::Client::connect(addr).await?;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (method, path, body, expected) = make(&mut rng);
                let t = Instant::now();
                let (status, answer) = client
                    .request(method, &path, body.as_deref().map(str::as_bytes))
                    .await?;
                latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                if status != expected
                    && errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0
                {
                    eprintln!(
                        "{method} {path}: {status} {}",
                        String::from_utf8_lossy(&answer)
                    );
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies_us = Vec::new();
    for t in tasks {
        latencies_us.extend(t.await.context("client task")??);
    }
    let elapsed = started.elapsed();
    let errors = errors.load(std::sync::atomic::Ordering::Relaxed);
    if latencies_us.is_empty() {
        bail!("{name}: no request completed");
    }
    Ok(Phase {
        name: name.to_string(),
        requests: latencies_us.len(),
        errors,
        elapsed,
        latencies_us,
    })
}
