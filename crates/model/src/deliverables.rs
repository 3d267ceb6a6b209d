//! What a release is supposed to produce: each of its trees (variant x arch)
//! crossed with the deliverable types that apply to it, as the repositories
//! and images a compose of that release should hold, with their paths.
//!
//! A deliverable type says which trees it applies to (by variant type,
//! variant uid and arch; an empty list means any) and names its artifact with
//! a pattern such as `{name}-{variant}-dvd-{arch}-{version}.iso`.

use crate::ModelError;
use serde::Serialize;

/// The placeholders a pattern may use.
pub const PLACEHOLDERS: &[&str] = &[
    "variant",
    "variant_type",
    "arch",
    "name",
    "short",
    "version",
    "release_id",
];

/// The kinds of artifact a deliverable is.
pub const ARTIFACTS: &[&str] = &["repository", "image"];

/// A kind of artifact every matching tree of a release should produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliverableType {
    pub name: String,
    /// `repository` or `image`.
    pub artifact: String,
    /// `rpm`, `iso`, `qcow2`, `raw.xz`...
    pub format: String,
    /// Variant types it applies to (`variant`, `addon`...); empty: any.
    pub variant_types: Vec<String>,
    /// Variant uids it applies to; empty: any.
    pub variants: Vec<String>,
    /// Arches it applies to; empty: any.
    pub arches: Vec<String>,
    pub pattern: String,
}

impl DeliverableType {
    /// Checks the artifact kind and the pattern's placeholders.
    pub fn validate(&self) -> Result<(), ModelError> {
        if !ARTIFACTS.contains(&self.artifact.as_str()) {
            return Err(ModelError::new(
                "artifact",
                format!(
                    "\"{}\" is not a valid choice: use one of {}.",
                    self.artifact,
                    ARTIFACTS.join(", ")
                ),
            ));
        }
        check_pattern(&self.pattern)
    }

    /// Whether this type applies to the tree `variant`.`arch`.
    pub fn applies_to(&self, variant: &Tree, arch: &str) -> bool {
        let allows =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|x| x == value);
        allows(&self.variant_types, &variant.variant_type)
            && allows(&self.variants, &variant.uid)
            && allows(&self.arches, arch)
    }
}

/// The release's names a pattern can use.
#[derive(Debug, Clone)]
pub struct ReleaseNames {
    pub release_id: String,
    pub short: String,
    pub name: String,
    pub version: String,
}

/// One variant of the release and its arches.
#[derive(Debug, Clone)]
pub struct Tree {
    pub uid: String,
    pub variant_type: String,
    pub arches: Vec<String>,
}

/// One artifact the release is supposed to produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deliverable {
    pub release: String,
    pub variant: String,
    pub arch: String,
    pub deliverable_type: String,
    pub artifact: String,
    pub format: String,
    pub path: String,
}

/// Refuses a pattern with an unknown placeholder or an unbalanced brace.
pub fn check_pattern(pattern: &str) -> Result<(), ModelError> {
    if pattern.trim().is_empty() {
        return Err(ModelError::new("pattern", "This field may not be blank."));
    }
    let mut rest = pattern;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(ModelError::new(
                "pattern",
                format!("\"{pattern}\" has a \"}}\" without its \"{{\"."),
            ));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            ModelError::new(
                "pattern",
                format!("\"{pattern}\" has a \"{{\" without its \"}}\"."),
            )
        })?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(ModelError::new(
                "pattern",
                format!(
                    "\"{{{name}}}\" is not a placeholder: use {}.",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn fill(pattern: &str, release: &ReleaseNames, tree: &Tree, arch: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        out.push_str(match &after[..close] {
            "variant" => &tree.uid,
            "variant_type" => &tree.variant_type,
            "arch" => arch,
            "name" => &release.name,
            "short" => &release.short,
            "version" => &release.version,
            "release_id" => &release.release_id,
            other => other,
        });
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every deliverable of the release: trees in the order given, arches sorted
/// within a tree, then the types in the order given.
pub fn expand(
    release: &ReleaseNames,
    trees: &[Tree],
    types: &[DeliverableType],
) -> Vec<Deliverable> {
    let mut out = Vec::new();
    for tree in trees {
        let mut arches: Vec<&String> = tree.arches.iter().collect();
        arches.sort();
        for arch in arches {
            for t in types.iter().filter(|t| t.applies_to(tree, arch)) {
                out.push(Deliverable {
                    release: release.release_id.clone(),
                    variant: tree.uid.clone(),
                    arch: arch.clone(),
                    deliverable_type: t.name.clone(),
                    artifact: t.artifact.clone(),
                    format: t.format.clone(),
                    path: fill(&t.pattern, release, tree, arch),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, variants: &[&str], arches: &[&str], pattern: &str) -> DeliverableType {
        DeliverableType {
            name: name.into(),
            artifact: "image".into(),
            format: "iso".into(),
            variant_types: vec!["variant".into()],
            variants: variants.iter().map(|s| s.to_string()).collect(),
            arches: arches.iter().map(|s| s.to_string()).collect(),
            pattern: pattern.into(),
        }
    }

    fn fedora() -> ReleaseNames {
        ReleaseNames {
            release_id: "fedora-41".into(),
            short: "fedora".into(),
            name: "Fedora".into(),
            version: "41".into(),
        }
    }

    fn tree(uid: &str, variant_type: &str, arches: &[&str]) -> Tree {
        Tree {
            uid: uid.into(),
            variant_type: variant_type.into(),
            arches: arches.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn expands_trees_by_the_types_that_apply() {
        let types = [
            kind(
                "dvd",
                &["Server"],
                &[],
                "{name}-{variant}-dvd-{arch}-{version}.iso",
            ),
            kind(
                "cloud",
                &[],
                &["x86_64"],
                "{short}/{variant}/{arch}/cloud.qcow2",
            ),
        ];
        let trees = [
            tree("Server", "variant", &["x86_64", "aarch64"]),
            tree("Server-optional", "optional", &["x86_64"]),
            tree("Workstation", "variant", &["x86_64"]),
        ];
        let got: Vec<(String, String, String, String)> = expand(&fedora(), &trees, &types)
            .into_iter()
            .map(|d| (d.variant, d.arch, d.deliverable_type, d.path))
            .collect();
        let want = [
            (
                "Server",
                "aarch64",
                "dvd",
                "Fedora-Server-dvd-aarch64-41.iso",
            ),
            ("Server", "x86_64", "dvd", "Fedora-Server-dvd-x86_64-41.iso"),
            (
                "Server",
                "x86_64",
                "cloud",
                "fedora/Server/x86_64/cloud.qcow2",
            ),
            (
                "Workstation",
                "x86_64",
                "cloud",
                "fedora/Workstation/x86_64/cloud.qcow2",
            ),
        ];
        let want: Vec<(String, String, String, String)> = want
            .iter()
            .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn refuses_unknown_placeholders_and_unbalanced_braces() {
        assert!(check_pattern("{variant}/{arch}/os").is_ok());
        let e = check_pattern("{variant}/{colour}").unwrap_err();
        assert!(
            e.message.contains("{colour}") && e.message.contains("{arch}"),
            "{e}"
        );
        assert!(
            check_pattern("{variant")
                .unwrap_err()
                .message
                .contains("without its")
        );
        assert!(
            check_pattern("variant}")
                .unwrap_err()
                .message
                .contains("without its")
        );
        assert!(check_pattern("  ").is_err());
        let mut t = kind("x", &[], &[], "{arch}");
        t.artifact = "rpm".into();
        assert_eq!(t.validate().unwrap_err().field, "artifact");
    }
}
