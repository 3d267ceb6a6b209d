//! The PDC resources Almanac serves, one module each.

pub mod bugzilla;
pub mod changesets;
pub mod components;
pub mod composes;
pub mod contacts;
pub mod deliverables;
pub mod lifecycle;
pub mod modules;
pub mod named_types;
pub mod overrides;
pub mod packages;
pub mod permissions;
pub mod products;
pub mod relationships;
pub mod releases;
pub mod rtt_tests;

use super::error::PdcError;
use almanac_store::Conn;
use almanac_store::releases::id_of;
use serde_json::Value;

/// A stored object as PDC serializes it (the store's types carry PDC's names).
pub fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serializes")
}

/// A numeric lookup (`global-components/12/`); anything else matches nothing.
pub fn int_key(key: &str) -> Option<i64> {
    key.parse().ok()
}

/// A reference by natural key to an object that must exist, in PDC's words.
pub fn must_exist(
    conn: &mut dyn Conn,
    field: &str,
    value: &str,
    table: &str,
    column: &str,
) -> Result<(), PdcError> {
    if id_of(conn, table, column, value)?.is_some() {
        Ok(())
    } else {
        Err(PdcError::field(
            field,
            format!("Object with {column}={value} does not exist."),
        ))
    }
}

/// A PUT replaces every writable field; a PATCH keeps what it does not name.
/// Answers the new value, the old one, or refuses a missing required field.
pub fn keep_or<T>(
    field: &str,
    given: Option<T>,
    old: T,
    partial: bool,
    required: bool,
) -> Result<T, PdcError> {
    match given {
        Some(v) => Ok(v),
        None if partial => Ok(old),
        None if required => Err(PdcError::required(field)),
        None => Ok(old),
    }
}
