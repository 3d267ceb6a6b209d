//! Sample composes, deterministic from a seed, written as pungi lays a
//! compose out (`<top>/STATUS`, `<top>/compose/metadata/*.json`) with the
//! productmd writers, so `bench` and `demo` import them the way a real
//! compose is imported. A series evolves as a distribution does: each
//! compose upgrades a few packages, adds and drops some, and its images grow.

use crate::sample::Rng;
use almanac_model::productmd::{
    ComposeHeader, ImageEntry, Nevra, RpmEntry, RpmsWriter, images_json,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One source package of the distribution.
#[derive(Debug, Clone)]
struct Package {
    name: String,
    epoch: u64,
    version: String,
    /// Bumped by upgrades.
    release: u32,
    /// Binary sub-packages; `true` for noarch.
    binaries: Vec<(String, bool)>,
    /// In which variants (index) it ships.
    variants: Vec<usize>,
}

/// A distribution evolving compose by compose.
pub struct Series {
    rng: Rng,
    pub variants: Vec<&'static str>,
    pub arches: Vec<&'static str>,
    packages: Vec<Package>,
    next_package: usize,
    /// Image sizes by (variant, arch, type), grown at each compose.
    sizes: BTreeMap<(usize, usize, &'static str), u64>,
}

const VARIANTS: [&str; 5] = ["Everything", "Server", "Workstation", "KDE", "XFCE"];
const ARCHES: [&str; 2] = ["aarch64", "x86_64"];

impl Series {
    /// A distribution whose composes list about `entries` rpm entries.
    pub fn new(seed: u64, entries: usize) -> Series {
        let mut s = Series {
            rng: Rng::new(seed),
            variants: VARIANTS.to_vec(),
            arches: ARCHES.to_vec(),
            packages: Vec::new(),
            next_package: 0,
            sizes: BTreeMap::new(),
        };
        // A package lists 1.83 binaries on average, its debuginfo and its
        // source, per arch, in Everything and one more variant: 15.3 entries.
        for _ in 0..(entries * 10 / 153).max(1) {
            let p = s.new_package();
            s.packages.push(p);
        }
        for (v, _) in VARIANTS.iter().enumerate() {
            for (a, _) in ARCHES.iter().enumerate() {
                let (kind, size) = match v {
                    0 => ("boot", 820_000_000),
                    1 => ("dvd", 2_450_000_000),
                    _ => ("live", 2_050_000_000 + 100_000_000 * v as u64),
                };
                s.sizes.insert((v, a, kind), size + 7_000_000 * a as u64);
            }
        }
        s
    }

    fn new_package(&mut self) -> Package {
        let i = self.next_package;
        self.next_package += 1;
        let name = match crate::sample::PACKAGES.get(i) {
            Some(n) => n.to_string(),
            None => format!("pkg-{i:05}"),
        };
        let mut binaries = vec![(name.clone(), false)];
        if self.rng.below(2) == 0 {
            binaries.push((format!("{name}-libs"), false));
        }
        if self.rng.below(3) == 0 {
            binaries.push((format!("{name}-doc"), true));
        }
        let extra = 1 + self.rng.below(VARIANTS.len() as u64 - 1) as usize;
        Package {
            epoch: if self.rng.below(20) == 0 { 1 } else { 0 },
            version: format!(
                "{}.{}.{}",
                1 + self.rng.below(9),
                self.rng.below(30),
                self.rng.below(10)
            ),
            release: 1,
            name,
            binaries,
            variants: vec![0, extra],
        }
    }

    /// Moves the distribution on one compose: `changes` packages upgraded,
    /// a tenth of that added and as many dropped, images grown.
    pub fn evolve(&mut self, changes: usize) {
        for _ in 0..changes {
            let i = self.rng.below(self.packages.len() as u64) as usize;
            self.packages[i].release += 1;
        }
        for _ in 0..(changes / 10).max(1) {
            if self.packages.len() > 1 {
                let i = self.rng.below(self.packages.len() as u64) as usize;
                self.packages.swap_remove(i);
            }
            let p = self.new_package();
            self.packages.push(p);
        }
        for (key, size) in self.sizes.iter_mut() {
            // XFCE's images stay put every other step: nothing to rebuild.
            if key.0 == 4 && self.rng.below(2) == 0 {
                continue;
            }
            *size += *size / 1000 * (3 + self.rng.below(15));
        }
    }

    /// Writes compose `<top>/<id>/` for `date` (`YYYYMMDD`) under `top`;
    /// answers its top directory and the number of rpm entries.
    pub fn write(&self, top: &Path, date: &str) -> std::io::Result<(PathBuf, usize)> {
        let header = ComposeHeader {
            id: format!("Fedora-41-{date}.n.0"),
            date: date.to_string(),
            compose_type: "nightly".into(),
            respin: 0,
            label: None,
            final_: false,
        };
        let dir = top.join(&header.id);
        let metadata = dir.join("compose").join("metadata");
        std::fs::create_dir_all(&metadata)?;
        std::fs::write(dir.join("STATUS"), "FINISHED\n")?;
        std::fs::write(
            metadata.join("composeinfo.json"),
            self.composeinfo(&header).to_string(),
        )?;
        let file = std::fs::File::create(metadata.join("rpms.json"))?;
        let mut w = RpmsWriter::new(std::io::BufWriter::with_capacity(1 << 20, file), &header)?;
        let mut entries = 0;
        for (v, variant) in self.variants.iter().enumerate() {
            for arch in &self.arches {
                let mut in_tree: Vec<&Package> = self
                    .packages
                    .iter()
                    .filter(|p| p.variants.contains(&v))
                    .collect();
                in_tree.sort_by(|a, b| a.name.cmp(&b.name));
                for p in in_tree {
                    entries += self.write_package(&mut w, variant, arch, p)?;
                }
            }
        }
        w.finish()?.flush()?;
        std::fs::write(
            metadata.join("images.json"),
            images_json(&header, &self.images(&header)).to_string(),
        )?;
        Ok((dir, entries))
    }

    fn write_package<W: Write>(
        &self,
        w: &mut RpmsWriter<W>,
        variant: &str,
        arch: &str,
        p: &Package,
    ) -> std::io::Result<usize> {
        let evr = format!("{}:{}-{}.fc41", p.epoch, p.version, p.release);
        let nevra = |name: &str, a: &str| {
            Nevra::parse(&format!("{name}-{evr}.{a}")).expect("generated NEVRAs parse")
        };
        let srpm = nevra(&p.name, "src");
        let letter = p.name.chars().next().unwrap_or('x').to_ascii_lowercase();
        let mut entry = |rpm: Nevra, dir: String, sigkey: Option<&str>, category: &str| {
            let file = format!(
                "{}-{}-{}.{}.rpm",
                rpm.name(),
                rpm.version(),
                rpm.release(),
                rpm.arch()
            );
            w.push(&RpmEntry {
                variant: variant.to_string(),
                arch: arch.to_string(),
                srpm: srpm.clone(),
                rpm,
                path: format!("{dir}/Packages/{letter}/{file}"),
                sigkey: sigkey.map(str::to_string),
                category: category.to_string(),
            })
        };
        let mut n = 0;
        // Sorted by NEVRA, as productmd writes them.
        let mut rpms: Vec<(Nevra, String, Option<&str>, &str)> = Vec::new();
        for (name, noarch) in &p.binaries {
            rpms.push((
                nevra(name, if *noarch { "noarch" } else { arch }),
                format!("{variant}/{arch}/os"),
                Some("e99d6ad1"),
                "binary",
            ));
        }
        rpms.push((
            nevra(&format!("{}-debuginfo", p.name), arch),
            format!("{variant}/{arch}/debug/tree"),
            None,
            "debug",
        ));
        rpms.push((
            srpm.clone(),
            format!("{variant}/source/tree"),
            Some("e99d6ad1"),
            "source",
        ));
        for (rpm, dir, key, category) in rpms {
            entry(rpm, dir, key, category)?;
            n += 1;
        }
        Ok(n)
    }

    fn composeinfo(&self, header: &ComposeHeader) -> serde_json::Value {
        let mut variants = serde_json::Map::new();
        for v in &self.variants {
            let paths = |kind: &str| -> serde_json::Value {
                self.arches
                    .iter()
                    .map(|a| (a.to_string(), json!(format!("{v}/{a}/{kind}"))))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            };
            variants.insert(
                v.to_string(),
                json!({
                    "id": v, "uid": v, "name": format!("Fedora {v}"), "type": "variant",
                    "arches": self.arches,
                    "paths": {"os_tree": paths("os"), "packages": paths("os/Packages"), "repository": paths("os"), "isos": paths("iso")},
                }),
            );
        }
        json!({
            "header": {"type": "productmd.composeinfo", "version": "1.2"},
            "payload": {
                "compose": header.to_json(),
                "release": {"name": "Fedora", "short": "Fedora", "version": "41", "type": "ga", "internal": false},
                "variants": variants,
            }
        })
    }

    fn images(&self, header: &ComposeHeader) -> Vec<ImageEntry> {
        self.sizes
            .iter()
            .map(|(&(v, a, kind), &size)| {
                let (variant, arch) = (self.variants[v], self.arches[a]);
                let file_name =
                    format!("Fedora-{variant}-{kind}-{arch}-41-{}.n.0.iso", header.date);
                ImageEntry {
                    variant: variant.to_string(),
                    arch: arch.to_string(),
                    image_arch: arch.to_string(),
                    path: format!("{variant}/{arch}/iso/{file_name}"),
                    file_name: file_name.clone(),
                    size,
                    mtime: 1_780_000_000,
                    volume_id: Some(format!("Fedora-{}-{kind}-{arch}-41", &variant[..1])),
                    image_type: kind.to_string(),
                    format: "iso".into(),
                    disc_number: 1,
                    disc_count: 1,
                    checksums: [("sha256".to_string(), format!("{:064x}", hash(&file_name)))]
                        .into(),
                    implant_md5: None,
                    bootable: true,
                    subvariant: variant.to_string(),
                    unified: false,
                    additional_variants: Vec::new(),
                }
            })
            .collect()
    }
}

/// A stable 64-bit hash of a string (FNV-1a), for sample checksums.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `almanac demo`'s composes: `count` weekly nightlies of Fedora 41 (about
/// 6,000 rpm entries each, images growing), imported the way `almanac
/// import compose` imports them; the older ones accepted by QE. Answers
/// their ids, oldest first.
pub fn fill_composes(store: &almanac_store::Store, count: usize) -> anyhow::Result<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("almanac-demo-composes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut series = Series::new(2026, 6_000);
    let start = almanac_model::Timestamp::now().micros() / 1_000_000 - count as i64 * 7 * 86_400;
    let mut ids = Vec::new();
    for week in 0..count {
        if week > 0 {
            series.evolve(60);
        }
        let (y, m, d, ..) =
            almanac_model::Timestamp::from_micros((start + week as i64 * 7 * 86_400) * 1_000_000)
                .to_civil();
        let (top, _) = series.write(&dir, &format!("{y:04}{m:02}{d:02}"))?;
        let s = almanac_ingest::composes::import_compose_from(
            store,
            top.to_str().unwrap_or_default(),
            &Default::default(),
        )?;
        ids.push(s.compose.compose_id);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let accepted: Vec<String> = ids.iter().take(count.saturating_sub(2)).cloned().collect();
    store.write_blocking(move |c| {
        let mut changes = Vec::new();
        for id in &accepted {
            if let Some(old) = almanac_store::composes::get_compose(c, id)? {
                let patch = almanac_store::composes::ComposePatch {
                    acceptance_testing: Some("passed".into()),
                    ..Default::default()
                };
                almanac_store::composes::update_compose(c, &old, &patch, &mut changes)?;
            }
        }
        almanac_store::changes::record(c, &almanac_store::Actor::anonymous("demo"), changes)
    })?;
    Ok(ids)
}
