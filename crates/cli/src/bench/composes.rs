//! `almanac bench composes`: a distribution-sized compose (250,000 rpm
//! entries by default, over 5 variants x 2 arches) written with the
//! productmd writers, imported through `almanac import compose`'s own path,
//! imported again (nothing new), followed by a second compose a week on,
//! then the diff of the two timed.

use super::{Engines, engines};
use crate::sample_composes::Series;
use almanac_ingest::composes::{ImportOptions, import_compose_from};
use almanac_store::Engine;
use almanac_store::testing::TestDb;
use anyhow::Context;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct ComposesArgs {
    /// Which engines (PostgreSQL: a throw-away database on ALMANAC_TEST_POSTGRES_URL's server).
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// Rpm entries per compose (variants x arches x rpms).
    #[arg(long, default_value_t = 250_000)]
    entries: usize,
    /// Packages upgraded between the two composes.
    #[arg(long, default_value_t = 2_000)]
    changes: usize,
    /// Times the diff is run (the best and the median are printed).
    #[arg(long, default_value_t = 5)]
    diff_runs: usize,
}

pub fn run(args: &ComposesArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench composes --engine {:?} --entries {} --changes {} --diff-runs {}",
        args.engine, args.entries, args.changes, args.diff_runs
    );
    let dir = std::env::temp_dir().join(format!("almanac-bench-composes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut series = Series::new(41, args.entries);
    let t = Instant::now();
    let (first, n1) = series.write(&dir, "20261101")?;
    series.evolve(args.changes);
    let (second, n2) = series.write(&dir, "20261108")?;
    println!(
        "generated {} and {} rpm entries with the productmd writers in {:.2} s ({:.1} MiB rpms.json)",
        n1,
        n2,
        t.elapsed().as_secs_f64(),
        std::fs::metadata(first.join("compose/metadata/rpms.json"))?.len() as f64 / 1048576.0
    );
    for engine in engines(args.engine) {
        bench(engine, args, &first, &second)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn bench(
    engine: Engine,
    args: &ComposesArgs,
    first: &std::path::Path,
    second: &std::path::Path,
) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let opts = ImportOptions::default();
    let import = |path: &std::path::Path, what: &str| -> anyhow::Result<()> {
        let t = Instant::now();
        let s = import_compose_from(&store, path.to_str().context("path")?, &opts)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{engine:8} {what:34} {:>9.2} s  {:>9.0} entries/s  ({} entries, {} new links, {} images)",
            secs,
            s.rpms as f64 / secs,
            s.rpms,
            s.new_rpms,
            s.images
        );
        Ok(())
    };
    import(first, "import compose 1")?;
    import(first, "import compose 1 again")?;
    import(second, "import compose 2 (a week on)")?;
    let (old, new) = ("Fedora-41-20261101.n.0", "Fedora-41-20261108.n.0");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..args.diff_runs.max(1) {
        let t = Instant::now();
        let d = store
            .read_blocking(move |c| almanac_store::composes::diff(c, old, new))?
            .map_err(|m| anyhow::anyhow!("no compose {m}"))?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        last = Some(d);
    }
    times.sort_by(f64::total_cmp);
    let d = last.expect("one run at least");
    let t = Instant::now();
    let text = almanac_model::compose_diff::render_text(&d, false);
    let render_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "{engine:8} {:34} {:>9.1} ms best, {:.1} ms median  ({} trees, {} unchanged, {} added, {} removed, {} upgraded, {} downgraded, {} images resized; text {:.1} ms, {} lines)",
        "diff compose 1 -> compose 2",
        times[0],
        times[times.len() / 2],
        d.trees.len(),
        d.totals.unchanged,
        d.totals.added,
        d.totals.removed,
        d.totals.upgraded,
        d.totals.downgraded,
        d.totals.images_resized,
        render_ms,
        text.lines().count()
    );
    Ok(())
}
