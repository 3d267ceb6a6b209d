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

/// The advisory lock (PostgreSQL) a transaction holds from its first event
/// to its commit, so that ids are handed out in commit order. Without it two
/// processes' transactions could commit ids 11 then 10, and a reader past 11
/// would never see 10.
pub const ORDER_LOCK: i64 = 0x616c_6d61_6f75_7462; // "almaoutb"

pub fn enqueue(conn: &mut dyn Conn, events: Vec<Event>) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if conn.engine() == crate::Engine::Postgres {
        // Taken again by the same transaction, it is already held. (SQLite
        // has one writer at a time: its ids are in commit order anyway.)
        conn.query(
            "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) l",
            &[ORDER_LOCK.into()],
        )?;
    }
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

fn read_event(mut r: crate::db::Row) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        id: r.int(0)?,
        topic: r.text(1)?,
        payload: r.text(2)?,
    })
}

/// The outbox as read for its unpublished events: through the partial
/// index. SQLite's planner, left to itself, walks the whole table in id
/// order instead (the index is on id too), a cost that grows with every
/// event ever written: the soak benchmark found the relay's batches taking
/// the writer's time that way.
fn waiting(conn: &dyn Conn) -> &'static str {
    match conn.engine() {
        crate::Engine::Sqlite => "outbox INDEXED BY outbox_unpublished",
        crate::Engine::Postgres => "outbox",
    }
}

/// The oldest `limit` events not yet published, in id order.
pub fn unpublished(conn: &mut dyn Conn, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    let rows = conn.query(
        &format!(
            "SELECT id, topic, payload FROM {} WHERE published_at IS NULL ORDER BY id LIMIT $1",
            waiting(conn)
        ),
        &[limit.into()],
    )?;
    rows.into_iter().map(read_event).collect()
}

/// Past this many events waiting, the backlog says "at least".
pub const BACKLOG_COUNTED: i64 = 10_000;

/// How many events wait to be published (counted up to
/// [`BACKLOG_COUNTED`]: a relay that is off can leave millions), and the
/// commit time of the oldest of them (the relay's lag).
pub fn backlog(conn: &mut dyn Conn) -> StoreResult<(i64, Option<Timestamp>)> {
    let n = conn
        .query_opt(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM {} WHERE published_at IS NULL LIMIT $1) w",
                waiting(conn)
            ),
            &[(BACKLOG_COUNTED + 1).into()],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let oldest = conn
        .query_opt(
            &format!(
                "SELECT created_at FROM {} WHERE published_at IS NULL ORDER BY id LIMIT 1",
                waiting(conn)
            ),
            &[],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .map(Timestamp::from_micros);
    Ok((n, oldest))
}

/// Events after `after_id` whose topic is one of `topics`, in id order: what
/// a reader of the outbox with its own cursor (see [`cursor`]) takes next.
pub fn after(
    conn: &mut dyn Conn,
    after_id: i64,
    topics: &[&str],
    limit: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
    let rows = conn.query(
        "SELECT id, topic, payload FROM outbox WHERE id > $1 AND topic = ANY($2) ORDER BY id LIMIT $3",
        &[after_id.into(), topics.into(), limit.into()],
    )?;
    rows.into_iter().map(read_event).collect()
}

/// A named reader's place in the outbox, taken for update: two processes
/// reading the same cursor in their write transactions take turns, so no
/// event is handled twice. A new reader starts at the end: it is for what
/// happens from now on, not for the store's whole history.
pub fn cursor(conn: &mut dyn Conn, name: &str) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO outbox_cursors (name, last_id) SELECT $1, COALESCE(max(id), 0) FROM outbox WHERE TRUE ON CONFLICT DO NOTHING",
        &[name.into()],
    )?;
    let lock = match conn.engine() {
        crate::Engine::Postgres => " FOR UPDATE",
        crate::Engine::Sqlite => "",
    };
    let row = conn.query_opt(
        &format!("SELECT last_id FROM outbox_cursors WHERE name = $1{lock}"),
        &[name.into()],
    )?;
    Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0))
}

/// A named reader's place, read without taking it (`None`: no such reader).
pub fn cursor_value(conn: &mut dyn Conn, name: &str) -> StoreResult<Option<i64>> {
    let row = conn.query_opt(
        "SELECT last_id FROM outbox_cursors WHERE name = $1",
        &[name.into()],
    )?;
    Ok(row.map(|r| r.int(0)).transpose()?)
}

pub fn set_cursor(conn: &mut dyn Conn, name: &str, last_id: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE outbox_cursors SET last_id = $1 WHERE name = $2",
        &[last_id.into(), name.into()],
    )?;
    Ok(())
}

/// Marks events as published (the relay, after the broker confirmed them).
pub fn mark_published(conn: &mut dyn Conn, ids: &[i64]) -> StoreResult<()> {
    conn.execute(
        "UPDATE outbox SET published_at = $1 WHERE id = ANY($2)",
        &[
            almanac_model::Timestamp::now().micros().into(),
            crate::db::Value::IntList(ids.to_vec()),
        ],
    )?;
    Ok(())
}
