//! `release-component-relationships/`: typed edges between release
//! components, written with components as `{"id"}` or `{"release", "name"}`.

use super::components::release_component_ref;
use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::relationships::{self as store, Relationship, RelationshipFilter};
use almanac_store::releases::id_of;
use serde_json::{Map, Value};

pub struct Relationships;

impl Relationships {
    fn find(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Relationship>, PdcError> {
        match int_key(key) {
            Some(id) => Ok(store::get(conn, id)?),
            None => Ok(None),
        }
    }

    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<Relationship>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["type", "from_component", "to_component"], &["id"])?;
        let keep = partial && old.is_some();
        let type_name = match (text(body, "type")?, &old) {
            (Some(t), _) => t,
            (None, Some(o)) if keep => o.relation_type.clone(),
            _ => return Err(PdcError::required("type")),
        };
        let type_id =
            id_of(conn, "component_relationship_types", "name", &type_name)?.ok_or_else(|| {
                PdcError::field(
                    "type",
                    format!("Object with name={type_name} does not exist."),
                )
            })?;
        let mut end = |field: &str, old_id: Option<i64>| -> Result<i64, PdcError> {
            match (body.get(field), old_id) {
                (Some(v), _) => Ok(release_component_ref(conn, field, v)?.id),
                (None, Some(id)) if keep => Ok(id),
                _ => Err(PdcError::required(field)),
            }
        };
        let from = end("from_component", old.as_ref().map(|o| o.from_component.id))?;
        let to = end("to_component", old.as_ref().map(|o| o.to_component.id))?;
        if let Some(existing) = store::find(conn, type_id, from, to)?
            && old.as_ref().is_none_or(|o| o.id != existing)
        {
            // pdc-updater matches this text, naming the model's field.
            return Err(PdcError::unique_set(&[
                "relation_type",
                "from_component",
                "to_component",
            ]));
        }
        Ok(to_json(&store::save(
            conn,
            old.as_ref(),
            type_id,
            from,
            to,
            changes,
        )?))
    }
}

impl Resource for Relationships {
    fn prefix(&self) -> &'static str {
        "release-component-relationships"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "type",
            "from_component_release",
            "from_component_name",
            "to_component_release",
            "to_component_name",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "type", "from_component", "to_component"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "type", "from_component", "to_component"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = RelationshipFilter {
            types: q.values("type").to_vec(),
            from_releases: q.values("from_component_release").to_vec(),
            from_names: q.values("from_component_name").to_vec(),
            to_releases: q.values("to_component_release").to_vec(),
            to_names: q.values("to_component_name").to_vec(),
            ..Default::default()
        };
        let (count, items) = store::list(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("releasecomponentrelationship")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(self.find(conn, key)?.as_ref().map(to_json))
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
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete(conn, &old, changes)?)
    }
}
