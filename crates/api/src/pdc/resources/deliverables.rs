//! Beyond PDC: `deliverable-types/` (the kinds of artifact a release's trees
//! produce, looked up by name) and `release-deliverables/` (a release's
//! variants x arches x deliverable types: what it is supposed to produce).

use super::to_json;
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, string_list};
use almanac_model::deliverables::{self, Deliverable, DeliverableType};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::deliverables::{self as store, StoredType};
use serde_json::{Map, Value};

const WRITABLE: &[&str] = &[
    "name",
    "artifact",
    "format",
    "variant_types",
    "variants",
    "arches",
    "pattern",
];

pub struct DeliverableTypes;

impl DeliverableTypes {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<&StoredType>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, WRITABLE, &[])?;
        let keep = |field: &str, old_value: Option<String>| -> Result<String, PdcError> {
            match (body.contains_key(field), old_value) {
                (false, Some(v)) if partial => Ok(v),
                _ => required_text(body, field),
            }
        };
        let keep_list =
            |field: &str, old_value: Option<&Vec<String>>| -> Result<Vec<String>, PdcError> {
                match (string_list(body, field)?, old_value) {
                    (Some(v), _) => Ok(v),
                    (None, Some(v)) if partial => Ok(v.clone()),
                    (None, _) => Ok(Vec::new()),
                }
            };
        let kind = DeliverableType {
            name: keep("name", old.map(|o| o.kind.name.clone()))?,
            artifact: keep("artifact", old.map(|o| o.kind.artifact.clone()))?,
            format: keep("format", old.map(|o| o.kind.format.clone()))?,
            variant_types: keep_list("variant_types", old.map(|o| &o.kind.variant_types))?,
            variants: keep_list("variants", old.map(|o| &o.kind.variants))?,
            arches: keep_list("arches", old.map(|o| &o.kind.arches))?,
            pattern: keep("pattern", old.map(|o| o.kind.pattern.clone()))?,
        };
        kind.validate()?;
        if old.is_none_or(|o| o.kind.name != kind.name) && store::get(conn, &kind.name)?.is_some() {
            return Err(PdcError::unique_field("name"));
        }
        Ok(to_json(&store::save(conn, old, kind, changes)?.kind))
    }
}

impl Resource for DeliverableTypes {
    fn prefix(&self) -> &'static str {
        "deliverable-types"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name", "artifact"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name", "artifact"]
    }
    fn fields(&self) -> &'static [&'static str] {
        WRITABLE
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) = store::list(
            conn,
            q.values("name"),
            q.values("artifact"),
            &q.ordering,
            q.page,
        )?;
        Ok((count, items.iter().map(|t| to_json(&t.kind)).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("deliverabletype")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get(conn, key)?.map(|t| t.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get(conn, key)?.map(|t| to_json(&t.kind)))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        self.save(conn, None, body, false, changes)
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let old = store::get(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(&old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = store::get(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete(conn, &old, changes)?)
    }
}

/// `release-deliverables/?release=fedora-41`: computed, never stored, so it
/// always follows the release's variants and the types as they are now.
pub struct ReleaseDeliverables;

impl Resource for ReleaseDeliverables {
    fn prefix(&self) -> &'static str {
        "release-deliverables"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release",
            "variant",
            "arch",
            "deliverable_type",
            "artifact",
            "format",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "release",
            "variant",
            "arch",
            "deliverable_type",
            "artifact",
            "format",
            "path",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NONE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let releases = q.values("release");
        if releases.is_empty() {
            return Err(PdcError::bad_request(
                "release-deliverables needs a release: ?release=<release_id>.",
            ));
        }
        let types: Vec<DeliverableType> = store::list(
            conn,
            q.values("deliverable_type"),
            q.values("artifact"),
            &[],
            None,
        )?
        .1
        .into_iter()
        .map(|t| t.kind)
        .collect();
        let mut all: Vec<Deliverable> = Vec::new();
        for release in releases {
            let (names, trees) = store::release_trees(conn, release)?
                .ok_or_else(|| PdcError::no_such("release", "Release", release))?;
            all.extend(deliverables::expand(&names, &trees, &types));
        }
        let keep =
            |wanted: &[String], value: &str| wanted.is_empty() || wanted.iter().any(|w| w == value);
        all.retain(|d| {
            keep(q.values("variant"), &d.variant)
                && keep(q.values("arch"), &d.arch)
                && keep(q.values("format"), &d.format)
        });
        let count = all.len() as i64;
        let page: Vec<Value> = match q.page {
            None => all.iter().map(to_json).collect(),
            Some((page, size)) => all
                .iter()
                .skip(((page.max(1) - 1) * size) as usize)
                .take(size as usize)
                .map(to_json)
                .collect(),
        };
        Ok((count, page))
    }
    fn get(&self, _conn: &mut dyn Conn, _key: &str) -> Result<Option<Value>, PdcError> {
        Ok(None)
    }
}
