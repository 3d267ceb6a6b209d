//! `almanac bench soak`: a long mixed load on the real binary (`almanac
//! serve --listen`, its own process) at a fraction of the peak it was
//! measured at: ResultsDB writes and lookups, gating decisions and bus
//! messages through RabbitMQ. Every interval it prints each kind's p50/p99,
//! the bus's backlog and the server's resident memory, which must stay flat.
//!
//! The load is open-loop: each request has its time on a fixed schedule and
//! its latency is counted from that time, so a server that falls behind
//! shows it (no coordinated omission).

use super::bus::message;
use super::gating::policies_yaml;
use super::http::Client;
use super::results::load_results;
use crate::sample::{CI_CHECKS, Rng, build_nvr};
use almanac_ingest::bus::amqp::{self, Options};
use almanac_store::testing::TestDb;
use almanac_store::{Engine, StoreError};
use amqprs::BasicProperties;
use amqprs::channel::{BasicPublishArguments, QueueDeleteArguments};
use anyhow::Context as _;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: super::Engines,
    /// How long the load runs.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Seconds between two printed lines.
    #[arg(long, default_value_t = 60)]
    interval: u64,
    /// The share of the measured peak the load runs at.
    #[arg(long, default_value_t = 0.5)]
    fraction: f64,
    /// Results in the store before the load starts. The load adds about
    /// half as many again in 30 minutes, so the peak is measured on a store
    /// of the size the run ends near.
    #[arg(long, default_value_t = 1_000_000)]
    results: usize,
    #[arg(long, default_value = crate::config::DEFAULT_AMQP_URL)]
    amqp_url: String,
    /// The server's `[store] sqlite_cache_mib` (its default when not given).
    #[arg(long)]
    sqlite_cache_mib: Option<u64>,
    /// The server's `[store] sqlite_mmap_mib` (its default when not given).
    #[arg(long)]
    sqlite_mmap_mib: Option<u64>,
}

/// What the load is made of, and each kind's share of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Write,
    Lookup,
    Latest,
    Decision,
    Bus,
}

const MIX: [(Kind, u32); 5] = [
    (Kind::Write, 2),
    (Kind::Lookup, 3),
    (Kind::Latest, 1),
    (Kind::Decision, 2),
    (Kind::Bus, 2),
];

fn kind_at(n: u64) -> Kind {
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    let mut at = (n % u64::from(total)) as u32;
    for (k, w) in MIX {
        if at < w {
            return k;
        }
        at -= w;
    }
    unreachable!()
}

/// One request of `kind`: method, path, body, the status it should get.
fn request(
    kind: Kind,
    rng: &mut Rng,
    builds: u64,
    n: u64,
) -> (&'static str, String, Option<String>, u16) {
    let nvr = build_nvr(rng.below(builds));
    match kind {
        Kind::Write => (
            "POST",
            "/api/v2.0/results".into(),
            Some(
                json!({"testcase": {"name": CI_CHECKS[(n % CI_CHECKS.len() as u64) as usize]},
                       "outcome": if n.is_multiple_of(9) { "FAILED" } else { "PASSED" },
                       "ref_url": format!("https://ci.example.org/soak/{n}"),
                       "data": {"item": nvr, "type": "koji_build"}})
                .to_string(),
            ),
            201,
        ),
        Kind::Lookup => ("GET", format!("/api/v2.0/results?item={nvr}&limit=20"), None, 200),
        Kind::Latest => ("GET", format!("/api/v2.0/results/latest?item={nvr}&type=koji_build"), None, 200),
        Kind::Decision => (
            "POST",
            "/api/v1.0/decision".into(),
            Some(
                json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
                       "subject_type": "koji_build", "subject_identifier": nvr})
                .to_string(),
            ),
            200,
        ),
        Kind::Bus => unreachable!("bus messages are published, not requested"),
    }
}

/// Latencies (µs) and errors per kind, since the last report.
#[derive(Default)]
struct Window {
    latencies: std::collections::BTreeMap<Kind, Vec<u32>>,
    errors: u64,
    bus_published: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

/// What the server's `/metrics` says of its memory, in MiB.
#[derive(Debug, Default, Clone, Copy)]
struct Gauges {
    /// Allocated and not freed: all of the heap, SQLite's memory included.
    heap: f64,
    /// What glibc's arenas hold: the heap's small blocks and what is kept.
    arenas: f64,
    /// SQLite's page caches and prepared statements (zero on PostgreSQL).
    cache: f64,
    statements: f64,
    /// SQLite's page pool in use, and the page buffers past it, on the heap.
    pool: f64,
    overflow: f64,
}

async fn gauges(addr: SocketAddr) -> Gauges {
    let answer = match Client::connect(addr).await {
        Ok(mut client) => client.request("GET", "/metrics", None).await,
        Err(e) => Err(e),
    };
    let text = match answer {
        Ok((200, body)) => String::from_utf8_lossy(&body).into_owned(),
        _ => return Gauges::default(),
    };
    let gauge = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .map_or(0.0, |bytes| bytes / (1024.0 * 1024.0))
    };
    Gauges {
        heap: gauge("almanac_heap_live_bytes"),
        arenas: gauge("almanac_heap_arena_bytes"),
        cache: gauge("almanac_sqlite_page_cache_bytes"),
        statements: gauge("almanac_sqlite_statement_bytes"),
        pool: gauge("almanac_sqlite_page_pool_used_bytes"),
        overflow: gauge("almanac_sqlite_page_overflow_bytes"),
    }
}

/// The server's resident memory from /proc, in MiB: all of it, its
/// anonymous part (the heap, SQLite's page caches, the threads' stacks) and
/// its file-backed part (the binary, and the database file when SQLite maps
/// it); and its number of threads.
fn rss_mib(pid: u32) -> (f64, f64, f64, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        field("VmRSS:") / 1024.0,
        field("RssAnon:") / 1024.0,
        field("RssFile:") / 1024.0,
        field("Threads:") as u32,
    )
}

/// The PostgreSQL server's settings that bound the soak's figures.
fn postgres_settings(store: &almanac_store::Store) -> anyhow::Result<String> {
    const NAMES: [&str; 6] = [
        "server_version",
        "autovacuum",
        "shared_buffers",
        "max_wal_size",
        "checkpoint_timeout",
        "synchronous_commit",
    ];
    let values = store.read_blocking(|c| {
        NAMES
            .iter()
            .map(|name| {
                let mut row = c
                    .query_opt("SELECT current_setting($1)", &[name.to_string().into()])?
                    .ok_or_else(|| StoreError::Internal(format!("no setting {name}")))?;
                Ok(format!("{name} {}", row.text(0)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })?;
    Ok(values.join(", "))
}

struct Serve {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn start_serve(db_url: &str, dir: &std::path::Path) -> anyhow::Result<Serve> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--listen",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            db_url,
        ])
        .arg("--config")
        .arg(dir.join("almanac.toml"))
        .arg("--policies")
        .arg(dir.join("policies"))
        .env("ALMANAC_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting almanac serve --listen")?;
    let stdout = child.stdout.take().context("its standard output")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().context("serve exited before it listened")??;
        if let Some(url) = line.strip_prefix("almanac listening on ") {
            break url.trim().trim_start_matches("http://").to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Serve {
        child,
        addr: url.parse()?,
    })
}

pub fn run(args: &SoakArgs) -> anyhow::Result<()> {
    let optional =
        |flag: &str, v: Option<u64>| v.map(|v| format!(" --{flag} {v}")).unwrap_or_default();
    println!(
        "# almanac bench soak --engine {:?} --minutes {} --fraction {} --results {}{}{}",
        args.engine,
        args.minutes,
        args.fraction,
        args.results,
        optional("sqlite-cache-mib", args.sqlite_cache_mib),
        optional("sqlite-mmap-mib", args.sqlite_mmap_mib),
    );
    for engine in super::engines(args.engine) {
        soak(engine, args)?;
    }
    Ok(())
}

fn soak(engine: Engine, args: &SoakArgs) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    if engine == Engine::Postgres {
        println!("{engine:8} server: {}", postgres_settings(&store)?);
    }
    let builds = load_results(&store, engine, args.results)?;
    drop(store);
    let dir = std::env::temp_dir().join(format!("almanac-soak-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("policies"))?;
    std::fs::write(dir.join("policies/policies.yaml"), policies_yaml(20))?;
    let prefix = format!(
        "soak{}{}",
        std::process::id(),
        engine.to_string().to_lowercase()
    );
    let queue = format!("almanac-{prefix}");
    let mut config = format!(
        "[bus]\namqp_url = \"{}\"\nqueue = \"{queue}\"\ntopics = [\"org.centos.{prefix}.#\"]\npublish_prefix = \"{prefix}.\"\n",
        args.amqp_url
    );
    config.push_str("[store]\n");
    if let Some(mib) = args.sqlite_cache_mib {
        config.push_str(&format!("sqlite_cache_mib = {mib}\n"));
    }
    if let Some(mib) = args.sqlite_mmap_mib {
        config.push_str(&format!("sqlite_mmap_mib = {mib}\n"));
    }
    std::fs::write(dir.join("almanac.toml"), config)?;
    let serve = start_serve(&db.url, &dir)?;
    let pid = serve.child.id();
    let runtime = crate::serve::runtime()?;
    let opts = Options {
        url: args.amqp_url.clone(),
        exchange: "amq.topic".into(),
        queue: queue.clone(),
        topics: vec![format!("org.centos.{prefix}.#")],
        prefetch: 100,
    };
    let store = db.store();
    runtime.block_on(async {
        let addr = serve.addr;
        // The peak: as fast as 8 clients go for 20 s, the HTTP kinds in their shares.
        let peak = super::run_phase("peak (closed loop, 8 clients)", addr, 8, Duration::from_secs(20), move |rng| {
            let n = rng.next_u64();
            let mut kind = kind_at(n);
            if kind == Kind::Bus {
                kind = Kind::Lookup;
            }
            request(kind, rng, builds, n)
        })
        .await?;
        let peak_rate = peak.rate();
        let mut peak = peak;
        peak.print(engine);
        let rate = peak_rate * args.fraction;
        println!(
            "{engine:8} load: {rate:.0} operations/s ({:.0}% of the peak), {:?} in shares {MIX:?}, for {} min",
            args.fraction * 100.0,
            MIX.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            args.minutes
        );

        let window = Arc::new(Mutex::new(Window::default()));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(args.minutes * 60);
        let workers = 16u64;
        let period = Duration::from_secs_f64(workers as f64 / rate);
        let mut tasks = Vec::new();
        for w in 0..workers {
            let window = window.clone();
            let opts = opts.clone();
            let prefix = prefix.clone();
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await?;
                let (conn, channel) = amqp::open(&opts).await.map_err(|e| anyhow::anyhow!(e))?;
                let mut rng = Rng::new(7_000 + w);
                let offset = period.mul_f64(w as f64 / workers as f64);
                for i in 0u64.. {
                    let due = started + offset + period.mul_f64(i as f64);
                    if due >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                    let n = i * workers + w;
                    let kind = kind_at(n);
                    let ok = if kind == Kind::Bus {
                        let (topic, body) = message(n as usize, &prefix);
                        let mut props = BasicProperties::default();
                        props
                            .with_message_id(&format!("{prefix}-{n}"))
                            .with_content_type("application/json")
                            .with_persistence(true);
                        channel
                            .basic_publish(props, body.to_string().into_bytes(), BasicPublishArguments::new("amq.topic", &topic))
                            .await
                            .is_ok()
                    } else {
                        let (method, path, body, expected) = request(kind, &mut rng, builds, n);
                        match client.request(method, &path, body.as_deref().map(str::as_bytes)).await {
                            Ok((status, _)) => status == expected,
                            Err(_) => {
                                client = Client::connect(addr).await?;
                                false
                            }
                        }
                    };
                    let latency = due.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    let mut win = window.lock().unwrap();
                    win.latencies.entry(kind).or_default().push(latency);
                    if kind == Kind::Bus {
                        win.bus_published += 1;
                    }
                    if !ok {
                        win.errors += 1;
                    }
                }
                channel.close().await.ok();
                conn.close().await.ok();
                anyhow::Ok(())
            }));
        }

        println!(
            "{engine:8} {:>5} {:>7} {:>16} {:>16} {:>16} {:>16} {:>16} {:>7} {:>9} {:>22}  MiB heap (sqlite cache/stmts) page pool (+heap) arenas threads",
            "min", "ops/s", "write p50/p99", "lookup p50/p99", "latest p50/p99", "decide p50/p99", "bus pub p50/p99",
            "errors", "bus lag", "RSS MiB (anon/file)"
        );
        println!("{engine:8} {:>5} {:>7} (heap: allocated and not freed, SQLite's statements included; SQLite's page buffers are in its pool, outside the heap, or past it)", "", "");
        let mut published_total = 0u64;
        let mut rss = Vec::new();
        let mut heap = Vec::new();
        let mut p99s: Vec<f64> = Vec::new();
        let mut next = started + Duration::from_secs(args.interval);
        while next <= deadline + Duration::from_millis(10) {
            tokio::time::sleep_until(next.into()).await;
            let win = std::mem::take(&mut *window.lock().unwrap());
            published_total += win.bus_published;
            let s = store.clone();
            let journalled = tokio::task::spawn_blocking(move || {
                s.read_blocking(|c| Ok(c.query_opt("SELECT count(*) FROM bus_journal", &[])?.unwrap().int(0)?))
            })
            .await??;
            let ops: usize = win.latencies.values().map(Vec::len).sum();
            let mut cells = Vec::new();
            let mut worst = 0.0f64;
            for kind in [Kind::Write, Kind::Lookup, Kind::Latest, Kind::Decision, Kind::Bus] {
                let mut l = win.latencies.get(&kind).cloned().unwrap_or_default();
                l.sort_unstable();
                let (p50, p99) = (percentile(&l, 0.5), percentile(&l, 0.99));
                if kind != Kind::Bus {
                    worst = worst.max(p99);
                }
                cells.push(format!("{p50:>7.2}/{p99:<8.2}"));
            }
            let (memory, anon, file, threads) = rss_mib(pid);
            let g = gauges(addr).await;
            rss.push(anon);
            heap.push(g.heap);
            p99s.push(worst);
            println!(
                "{engine:8} {:>5.0} {:>7.0} {} {:>7} {:>9} {:>8.1} ({anon:.1}/{file:.1})  heap {:.1} ({:.1}/{:.1}) pool {:.1} (+{:.1}) arenas {:.1} threads {threads}",
                started.elapsed().as_secs_f64() / 60.0,
                ops as f64 / args.interval as f64,
                cells.join(" "),
                win.errors,
                published_total as i64 - journalled,
                memory,
                g.heap,
                g.cache,
                g.statements,
                g.pool,
                g.overflow,
                g.arenas,
            );
            next += Duration::from_secs(args.interval);
        }
        for t in tasks {
            t.await.context("a load task")??;
        }
        // What the tasks sent after the last line was printed.
        published_total += window.lock().unwrap().bus_published;
        // The bus catches up, then the summary.
        let want = published_total as i64;
        let caught_up = Instant::now();
        loop {
            let s = store.clone();
            let n = tokio::task::spawn_blocking(move || {
                s.read_blocking(|c| Ok(c.query_opt("SELECT count(*) FROM bus_journal", &[])?.unwrap().int(0)?))
            })
            .await??;
            if n >= want || caught_up.elapsed() > Duration::from_secs(120) {
                println!("{engine:8} bus: {n} of {want} messages journalled {:.1} s after the load stopped", caught_up.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for (what, series) in [("anonymous memory", &rss), ("heap (allocated, not freed)", &heap)] {
            let (Some(first), Some(last)) = (series.first(), series.last()) else {
                continue;
            };
            let settled = series.get(series.len() / 3).copied().unwrap_or(*first);
            println!(
                "{engine:8} {what}: {first:.1} MiB after the first interval, {settled:.1} MiB a third in, {last:.1} MiB at the end ({:+.1}% over the last two thirds); max {:.1} MiB",
                (last - settled) / settled * 100.0,
                series.iter().cloned().fold(0.0, f64::max)
            );
        }
        if !p99s.is_empty() {
            println!(
                "{engine:8} worst HTTP p99 per interval: first {:.2} ms, median {:.2} ms, last {:.2} ms",
                p99s[0],
                {
                    let mut s = p99s.clone();
                    s.sort_by(|a, b| a.total_cmp(b));
                    s[s.len() / 2]
                },
                p99s[p99s.len() - 1]
            );
        }
        if let Ok((conn, ch)) = amqp::open(&opts).await {
            for q in [opts.queue.clone(), amqp::dead_letter_queue(&opts.queue)] {
                let _ = ch.queue_delete(QueueDeleteArguments::new(&q)).await;
            }
            ch.close().await.ok();
            conn.close().await.ok();
        }
        anyhow::Ok(())
    })?;
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
