//! The PDC resources Almanac serves, one module each.

pub mod changesets;
pub mod components;
pub mod lifecycle;
pub mod products;
pub mod releases;

use super::error::PdcError;

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
