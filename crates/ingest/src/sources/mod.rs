//! Clients of the sources the import and the audit read directly (the
//! bus tells of changes; these tell what is): a compose tree ([`tree`]),
//! dist-git's pagure API ([`distgit`]), the account system's FASJSON API
//! ([`accounts`]); koji is [`crate::koji`].

pub mod accounts;
pub mod distgit;
pub mod tree;

use crate::compose_source::SourceError;

/// A JSON document from `url`, or why not (a 404 is an error here: the
/// caller asked for something the source should have).
pub(crate) fn get_json(url: &str) -> Result<serde_json::Value, SourceError> {
    let bytes = crate::http::get_small(url)?.ok_or_else(|| SourceError::Unreadable {
        location: url.to_string(),
        message: "the server answered 404".into(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SourceError::Unreadable {
        location: url.to_string(),
        message: format!("not JSON: {e}"),
    })
}
