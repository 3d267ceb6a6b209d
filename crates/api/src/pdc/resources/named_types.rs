//! `component-group-types/`, `component-sla-types/`, `labels/` and
//! `component-relationship-types/`: a name (and a description), one resource
//! for all.

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
    /// Whether objects show (and take) a description.
    pub described: bool,
}

impl NamedTypes {
    fn json(&self, t: &store::NamedType) -> Value {
        let mut v = to_json(t);
        if !self.described {
            v.as_object_mut().map(|o| o.remove("description"));
        }
        v
    }
    fn writable(&self) -> &'static [&'static str] {
        if self.described {
            &["name", "description"]
        } else {
            &["name"]
        }
    }
    fn find(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<store::NamedType>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::list(conn, self.kind, &[], &[id], &[], None)?.1.pop())
    }
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
        if self.described {
            &["id", "name", "description"]
        } else {
            &["id", "name"]
        }
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) =
            store::list(conn, self.kind, q.values("name"), &[], &q.ordering, q.page)?;
        Ok((count, items.iter().map(|t| self.json(t)).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(self.find(conn, key)?.as_ref().map(|t| self.json(t)))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, self.writable(), &["id"])?;
        let name = required_text(body, "name")?;
        self.check_free(conn, &name)?;
        let description = text(body, "description")?.unwrap_or_default();
        Ok(self.json(&store::save(
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
        check_body(body, self.writable(), &["id"])?;
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
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
        Ok(self.json(&store::save(
            conn,
            self.kind,
            Some(&old),
            &name,
            &description,
            changes,
        )?))
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        let uses = store::uses(conn, self.kind, old.id)?;
        if uses > 0 {
            return Err(PdcError::bad_request(format!(
                "Cannot delete {} because {uses} objects refer to it.",
                old.name
            )));
        }
        Ok(store::delete(conn, self.kind, &old, changes)?)
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
