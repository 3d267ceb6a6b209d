//! `bugzilla-components/`: a tree, written as `{name, parent_pk}` and read
//! with the parent's name and every descendant's path.

use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text};
use almanac_store::Conn;
use almanac_store::bugzilla::{self as store, BugzillaComponent, BugzillaFilter};
use almanac_store::changes::Change;
use serde_json::{Map, Value};

pub struct BugzillaComponents;

fn parent_pk(body: &Map<String, Value>) -> Result<Option<Option<i64>>, PdcError> {
    match body.get("parent_pk") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(|n| Some(Some(n)))
            .ok_or_else(|| PdcError::field("parent_pk", "A valid integer is required.")),
        Some(Value::String(s)) => s
            .parse()
            .map(|n| Some(Some(n)))
            .map_err(|_| PdcError::field("parent_pk", "A valid integer is required.")),
        Some(_) => Err(PdcError::field("parent_pk", "A valid integer is required.")),
    }
}

impl BugzillaComponents {
    fn find(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<BugzillaComponent>, PdcError> {
        match int_key(key) {
            Some(id) => Ok(store::get(conn, id)?),
            None => Ok(None),
        }
    }

    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<BugzillaComponent>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["name", "parent_pk"],
            &["id", "parent_component", "subcomponents"],
        )?;
        let keep = partial && old.is_some();
        let name = match (body.contains_key("name"), &old) {
            (false, Some(o)) if keep => o.name.clone(),
            _ => required_text(body, "name")?,
        };
        if name.contains('/') {
            return Err(PdcError::field("name", "Name must not contain '/'."));
        }
        let parent = match (parent_pk(body)?, &old) {
            (Some(p), _) => p,
            (None, Some(o)) if keep => o.parent_id,
            (None, Some(_)) => return Err(PdcError::required("parent_pk")),
            (None, None) => None,
        };
        if let Some(p) = parent {
            if store::get(conn, p)?.is_none() {
                return Err(PdcError::field(
                    "parent_pk",
                    format!("Bugzilla component with id {p} does not exist."),
                ));
            }
            if let Some(o) = &old
                && store::is_within(conn, o.id, p)?
            {
                return Err(PdcError::field(
                    "parent_pk",
                    "A bugzilla component can not be moved below itself.",
                ));
            }
        }
        if let Some(existing) = store::child_named(conn, parent, &name)?
            && old.as_ref().is_none_or(|o| o.id != existing)
        {
            if old.is_none() {
                // PDC answers an existing node instead of a second one.
                return Ok(to_json(&store::get(conn, existing)?));
            }
            return Err(PdcError::unique_set(&["name", "parent_component"]));
        }
        Ok(to_json(&store::save(
            conn,
            old.as_ref(),
            &name,
            parent,
            changes,
        )?))
    }
}

impl Resource for BugzillaComponents {
    fn prefix(&self) -> &'static str {
        "bugzilla-components"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name", "parent_component"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "name", "parent_component", "subcomponents"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = BugzillaFilter {
            ids: Vec::new(),
            names: q.values("name").to_vec(),
            parents: q.values("parent_component").to_vec(),
        };
        let (count, items) = store::list(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("bugzillacomponent")
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
