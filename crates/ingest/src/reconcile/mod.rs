//! Trust but verify: what each source says it holds, read from the source
//! itself (not the bus), against what Almanac holds, on the same normalised
//! keys. The import writes what is missing; the audit reports the drift
//! (missing, extra, different) and, asked to repair, writes what is
//! missing or different. Every write goes through the listener's own
//! domain operations ([`crate::bus`]'s handlers), in batches, recorded in
//! changesets that say who made them.

mod read;
mod write;

pub use read::read_source;
pub use write::{WriteReport, write_units};

use crate::koji::{Build, Koji, Rpm};
use almanac_model::audit::{Drift, Status, Thresholds};
use almanac_store::{Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The sources Almanac can read directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceName {
    Composes,
    Koji,
    DistGit,
    Accounts,
}

impl SourceName {
    pub const ALL: [SourceName; 4] = [
        SourceName::Composes,
        SourceName::Koji,
        SourceName::DistGit,
        SourceName::Accounts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceName::Composes => "composes",
            SourceName::Koji => "koji",
            SourceName::DistGit => "dist-git",
            SourceName::Accounts => "accounts",
        }
    }

    pub fn parse(s: &str) -> Option<SourceName> {
        SourceName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

impl std::fmt::Display for SourceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the sources are.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// A directory or an HTTP URL holding one directory per compose.
    pub compose_tree: Option<String>,
    pub koji: Option<Koji>,
    /// dist-git's pagure, whose API is under `/api/0/`.
    pub dist_git: Option<String>,
    /// The dist-git namespaces whose projects are components.
    pub dist_git_namespaces: Vec<String>,
    /// FASJSON, whose users are under `/v1/users/`.
    pub accounts: Option<String>,
    /// The domain of people's addresses.
    pub email_domain: String,
}

impl Locations {
    /// Where `source` is, for messages; `None` when it is not configured.
    pub fn of(&self, source: SourceName) -> Option<String> {
        match source {
            SourceName::Composes => self.compose_tree.clone(),
            SourceName::Koji => self.koji.as_ref().map(|k| k.url().to_string()),
            SourceName::DistGit => self.dist_git.clone(),
            SourceName::Accounts => self.accounts.clone(),
        }
    }
}

/// What made progress, for a bar or a line.
pub trait Progress {
    /// `done` of `total` (when known) of `what` ("reading", "writing") for `source`.
    fn step(&mut self, source: SourceName, what: &str, done: usize, total: Option<usize>);
    /// `what` is finished.
    fn done(&mut self, _source: SourceName, _what: &str) {}
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {
    fn step(&mut self, _: SourceName, _: &str, _: usize, _: Option<usize>) {}
}

/// What a source says: its holdings as keys and values (of `field`), and
/// the writes that make Almanac hold them.
#[derive(Debug, Clone)]
pub struct Said {
    pub source: SourceName,
    pub field: &'static str,
    pub keys: BTreeMap<String, String>,
    pub units: Vec<Unit>,
}

/// One write: the keys it makes held.
#[derive(Debug, Clone)]
pub struct Unit {
    pub keys: Vec<String>,
    pub label: String,
    pub write: UnitWrite,
}

#[derive(Debug, Clone)]
pub enum UnitWrite {
    Compose {
        location: String,
    },
    Build {
        release: String,
        build: Build,
        rpms: Vec<Rpm>,
    },
    Package(almanac_store::components::PackageInput),
    Person {
        name: String,
        email: String,
    },
}

/// What Almanac holds of a source's keys.
pub fn held(store: &Store, said: &Said) -> Result<BTreeMap<String, String>, StoreError> {
    read::held(store, said)
}

/// The units that write any of `keys`.
pub fn units_for<'a>(said: &'a Said, keys: &BTreeSet<&str>) -> Vec<&'a Unit> {
    said.units
        .iter()
        .filter(|u| u.keys.iter().any(|k| keys.contains(k.as_str())))
        .collect()
}

/// What an import of one source did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Items the source listed.
    pub checked: usize,
    /// Of which Almanac held already.
    pub already: usize,
    pub written: WriteReport,
}

/// Imports one source: writes what it holds that Almanac does not (so a
/// second run, or one after an interruption, writes only what is left).
/// An error means the source could not be read.
pub fn import(
    store: &Store,
    locations: &Locations,
    source: SourceName,
    progress: &mut dyn Progress,
) -> Result<Imported, String> {
    let at = locations.of(source).unwrap_or_default();
    let said = read_source(store, locations, source, progress)?;
    let ours = held(store, &said).map_err(|e| format!("reading Almanac: {e}"))?;
    let missing: BTreeSet<&str> = said
        .keys
        .keys()
        .filter(|k| !ours.contains_key(*k))
        .map(String::as_str)
        .collect();
    let units = units_for(&said, &missing);
    let written = write_units(
        store,
        source,
        &units,
        "import",
        &format!("imported from {source} ({at})"),
        progress,
    );
    Ok(Imported {
        checked: said.keys.len(),
        already: said.keys.len() - missing.len(),
        written,
    })
}

/// One source's audit.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub source: SourceName,
    pub status: Status,
    /// Items the source listed.
    pub checked: usize,
    pub drift: Drift,
    /// Why the source is UNKNOWN.
    pub error: Option<String>,
    pub thresholds: Thresholds,
    /// What the repair wrote (or, in a dry run, would write).
    pub repairs: Vec<String>,
    pub repair_errors: Vec<(String, String)>,
}

/// Audits one source: reads it, compares, and (with `repair`) writes what
/// is missing or different, unless `dry_run`.
pub fn audit(
    store: &Store,
    locations: &Locations,
    source: SourceName,
    thresholds: Thresholds,
    repair: bool,
    dry_run: bool,
    progress: &mut dyn Progress,
) -> Report {
    let unknown = |error: String| Report {
        source,
        status: Status::Unknown,
        checked: 0,
        drift: Drift::default(),
        error: Some(error),
        thresholds,
        repairs: Vec::new(),
        repair_errors: Vec::new(),
    };
    let said = match read_source(store, locations, source, progress) {
        Ok(s) => s,
        Err(e) => return unknown(e),
    };
    let ours = match held(store, &said) {
        Ok(h) => h,
        Err(e) => return unknown(format!("reading Almanac: {e}")),
    };
    let drift = Drift::between(said.field, &said.keys, &ours);
    let mut report = Report {
        source,
        status: thresholds.status(drift.count()),
        checked: said.keys.len(),
        drift,
        error: None,
        thresholds,
        repairs: Vec::new(),
        repair_errors: Vec::new(),
    };
    if repair {
        let wanted: BTreeSet<&str> = report
            .drift
            .missing
            .iter()
            .map(String::as_str)
            .chain(report.drift.differ.iter().map(|d| d.key.as_str()))
            .collect();
        let units = units_for(&said, &wanted);
        if dry_run {
            report.repairs = units.iter().map(|u| u.label.clone()).collect();
        } else {
            let comment = format!("repaired by the audit of {source}");
            let w = write_units(store, source, &units, "audit", &comment, progress);
            report.repairs = w.written;
            report.repair_errors = w.errors;
        }
    }
    report
}
