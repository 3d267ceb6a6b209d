//! `component-group-types/` and `component-sla-types/`: a name and a
//! description, one resource for both.

use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::named_types::{self as store, TypeKind};
use serde_json::{Map, Value};

pub struct NamedTypes {
    pub kind: TypeKind,
    pub prefix: &'static str,
    /// SLA names never change once given (PDC); group type names may.
    pub renamable: bool,
}

impl Resource for NamedTypes {
    fn prefix(&self) -> &'static str {
        self.prefix
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "name", "description"]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) =
            store::list(conn, self.kind, q.values("name"), &[], &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::list(conn, self.kind, &[], &[id], &[], None)?
            .1
            .first()
            .map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["name", "description"], &["id"])?;
        let name = required_text(body, "name")?;
        self.check_free(conn, &name)?;
        let description = text(body, "description")?.unwrap_or_default();
        Ok(to_json(&store::save(
            conn,
            self.kind,
            None,
            &name,
            &description,
            changes,
        )?))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["name", "description"], &["id"])?;
        let id = int_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::list(conn, self.kind, &[], &[id], &[], None)?
            .1
            .pop()
            .ok_or_else(PdcError::not_found)?;
        let name = match text(body, "name")? {
            Some(n) if n != old.name && !self.renamable => {
                return Err(PdcError::field("name", "The name can not be changed."));
            }
            Some(n) => n,
            None if partial || !self.renamable => old.name.clone(),
            None => return Err(PdcError::required("name")),
        };
        if name != old.name {
            self.check_free(conn, &name)?;
        }
        let description = match text(body, "description")? {
            Some(d) => d,
            None if partial => old.description.clone(),
            None => String::new(),
        };
        Ok(to_json(&store::save(
            conn,
            self.kind,
            Some(&old),
            &name,
            &description,
            changes,
        )?))
    }
}

impl NamedTypes {
    fn check_free(&self, conn: &mut dyn Conn, name: &str) -> Result<(), PdcError> {
        if store::list(conn, self.kind, &[name.to_string()], &[], &[], None)?.0 > 0 {
            Err(PdcError::unique_field("name"))
        } else {
            Ok(())
        }
    }
}
