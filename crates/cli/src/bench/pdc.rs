//! `almanac bench pdc`: the product model at distribution size. Creates, over
//! HTTP with PDC's bulk POSTs, 25,000 global components, their component
//! branches with SLAs and 100,000 release components (4 releases), timing
//! each; then measures the lookups Fedora's tools make most.

use super::{Engines, Phase, engines, http, run_phase};
use crate::sample::Rng;
use almanac_api::{ApiSettings, AppState, launch, router};
use almanac_store::testing::TestDb;
use almanac_store::{Actor, Engine, StoreError, tokens};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct PdcArgs {
    /// Which engines (PostgreSQL: a throw-away database on ALMANAC_TEST_POSTGRES_URL's server).
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// Release components to create (a quarter of them global components).
    #[arg(long, default_value_t = 100_000)]
    components: usize,
    /// Concurrent clients for the lookups.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each lookup measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

const RELEASES: [&str; 4] = ["38", "39", "40", "41"];
/// Items per bulk request.
const BATCH: usize = 1000;

pub fn run(args: &PdcArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench pdc --engine {:?} --components {} --clients {} --seconds {}",
        args.engine, args.components, args.clients, args.seconds
    );
    println!(
        "# {} cores; client and server share them",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for engine in engines(args.engine) {
        bench(engine, args)?;
    }
    Ok(())
}

fn name(i: usize) -> String {
    format!("pkg{i:06}")
}

fn bench(engine: Engine, args: &PdcArgs) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let token = store
        .write_blocking(|c| tokens::create_token(c, "bench", &[], true, &Actor::anonymous("bench")))
        .map_err(|e: StoreError| anyhow::anyhow!(e))?;
    let runtime = crate::serve::runtime()?;
    let phases = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(launch(listener, router(AppState::new(store.clone(), ApiSettings::default())), async {
            let _ = stopped.await;
        }));
        let mut client = http::Client::connect(addr).await?.with_header("Authorization", &format!("Token {token}"));
        let mut post = async |path: &str, body: Value| -> anyhow::Result<()> {
            let (status, answer) = client.request("POST", path, Some(body.to_string().as_bytes())).await?;
            if status != 201 {
                bail!("POST {path}: {status} {}", String::from_utf8_lossy(&answer));
            }
            Ok(())
        };
        post("/rest_api/v1/products/", json!({"name": "Fedora", "short": "fedora"})).await?;
        for v in RELEASES {
            post("/rest_api/v1/releases/", json!({"short": "fedora", "version": v, "name": "Fedora", "release_type": "ga", "dist_git": {"branch": format!("f{v}")}})).await?;
        }
        for sla in ["bug_fixes", "security_fixes"] {
            post("/rest_api/v1/component-sla-types/", json!({"name": sla})).await?;
        }
        let globals = (args.components / RELEASES.len()).max(1);
        let timed = async |what: &str, total: usize, post: &mut dyn FnMut(usize) -> Value, path: &str, client: &mut http::Client| -> anyhow::Result<()> {
            let started = Instant::now();
            let mut done = 0;
            while done < total {
                let n = BATCH.min(total - done);
                let items: Vec<Value> = (done..done + n).map(&mut *post).collect();
                let (status, answer) = client.request("POST", path, Some(Value::Array(items).to_string().as_bytes())).await?;
                if status != 201 {
                    bail!("POST {path}: {status} {}", String::from_utf8_lossy(&answer));
                }
                done += n;
            }
            let secs = started.elapsed().as_secs_f64();
            println!("{engine:8} bulk create {total} {what} in {secs:.1} s: {:.0} per second ({BATCH} a request)", total as f64 / secs);
            // What autovacuum does in production (it may be off on a test server).
            let s = store.clone();
            tokio::task::spawn_blocking(move || match engine {
                Engine::Sqlite => s.write_blocking(|c| Ok::<_, StoreError>(c.batch("ANALYZE")?)),
                Engine::Postgres => s.read_blocking(|c| Ok(c.batch("VACUUM ANALYZE")?)),
            })
            .await??;
            Ok(())
        };
        timed("global components", globals, &mut |i| json!({"name": name(i)}), "/rest_api/v1/global-components/", &mut client).await?;
        // Two branches a component: one supported, one retired long ago.
        timed(
            "component branch SLAs",
            globals * 2,
            &mut |i| {
                let (branch, eol) = if i % 2 == 0 { ("f41", "2099-12-01") } else { ("f30", "2010-06-01") };
                json!({"sla": "bug_fixes", "eol": eol, "branch": {"name": branch, "global_component": name(i / 2), "type": "rpm"}})
            },
            "/rest_api/v1/component-branch-slas/",
            &mut client,
        )
        .await?;
        timed(
            "release components",
            globals * RELEASES.len(),
            &mut |i| json!({"release": format!("fedora-{}", RELEASES[i / globals]), "global_component": name(i % globals), "name": name(i % globals)}),
            "/rest_api/v1/release-components/",
            &mut client,
        )
        .await?;
        let duration = Duration::from_secs(args.seconds);
        let mut phases: Vec<Phase> = Vec::new();
        phases.push(
            run_phase("GET release-components/?release=R&name=N", addr, args.clients, duration, move |rng: &mut Rng| {
                let r = RELEASES[rng.below(RELEASES.len() as u64) as usize];
                ("GET", format!("/rest_api/v1/release-components/?release=fedora-{r}&name={}", name(rng.below(globals as u64) as usize)), None, 200)
            })
            .await?,
        );
        phases.push(
            run_phase("GET component-branches/?global_component=N&active=true", addr, args.clients, duration, move |rng: &mut Rng| {
                ("GET", format!("/rest_api/v1/component-branches/?global_component={}&active=true", name(rng.below(globals as u64) as usize)), None, 200)
            })
            .await?,
        );
        let _ = stop.send(());
        server.await.context("server task")??;
        anyhow::Ok(phases)
    })?;
    for mut p in phases {
        p.print(engine);
    }
    drop(runtime);
    drop(store);
    drop(db);
    Ok(())
}
