//! `composeinfo.json`: which compose this is (id, date, type, respin, label),
//! the release it builds (and the base product of a layered one), and its
//! variants with their arches; plus the compose header that `rpms.json` and
//! `images.json` repeat.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use super::ProductmdError;
use super::walk::{Node, check_header};
use crate::product;
use crate::time::Timestamp;

const FILE: &str = "composeinfo.json";

/// The compose types productmd knows. (`development` is productmd's fifth,
/// used for non-production composes; it is accepted like the others.)
pub const COMPOSE_TYPES: [&str; 5] = ["ci", "nightly", "production", "test", "development"];

/// The variant types productmd knows.
pub const VARIANT_TYPES: [&str; 4] = ["variant", "optional", "addon", "layered-product"];

/// Everything `composeinfo.json` says that Almanac keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeInfo {
    pub compose: ComposeHeader,
    pub release: ProductInfo,
    /// The product a layered release is built on; `None` unless
    /// `release.is_layered` (productmd ignores it otherwise, and so do we).
    pub base_product: Option<ProductInfo>,
    /// Top-level variants, sorted by uid; each holds its children, sorted too.
    pub variants: Vec<Variant>,
}

/// The `compose` object every productmd file carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeHeader {
    /// `Fedora-Rawhide-20261101.n.0`.
    pub id: String,
    /// `YYYYMMDD`, a real calendar date.
    pub date: String,
    /// One of [`COMPOSE_TYPES`].
    pub compose_type: String,
    pub respin: u32,
    /// A milestone label such as `RC-1.0`; `None` when absent or empty.
    pub label: Option<String>,
    /// Whether the compose is a final one; `false` when absent.
    pub final_: bool,
}

/// A release or base product as productmd describes it. The strings are kept
/// as written (`Fedora`, `Rawhide`); [`ComposeInfo::release_id`] lower-cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    pub name: String,
    pub short: String,
    pub version: String,
    /// `ga`, `updates`, ...; lower-cased, and `ga` when absent (productmd's default).
    pub release_type: String,
    /// Always `false` for a base product.
    pub is_layered: bool,
}

/// A variant of the compose (`Server`, `Everything`) or a child of one
/// (`Server-optional`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `optional`: the name within its parent.
    pub id: String,
    /// `Server-optional`: the parent's uid, a dash and the id; unique in the compose.
    pub uid: String,
    pub name: String,
    /// One of [`VARIANT_TYPES`].
    pub variant_type: String,
    /// Sorted, not empty.
    pub arches: Vec<String>,
    /// Where things are in the compose tree: kind (`os_tree`, `packages`,
    /// `isos`, ...) to arch to a path relative to the compose's top.
    pub paths: BTreeMap<String, BTreeMap<String, String>>,
    /// Child variants, sorted by uid.
    pub children: Vec<Variant>,
}

impl ComposeHeader {
    /// productmd's order of two composes of one release, as text that sorts
    /// the same way: date, then type (`test` < `ci` < `development` <
    /// `nightly` < `production`), then respin.
    pub fn sort_key(&self) -> String {
        let rank = match self.compose_type.as_str() {
            "test" => 0,
            "ci" => 1,
            "development" => 2,
            "nightly" => 3,
            _ => 4,
        };
        format!("{}.{rank}.{:06}", self.date, self.respin)
    }

    /// The date as PDC shows it: `2026-11-01`.
    pub fn iso_date(&self) -> String {
        match (self.date.get(..4), self.date.get(4..6), self.date.get(6..8)) {
            (Some(y), Some(m), Some(d)) if self.date.len() == 8 => format!("{y}-{m}-{d}"),
            _ => self.date.clone(),
        }
    }

    /// productmd's `compose` object.
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::json!({
            "id": self.id,
            "date": self.date,
            "type": self.compose_type,
            "respin": self.respin,
            "final": self.final_,
        });
        if let Some(label) = &self.label {
            o["label"] = serde_json::Value::String(label.clone());
        }
        o
    }
}

impl ComposeInfo {
    /// PDC's release id: `fedora-41`, `fedora-41-updates`, and for a layered
    /// release the base product after `@` (`epel-9-updates@rhel-9`), lower-cased.
    pub fn release_id(&self) -> String {
        let release = &self.release;
        let base = self.base_product.as_ref().map(|bp| {
            product::release_id(&bp.short, &bp.version, &bp.release_type, None).to_lowercase()
        });
        product::release_id(
            &release.short,
            &release.version,
            &release.release_type,
            base.as_deref(),
        )
        .to_lowercase()
    }

    /// All variants, each parent before its children, in uid order.
    pub fn all_variants(&self) -> Vec<&Variant> {
        fn walk<'a>(variants: &'a [Variant], out: &mut Vec<&'a Variant>) {
            for v in variants {
                out.push(v);
                walk(&v.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.variants, &mut out);
        out
    }
}

/// Reads `composeinfo.json`.
pub fn parse_composeinfo(mut reader: impl Read) -> Result<ComposeInfo, ProductmdError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ProductmdError::from_io(FILE, &e))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| ProductmdError::from_json(FILE, &e))?;
    let root = Node::root(FILE, &doc);
    check_header(&root.field("header")?, "productmd.composeinfo")?;

    let payload = root.field("payload")?;
    let compose = compose_header(&payload.field("compose")?)?;
    let release_node = payload.field("release")?;
    let release = product_info(&release_node)?;
    let base_product = if release.is_layered {
        Some(product_info(&payload.field("base_product")?)?)
    } else {
        None
    };
    let variants = variants(&payload.field("variants")?)?;
    Ok(ComposeInfo {
        compose,
        release,
        base_product,
        variants,
    })
}

/// Reads a `compose` object, wherever it stands.
pub(super) fn compose_header(node: &Node<'_>) -> Result<ComposeHeader, ProductmdError> {
    let id = node.field("id")?.text()?;

    let date_node = node.field("date")?;
    let date = date_node.string()?;
    if !is_yyyymmdd(&date) {
        return Err(date_node.error(format!(
            "date '{date}' is not a calendar date written YYYYMMDD"
        )));
    }

    let type_node = node.field("type")?;
    let compose_type = type_node.string()?;
    if !COMPOSE_TYPES.contains(&compose_type.as_str()) {
        return Err(type_node.error(format!(
            "compose type '{compose_type}' is not one of {}",
            COMPOSE_TYPES.join(", ")
        )));
    }

    let respin = node.field("respin")?.u32()?;
    let label = match node.opt_field("label")? {
        Some(label) => Some(label.string()?).filter(|l| !l.is_empty()),
        None => None,
    };
    let final_ = match node.opt_field("final")? {
        Some(f) => f.bool()?,
        None => false,
    };
    Ok(ComposeHeader {
        id,
        date,
        compose_type,
        respin,
        label,
        final_,
    })
}

fn is_yyyymmdd(date: &str) -> bool {
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (y, m, d) = (&date[..4], &date[4..6], &date[6..]);
    match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) => Timestamp::from_civil(y, m, d, 0, 0, 0, 0).is_some(),
        _ => false,
    }
}

fn product_info(node: &Node<'_>) -> Result<ProductInfo, ProductmdError> {
    let release_type = match node.opt_field("type")? {
        Some(t) => {
            let raw = t.text()?;
            let lower = raw.to_lowercase();
            let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                && lower
                    .split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !valid {
                return Err(t.error(format!(
                    "release type '{raw}' must be letters and digits in dash-separated parts, starting with a letter"
                )));
            }
            lower
        }
        None => "ga".to_string(),
    };
    let is_layered = match node.opt_field("is_layered")? {
        Some(l) => l.bool()?,
        None => false,
    };
    Ok(ProductInfo {
        name: node.field("name")?.text()?,
        short: node.field("short")?.text()?,
        version: node.field("version")?.text()?,
        release_type,
        is_layered,
    })
}

/// `payload.variants`. productmd writes every variant at this one level,
/// keyed by uid, and a parent names its children by id in a `variants` list
/// (`"variants": ["optional"]` in `Server` means `Server-optional`). A
/// parent's `variants` may also be an object holding the children whole;
/// both are read.
fn variants(node: &Node<'_>) -> Result<Vec<Variant>, ProductmdError> {
    let all: BTreeMap<&str, Node<'_>> = node.entries()?.into_iter().collect();

    let mut children = BTreeSet::new();
    for (uid, v) in &all {
        let listed = match v.opt_field("variants")? {
            Some(list) => list.items().unwrap_or_default(),
            None => Vec::new(),
        };
        for child in listed {
            children.insert(format!("{uid}-{}", child.str()?));
        }
    }
    let mut top = Vec::new();
    for (uid, v) in &all {
        if !children.contains(*uid) {
            top.push(variant(uid, v, None, &all)?);
        }
    }
    Ok(top)
}

fn variant(
    key: &str,
    node: &Node<'_>,
    parent: Option<&str>,
    all: &BTreeMap<&str, Node<'_>>,
) -> Result<Variant, ProductmdError> {
    let id_node = node.field("id")?;
    let id = id_node.text()?;
    if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(id_node.error(format!("variant id '{id}' must be letters and digits only")));
    }
    let uid_node = node.field("uid")?;
    let uid = uid_node.text()?;
    if uid != key {
        return Err(uid_node.error(format!(
            "uid '{uid}' differs from the key '{key}' the variant is listed under"
        )));
    }
    if let Some(parent) = parent {
        let expected = format!("{parent}-{id}");
        if uid != expected {
            return Err(uid_node.error(format!(
                "uid '{uid}' of a child of '{parent}' must be '{expected}'"
            )));
        }
    }

    let type_node = node.field("type")?;
    let variant_type = type_node.string()?;
    if !VARIANT_TYPES.contains(&variant_type.as_str()) {
        return Err(type_node.error(format!(
            "variant type '{variant_type}' is not one of {}",
            VARIANT_TYPES.join(", ")
        )));
    }

    let arches_node = node.field("arches")?;
    let mut arches = arches_node.strings()?;
    arches.sort();
    arches.dedup();
    if arches.is_empty() {
        return Err(arches_node.error("a variant needs at least one arch"));
    }

    let mut paths = BTreeMap::new();
    if let Some(paths_node) = node.opt_field("paths")? {
        for (kind, by_arch) in paths_node.entries()? {
            let mut arch_paths = BTreeMap::new();
            for (arch, path) in by_arch.entries()? {
                arch_paths.insert(arch.to_string(), path.string()?);
            }
            paths.insert(kind.to_string(), arch_paths);
        }
    }

    let mut children = Vec::new();
    if let Some(list) = node.opt_field("variants")? {
        if let Ok(items) = list.items() {
            for child_id in items {
                let child_uid = format!("{uid}-{}", child_id.str()?);
                let child = all.get(child_uid.as_str()).ok_or_else(|| {
                    child_id.error(format!(
                        "child variant '{child_uid}' is not in payload.variants"
                    ))
                })?;
                children.push(variant(&child_uid, child, Some(&uid), all)?);
            }
        } else {
            for (child_uid, child) in list.entries()? {
                children.push(variant(child_uid, &child, Some(&uid), all)?);
            }
        }
    }
    children.sort_by(|a, b| a.uid.cmp(&b.uid));

    Ok(Variant {
        id,
        uid,
        name: node.field("name")?.text()?,
        variant_type,
        arches,
        paths,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(doc: serde_json::Value) -> Result<ComposeInfo, ProductmdError> {
        parse_composeinfo(doc.to_string().as_bytes())
    }

    fn doc() -> serde_json::Value {
        json!({
            "header": {"type": "productmd.composeinfo", "version": "1.2"},
            "payload": {
                "compose": {"id": "Fedora-Rawhide-20261101.n.0", "date": "20261101",
                            "type": "nightly", "respin": 0},
                "release": {"name": "Fedora", "short": "Fedora", "version": "Rawhide",
                            "type": "ga", "internal": false},
                "variants": {
                    "Server": {"id": "Server", "uid": "Server", "name": "Fedora Server",
                               "type": "variant", "arches": ["x86_64", "aarch64"],
                               "paths": {"os_tree": {"x86_64": "Server/x86_64/os"}},
                               "variants": ["optional"]},
                    "Server-optional": {"id": "optional", "uid": "Server-optional",
                               "name": "optional", "type": "optional", "arches": ["x86_64"],
                               "paths": {}},
                    "Everything": {"id": "Everything", "uid": "Everything",
                               "name": "Everything", "type": "variant", "arches": ["x86_64"],
                               "paths": {}}
                }
            }
        })
    }

    #[test]
    fn variants_nest_children_and_sort_by_uid() {
        let info = parse(doc()).unwrap();
        assert_eq!(info.compose.compose_type, "nightly");
        assert_eq!(info.compose.label, None);
        assert!(!info.compose.final_);
        let uids: Vec<&str> = info.variants.iter().map(|v| v.uid.as_str()).collect();
        assert_eq!(uids, ["Everything", "Server"]);
        let server = &info.variants[1];
        assert_eq!(server.arches, ["aarch64", "x86_64"]);
        assert_eq!(server.paths["os_tree"]["x86_64"], "Server/x86_64/os");
        assert_eq!(server.children.len(), 1);
        assert_eq!(server.children[0].uid, "Server-optional");
        assert_eq!(server.children[0].variant_type, "optional");
        let all: Vec<&str> = info.all_variants().iter().map(|v| v.uid.as_str()).collect();
        assert_eq!(all, ["Everything", "Server", "Server-optional"]);
        assert_eq!(info.release_id(), "fedora-rawhide");
    }

    #[test]
    fn children_may_also_be_given_whole() {
        let mut d = doc();
        let variants = d["payload"]["variants"].as_object_mut().unwrap();
        let child = variants.remove("Server-optional").unwrap();
        variants["Server"]["variants"] = json!({"Server-optional": child});
        let info = parse(d).unwrap();
        assert_eq!(info.all_variants().len(), 3);
        assert_eq!(info.variants[1].children[0].id, "optional");
    }

    #[test]
    fn a_missing_child_is_named() {
        let mut d = doc();
        d["payload"]["variants"]["Server"]["variants"] = json!(["optional", "HA"]);
        let err = parse(d).unwrap_err();
        assert_eq!(err.place, "payload.variants.Server.variants[1]");
        assert!(err.message.contains("'Server-HA'"), "{err}");
    }

    #[test]
    fn a_child_uid_must_extend_its_parent() {
        let mut d = doc();
        d["payload"]["variants"]["Server"]["variants"] = json!({"Server-optional": {"id": "optional", "uid": "Server-optional",
                   "name": "o", "type": "optional", "arches": ["x86_64"]},
                   "Other": {"id": "Other", "uid": "Other", "name": "o",
                   "type": "addon", "arches": ["x86_64"]}});
        let err = parse(d).unwrap_err();
        assert_eq!(err.place, "payload.variants.Server.variants.Other.uid");
    }

    #[test]
    fn compose_types_are_productmds() {
        for t in COMPOSE_TYPES {
            let mut d = doc();
            d["payload"]["compose"]["type"] = json!(t);
            assert_eq!(parse(d).unwrap().compose.compose_type, t);
        }
        let mut d = doc();
        d["payload"]["compose"]["type"] = json!("weird");
        let err = parse(d).unwrap_err();
        assert_eq!(err.place, "payload.compose.type");
        assert!(err.message.contains("'weird'"), "{err}");
    }

    #[test]
    fn dates_must_exist_in_the_calendar() {
        for (date, ok) in [
            ("20261101", true),
            ("20240229", true),
            ("20230229", false),
            ("2026-11-01", false),
            ("20261301", false),
            ("2026110", false),
        ] {
            let mut d = doc();
            d["payload"]["compose"]["date"] = json!(date);
            let result = parse(d);
            assert_eq!(result.is_ok(), ok, "{date}: {result:?}");
            if let Err(err) = result {
                assert_eq!(err.place, "payload.compose.date");
            }
        }
    }

    #[test]
    fn label_and_final_are_optional() {
        let mut d = doc();
        d["payload"]["compose"]["label"] = json!("RC-1.0");
        d["payload"]["compose"]["final"] = json!(true);
        let info = parse(d).unwrap();
        assert_eq!(info.compose.label.as_deref(), Some("RC-1.0"));
        assert!(info.compose.final_);
        let mut d = doc();
        d["payload"]["compose"]["label"] = json!("");
        assert_eq!(parse(d).unwrap().compose.label, None);
    }

    #[test]
    fn layered_releases_need_a_base_product() {
        let mut d = doc();
        d["payload"]["release"] = json!({"name": "Fedora EPEL", "short": "EPEL",
            "version": "9", "type": "Updates", "is_layered": true});
        let err = parse(d.clone()).unwrap_err();
        assert_eq!(err.place, "payload.base_product");
        d["payload"]["base_product"] = json!({"name": "RHEL", "short": "RHEL", "version": "9"});
        let info = parse(d).unwrap();
        assert_eq!(info.release.release_type, "updates");
        assert_eq!(info.base_product.as_ref().unwrap().release_type, "ga");
        assert_eq!(info.release_id(), "epel-9-updates@rhel-9");
    }

    #[test]
    fn a_base_product_of_a_non_layered_release_is_ignored() {
        let mut d = doc();
        d["payload"]["base_product"] = json!({"name": "X", "short": "X", "version": "1"});
        assert_eq!(parse(d).unwrap().base_product, None);
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        let mut d = doc();
        d["payload"]["variants"]["Server"]
            .as_object_mut()
            .unwrap()
            .remove("arches");
        let err = parse(d).unwrap_err();
        assert_eq!(
            err.to_string(),
            "composeinfo.json: payload.variants.Server.arches: required field is missing"
        );
        let mut d = doc();
        d["payload"]["variants"]["Everything"]["type"] = json!("flavour");
        let err = parse(d).unwrap_err();
        assert_eq!(err.place, "payload.variants.Everything.type");
        assert!(err.message.contains("'flavour'"), "{err}");
    }
}
