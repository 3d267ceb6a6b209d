//! What a store operation can answer besides success.

use crate::db::DbError;
use almanac_model::ModelError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The input breaks a domain rule; the message is for the client.
    #[error("{0}")]
    Invalid(#[from] ModelError),
    /// A productmd file (composeinfo, rpms or images) is broken: which file,
    /// where in it, and why.
    #[error("{0}")]
    Metadata(#[from] almanac_model::productmd::ProductmdError),
    /// The write breaks a uniqueness rule the caller did not check first
    /// (two writers raced): the message names what clashed.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached, is busy past retrying, or refuses writes
    /// (read-only, full): the client may try again later.
    #[error("{0}")]
    Unavailable(DbError),
    /// Anything else: a bug or a schema mismatch. Logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_)
            | DbError::Busy(_)
            | DbError::ReadOnly(_)
            | DbError::Full(_) => StoreError::Unavailable(e),
            DbError::Unique(m) => StoreError::Conflict(format!("already exists: {m}")),
            DbError::Unstorable(m) => {
                StoreError::Invalid(almanac_model::ModelError::new("text", m))
            }
            other => StoreError::Internal(other.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
