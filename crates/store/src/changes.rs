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

/// The topic of the event a changeset of the model announces.
pub const CHANGE_TOPIC: &str = "almanac.change";

/// Classes whose writes publish events of their own in the same
/// transaction (results' testcases and groups, waivers, graph edges), or
/// none at all (tokens' users and groups): not announced again.
const ANNOUNCED_ELSEWHERE: &[&str] = &[
    "testcase",
    "group",
    "waiver",
    "artifactinputs",
    "user",
    "user_group",
];

/// Most changes an event lists (it says how many there were in all).
const EVENT_CHANGES: usize = 100;

/// Records one changeset with its changes, and the `almanac.change` event
/// announcing what of the model it touched (references: class, id and
/// what happened, not the values, which the changeset holds); does nothing
/// when there are none.
pub fn record(conn: &mut dyn Conn, actor: &Actor, changes: Vec<Change>) -> StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let announced: Vec<&Change> = changes
        .iter()
        .filter(|c| !ANNOUNCED_ELSEWHERE.contains(&c.target_class))
        .collect();
    let event = (!announced.is_empty()).then(|| {
        let listed: Vec<Json> = announced
            .iter()
            .take(EVENT_CHANGES)
            .map(|c| {
                let action = match (&c.old, &c.new) {
                    (None, _) => "created",
                    (_, None) => "deleted",
                    _ => "updated",
                };
                serde_json::json!({"class": c.target_class, "id": c.target_id, "action": action})
            })
            .collect();
        (listed, announced.len())
    });
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
    if let Some((listed, total)) = event {
        let payload = serde_json::json!({
            "changeset": changeset_id,
            "author": actor.user,
            "comment": actor.comment,
            "source": actor.source,
            "changes": listed,
            "total_changes": total,
        });
        crate::outbox::enqueue(
            conn,
            vec![crate::outbox::Event {
                topic: CHANGE_TOPIC.into(),
                payload: payload.to_string(),
            }],
        )?;
    }
    Ok(())
}

/// A changeset's header and how many objects of each class it touched.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangesetSummary {
    pub id: i64,
    pub author: Option<String>,
    pub comment: Option<String>,
    pub source: String,
    pub committed_on: Timestamp,
    /// (class, count), by class.
    pub classes: Vec<(String, i64)>,
}

/// The newest changesets, `limit` after `offset`, each with its changes
/// counted by class in the database (a bulk load's changeset can hold tens
/// of thousands); and how many there are.
pub fn summaries(
    conn: &mut dyn Conn,
    offset: u64,
    limit: u64,
) -> StoreResult<(i64, Vec<ChangesetSummary>)> {
    let total = conn
        .query_opt("SELECT count(*) FROM changesets", &[])?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let mut out: Vec<ChangesetSummary> = Vec::new();
    for mut r in conn.query(
        "SELECT id, author, comment, source, committed_on FROM changesets ORDER BY id DESC LIMIT $1 OFFSET $2",
        &[(limit as i64).into(), (offset as i64).into()],
    )? {
        out.push(ChangesetSummary {
            id: r.int(0)?,
            author: r.opt_text(1)?,
            comment: r.opt_text(2)?,
            source: r.text(3)?,
            committed_on: Timestamp::from_micros(r.int(4)?),
            classes: Vec::new(),
        });
    }
    if out.is_empty() {
        return Ok((total, out));
    }
    let ids: Vec<i64> = out.iter().map(|c| c.id).collect();
    let mut by: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for mut r in conn.query(
        "SELECT changeset_id, target_class, count(*) FROM changes WHERE changeset_id = ANY($1) \
         GROUP BY changeset_id, target_class ORDER BY changeset_id, target_class",
        &[crate::db::Value::IntList(ids)],
    )? {
        if let Some(i) = by.get_mut(&r.int(0)?) {
            let i = *i;
            out[i].classes.push((r.text(1)?, r.int(2)?));
        }
    }
    Ok((total, out))
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
    rows.into_iter().map(recorded_change).collect()
}

/// One object as it was at `at`: its last change committed at or before then.
/// `None` when it had not been created yet; a change whose `new` is `None`
/// means it had been deleted by then.
pub fn state_at(
    conn: &mut dyn Conn,
    target_class: &str,
    target_id: i64,
    at: Timestamp,
) -> StoreResult<Option<RecordedChange>> {
    let row = conn.query_opt(
        "SELECT cs.id, cs.author, cs.source, cs.committed_on, c.old_value, c.new_value
           FROM changes c JOIN changesets cs ON cs.id = c.changeset_id
          WHERE c.target_class = $1 AND c.target_id = $2 AND cs.committed_on <= $3
          ORDER BY cs.id DESC, c.id DESC
          LIMIT 1",
        &[target_class.into(), target_id.into(), at.micros().into()],
    )?;
    row.map(recorded_change).transpose()
}

fn recorded_change(mut r: crate::db::Row) -> StoreResult<RecordedChange> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(RecordedChange {
        changeset_id: r.int(0)?,
        author: r.opt_text(1)?,
        source: r.text(2)?,
        committed_on: Timestamp(r.int(3)?),
        old: parse(r.opt_text(4)?),
        new: parse(r.opt_text(5)?),
    })
}

/// What `changesets/` can be filtered by.
#[derive(Debug, Clone, Default)]
pub struct ChangesetFilter {
    pub ids: Vec<i64>,
    pub authors: Vec<String>,
    /// Target classes (`product`, `release`...).
    pub resources: Vec<String>,
    /// Target ids, within `resources`: one object's history.
    pub resource_ids: Vec<i64>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Comments containing any of these.
    pub comments: Vec<String>,
}

/// A changeset with its changes, values as the JSON text they were saved as.
#[derive(Debug, Clone, PartialEq)]
pub struct Changeset {
    pub id: i64,
    pub author: Option<String>,
    pub comment: Option<String>,
    pub source: String,
    pub committed_on: Timestamp,
    pub changes: Vec<ChangeRow>,
}

/// One change of a changeset; values are the JSON text they were saved as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub target_class: String,
    pub target_id: i64,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// A page of changesets, newest first unless `ordering` says otherwise.
pub fn list_changesets(
    conn: &mut dyn Conn,
    f: &ChangesetFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Changeset>)> {
    use crate::listing::{Listing, order_by};
    let mut l = Listing::new("changesets cs");
    l.any_of("cs.author", &f.authors)
        .contains_ci("cs.comment", &f.comments);
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("cs.id = ANY({p})"));
    }
    if !f.resources.is_empty() || !f.resource_ids.is_empty() {
        let mut inner = Vec::new();
        if !f.resources.is_empty() {
            inner.push(format!(
                "c.target_class = ANY({})",
                l.sql.bind(f.resources.clone())
            ));
        }
        if !f.resource_ids.is_empty() {
            inner.push(format!(
                "c.target_id = ANY({})",
                l.sql.bind(f.resource_ids.clone())
            ));
        }
        let cond = format!(
            "cs.id IN (SELECT c.changeset_id FROM changes c WHERE {})",
            inner.join(" AND ")
        );
        l.condition(cond);
    }
    if let Some(t) = f.since {
        let p = l.sql.bind(t.micros());
        l.condition(format!("cs.committed_on >= {p}"));
    }
    if let Some(t) = f.until {
        let p = l.sql.bind(t.micros());
        l.condition(format!("cs.committed_on <= {p}"));
    }
    let keys = if ordering.is_empty() {
        vec!["-committed_on".to_string()]
    } else {
        ordering.to_vec()
    };
    let order = order_by(
        &keys,
        &[
            ("id", "cs.id"),
            ("committed_on", "cs.committed_on"),
            ("author", "cs.author"),
        ],
        "cs.id DESC",
    );
    let (count, rows) = l.run(
        conn,
        "cs.id, cs.author, cs.comment, cs.source, cs.committed_on",
        &order,
        page,
    )?;
    let mut sets = rows
        .into_iter()
        .map(|mut r| {
            Ok(Changeset {
                id: r.int(0)?,
                author: r.opt_text(1)?,
                comment: r.opt_text(2)?,
                source: r.text(3)?,
                committed_on: Timestamp(r.int(4)?),
                changes: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let ids: Vec<i64> = sets.iter().map(|s| s.id).collect();
    let mut by_set: std::collections::HashMap<i64, Vec<ChangeRow>> = Default::default();
    for mut r in conn.query(
        "SELECT changeset_id, target_class, target_id, old_value, new_value FROM changes WHERE changeset_id = ANY($1) ORDER BY id",
        &[crate::db::Value::IntList(ids)],
    )? {
        by_set.entry(r.int(0)?).or_default().push(ChangeRow {
            target_class: r.text(1)?,
            target_id: r.int(2)?,
            old_value: r.opt_text(3)?,
            new_value: r.opt_text(4)?,
        });
    }
    for s in &mut sets {
        s.changes = by_set.remove(&s.id).unwrap_or_default();
    }
    Ok((count, sets))
}
