//! Reading each source, and what Almanac holds of it, as normalised keys:
//!
//! | source | key | value |
//! |---|---|---|
//! | composes | compose id (its directory in the tree) | `FINISHED` |
//! | koji | `<release> <name-epoch:version-release.arch>` for each rpm of each build tagged into the release's tag | the srpm name |
//! | dist-git | `global <name>`, and `release <release>/<name>/<type>` for each branch a release has | `` |
//! | accounts | username | address |

use super::{Locations, Progress, Said, SourceName, Unit, UnitWrite};
use crate::bus::builds::tag_for_release;
use crate::bus::packages::component_type;
use crate::sources::{accounts, distgit, tree};
use almanac_store::components::PackageInput;
use almanac_store::releases::{self, ReleaseFilter};
use almanac_store::{Store, StoreError, audits};
use std::collections::{BTreeMap, HashMap};

const FINISHED: &str = "FINISHED";

fn not_configured(source: SourceName) -> String {
    let key = match source {
        SourceName::Composes => "[sources] compose_tree",
        SourceName::Koji => "[bus] koji_url (ALMANAC_KOJI_URL)",
        SourceName::DistGit => "[sources] dist_git_url",
        SourceName::Accounts => "[sources] accounts_url",
    };
    format!("{source} is not configured ({key})")
}

/// The active releases, with their dist-git branches.
fn active_releases(store: &Store) -> Result<Vec<(String, Option<String>)>, String> {
    store
        .read_blocking(|c| {
            let f = ReleaseFilter {
                active: Some(true),
                ..Default::default()
            };
            Ok(releases::list_releases(c, &f, &[], None)?
                .1
                .into_iter()
                .map(|r| (r.release_id, r.dist_git.map(|d| d.branch)))
                .collect())
        })
        .map_err(|e: StoreError| format!("reading Almanac's releases: {e}"))
}

/// Reads what `source` holds; an error (the source is down, or not
/// configured) makes the source UNKNOWN.
pub fn read_source(
    store: &Store,
    loc: &Locations,
    source: SourceName,
    progress: &mut dyn Progress,
) -> Result<Said, String> {
    let mut said = Said {
        source,
        field: "value",
        keys: BTreeMap::new(),
        units: Vec::new(),
    };
    match source {
        SourceName::Composes => {
            let at = loc
                .compose_tree
                .as_deref()
                .ok_or_else(|| not_configured(source))?;
            progress.step(source, "reading", 0, None);
            for c in tree::finished(at).map_err(|e| e.to_string())? {
                said.keys.insert(c.compose_id.clone(), FINISHED.into());
                said.units.push(Unit {
                    keys: vec![c.compose_id.clone()],
                    label: format!("compose {} from {}", c.compose_id, c.location),
                    write: UnitWrite::Compose {
                        location: c.location,
                    },
                });
            }
            said.field = "status";
        }
        SourceName::Koji => {
            let koji = loc.koji.as_ref().ok_or_else(|| not_configured(source))?;
            let tags: Vec<(String, String)> = active_releases(store)?
                .into_iter()
                .filter_map(|(r, _)| tag_for_release(&r).map(|t| (r, t)))
                .collect();
            for (release, tag) in &tags {
                let builds = koji.tagged(tag, false).map_err(|e| e.to_string())?;
                let ids: Vec<i64> = builds.iter().map(|b| b.id).collect();
                let mut all = Vec::with_capacity(ids.len());
                for (i, chunk) in ids.chunks(500).enumerate() {
                    all.extend(koji.builds_rpms(chunk).map_err(|e| e.to_string())?);
                    progress.step(
                        source,
                        &format!("reading {tag}"),
                        (i * 500 + chunk.len()).min(ids.len()),
                        Some(ids.len()),
                    );
                }
                for (build, rpms) in builds.into_iter().zip(all) {
                    let keys: Vec<String> = rpms
                        .iter()
                        .map(|r| {
                            format!(
                                "{release} {}-{}:{}-{}.{}",
                                r.name,
                                r.epoch.unwrap_or(0),
                                r.version,
                                r.release,
                                r.arch
                            )
                        })
                        .collect();
                    for k in &keys {
                        said.keys.insert(k.clone(), build.name.clone());
                    }
                    said.units.push(Unit {
                        keys,
                        label: format!("build {} in {release}", build.nvr()),
                        write: UnitWrite::Build {
                            release: release.clone(),
                            build,
                            rpms,
                        },
                    });
                }
            }
            said.field = "srpm_name";
        }
        SourceName::DistGit => {
            let base = loc
                .dist_git
                .as_deref()
                .ok_or_else(|| not_configured(source))?;
            let mut on_branch: HashMap<String, Vec<String>> = HashMap::new();
            for (release, branch) in active_releases(store)? {
                if let Some(b) = branch {
                    on_branch.entry(b).or_default().push(release);
                }
            }
            for ns in &loc.dist_git_namespaces {
                let Some(ctype) = component_type(ns) else {
                    continue;
                };
                let packages = distgit::packages(base, ns, |done, total| {
                    progress.step(source, &format!("reading {ns}"), done, Some(total))
                })
                .map_err(|e| e.to_string())?;
                for p in packages {
                    let mut keys = vec![format!("global {}", p.name)];
                    let mut releases = Vec::new();
                    for b in &p.branches {
                        for r in on_branch.get(b).into_iter().flatten() {
                            keys.push(format!("release {r}/{}/{ctype}", p.name));
                            releases.push(r.clone());
                        }
                    }
                    for k in &keys {
                        said.keys.insert(k.clone(), String::new());
                    }
                    said.units.push(Unit {
                        keys,
                        label: format!("package {}/{}", p.namespace, p.name),
                        write: UnitWrite::Package(PackageInput {
                            name: p.name,
                            component_type: ctype.to_string(),
                            releases,
                        }),
                    });
                }
            }
            said.field = "exists";
        }
        SourceName::Accounts => {
            let base = loc
                .accounts
                .as_deref()
                .ok_or_else(|| not_configured(source))?;
            progress.step(source, "reading", 0, None);
            for name in accounts::usernames(base).map_err(|e| e.to_string())? {
                let email = format!("{name}@{}", loc.email_domain);
                said.keys.insert(name.clone(), email.clone());
                said.units.push(Unit {
                    keys: vec![name.clone()],
                    label: format!("person {name} <{email}>"),
                    write: UnitWrite::Person { name, email },
                });
            }
            said.field = "email";
        }
    }
    progress.done(source, "reading");
    Ok(said)
}

/// What Almanac holds, on the source's keys.
pub fn held(store: &Store, said: &Said) -> Result<BTreeMap<String, String>, StoreError> {
    match said.source {
        SourceName::Composes => store.read_blocking(|c| {
            Ok(audits::compose_ids(c)?
                .into_iter()
                .map(|id| (id, FINISHED.to_string()))
                .collect())
        }),
        SourceName::Koji => {
            let releases: Vec<String> = active_releases(store)
                .map_err(StoreError::Internal)?
                .into_iter()
                .filter(|(r, _)| tag_for_release(r).is_some())
                .map(|(r, _)| r)
                .collect();
            store.read_blocking(move |c| audits::linked_rpms(c, &releases))
        }
        SourceName::DistGit => {
            let releases: Vec<String> = active_releases(store)
                .map_err(StoreError::Internal)?
                .into_iter()
                .filter(|(_, b)| b.is_some())
                .map(|(r, _)| r)
                .collect();
            let types: Vec<String> = said
                .units
                .iter()
                .filter_map(|u| match &u.write {
                    UnitWrite::Package(p) => Some(p.component_type.clone()),
                    _ => None,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            store.read_blocking(move |c| {
                let mut out: BTreeMap<String, String> = audits::global_component_names(c)?
                    .into_iter()
                    .map(|n| (format!("global {n}"), String::new()))
                    .collect();
                for (r, n, t) in audits::release_component_keys(c, &releases, &types)? {
                    out.insert(format!("release {r}/{n}/{t}"), String::new());
                }
                Ok(out)
            })
        }
        SourceName::Accounts => store.read_blocking(audits::people),
    }
}
