//! The message journal: every bus message seen, by message id, and what
//! became of it (applied, ignored, failed: why). The listener writes a
//! message's row in the transaction that applies it, so a message is
//! applied once however often it is delivered; a failed one keeps its body
//! for `almanac replay`.

use crate::db::{BulkInsert, ColType, Conn, Value};
use crate::error::{StoreError, StoreResult};
use almanac_model::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Ignored,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Ignored => "ignored",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "applied" => Some(Status::Applied),
            "ignored" => Some(Status::Ignored),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// A message as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub message_id: String,
    pub topic: String,
    pub received_at: String,
    pub sent_at: Option<String>,
    pub headers: serde_json::Value,
    pub body: serde_json::Value,
    pub status: Status,
    pub handler: Option<String>,
    pub reason: Option<String>,
    pub deliveries: i64,
    pub updated_at: String,
}

/// A message about to be journalled.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen<'a> {
    pub message_id: &'a str,
    pub topic: &'a str,
    pub sent_at: Option<Timestamp>,
    pub headers: &'a serde_json::Value,
    pub body: &'a serde_json::Value,
}

/// The outcome to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub handler: Option<String>,
    pub reason: Option<String>,
}

/// The journal's status of a message id, counting this delivery as a
/// duplicate when it is there.
pub fn redelivered(conn: &mut dyn Conn, message_id: &str) -> StoreResult<Option<Status>> {
    let Some(mut row) = conn.query_opt(
        "SELECT status FROM bus_journal WHERE message_id = $1",
        &[message_id.into()],
    )?
    else {
        return Ok(None);
    };
    let status = row.text(0)?;
    conn.execute(
        "UPDATE bus_journal SET deliveries = deliveries + 1 WHERE message_id = $1",
        &[message_id.into()],
    )?;
    Status::parse(&status)
        .map(Some)
        .ok_or_else(|| StoreError::Internal(format!("journal status '{status}'")))
}

/// When the newest message was received, if any was.
pub fn last_received(conn: &mut dyn Conn) -> StoreResult<Option<Timestamp>> {
    Ok(conn
        .query_opt("SELECT max(received_at) FROM bus_journal", &[])?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .map(Timestamp::from_micros))
}

/// [`redelivered`] for a batch: the journal's status of each id it holds
/// (each counted as delivered once more), in two statements.
pub fn redelivered_many(
    conn: &mut dyn Conn,
    message_ids: &[String],
) -> StoreResult<HashMap<String, Status>> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Planned with the ids each time: a cached generic plan, made while
    // the journal was small, would scan it whole once it is not.
    let rows = conn.query_uncached(
        "SELECT message_id, status FROM bus_journal WHERE message_id = ANY($1)",
        &[Value::TextList(message_ids.to_vec())],
    )?;
    let mut known = HashMap::with_capacity(rows.len());
    for mut r in rows {
        let status = r.text(1)?;
        let status = Status::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("journal status '{status}'")))?;
        known.insert(r.text(0)?, status);
    }
    if !known.is_empty() {
        conn.execute(
            "UPDATE bus_journal SET deliveries = deliveries + 1 WHERE message_id = ANY($1)",
            &[Value::TextList(known.keys().cloned().collect())],
        )?;
    }
    Ok(known)
}

/// Journals messages not seen before, in one statement.
pub fn record_new(conn: &mut dyn Conn, entries: &[(Seen, Outcome)]) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let now = Timestamp::now().micros();
    let rows = entries
        .iter()
        .map(|(seen, outcome)| {
            vec![
                seen.message_id.into(),
                seen.topic.into(),
                now.into(),
                seen.sent_at.map(|t| t.micros()).into(),
                seen.headers.to_string().into(),
                seen.body.to_string().into(),
                outcome.status.as_str().into(),
                outcome.handler.clone().into(),
                outcome.reason.clone().into(),
                now.into(),
            ]
        })
        .collect();
    conn.insert_rows(BulkInsert {
        table: "bus_journal",
        columns: &[
            ("message_id", ColType::Text),
            ("topic", ColType::Text),
            ("received_at", ColType::Int),
            ("sent_at", ColType::Int),
            ("headers", ColType::Text),
            ("body", ColType::Text),
            ("status", ColType::Text),
            ("handler", ColType::Text),
            ("reason", ColType::Text),
            ("updated_at", ColType::Int),
        ],
        rows,
        skip_conflicts: false,
    })?;
    Ok(())
}

/// Records a message's outcome: a new row, or (a replay) the row updated.
pub fn record(conn: &mut dyn Conn, seen: &Seen, outcome: &Outcome) -> StoreResult<()> {
    let now = Timestamp::now().micros();
    let updated = conn.execute(
        "UPDATE bus_journal SET status = $1, handler = $2, reason = $3, updated_at = $4 WHERE message_id = $5",
        &[
            outcome.status.as_str().into(),
            outcome.handler.clone().into(),
            outcome.reason.clone().into(),
            now.into(),
            seen.message_id.into(),
        ],
    )?;
    if updated > 0 {
        return Ok(());
    }
    record_new(conn, &[(seen.clone(), outcome.clone())])
}

/// Which journal entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub topic: Option<String>,
    pub message_id: Option<String>,
    /// Entries after this id (paging forward).
    pub after: Option<i64>,
    pub limit: i64,
}

fn iso(micros: i64) -> String {
    Timestamp::from_micros(micros).to_iso_z()
}

pub fn list(conn: &mut dyn Conn, f: &Filter) -> StoreResult<Vec<Entry>> {
    let mut sql = String::from(
        "SELECT id, message_id, topic, received_at, sent_at, headers, body, status, handler, reason, deliveries, updated_at
           FROM bus_journal WHERE id > $1",
    );
    let mut params: Vec<Value> = vec![f.after.unwrap_or(0).into()];
    if let Some(s) = f.status {
        params.push(s.as_str().into());
        sql.push_str(&format!(" AND status = ${}", params.len()));
    }
    if let Some(t) = &f.topic {
        params.push(t.as_str().into());
        sql.push_str(&format!(" AND topic = ${}", params.len()));
    }
    if let Some(m) = &f.message_id {
        params.push(m.as_str().into());
        sql.push_str(&format!(" AND message_id = ${}", params.len()));
    }
    params.push(f.limit.max(1).into());
    sql.push_str(&format!(" ORDER BY id LIMIT ${}", params.len()));
    conn.query(&sql, &params)?
        .into_iter()
        .map(|mut r| {
            let status = r.text(7)?;
            Ok(Entry {
                id: r.int(0)?,
                message_id: r.text(1)?,
                topic: r.text(2)?,
                received_at: iso(r.int(3)?),
                sent_at: r.opt_int(4)?.map(iso),
                headers: serde_json::from_str(&r.text(5)?).unwrap_or(serde_json::Value::Null),
                body: serde_json::from_str(&r.text(6)?).unwrap_or(serde_json::Value::Null),
                status: Status::parse(&status)
                    .ok_or_else(|| StoreError::Internal(format!("journal status '{status}'")))?,
                handler: r.opt_text(8)?,
                reason: r.opt_text(9)?,
                deliveries: r.int(10)?,
                updated_at: iso(r.int(11)?),
            })
        })
        .collect()
}

/// How many messages the journal holds in each status.
pub fn counts(conn: &mut dyn Conn) -> StoreResult<Vec<(String, i64)>> {
    conn.query(
        "SELECT status, count(*) FROM bus_journal GROUP BY status ORDER BY status",
        &[],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}
