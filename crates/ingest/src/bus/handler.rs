//! The path every handler of the model's sources takes (koji, the package
//! database, accounts): the message is read and its source asked first
//! (I/O, outside any transaction), then what it makes is written in one
//! transaction with its changeset (by `bus`, the message id as comment) and
//! its journal row. A refusal rolls the write back and is journalled as
//! failed on its own; a source or store that is down is not journalled, so
//! the message is tried again.

use super::apply::{Applied, Unavailable, record};
use super::message::Message;
use crate::koji::KojiError;
use almanac_store::changes::{self, Actor, Change};
use almanac_store::journal::Status;
use almanac_store::{Conn, Store, StoreError};

/// Why a handler did not apply a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// The message cannot be applied, and why (journalled, dead-lettered).
    Failed(String),
    /// A source is down: try again later.
    Unavailable(String),
    Store(StoreError),
}

impl From<StoreError> for HandlerError {
    fn from(e: StoreError) -> Self {
        HandlerError::Store(e)
    }
}

impl From<KojiError> for HandlerError {
    fn from(e: KojiError) -> Self {
        match e {
            KojiError::Unavailable { .. } => HandlerError::Unavailable(e.to_string()),
            KojiError::Fault { .. } => HandlerError::Failed(e.to_string()),
        }
    }
}

pub type Write =
    Box<dyn FnOnce(&mut dyn Conn, &mut Vec<Change>) -> Result<String, HandlerError> + Send>;

/// What a handler made of a message before writing.
pub enum Prepared {
    Ignore(String),
    Write(Write),
}

/// Prepares (reads the message, asks its source) and writes.
pub fn handle(
    store: &Store,
    m: &Message,
    handler: &'static str,
    prepare: impl FnOnce() -> Result<Prepared, HandlerError>,
) -> Result<Applied, Unavailable> {
    match prepare() {
        Ok(Prepared::Ignore(why)) => finish(store, m, handler, Status::Ignored, why),
        Ok(Prepared::Write(write)) => written(store, m, handler, write),
        Err(e) => refused(store, m, handler, e),
    }
}

fn written(
    store: &Store,
    m: &Message,
    handler: &'static str,
    write: Write,
) -> Result<Applied, Unavailable> {
    let msg = m.clone();
    let actor = Actor {
        user: Some("bus".into()),
        comment: Some(format!("bus message {}", m.id)),
        source: "bus".into(),
    };
    let done = store.write_blocking(move |c| -> Result<String, HandlerError> {
        let mut changes = Vec::new();
        let detail = write(c, &mut changes)?;
        changes::record(c, &actor, changes)?;
        record(
            c,
            &msg,
            Status::Applied,
            Some(handler),
            Some(detail.clone()),
        )?;
        Ok(detail)
    });
    match done {
        Ok(detail) => Ok(Applied::Applied { handler, detail }),
        Err(e) => refused(store, m, handler, e),
    }
}

fn refused(
    store: &Store,
    m: &Message,
    handler: &'static str,
    e: HandlerError,
) -> Result<Applied, Unavailable> {
    match e {
        HandlerError::Failed(why) => finish(store, m, handler, Status::Failed, why),
        HandlerError::Store(StoreError::Invalid(e)) => {
            finish(store, m, handler, Status::Failed, e.to_string())
        }
        HandlerError::Store(StoreError::Conflict(why)) => {
            finish(store, m, handler, Status::Failed, why)
        }
        HandlerError::Unavailable(why) => Err(Unavailable(why)),
        HandlerError::Store(e) => Err(Unavailable(format!("the database: {e}"))),
    }
}

/// Journals an outcome with nothing else written.
fn finish(
    store: &Store,
    m: &Message,
    handler: &'static str,
    status: Status,
    why: String,
) -> Result<Applied, Unavailable> {
    let msg = m.clone();
    let reason = why.clone();
    store
        .write_blocking(move |c| record(c, &msg, status, Some(handler), Some(reason)))
        .map_err(|e: StoreError| Unavailable(format!("the database: {e}")))?;
    Ok(match status {
        Status::Failed => Applied::Failed(why),
        Status::Ignored => Applied::Ignored(why),
        Status::Applied => Applied::Applied {
            handler,
            detail: why,
        },
    })
}

/// A string field of the body at `pointer`, non-empty.
pub fn text<'a>(body: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The message's field at `pointer`, or the failure naming it.
pub fn required<'a>(body: &'a serde_json::Value, pointer: &str) -> Result<&'a str, HandlerError> {
    text(body, pointer).ok_or_else(|| {
        HandlerError::Failed(format!(
            "Missing field \"{}\"",
            pointer.trim_start_matches('/').replace('/', ".")
        ))
    })
}
