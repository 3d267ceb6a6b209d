//! Writing units through the listener's domain operations: a batch of
//! units in one transaction with one changeset; a batch that fails is
//! written again one unit at a time, so one bad unit costs only itself and
//! is listed with why. Composes are imported one by one (each is its own
//! large transaction).

use super::{Progress, SourceName, Unit, UnitWrite};
use crate::bus::builds::{self, GRAPH_SOURCE};
use crate::bus::handler::HandlerError;
use crate::bus::people;
use crate::composes::{ImportOptions, import_compose_from};
use almanac_store::changes::{self, Actor, Change};
use almanac_store::{Conn, Store, graph};

/// Units per transaction.
const BATCH: usize = 200;

/// What a write did.
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    /// The units that changed something.
    pub written: Vec<String>,
    /// The units that found everything there.
    pub unchanged: usize,
    /// The units that could not be written, and why.
    pub errors: Vec<(String, String)>,
}

fn reason(e: HandlerError) -> String {
    match e {
        HandlerError::Failed(why) | HandlerError::Unavailable(why) => why,
        HandlerError::Store(e) => e.to_string(),
    }
}

/// Writes a batch: the builds' rpms and edges and the packages in bulk,
/// people one by one; answers which units changed anything.
fn write_batch(
    c: &mut dyn Conn,
    units: &[Unit],
    changes: &mut Vec<Change>,
) -> Result<Vec<bool>, HandlerError> {
    let mut out = vec![false; units.len()];
    let mut packages = Vec::new();
    let mut inputs = Vec::new();
    let mut edges = Vec::new();
    let mut releases = std::collections::BTreeSet::new();
    // Per build unit: where its rpms start and end in `inputs`.
    let mut spans = Vec::new();
    for (i, u) in units.iter().enumerate() {
        match &u.write {
            UnitWrite::Build {
                release,
                build,
                rpms,
            } => {
                releases.insert(release.as_str());
                let from = inputs.len();
                inputs.extend(builds::rpm_inputs(build, rpms, release));
                spans.push((i, from, inputs.len()));
                edges.extend(builds::build_edges(build, rpms));
            }
            UnitWrite::Package(p) => packages.push((i, p.clone())),
            UnitWrite::Person { name, email } => {
                out[i] = people::ensure_person(c, name, email, true, changes)?;
            }
            UnitWrite::Compose { .. } => {
                return Err(HandlerError::Failed(
                    "a compose is imported on its own".into(),
                ));
            }
        }
    }
    if !packages.is_empty() {
        let all: Vec<_> = packages.iter().map(|(_, p)| p.clone()).collect();
        let changed = almanac_store::components::ensure_packages(c, &all, changes)?;
        for (i, p) in &packages {
            out[*i] = changed.contains(&p.name);
        }
    }
    if inputs.is_empty() {
        return Ok(out);
    }
    for release in releases {
        if almanac_store::releases::get_release(c, release)?.is_none() {
            return Err(HandlerError::Failed(format!(
                "release {release} does not exist"
            )));
        }
    }
    let newly = almanac_store::packages::link_many(c, &inputs, changes)?;
    graph::add_edges(c, &edges, GRAPH_SOURCE, Some(changes))?;
    for (i, from, to) in spans {
        out[i] = inputs[from..to].iter().any(|r| newly.contains(&r.nevra()));
    }
    Ok(out)
}

/// Writes `units` of `source`, recorded as made through `door` (`import`,
/// `audit`) with `comment`.
pub fn write_units(
    store: &Store,
    source: SourceName,
    units: &[&Unit],
    door: &str,
    comment: &str,
    progress: &mut dyn Progress,
) -> WriteReport {
    let mut report = WriteReport::default();
    let actor = Actor {
        user: None,
        comment: Some(comment.to_string()),
        source: door.to_string(),
    };
    let total = units.len();
    let mut done = 0;
    progress.step(source, "writing", 0, Some(total));
    let (composes, rest): (Vec<&Unit>, Vec<&Unit>) = units
        .iter()
        .partition(|u| matches!(u.write, UnitWrite::Compose { .. }));
    for u in composes {
        let UnitWrite::Compose { location } = &u.write else {
            continue;
        };
        match import_compose_from(store, location, &ImportOptions::default()) {
            Ok(s) if s.created => report.written.push(u.label.clone()),
            Ok(_) => report.unchanged += 1,
            Err(e) => report.errors.push((u.label.clone(), e.to_string())),
        }
        done += 1;
        progress.step(source, "writing", done, Some(total));
    }
    for batch in rest.chunks(BATCH) {
        let owned: Vec<Unit> = batch.iter().map(|u| (*u).clone()).collect();
        let a = actor.clone();
        let all = store.write_blocking(move |c| -> Result<Vec<bool>, HandlerError> {
            let mut changes = Vec::new();
            let out = write_batch(c, &owned, &mut changes)?;
            changes::record(c, &a, changes)?;
            Ok(out)
        });
        match all {
            Ok(changed) => {
                for (u, ch) in batch.iter().zip(changed) {
                    if ch {
                        report.written.push(u.label.clone());
                    } else {
                        report.unchanged += 1;
                    }
                }
            }
            // One at a time, to tell which unit fails and keep the others.
            Err(_) => {
                for u in batch {
                    let one = (*u).clone();
                    let a = actor.clone();
                    let r = store.write_blocking(move |c| -> Result<bool, HandlerError> {
                        let mut changes = Vec::new();
                        let ch = write_batch(c, std::slice::from_ref(&one), &mut changes)?;
                        changes::record(c, &a, changes)?;
                        Ok(ch[0])
                    });
                    match r {
                        Ok(true) => report.written.push(u.label.clone()),
                        Ok(false) => report.unchanged += 1,
                        Err(e) => report.errors.push((u.label.clone(), reason(e))),
                    }
                }
            }
        }
        done += batch.len();
        progress.step(source, "writing", done, Some(total));
    }
    progress.done(source, "writing");
    report
}
