//! The transactional outbox: every event leaves the store as a row written in
//! the same transaction as the change it announces. A relay (the bus issue)
//! publishes unpublished rows in id order and marks them published.

use crate::db::{BulkInsert, ColType, Conn};
use crate::error::StoreResult;
use almanac_model::Timestamp;

/// An event to publish: its topic and its JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub topic: String,
    pub payload: String,
}

pub fn enqueue(conn: &mut dyn Conn, events: Vec<Event>) -> StoreResult<()> {
    let now = Timestamp::now().micros();
    let rows = events
        .into_iter()
        .map(|e| vec![e.topic.into(), e.payload.into(), now.into()])
        .collect();
    conn.insert_rows(BulkInsert {
        table: "outbox",
        columns: &[
            ("topic", ColType::Text),
            ("payload", ColType::Text),
            ("created_at", ColType::Int),
        ],
        rows,
        skip_conflicts: false,
    })?;
    Ok(())
}

/// A stored event, with its place in commit order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub topic: String,
    pub payload: String,
}

/// The oldest `limit` events not yet published, in id order.
pub fn unpublished(conn: &mut dyn Conn, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    let rows = conn.query(
        "SELECT id, topic, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
        &[limit.into()],
    )?;
    rows.into_iter()
        .map(|mut r| {
            Ok(StoredEvent {
                id: r.int(0)?,
                topic: r.text(1)?,
                payload: r.text(2)?,
            })
        })
        .collect()
}
