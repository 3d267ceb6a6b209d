//! `almanac bench ui`: the server time of each web UI page at the scale of
//! the other benchmarks: 1,000,000 results (with waivers and 20 gating
//! policies), two composes of 250,000 rpm entries a week apart, over HTTP
//! on loopback with a kept-alive connection; the median and the slowest of
//! `--runs` requests per page are printed.

use super::gating::policies_yaml;
use super::http::Client;
use super::results::load_results;
use super::{Engines, engines};
use crate::sample::build_nvr;
use crate::sample_composes::Series;
use almanac_api::gating::GatingSettings;
use almanac_api::{ApiSettings, AppState, launch, router};
use almanac_ingest::composes::{ImportOptions, import_compose_from};
use almanac_store::Engine;
use almanac_store::testing::TestDb;
use anyhow::{Context, bail};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct UiArgs {
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    #[arg(long, default_value_t = 1_000_000)]
    results: usize,
    /// Rpm entries per compose.
    #[arg(long, default_value_t = 250_000)]
    entries: usize,
    /// Requests per page.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

pub fn run(args: &UiArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench ui --engine {:?} --results {} --entries {} --runs {}",
        args.engine, args.results, args.entries, args.runs
    );
    let dir = std::env::temp_dir().join(format!("almanac-bench-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut series = Series::new(41, args.entries);
    let (first, _) = series.write(&dir, "20261101")?;
    series.evolve(2_000);
    let (second, _) = series.write(&dir, "20261108")?;
    for engine in engines(args.engine) {
        bench(engine, args, &first, &second)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn bench(
    engine: Engine,
    args: &UiArgs,
    first: &std::path::Path,
    second: &std::path::Path,
) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let t = Instant::now();
    let builds = load_results(&store, engine, args.results)?;
    let mut ids = Vec::new();
    for path in [first, second] {
        let s = import_compose_from(
            &store,
            path.to_str().context("path")?,
            &ImportOptions::default(),
        )?;
        ids.push(s.compose.compose_id);
    }
    println!(
        "{engine:8} loaded {} results and 2 composes in {:.1} s",
        args.results,
        t.elapsed().as_secs_f64()
    );
    let policies = almanac_model::policies::parse_policies("bench.yaml", &policies_yaml(20))?;
    let settings = ApiSettings {
        gating: GatingSettings {
            policies: Arc::new(policies),
            remote_rule_sources: Vec::new(),
        },
        ..ApiSettings::default()
    };
    let nvr = build_nvr(builds / 2);
    let newest = ids[1].clone();
    let image = store.read_blocking(move |c| {
        let compose = almanac_store::composes::get_compose(c, &newest)?.ok_or_else(|| {
            almanac_store::StoreError::Internal("the imported compose vanished".into())
        })?;
        Ok(almanac_store::composes::compose_images(c, compose.pk)?
            .into_iter()
            .next())
    })?;
    let chart = match image {
        Some(i) => format!(
            "/ui/image-sizes?release=fedora-41&variant={}&arch={}&image_type={}",
            i.variant, i.arch, i.image_type
        ),
        None => bail!("the bench's compose has no images"),
    };
    let new = ids[1].clone();
    let pages: Vec<(&str, String)> = vec![
        ("home", "/ui/".into()),
        ("composes", "/ui/composes".into()),
        ("compose", format!("/ui/composes/{new}")),
        (
            "compose rpms, page 100",
            format!("/ui/composes/{new}?page=100"),
        ),
        (
            "compose rpms, a name",
            format!("/ui/composes/{new}?rpm=pkg-00042"),
        ),
        ("compose diff", format!("/ui/composes/{new}/diff")),
        ("image size chart", chart),
        ("results", "/ui/results".into()),
        ("results of an item", format!("/ui/results?item={nvr}")),
        (
            "results of a testcase",
            "/ui/results?testcase=dist.rpmdeplint".into(),
        ),
        ("results, page 50", "/ui/results?page=50".into()),
        (
            "a result",
            format!("/ui/results/{}", (args.results / 2).max(1)),
        ),
        (
            "gating decision",
            format!("/ui/gating?subject_type=koji_build&subject={nvr}&product_version=fedora-41"),
        ),
        ("releases", "/ui/releases".into()),
        ("a release", "/ui/releases/fedora-41".into()),
        ("bus journal", "/ui/journal".into()),
        ("changesets", "/ui/changesets".into()),
        ("graph", "/ui/graph".into()),
    ];
    let runs = args.runs.max(1);
    let runtime = crate::serve::runtime()?;
    let figures = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(launch(
            listener,
            router(AppState::new(store, settings)),
            async {
                let _ = stopped.await;
            },
        ));
        let mut client = Client::connect(addr).await?;
        let mut out = Vec::new();
        for (name, path) in &pages {
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            let mut bytes = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let (status, body) = client.request("GET", path, None).await?;
                times.push(t.elapsed());
                if status != 200 {
                    let text = String::from_utf8_lossy(&body);
                    let why = text
                        .split("<h1>")
                        .nth(1)
                        .unwrap_or(&text)
                        .chars()
                        .take(200)
                        .collect::<String>();
                    bail!("{path} answered {status}: {why}");
                }
                bytes = body.len();
            }
            times.sort();
            out.push((
                name.to_string(),
                times[times.len() / 2],
                times[times.len() - 1],
                bytes,
            ));
        }
        let _ = stop.send(());
        let _ = server.await;
        anyhow::Ok(out)
    })?;
    for (name, median, worst, bytes) in figures {
        println!(
            "{engine:8} {name:26} median {:7.1} ms  slowest {:7.1} ms  ({} KiB)",
            median.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0,
            bytes / 1024
        );
    }
    Ok(())
}
