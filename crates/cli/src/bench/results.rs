//! `almanac bench results`: bulk load through the store's write path, then
//! POST rate and lookup latencies over HTTP on loopback.

use super::{Phase, ResultsArgs, SyncArg, run_phase};
use crate::sample::{Rng, build_nvr, build_results, build_results_json, days_ago_ms};
use almanac_api::{ApiSettings, AppState, launch, router};
use almanac_store::testing::TestDb;
use almanac_store::{Actor, Engine, Store, StoreError, StoreOptions};
use anyhow::Context;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn results_bench(engine: Engine, args: &ResultsArgs) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store_with(StoreOptions {
        sqlite_sync: match args.sqlite_sync {
            SyncArg::Full => almanac_store::SqliteSync::Full,
            SyncArg::Normal => almanac_store::SqliteSync::Normal,
        },
        ..StoreOptions::default()
    });
    let builds = load_results(&store, engine, args.results)?;

    let runtime = crate::serve::runtime()?;
    let phases = runtime.block_on(http_phases(store.clone(), builds, args))?;
    for mut p in phases {
        p.print(engine);
    }
    drop(runtime);
    drop(store);
    drop(db);
    Ok(())
}

/// Bulk-loads about `results` sample results (12 a build, over a year)
/// through the store's own write path, then ANALYZEs; prints the rate and
/// answers the number of builds.
pub fn load_results(store: &Store, engine: Engine, results: usize) -> anyhow::Result<u64> {
    let per_build = build_results(&mut Rng::new(1), &build_nvr(0), 0).len();
    let builds = results.div_ceil(per_build).max(1) as u64;
    let mut rng = Rng::new(42);
    let started = Instant::now();
    let mut store_time = Duration::ZERO;
    let mut loaded = 0usize;
    let mut batch = Vec::new();
    for b in 0..builds {
        let start = days_ago_ms(365.0 * (builds - b) as f64 / builds as f64);
        batch.extend(build_results(&mut rng, &build_nvr(b), start));
        if batch.len() >= 20_000 || b + 1 == builds {
            loaded += batch.len();
            let t = Instant::now();
            store.submit_results_blocking(std::mem::take(&mut batch), Actor::anonymous("bench"))?;
            store_time += t.elapsed();
        }
    }
    let wall = started.elapsed();
    match engine {
        Engine::Sqlite => store.write_blocking(|c| Ok::<_, StoreError>(c.batch("ANALYZE")?))?,
        Engine::Postgres => store.read_blocking(|c| Ok(c.batch("VACUUM ANALYZE")?))?,
    }
    println!(
        "{engine:8} bulk load {loaded} results ({builds} builds): {:.1} s in the store ({:.0} results/s), {:.1} s with generation",
        store_time.as_secs_f64(),
        loaded as f64 / store_time.as_secs_f64(),
        wall.as_secs_f64()
    );
    Ok(builds)
}

async fn http_phases(store: Store, builds: u64, args: &ResultsArgs) -> anyhow::Result<Vec<Phase>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(AppState::new(store, ApiSettings::default()));
    let server = tokio::spawn(launch(listener, app, async {
        let _ = stopped.await;
    }));
    let duration = Duration::from_secs(args.seconds);
    let mut phases = Vec::new();

    let wanted = |p: &str| args.phase.as_deref().is_none_or(|w| w == p);
    // POST: each request a new result for a random existing build. Bodies are
    // made before the clock starts, so the client spends its share of the two
    // cores on sending, not on composing.
    if wanted("post") {
        let mut rng = Rng::new(7);
        let bodies: Arc<Vec<String>> = Arc::new(
            (0..20_000)
                .map(|_| {
                    let nvr = build_nvr(rng.below(builds));
                    let mut results = build_results_json(&mut rng, &nvr, days_ago_ms(0.0));
                    let pick = rng.below(results.len() as u64) as usize;
                    results.swap_remove(pick).to_string()
                })
                .collect(),
        );
        phases.push(
            run_phase(
                "POST /api/v2.0/results",
                addr,
                args.clients,
                duration,
                move |rng| {
                    let body = bodies[rng.below(bodies.len() as u64) as usize].clone();
                    ("POST", "/api/v2.0/results".to_string(), Some(body), 201)
                },
            )
            .await?,
        );
    }
    type PathFor = fn(&str) -> String;
    let lookups: [(&str, PathFor); 3] = [
        ("GET /api/v2.0/results?item=X", |nvr| {
            format!("/api/v2.0/results?item={nvr}")
        }),
        ("GET /api/v2.0/results?item=X&testcases=a,b", |nvr| {
            format!("/api/v2.0/results?item={nvr}&testcases=dist.rpmlint,dist.abicheck")
        }),
        ("GET /api/v2.0/results/latest?item=X", |nvr| {
            format!("/api/v2.0/results/latest?item={nvr}")
        }),
    ];
    for (name, path) in lookups.into_iter().filter(|_| wanted("lookups")) {
        phases.push(
            run_phase(name, addr, args.clients, duration, move |rng| {
                ("GET", path(&build_nvr(rng.below(builds))), None, 200)
            })
            .await?,
        );
    }
    let _ = stop.send(());
    server.await.context("server task")??;
    Ok(phases)
}
