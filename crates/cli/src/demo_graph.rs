//! The demo's artifact graph: a small distribution as it is built. Each
//! package has a component, a build made from it and rpms made from the
//! build; builds need other packages' rpms (build-requires), rpms need
//! other rpms at run time (requires). A base container includes the core
//! rpms, layered containers stand on it (and on each other: three tiers of
//! images), a cloud image and the newest compose include rpms and images.
//! Bootstrap cycles are there as in Fedora: gcc and glibc build each other,
//! so do systemd and util-linux, python3 and python-setuptools.

use almanac_store::graph::{InputSet, NATIVE, ensure_inputs};
use almanac_store::{Actor, Store, StoreError, changes};

/// (package, what its build needs, what its main rpm needs at run time)
const PACKAGES: &[(&str, &[&str], &[&str])] = &[
    ("glibc", &["gcc"], &[]),
    ("gcc", &["glibc"], &["glibc"]),
    ("zlib", &["gcc", "glibc"], &["glibc"]),
    ("bash", &["gcc", "glibc", "ncurses"], &["glibc", "ncurses"]),
    ("ncurses", &["gcc", "glibc"], &["glibc"]),
    (
        "coreutils",
        &["gcc", "glibc", "openssl"],
        &["glibc", "openssl"],
    ),
    (
        "openssl",
        &["gcc", "glibc", "zlib", "perl"],
        &["glibc", "zlib"],
    ),
    ("perl", &["gcc", "glibc", "zlib"], &["glibc"]),
    ("util-linux", &["gcc", "glibc", "systemd"], &["glibc"]),
    (
        "systemd",
        &["gcc", "glibc", "util-linux", "openssl"],
        &["glibc", "util-linux"],
    ),
    (
        "python3",
        &["gcc", "glibc", "openssl", "zlib", "python-setuptools"],
        &["glibc", "openssl"],
    ),
    ("python-setuptools", &["python3"], &["python3"]),
    (
        "curl",
        &["gcc", "glibc", "openssl", "zlib"],
        &["glibc", "openssl"],
    ),
    (
        "rpm",
        &["gcc", "glibc", "zlib", "openssl", "python3"],
        &["glibc", "bash"],
    ),
    ("dnf", &["python3", "rpm"], &["python3", "rpm", "curl"]),
    (
        "httpd",
        &["gcc", "glibc", "openssl", "systemd"],
        &["glibc", "openssl", "systemd"],
    ),
    ("nginx", &["gcc", "glibc", "openssl"], &["glibc", "openssl"]),
    (
        "nodejs",
        &["gcc", "glibc", "openssl", "python3"],
        &["glibc", "openssl"],
    ),
    (
        "postgresql",
        &["gcc", "glibc", "openssl", "perl", "systemd"],
        &["glibc", "openssl"],
    ),
    ("podman", &["glibc", "systemd"], &["glibc", "systemd"]),
];

/// (container, the image it stands on, the packages it adds)
const CONTAINERS: &[(&str, Option<&str>, &[&str])] = &[
    (
        "fedora",
        None,
        &["glibc", "bash", "coreutils", "rpm", "dnf", "curl"],
    ),
    (
        "fedora-toolbox",
        Some("fedora"),
        &["systemd", "util-linux", "podman"],
    ),
    ("python3", Some("fedora"), &["python3", "python-setuptools"]),
    ("nodejs", Some("fedora"), &["nodejs"]),
    ("httpd", Some("fedora"), &["httpd"]),
    ("postgresql", Some("fedora"), &["postgresql"]),
    ("python3-web", Some("python3"), &["nginx"]),
    ("nodejs-web", Some("nodejs"), &["nginx"]),
];

const DIST: &str = "fc42";

fn version(package: &str) -> String {
    // A stable, plausible version per package.
    let n = package
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("{}.{}-1.{DIST}", 1 + n % 9, n % 20)
}

fn build(package: &str) -> String {
    format!("build:{package}-{}", version(package))
}

fn rpm(name: &str, package: &str) -> String {
    format!("rpm:{name}-{}.x86_64", version(package))
}

/// The rpms built from `package`: the main one and, for libraries, -devel.
fn rpms_of(package: &str) -> Vec<String> {
    let mut out = vec![rpm(package, package)];
    if !matches!(package, "python-setuptools" | "dnf") {
        out.push(rpm(&format!("{package}-devel"), package));
    }
    out
}

/// What an artifact is made from, in the demo's distribution.
pub fn input_sets(compose: Option<&str>) -> Vec<InputSet> {
    let set = |artifact: String, inputs: Vec<(String, &str)>| InputSet {
        artifact,
        inputs: inputs
            .into_iter()
            .map(|(i, k)| (i, k.to_string()))
            .collect(),
    };
    let mut sets = Vec::new();
    for (package, build_needs, run_needs) in PACKAGES {
        let mut inputs = vec![(format!("component:{package}"), "built-from")];
        for need in *build_needs {
            // A build needs the headers: the -devel rpm when there is one.
            let devel = rpms_of(need);
            inputs.push((devel.last().cloned().unwrap_or_default(), "build-requires"));
        }
        sets.push(set(build(package), inputs));
        let rpms = rpms_of(package);
        let mut main = vec![(build(package), "built-from")];
        main.extend(run_needs.iter().map(|n| (rpm(n, n), "requires")));
        sets.push(set(rpms[0].clone(), main));
        for extra in &rpms[1..] {
            sets.push(set(
                extra.clone(),
                vec![
                    (build(package), "built-from"),
                    (rpms[0].clone(), "requires"),
                ],
            ));
        }
    }
    let container = |name: &str| format!("container:{name}:42");
    for (name, base, adds) in CONTAINERS {
        let mut inputs: Vec<(String, &str)> =
            adds.iter().map(|p| (rpm(p, p), "includes")).collect();
        if let Some(b) = base {
            inputs.push((container(b), "base-image"));
        }
        sets.push(set(container(name), inputs));
    }
    let cloud = "image:Fedora-Cloud-Base-Generic-42.x86_64.qcow2".to_string();
    sets.push(set(
        cloud.clone(),
        [
            "glibc",
            "bash",
            "coreutils",
            "systemd",
            "util-linux",
            "dnf",
            "curl",
        ]
        .iter()
        .map(|p| (rpm(p, p), "includes"))
        .collect(),
    ));
    if let Some(id) = compose {
        let mut inputs: Vec<(String, &str)> = PACKAGES
            .iter()
            .flat_map(|(p, _, _)| rpms_of(p))
            .map(|r| (r, "includes"))
            .collect();
        inputs.push((cloud, "includes"));
        sets.push(set(format!("compose:{id}"), inputs));
    }
    sets
}

/// Writes the demo's graph through the graph's one write path; answers the
/// artifacts and edges written.
pub fn fill_graph(store: &Store, compose: Option<&str>) -> Result<(usize, usize), StoreError> {
    let sets = input_sets(compose);
    let artifacts = sets.len();
    let applied = store.write_blocking(move |c| {
        let mut ch = Vec::new();
        let applied = ensure_inputs(c, &sets, NATIVE, Some(&mut ch))?;
        changes::record(c, &Actor::anonymous("demo"), ch)?;
        Ok::<_, StoreError>(applied)
    })?;
    Ok((artifacts, applied.added))
}

/// A leaf of the demo's layered images, to show in the hints.
pub const LEAF_CONTAINER: &str = "container:python3-web:42";

/// The demo's glibc rpm, the most depended-on input.
pub fn glibc_rpm() -> String {
    rpm("glibc", "glibc")
}

/// The demo's glibc build, to plan a rebuild from.
pub fn glibc_build() -> String {
    build("glibc")
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_model::graph::{Direction, Graph, Walk};

    fn graph() -> Graph {
        let mut g = Graph::new();
        for s in input_sets(Some("Fedora-42-20261201.n.0")) {
            for (i, k) in &s.inputs {
                g.insert_edge(i, &s.artifact, k);
            }
        }
        g
    }

    #[test]
    fn the_demo_graph_has_layers_and_bootstrap_cycles() {
        let g = graph();
        let reach = g
            .walk(LEAF_CONTAINER, Direction::Inputs, &Walk::default())
            .expect("the leaf container is in the graph");
        let names: Vec<&str> = reach.nodes.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"container:fedora:42"), "{names:?}");
        assert!(names.contains(&glibc_rpm().as_str()), "{names:?}");
        let everything = g
            .walk(
                "compose:Fedora-42-20261201.n.0",
                Direction::Inputs,
                &Walk::default(),
            )
            .expect("the compose is in the graph");
        let cycles: Vec<String> = everything.cycles.iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            cycles.len(),
            3,
            "three bootstrap cycles, each on its own: {cycles:?}"
        );
        for pair in [
            ("gcc", "glibc"),
            ("systemd", "util-linux"),
            ("python3", "python-setuptools"),
        ] {
            assert!(
                cycles
                    .iter()
                    .any(|c| c.contains(&build(pair.0)) && c.contains(&build(pair.1))),
                "{pair:?} build each other: {cycles:?}"
            );
        }
        // Three tiers of images: fedora, python3, python3-web.
        let tiers: std::collections::HashMap<String, u32> = g.tiers().into_iter().collect();
        let tier = |c: &str| tiers[&format!("container:{c}:42")];
        assert!(tier("fedora") < tier("python3") && tier("python3") < tier("python3-web"));
        let plan = g.rebuild_plan(&[glibc_build().as_str()], &[]);
        let all: Vec<&str> = plan.iter().flatten().map(|r| r.artifact.as_str()).collect();
        assert!(all.contains(&LEAF_CONTAINER), "{all:?}");
    }
}
