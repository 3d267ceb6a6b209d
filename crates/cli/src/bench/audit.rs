//! `almanac bench audit`: an initial population and a full audit at
//! distribution scale from local sources: a compose tree of 50 composes
//! of 10,000 rpm entries (written with the productmd writers), and
//! `tests/python/fake_sources.py` serving koji (XML-RPC, 80,000 rpms in 4
//! tags), dist-git's pagure API (25,000 packages) and FASJSON (10,000
//! users). Each source's read and write are timed apart, so it shows
//! whether the source or Almanac bounds the population.

use super::{Engines, engines};
use crate::sample_composes::Series;
use almanac_ingest::reconcile::{self, Locations, Quiet, SourceName};
use almanac_model::audit::Thresholds;
use almanac_store::releases::{DistGit, Release, save_release};
use almanac_store::testing::TestDb;
use almanac_store::{Engine, Store, StoreError};
use anyhow::Context;
use serde_json::json;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// dist-git packages.
    #[arg(long, default_value_t = 25_000)]
    packages: usize,
    /// Rpms in koji, over 4 tags (4 rpms a build).
    #[arg(long, default_value_t = 80_000)]
    rpms: usize,
    /// Composes in the tree.
    #[arg(long, default_value_t = 50)]
    composes: usize,
    /// Rpm entries per compose.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// Accounts.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
}

const TAGS: [(&str, &str, &str, Option<&str>); 4] = [
    ("f40", "fedora-40", "ga", Some("f40")),
    ("f40-updates", "fedora-40-updates", "updates", None),
    ("f41", "fedora-41", "ga", Some("f41")),
    ("f41-updates", "fedora-41-updates", "updates", None),
];

fn data(args: &AuditArgs, path: &Path) -> anyhow::Result<()> {
    let per_tag = args.rpms / 4 / 4;
    let mut builds = Vec::new();
    let mut rpms = serde_json::Map::new();
    let mut tags = serde_json::Map::new();
    let mut id = 1000;
    for (t, (tag, _, _, _)) in TAGS.iter().enumerate() {
        let mut ids = Vec::new();
        for b in 0..per_tag {
            id += 1;
            let name = format!("pkg{:05}", b % args.packages.max(1));
            let release = format!("{}.fc{}", t + 1, if t < 2 { 40 } else { 41 });
            builds.push(
                json!({"id": id, "name": name, "version": "1.0", "release": release,
                "epoch": null, "nvr": format!("{name}-1.0-{release}"), "state": 1, "extra": null}),
            );
            let list: Vec<_> = ["x86_64", "aarch64", "noarch", "src"]
                .iter()
                .enumerate()
                .map(|(k, arch)| {
                    let n = if *arch == "noarch" { format!("{name}-doc") } else { name.clone() };
                    json!({"id": id * 10 + k as i64, "name": n, "version": "1.0", "release": release,
                           "arch": arch, "epoch": null, "build_id": id})
                })
                .collect();
            rpms.insert(id.to_string(), json!(list));
            ids.push(id);
        }
        tags.insert(tag.to_string(), json!(ids));
    }
    let projects: Vec<_> = (0..args.packages)
        .map(|i| json!({"name": format!("pkg{i:05}"), "branches": ["rawhide", "f40", "f41"]}))
        .collect();
    let users: Vec<_> = (0..args.users).map(|i| format!("user{i:05}")).collect();
    let d = json!({"builds": builds, "rpms": rpms, "tags": tags, "projects": {"rpms": projects}, "users": users});
    std::fs::write(path, d.to_string())?;
    Ok(())
}

fn releases(store: &Store) -> anyhow::Result<()> {
    store.write_blocking(|c| {
        let mut changes = Vec::new();
        for (_, id, rtype, branch) in TAGS {
            let r = Release {
                id: 0,
                release_id: id.into(),
                short: "fedora".into(),
                version: id.split('-').nth(1).unwrap_or("0").into(),
                name: "Fedora".into(),
                base_product: None,
                active: true,
                product_version: None,
                release_type: rtype.into(),
                compose_set: Vec::new(),
                integrated_with: None,
                sigkey: None,
                allow_buildroot_push: false,
                allowed_debuginfo_services: Vec::new(),
                allowed_push_targets: Vec::new(),
                bugzilla: None,
                dist_git: branch.map(|b| DistGit { branch: b.into() }),
            };
            save_release(c, None, &r, &mut changes)?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(())
}

/// `fake_sources.py` with the data, stopped when dropped.
struct Sources {
    child: std::process::Child,
    base: String,
}

impl Drop for Sources {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start(data: &Path, calls: &Path) -> anyhow::Result<Sources> {
    let venv = Command::new(repo().join("scripts/py-venv"))
        .output()
        .context("scripts/py-venv (the tests' virtualenv) is needed")?;
    let python = String::from_utf8(venv.stdout)?.trim().to_string();
    let mut child = Command::new(python)
        .arg(repo().join("tests/python/fake_sources.py"))
        .arg(calls)
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting fake_sources.py")?;
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut port)?;
    let port: u16 = port
        .trim()
        .parse()
        .context("fake_sources.py printed no port")?;
    Ok(Sources {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// Times `f`, answering its value and seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

pub fn run(args: &AuditArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench audit --engine {:?} --packages {} --rpms {} --composes {} --entries {} --users {}",
        args.engine, args.packages, args.rpms, args.composes, args.entries, args.users
    );
    let dir = std::env::temp_dir().join(format!("almanac-bench-audit-{}", std::process::id()));
    let tree = dir.join("compose");
    std::fs::create_dir_all(&tree)?;
    let (_, secs) = timed(|| -> anyhow::Result<()> {
        let mut series = Series::new(41, args.entries);
        let start =
            almanac_model::Timestamp::parse_iso8601("2026-01-01T00:00:00Z").context("a time")?;
        for n in 0..args.composes {
            let day =
                almanac_model::Timestamp::from_micros(start.micros() + n as i64 * 86_400_000_000);
            let date = day.to_string()[..10].replace('-', "");
            series.write(&tree, &date)?;
            series.evolve(20);
        }
        data(args, &dir.join("data.json"))
    });
    println!("generated the sources in {secs:.1} s");
    let sources = start(&dir.join("data.json"), &dir.join("calls.jsonl"))?;
    let locations = Locations {
        compose_tree: Some(tree.display().to_string()),
        koji: Some(almanac_ingest::koji::Koji::new(&format!(
            "{}/kojihub",
            sources.base
        ))),
        dist_git: Some(sources.base.clone()),
        dist_git_namespaces: vec!["rpms".into()],
        accounts: Some(format!("{}/fasjson", sources.base)),
        email_domain: "fedoraproject.org".into(),
    };
    for engine in engines(args.engine) {
        bench(engine, &locations)?;
    }
    drop(sources);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn bench(engine: Engine, locations: &Locations) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    releases(&store)?;
    let mut total = 0.0;
    for source in SourceName::ALL {
        // The source read alone (what an import cannot go faster than)...
        let (said, read) = timed(|| reconcile::read_source(&store, locations, source, &mut Quiet));
        let said = said.map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
        // ...then the import, which reads it again and writes.
        let (imported, secs) = timed(|| reconcile::import(&store, locations, source, &mut Quiet));
        let imported = imported.map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
        total += secs;
        println!(
            "{engine:8} import {source:9} {secs:7.1} s  ({} items, {} units written, {} errors; reading the source alone: {read:.1} s)",
            said.keys.len(),
            imported.written.written.len(),
            imported.written.errors.len()
        );
    }
    println!("{engine:8} import, all sources {total:7.1} s");
    let (reports, secs) = timed(|| {
        SourceName::ALL.map(|s| {
            reconcile::audit(
                &store,
                locations,
                s,
                Thresholds::default(),
                false,
                false,
                &mut Quiet,
            )
        })
    });
    let drift: usize = reports.iter().map(|r| r.drift.count()).sum();
    let checked: usize = reports.iter().map(|r| r.checked).sum();
    println!(
        "{engine:8} audit, all sources  {secs:7.1} s  ({checked} items checked, {drift} differences, statuses {})",
        reports
            .iter()
            .map(|r| format!("{}={}", r.source, r.status.as_str()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}
