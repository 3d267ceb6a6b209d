//! An artifact's transitive inputs as an SBOM: CycloneDX 1.5 JSON or SPDX
//! 2.3 JSON. Pure: the caller walks the graph and passes what it found.

use crate::productmd::Nevra;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// What an SBOM describes: one artifact and its transitive inputs.
pub struct SbomInput<'a> {
    /// The described artifact (`image:fedora-httpd`).
    pub root: &'a str,
    /// Its transitive inputs, not including the root.
    pub nodes: &'a [String],
    /// (input, artifact, edge kind) among the root and the nodes.
    pub edges: &'a [(String, String, String)],
    pub tool_version: &'a str,
    /// RFC 3339 in UTC, to the second.
    pub created: &'a str,
    /// A UUID (v4).
    pub serial: &'a str,
    /// The base of the SPDX document namespace.
    pub document_url: &'a str,
    /// The purl namespace of rpms (`fedora`).
    pub purl_namespace: &'a str,
}

/// A node as a package: name, version, purl, CycloneDX type.
struct Package {
    kind: String,
    name: String,
    version: Option<String>,
    purl: Option<String>,
}

/// Percent-encodes what a purl part may not hold as is.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"._-~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn package(node: &str, ns: &str) -> Package {
    let (kind, name) = node.split_once(':').unwrap_or(("", node));
    let plain = |n: &str| Package {
        kind: kind.to_string(),
        name: n.to_string(),
        version: None,
        purl: None,
    };
    match kind {
        "rpm" => match Nevra::parse(name) {
            Ok(n) => {
                let vr = format!("{}-{}", n.version(), n.release());
                let mut purl = format!(
                    "pkg:rpm/{}/{}@{}?arch={}",
                    encode(ns),
                    encode(n.name()),
                    encode(&vr),
                    encode(n.arch())
                );
                if n.epoch() != 0 {
                    purl.push_str(&format!("&epoch={}", n.epoch()));
                }
                let version = if n.epoch() != 0 {
                    format!("{}:{vr}", n.epoch())
                } else {
                    vr
                };
                Package {
                    kind: kind.into(),
                    name: n.name().into(),
                    version: Some(version),
                    purl: Some(purl),
                }
            }
            Err(_) => plain(name),
        },
        "build" => {
            let mut parts = name.rsplitn(3, '-');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(r), Some(v), Some(n)) => Package {
                    kind: kind.into(),
                    name: n.into(),
                    version: Some(format!("{v}-{r}")),
                    purl: Some(format!(
                        "pkg:rpm/{}/{}@{}?arch=src",
                        encode(ns),
                        encode(n),
                        encode(&format!("{v}-{r}"))
                    )),
                },
                _ => plain(name),
            }
        }
        "component" => {
            let n = name.rsplit('/').next().unwrap_or(name);
            Package {
                purl: Some(format!("pkg:rpm/{}/{}", encode(ns), encode(n))),
                ..plain(n)
            }
        }
        "container" => {
            let (repo, tag) = name
                .split_once(':')
                .map_or((name, None), |(r, t)| (r, Some(t)));
            let mut purl = format!(
                "pkg:oci/{}",
                encode(repo.rsplit('/').next().unwrap_or(repo))
            );
            if let Some(t) = tag {
                purl.push_str(&format!("?tag={}", encode(t)));
            }
            Package {
                version: tag.map(str::to_string),
                purl: Some(purl),
                ..plain(repo)
            }
        }
        "module" => match name.split_once(':') {
            Some((n, rest)) => Package {
                version: Some(rest.to_string()),
                ..plain(n)
            },
            None => plain(name),
        },
        _ => plain(name),
    }
}

fn cyclonedx_type(kind: &str) -> &'static str {
    match kind {
        "container" => "container",
        "image" | "compose" => "operating-system",
        _ => "library",
    }
}

/// Every node once, the root first, then the inputs sorted.
fn all_nodes<'a>(input: &'a SbomInput) -> Vec<&'a str> {
    let rest: BTreeSet<&str> = input
        .nodes
        .iter()
        .map(String::as_str)
        .filter(|n| *n != input.root)
        .collect();
    std::iter::once(input.root).chain(rest).collect()
}

/// The CycloneDX 1.5 JSON document.
pub fn cyclonedx(input: &SbomInput) -> Value {
    let component = |node: &str| {
        let p = package(node, input.purl_namespace);
        let mut c = json!({
            "type": cyclonedx_type(&p.kind),
            "bom-ref": node,
            "name": p.name,
            "properties": [{"name": "almanac:kind", "value": p.kind}],
        });
        if let Some(v) = p.version {
            c["version"] = json!(v);
        }
        if let Some(purl) = p.purl {
            c["purl"] = json!(purl);
        }
        c
    };
    let nodes = all_nodes(input);
    let known: BTreeSet<&str> = nodes.iter().copied().collect();
    let mut deps: BTreeMap<&str, BTreeSet<&str>> =
        nodes.iter().map(|n| (*n, BTreeSet::new())).collect();
    for (i, a, _) in input.edges {
        if known.contains(i.as_str())
            && let Some(d) = deps.get_mut(a.as_str())
        {
            d.insert(i);
        }
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", input.serial),
        "version": 1,
        "metadata": {
            "timestamp": input.created,
            "tools": {"components": [{"type": "application", "name": "almanac", "version": input.tool_version}]},
            "component": component(input.root),
        },
        "components": nodes[1..].iter().map(|n| component(n)).collect::<Vec<_>>(),
        "dependencies": deps
            .iter()
            .map(|(r, d)| json!({"ref": r, "dependsOn": d}))
            .collect::<Vec<_>>(),
    })
}

/// The SPDX relationship an edge stands for: (element, type, related).
fn relationship<'a>(
    input: &'a str,
    artifact: &'a str,
    kind: &str,
) -> (&'a str, &'static str, &'a str) {
    match kind {
        "build-requires" | "build-root" => (input, "BUILD_DEPENDENCY_OF", artifact),
        "includes" => (artifact, "CONTAINS", input),
        "base-image" => (artifact, "DESCENDANT_OF", input),
        "built-from" => (artifact, "GENERATED_FROM", input),
        _ => (artifact, "DEPENDS_ON", input),
    }
}

/// The SPDX 2.3 JSON document.
pub fn spdx(input: &SbomInput) -> Value {
    let nodes = all_nodes(input);
    let id: BTreeMap<&str, String> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, format!("SPDXRef-Package-{i}")))
        .collect();
    let packages: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let p = package(n, input.purl_namespace);
            let mut v = json!({
                "SPDXID": id[n],
                "name": p.name,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "supplier": "NOASSERTION",
                "comment": format!("almanac artifact {n}"),
                "primaryPackagePurpose": match cyclonedx_type(&p.kind) {
                    "container" => "CONTAINER",
                    "operating-system" => "OPERATING-SYSTEM",
                    _ => "LIBRARY",
                },
            });
            if let Some(version) = p.version {
                v["versionInfo"] = json!(version);
            }
            if let Some(purl) = p.purl {
                v["externalRefs"] = json!([{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": purl,
                }]);
            }
            v
        })
        .collect();
    let mut rels: BTreeSet<(String, &'static str, String, Option<String>)> = BTreeSet::new();
    for (i, a, k) in input.edges {
        let (Some(_), Some(_)) = (id.get(i.as_str()), id.get(a.as_str())) else {
            continue;
        };
        let (e, t, r) = relationship(i, a, k);
        let known = [
            "requires",
            "build-requires",
            "build-root",
            "includes",
            "base-image",
            "built-from",
        ];
        let comment = (!known.contains(&k.as_str())).then(|| format!("edge kind {k}"));
        rels.insert((id[e].clone(), t, id[r].clone(), comment));
    }
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": id[input.root],
    })];
    relationships.extend(rels.into_iter().map(|(e, t, r, c)| {
        let mut v = json!({"spdxElementId": e, "relationshipType": t, "relatedSpdxElement": r});
        if let Some(c) = c {
            v["comment"] = json!(c);
        }
        v
    }));
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("almanac sbom {}", input.root),
        "documentNamespace": format!("{}/{}", input.document_url, input.serial),
        "creationInfo": {
            "created": input.created,
            "creators": [format!("Tool: almanac-{}", input.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, Vec<(String, String, String)>) {
        let nodes = vec![
            "rpm:bash-1:5.2.26-3.fc40.x86_64".to_string(),
            "container:fedora-base:40".to_string(),
        ];
        let edges = vec![
            (
                "rpm:bash-1:5.2.26-3.fc40.x86_64".into(),
                "container:fedora-base:40".into(),
                "includes".into(),
            ),
            (
                "container:fedora-base:40".into(),
                "container:httpd:2.4".into(),
                "base-image".into(),
            ),
        ];
        (nodes, edges)
    }

    fn input<'a>(nodes: &'a [String], edges: &'a [(String, String, String)]) -> SbomInput<'a> {
        SbomInput {
            root: "container:httpd:2.4",
            nodes,
            edges,
            tool_version: "0.1.0",
            created: "2026-12-02T18:00:00Z",
            serial: "6f1c1b8e-7d0a-4c5e-9a77-0c2b8f1d2e3a",
            document_url: "http://localhost/sbom",
            purl_namespace: "fedora",
        }
    }

    #[test]
    fn rpms_get_a_purl_with_epoch_and_arch() {
        let p = package("rpm:bash-1:5.2.26-3.fc40.x86_64", "fedora");
        assert_eq!(
            p.purl.unwrap(),
            "pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&epoch=1"
        );
        assert_eq!(p.version.unwrap(), "1:5.2.26-3.fc40");
        assert_eq!(
            package("container:a/b c:1", "x").purl.unwrap(),
            "pkg:oci/b%20c?tag=1"
        );
    }

    #[test]
    fn cyclonedx_lists_inputs_and_dependencies() {
        let (nodes, edges) = sample();
        let bom = cyclonedx(&input(&nodes, &edges));
        assert_eq!(bom["components"].as_array().unwrap().len(), 2);
        assert_eq!(
            bom["metadata"]["component"]["bom-ref"],
            "container:httpd:2.4"
        );
        let root = bom["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == "container:httpd:2.4")
            .unwrap();
        assert_eq!(root["dependsOn"], json!(["container:fedora-base:40"]));
    }

    #[test]
    fn spdx_maps_edge_kinds_to_relationships() {
        let (nodes, edges) = sample();
        let doc = spdx(&input(&nodes, &edges));
        let rels = doc["relationships"].as_array().unwrap();
        let types: Vec<&str> = rels
            .iter()
            .map(|r| r["relationshipType"].as_str().unwrap())
            .collect();
        assert_eq!(types.iter().filter(|t| **t == "DESCRIBES").count(), 1);
        assert!(types.contains(&"CONTAINS"));
        assert!(types.contains(&"DESCENDANT_OF"));
        assert_eq!(doc["packages"].as_array().unwrap().len(), 3);
    }
}
