//! Artifacts as the graph names them, and the edges between them.
//!
//! A node is `kind:name`: `component:glibc`, `rpm:bash-5.2.26-3.fc40.x86_64`,
//! `build:bash-5.2.26-3.fc40`, `image:Fedora-Cloud-Base-40`,
//! `container:fedora-toolbox:40`, `compose:Fedora-40-20240101.n.0`,
//! `module:nodejs:20:4020231201:abcd1234`. An edge says an artifact is made
//! from an input, with a kind (`build-requires`...).

use crate::error::ModelError;
use crate::productmd::Nevra;
use serde::Serialize;

/// The kinds of artifact the graph knows.
pub const NODE_KINDS: &[&str] = &[
    "component",
    "build",
    "rpm",
    "image",
    "container",
    "compose",
    "module",
];

/// The edge kinds every deployment has; configuration adds more.
pub const EDGE_KINDS: &[&str] = &[
    "build-requires",
    "build-root",
    "requires",
    "includes",
    "base-image",
    "built-from",
];

/// One artifact made from one input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub input: String,
    pub artifact: String,
    pub kind: String,
}

/// Checks a node's name, answering its kind.
pub fn node_kind<'a>(field: &str, node: &'a str) -> Result<&'a str, ModelError> {
    let Some((kind, name)) = node.split_once(':') else {
        return Err(ModelError::new(
            field,
            format!(
                "'{node}' is not an artifact: write kind:name, kind one of {}",
                NODE_KINDS.join(", ")
            ),
        ));
    };
    if !NODE_KINDS.contains(&kind) {
        return Err(ModelError::new(
            field,
            format!(
                "'{kind}' in '{node}' is not a kind of artifact: use {}",
                NODE_KINDS.join(", ")
            ),
        ));
    }
    if name.trim().is_empty() || name.trim() != name {
        return Err(ModelError::new(
            field,
            format!("'{node}' has no name after '{kind}:' (or spaces around it)"),
        ));
    }
    Ok(kind)
}

/// The edge kinds a deployment accepts: the defaults and `extra`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeKinds(Vec<String>);

impl Default for EdgeKinds {
    fn default() -> Self {
        EdgeKinds::with(&[])
    }
}

impl EdgeKinds {
    pub fn with(extra: &[String]) -> EdgeKinds {
        let mut all: Vec<String> = EDGE_KINDS.iter().map(|k| k.to_string()).collect();
        for k in extra {
            if !all.contains(k) {
                all.push(k.clone());
            }
        }
        EdgeKinds(all)
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn check(&self, field: &str, kind: &str) -> Result<(), ModelError> {
        if self.0.iter().any(|k| k == kind) {
            return Ok(());
        }
        Err(ModelError::new(
            field,
            format!(
                "'{kind}' is not an edge kind: use {} (more are added in the configuration, [graph] edge_kinds)",
                self.0.join(", ")
            ),
        ))
    }

    /// Checks a whole edge.
    pub fn check_edge(&self, at: &str, e: &Edge) -> Result<(), ModelError> {
        node_kind(&format!("{at}.input"), &e.input)?;
        node_kind(&format!("{at}.artifact"), &e.artifact)?;
        self.check(&format!("{at}.kind"), &e.kind)?;
        if e.input == e.artifact {
            return Err(ModelError::new(
                format!("{at}.input"),
                format!("'{}' cannot be an input of itself", e.input),
            ));
        }
        Ok(())
    }
}

/// The graph edge a PDC release-component relationship stands for:
/// `bash RPMRequires glibc` is `component:glibc -> component:bash`
/// (requires). Components are named without their release, so the edges
/// meet the rpms and builds made from them.
pub fn edge_of_relationship(relation_type: &str, from: &str, to: &str) -> Edge {
    let kind = match relation_type {
        "RPMBuildRequires" => "build-requires".to_string(),
        "RPMBuildRoot" => "build-root".to_string(),
        "RPMRequires" => "requires".to_string(),
        "ContainerIncludesRPM" => "includes".to_string(),
        other => other.to_ascii_lowercase(),
    };
    Edge {
        input: format!("component:{to}"),
        artifact: format!("component:{from}"),
        kind,
    }
}

/// The graph node of an rpm: `rpm:name-version-release.arch`, the epoch
/// written only when it is not 0 (`rpm:bash-1:5.2-1.fc41.x86_64`), as the
/// graph API's clients name rpms.
pub fn rpm_node(name: &str, epoch: i64, version: &str, release: &str, arch: &str) -> String {
    if epoch == 0 {
        format!("rpm:{name}-{version}-{release}.{arch}")
    } else {
        format!("rpm:{name}-{epoch}:{version}-{release}.{arch}")
    }
}

/// The name of the component an artifact comes from, to find its component
/// groups (rings): a component is itself, an rpm its package name (or the
/// source rpm's, when `srpm_name` knows it), a build and a module their
/// name, a container its repository. Images and composes belong to none.
pub fn component_of(node: &str, srpm_name: impl Fn(&str) -> Option<String>) -> Option<String> {
    let (kind, name) = node.split_once(':')?;
    match kind {
        "component" => Some(name.rsplit('/').next().unwrap_or(name).to_string()),
        "rpm" => srpm_name(name).or_else(|| Nevra::parse(name).ok().map(|n| n.name().to_string())),
        "build" => {
            let mut parts = name.rsplitn(3, '-');
            let (_release, _version, n) = (parts.next(), parts.next(), parts.next());
            Some(n.unwrap_or(name).to_string())
        }
        "module" => name.split(':').next().map(str::to_string),
        "container" => Some(name.split(':').next().unwrap_or(name).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_name_their_kind() {
        assert_eq!(node_kind("f", "rpm:bash-5.2-1.fc40.x86_64").unwrap(), "rpm");
        assert_eq!(node_kind("f", "container:toolbox:40").unwrap(), "container");
        assert!(
            node_kind("f", "bash")
                .unwrap_err()
                .to_string()
                .contains("kind:name")
        );
        assert!(
            node_kind("f", "pkg:bash")
                .unwrap_err()
                .to_string()
                .contains("'pkg'")
        );
        assert!(node_kind("f", "rpm:").is_err());
        assert!(node_kind("f", "rpm: bash").is_err());
    }

    #[test]
    fn edge_kinds_take_configured_ones() {
        let kinds = EdgeKinds::with(&["signed-by".to_string()]);
        assert!(kinds.check("k", "signed-by").is_ok());
        assert!(kinds.check("k", "requires").is_ok());
        let e = EdgeKinds::default().check("k", "signed-by").unwrap_err();
        assert!(e.to_string().contains("edge_kinds"));
        let self_loop = Edge {
            input: "rpm:a-1-1.x86_64".into(),
            artifact: "rpm:a-1-1.x86_64".into(),
            kind: "requires".into(),
        };
        assert!(kinds.check_edge("edges[0]", &self_loop).is_err());
    }

    #[test]
    fn relationships_become_edges_from_the_required() {
        let e = edge_of_relationship("RPMBuildRequires", "bash", "glibc");
        assert_eq!(e.input, "component:glibc");
        assert_eq!(e.artifact, "component:bash");
        assert_eq!(e.kind, "build-requires");
        assert_eq!(edge_of_relationship("Bundles", "a", "b").kind, "bundles");
    }

    #[test]
    fn artifacts_know_their_component() {
        let none = |_: &str| None;
        assert_eq!(
            component_of("component:fedora-40/glibc", none).unwrap(),
            "glibc"
        );
        assert_eq!(
            component_of("rpm:glibc-devel-2.39-1.fc40.x86_64", none).unwrap(),
            "glibc-devel"
        );
        let srpm = |_: &str| Some("glibc".to_string());
        assert_eq!(
            component_of("rpm:glibc-devel-2.39-1.fc40.x86_64", srpm).unwrap(),
            "glibc"
        );
        assert_eq!(
            component_of("build:python3-pip-23.2-1.fc40", none).unwrap(),
            "python3-pip"
        );
        assert_eq!(
            component_of("module:nodejs:20:1:abc", none).unwrap(),
            "nodejs"
        );
        assert_eq!(
            component_of("container:toolbox:40", none).unwrap(),
            "toolbox"
        );
        assert_eq!(component_of("image:Fedora-Cloud", none), None);
    }
}
