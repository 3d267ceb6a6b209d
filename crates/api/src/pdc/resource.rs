//! What a PDC resource provides; the handlers in `handlers.rs` give every
//! resource PDC's conventions (strict parameters, pagination, ordering,
//! field selection, bulk operations, changesets, permissions) the same way.

use super::error::PdcError;
use super::query::ListQuery;
use almanac_store::Conn;
use almanac_store::changes::Change;
use serde_json::{Map, Value};

/// The writes a resource supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writes {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl Writes {
    pub const NONE: Writes = Writes {
        create: false,
        update: false,
        delete: false,
    };
    pub const NO_DELETE: Writes = Writes {
        create: true,
        update: true,
        delete: false,
    };
    pub const ALL: Writes = Writes {
        create: true,
        update: true,
        delete: true,
    };
}

/// One PDC resource (`products`, `releases`, ...). Every method runs inside
/// the store transaction the handler opened; writes add what they change to
/// `changes`, which the handler records as one changeset for the request.
pub trait Resource: Send + Sync + 'static {
    /// The URL prefix under `/rest_api/v1/`, also the permission's resource name.
    fn prefix(&self) -> &'static str;
    /// Query parameters that filter the list.
    fn filters(&self) -> &'static [&'static str];
    /// Keys `ordering` accepts.
    fn ordering(&self) -> &'static [&'static str];
    /// Fields of the serialized object (for `fields` / `exclude_fields`).
    fn fields(&self) -> &'static [&'static str];
    fn writes(&self) -> Writes;

    /// The total and the requested page (or all when `q.page` is `None`).
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError>;
    /// One object by its lookup (`fedora-24`, `fedora-24/Server`...).
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError>;
    /// A detail read that looks at its query (the parameters of
    /// [`Resource::detail_params`]); most resources need only `get`.
    fn get_with(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        _q: &ListQuery,
    ) -> Result<Option<Value>, PdcError> {
        self.get(conn, key)
    }
    /// Parameters a detail URL takes besides the list's filters.
    fn detail_params(&self) -> &'static [&'static str] {
        &[]
    }

    /// The class the changesets know this resource's objects by (`release`,
    /// `releasecomponent`...), which makes `?as_of=` reads possible; `None`
    /// when its writes are not recorded per object.
    fn history_class(&self) -> Option<&'static str> {
        None
    }
    /// The id the changesets know an object by; numeric lookups are that id.
    fn history_id(&self, _conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(key.parse().ok())
    }

    fn create(
        &self,
        _conn: &mut dyn Conn,
        _body: &Map<String, Value>,
        _changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        Err(PdcError::method_not_allowed("POST"))
    }
    /// A bulk POST's fast path: all of `items` created in a few statements,
    /// or `None` to have them created one by one (which also finds and
    /// names the first bad item). Writes nothing when it answers `None`.
    fn create_many(
        &self,
        _conn: &mut dyn Conn,
        _items: &[Value],
        _changes: &mut Vec<Change>,
    ) -> Result<Option<Vec<Value>>, PdcError> {
        Ok(None)
    }
    /// PUT (`partial` false: omitted optional fields are erased) or PATCH.
    fn update(
        &self,
        _conn: &mut dyn Conn,
        _key: &str,
        _body: &Map<String, Value>,
        _partial: bool,
        _changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        Err(PdcError::method_not_allowed("PUT"))
    }
    fn delete(
        &self,
        _conn: &mut dyn Conn,
        _key: &str,
        _changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        Err(PdcError::method_not_allowed("DELETE"))
    }
    /// PUT or PATCH of a URL under one object that is not the object itself
    /// (`composes/{id}/rpm-mapping/{package}/`): any JSON body, the query's
    /// pairs, and its own status and answer. `None` when `key` is not such
    /// a URL, and the object itself is updated.
    fn update_under(
        &self,
        _conn: &mut dyn Conn,
        _key: &str,
        _body: &Value,
        _partial: bool,
        _query: &[(String, String)],
        _changes: &mut Vec<Change>,
    ) -> Result<Option<(axum::http::StatusCode, Value)>, PdcError> {
        Ok(None)
    }
    /// DELETE, answering a warning for the `pdc-warning` header when the
    /// delete changed nothing (PDC's clients print it).
    fn delete_warning(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<Option<String>, PdcError> {
        self.delete(conn, key, changes).map(|()| None)
    }
    /// POST to a collection under one object (`global-components/1/labels/`,
    /// `key` = `1/labels`); needs the resource's update permission.
    fn create_under(
        &self,
        _conn: &mut dyn Conn,
        _key: &str,
        _body: &Map<String, Value>,
        _changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        Err(PdcError::method_not_allowed("POST"))
    }
}

/// Checks a request body's keys: unknown ones and read-only ones are refused
/// with PDC's texts.
pub fn check_body(
    body: &Map<String, Value>,
    writable: &[&str],
    read_only: &[&str],
) -> Result<(), PdcError> {
    let ro: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| read_only.contains(k))
        .collect();
    if !ro.is_empty() {
        let names: Vec<String> = ro.iter().map(|k| format!("\"{k}\"")).collect();
        return Err(PdcError::bad_request(format!(
            "Can not update read only fields: {}.",
            names.join(", ")
        )));
    }
    let unknown: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| !writable.contains(k))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|k| format!("\"{k}\"")).collect();
        return Err(PdcError::bad_request(format!(
            "Unknown fields: {}.",
            names.join(", ")
        )));
    }
    Ok(())
}

/// A string field: required (`This field is required.`), or optional.
pub fn text(body: &Map<String, Value>, field: &str) -> Result<Option<String>, PdcError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            almanac_model::text::check_text(field, s)?;
            Ok(Some(s.clone()))
        }
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(PdcError::field(field, "Not a valid string.")),
    }
}

pub fn required_text(body: &Map<String, Value>, field: &str) -> Result<String, PdcError> {
    match text(body, field)? {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(PdcError::field(field, "This field may not be blank.")),
        None => Err(PdcError::required(field)),
    }
}

pub fn boolean(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, PdcError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => super::query::parse_bool(s)
            .map(Some)
            .ok_or_else(|| PdcError::field(field, "Must be a valid boolean.")),
        Some(_) => Err(PdcError::field(field, "Must be a valid boolean.")),
    }
}

pub fn string_list(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, PdcError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PdcError::field(field, "Expected a list of strings.")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(PdcError::field(field, "Expected a list of items.")),
    }
}
