//! Changesets: who changed what, when, through which door, with the old and the
//! new value of every object touched. Written in the same transaction as the
//! change itself.

use crate::db::{BulkInsert, ColType, Conn};
use crate::error::StoreResult;
use almanac_model::Timestamp;
use serde_json::Value as Json;

/// Who makes a change and through which door (`http`, `bus`, `import`, `cli`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<String>,
    pub comment: Option<String>,
    pub source: String,
}

impl Actor {
    pub fn anonymous(source: &str) -> Actor {
        Actor {
            user: None,
            comment: None,
            source: source.to_string(),
        }
    }
    pub fn user(user: &str, source: &str) -> Actor {
        Actor {
            user: Some(user.to_string()),
            comment: None,
            source: source.to_string(),
        }
    }
}

/// One object's change; `old` is `None` for a creation, `new` for a deletion.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub target_class: &'static str,
    pub target_id: i64,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// Records one changeset with its changes; does nothing when there are none.
pub fn record(conn: &mut dyn Conn, actor: &Actor, changes: Vec<Change>) -> StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let row = conn
        .query_opt(
            "INSERT INTO changesets (author, comment, source, committed_on) VALUES ($1, $2, $3, $4) RETURNING id",
            &[
                actor.user.clone().into(),
                actor.comment.clone().into(),
                actor.source.clone().into(),
                Timestamp::now().micros().into(),
            ],
        )?
        .ok_or_else(|| crate::StoreError::Internal("INSERT RETURNING gave no row".into()))?;
    let changeset_id = row.int(0)?;
    let rows = changes
        .into_iter()
        .map(|c| {
            vec![
                changeset_id.into(),
                c.target_class.into(),
                c.target_id.into(),
                c.old.map(|v| v.to_string()).into(),
                c.new.map(|v| v.to_string()).into(),
            ]
        })
        .collect();
    conn.insert_rows(BulkInsert {
        table: "changes",
        columns: &[
            ("changeset_id", ColType::Int),
            ("target_class", ColType::Text),
            ("target_id", ColType::Int),
            ("old_value", ColType::Text),
            ("new_value", ColType::Text),
        ],
        rows,
        skip_conflicts: false,
    })?;
    Ok(())
}

/// A recorded change, as read back for history.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedChange {
    pub changeset_id: i64,
    pub author: Option<String>,
    pub source: String,
    pub committed_on: Timestamp,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// The history of one object, oldest first.
pub fn history(
    conn: &mut dyn Conn,
    target_class: &str,
    target_id: i64,
) -> StoreResult<Vec<RecordedChange>> {
    let rows = conn.query(
        "SELECT cs.id, cs.author, cs.source, cs.committed_on, c.old_value, c.new_value
           FROM changes c JOIN changesets cs ON cs.id = c.changeset_id
          WHERE c.target_class = $1 AND c.target_id = $2
          ORDER BY cs.id, c.id",
        &[target_class.into(), target_id.into()],
    )?;
    rows.into_iter()
        .map(|mut r| {
            let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
            Ok(RecordedChange {
                changeset_id: r.int(0)?,
                author: r.opt_text(1)?,
                source: r.text(2)?,
                committed_on: Timestamp(r.int(3)?),
                old: parse(r.opt_text(4)?),
                new: parse(r.opt_text(5)?),
            })
        })
        .collect()
}
