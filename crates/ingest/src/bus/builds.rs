//! Koji's messages (pdc-updater's rpm and container handlers, done
//! properly): a build tagged into a release's stable-updates tag (or
//! rawhide's) makes its rpms, linked to that release, with the graph edges
//! component -> build -> rpm; a finished image or container build makes
//! its artifact in the graph with the rpms it includes and, for a
//! container, the images it is built on. What a build is made of is asked
//! of koji over XML-RPC (`getBuild`, `listRPMs`, `listArchives`).

use super::handler::{HandlerError, Prepared, Write, required};
use crate::koji::{self, Build, BuildKind, Koji};
use almanac_model::artifacts::{Edge, rpm_node};
use almanac_store::graph::{self, InputSet};
use almanac_store::packages::{self, RpmInput};
use almanac_store::{Conn, StoreError};
use serde_json::Value;

/// The graph source of the edges koji's messages write.
pub const GRAPH_SOURCE: &str = "koji";

/// The release a koji tag feeds, as pdc-updater guessed it: rawhide's and
/// a release's GA tag (`f41`) -> `fedora-41`, its stable updates (`f41-updates`)
/// -> `fedora-41-updates`, EPEL's (`epel9`) -> `epel-9-updates`. Any other
/// tag (candidates, testing, side tags) feeds none.
pub fn release_for_tag(tag: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(n) = tag.strip_prefix('f') {
        if digits(n) {
            return Some(format!("fedora-{n}"));
        }
        if let Some(n) = n.strip_suffix("-updates")
            && digits(n)
        {
            return Some(format!("fedora-{n}-updates"));
        }
    }
    if let Some(n) = tag.strip_prefix("epel")
        && digits(n)
    {
        return Some(format!("epel-{n}-updates"));
    }
    None
}

fn koji_of(koji: Option<&Koji>) -> Result<&Koji, HandlerError> {
    koji.ok_or_else(|| {
        HandlerError::Failed(
            "no koji hub is configured ([koji] url or ALMANAC_KOJI_URL): fix it and replay".into(),
        )
    })
}

fn build_id(body: &Value) -> Result<i64, HandlerError> {
    body.get("build_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| HandlerError::Failed("Missing field \"build_id\"".into()))
}

/// Whether a message comes from the primary koji instance (secondary arch
/// hubs publish on the same topics).
fn primary(body: &Value) -> bool {
    body.get("instance")
        .and_then(Value::as_str)
        .is_none_or(|i| i == "primary")
}

/// The tag that feeds a release: [`release_for_tag`] backwards.
pub fn tag_for_release(release_id: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = release_id.strip_prefix("fedora-") {
        if digits(rest) {
            return Some(format!("f{rest}"));
        }
        if let Some(n) = rest.strip_suffix("-updates")
            && digits(n)
        {
            return Some(format!("f{n}-updates"));
        }
    }
    if let Some(n) = release_id
        .strip_prefix("epel-")
        .and_then(|r| r.strip_suffix("-updates"))
        && digits(n)
    {
        return Some(format!("epel{n}"));
    }
    None
}

/// `buildsys.tag`: the build's rpms, linked to the tag's release.
pub fn tagged(body: &Value, koji: Option<&Koji>) -> Result<Prepared, HandlerError> {
    let tag = required(body, "/tag")?.to_string();
    if !primary(body) {
        return Ok(Prepared::Ignore(format!(
            "a message of koji instance {}, not the primary one",
            body["instance"]
        )));
    }
    let Some(release) = release_for_tag(&tag) else {
        return Ok(Prepared::Ignore(format!(
            "koji tag {tag} feeds no release (only stable-updates and rawhide tags do)"
        )));
    };
    let id = build_id(body)?;
    let koji = koji_of(koji)?;
    let build = koji
        .get_build(id)?
        .ok_or_else(|| HandlerError::Failed(format!("koji has no build {id}")))?;
    let rpms = koji.build_rpms(id)?;
    let write: Write = Box::new(move |c, changes| {
        if almanac_store::releases::get_release(c, &release)?.is_none() {
            return Err(HandlerError::Failed(format!(
                "release {release} (fed by koji tag {tag}) does not exist"
            )));
        }
        let linked = link_rpms(c, &build, &rpms, &release, changes)?;
        let edges = build_edges(&build, &rpms);
        let g = graph::add_edges(c, &edges, GRAPH_SOURCE, Some(changes))?;
        Ok(format!(
            "build {} tagged into {tag}: {} rpms, {linked} newly linked to {release}, {} graph edges added",
            build.nvr(),
            rpms.len(),
            g.added
        ))
    });
    Ok(Prepared::Write(write))
}

/// The NEVRA of a build's source rpm.
fn srpm_nevra(build: &Build) -> String {
    format!(
        "{}-{}:{}-{}.src",
        build.name,
        build.epoch.unwrap_or(0),
        build.version,
        build.release
    )
}

/// The rpms of a build as the store takes them, linked to `release`.
pub(crate) fn rpm_inputs(build: &Build, rpms: &[koji::Rpm], release: &str) -> Vec<RpmInput> {
    rpms.iter()
        .map(|r| {
            let is_source = r.arch == "src" || r.arch == "nosrc";
            RpmInput {
                name: r.name.clone(),
                epoch: r.epoch.unwrap_or(0),
                version: r.version.clone(),
                release: r.release.clone(),
                arch: r.arch.clone(),
                srpm_name: build.name.clone(),
                srpm_nevra: (!is_source).then(|| srpm_nevra(build)),
                linked_releases: vec![release.to_string()],
                ..Default::default()
            }
        })
        .collect()
}

/// Creates the rpms not there yet and links every rpm to `release`;
/// answers how many were newly linked (none when the message is re-sent).
pub(crate) fn link_rpms(
    c: &mut dyn Conn,
    build: &Build,
    rpms: &[koji::Rpm],
    release: &str,
    changes: &mut Vec<almanac_store::changes::Change>,
) -> Result<usize, StoreError> {
    Ok(packages::link_many(c, &rpm_inputs(build, rpms, release), changes)?.len())
}

/// component -> build -> each rpm, all `built-from`.
pub(crate) fn build_edges(build: &Build, rpms: &[koji::Rpm]) -> Vec<Edge> {
    let node = format!("build:{}", build.nvr());
    let mut edges = vec![Edge {
        input: format!("component:{}", build.name),
        artifact: node.clone(),
        kind: "built-from".into(),
    }];
    for r in rpms {
        edges.push(Edge {
            input: node.clone(),
            artifact: rpm_node(
                &r.name,
                r.epoch.unwrap_or(0),
                &r.version,
                &r.release,
                &r.arch,
            ),
            kind: "built-from".into(),
        });
    }
    edges
}

/// `buildsys.build.state.change`: a finished image or container build,
/// its artifact and inputs in the graph.
pub fn finished(body: &Value, koji: Option<&Koji>) -> Result<Prepared, HandlerError> {
    let id = build_id(body)?;
    let state = body.get("new").and_then(Value::as_i64);
    if state != Some(koji::COMPLETE) {
        return Ok(Prepared::Ignore(format!(
            "build {id} changed to state {}, not complete",
            state.map_or("?".into(), |s| s.to_string())
        )));
    }
    if !primary(body) {
        return Ok(Prepared::Ignore(format!(
            "a message of koji instance {}, not the primary one",
            body["instance"]
        )));
    }
    let koji = koji_of(koji)?;
    let build = koji
        .get_build(id)?
        .ok_or_else(|| HandlerError::Failed(format!("koji has no build {id}")))?;
    let (kind, node) = match build.kind() {
        BuildKind::Image => ("image", format!("image:{}", build.nvr())),
        BuildKind::Container => ("container", format!("container:{}", build.nvr())),
        BuildKind::Rpm => {
            return Ok(Prepared::Ignore(format!(
                "build {} is an rpm build: its rpms are recorded when it is tagged into a release",
                build.nvr()
            )));
        }
        BuildKind::Module => {
            return Ok(Prepared::Ignore(format!(
                "build {} is a module build: modules come from MBS",
                build.nvr()
            )));
        }
    };
    let mut inputs: Vec<(String, String)> = Vec::new();
    let mut archives = 0;
    for a in koji.archives(id)? {
        if a.is_metadata() {
            continue;
        }
        archives += 1;
        for r in koji.image_rpms(a.id)? {
            let n = rpm_node(
                &r.name,
                r.epoch.unwrap_or(0),
                &r.version,
                &r.release,
                &r.arch,
            );
            inputs.push((n, "includes".into()));
        }
    }
    if kind == "container" {
        for parent in build.parent_build_ids() {
            let p = koji.get_build(parent)?.ok_or_else(|| {
                HandlerError::Failed(format!(
                    "koji has no build {parent}, the parent image of {}",
                    build.nvr()
                ))
            })?;
            inputs.push((format!("container:{}", p.nvr()), "base-image".into()));
        }
    }
    inputs.push((format!("component:{}", build.name), "built-from".into()));
    inputs.sort();
    inputs.dedup();
    let nvr = build.nvr();
    let write: Write = Box::new(move |c, changes| {
        let n = inputs.len();
        let set = InputSet {
            artifact: node.clone(),
            inputs,
        };
        let g = graph::ensure_inputs(c, &[set], GRAPH_SOURCE, Some(changes))?;
        Ok(format!(
            "{kind} build {nvr}: {node} with {n} inputs from {archives} archives ({} edges added, {} removed)",
            g.added, g.removed
        ))
    });
    Ok(Prepared::Write(write))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_is_fed_by_the_tag_that_names_it() {
        for tag in ["f41", "f41-updates", "epel9"] {
            let release = release_for_tag(tag).unwrap();
            assert_eq!(tag_for_release(&release).as_deref(), Some(tag));
        }
        assert_eq!(tag_for_release("fedora-41-eus"), None);
        assert_eq!(tag_for_release("rhel-9"), None);
    }

    #[test]
    fn tags_feed_the_releases_pdc_updater_guessed() {
        assert_eq!(release_for_tag("f41").as_deref(), Some("fedora-41"));
        assert_eq!(
            release_for_tag("f40-updates").as_deref(),
            Some("fedora-40-updates")
        );
        assert_eq!(release_for_tag("epel9").as_deref(), Some("epel-9-updates"));
        for none in [
            "f40-updates-candidate",
            "f40-updates-testing",
            "f40-build-side-1234",
            "epel9-testing",
            "fedora",
            "f",
            "rawhide",
        ] {
            assert_eq!(release_for_tag(none), None, "{none}");
        }
    }

    #[test]
    fn a_build_is_made_from_its_component_and_makes_its_rpms() {
        let b: Build = serde_json::from_value(serde_json::json!({
            "id": 1, "name": "bash", "version": "5.2", "release": "1.fc41", "nvr": "bash-5.2-1.fc41", "epoch": null
        }))
        .unwrap();
        let rpms: Vec<koji::Rpm> = serde_json::from_value(serde_json::json!([
            {"id": 1, "name": "bash", "version": "5.2", "release": "1.fc41", "arch": "x86_64", "epoch": null},
            {"id": 2, "name": "bash", "version": "5.2", "release": "1.fc41", "arch": "src", "epoch": 2}
        ]))
        .unwrap();
        let e = build_edges(&b, &rpms);
        assert_eq!(e[0].input, "component:bash");
        assert_eq!(e[0].artifact, "build:bash-5.2-1.fc41");
        assert_eq!(e[1].artifact, "rpm:bash-5.2-1.fc41.x86_64");
        assert_eq!(e[2].artifact, "rpm:bash-2:5.2-1.fc41.src");
        assert_eq!(srpm_nevra(&b), "bash-0:5.2-1.fc41.src");
    }
}
