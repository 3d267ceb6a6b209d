//! `changesets/`: who changed what and when, read-only. Beyond PDC: a filter
//! by `resource_id` (with `resource`, one object's whole history).

use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes};
use almanac_model::Timestamp;
use almanac_store::Conn;
use almanac_store::changes::{self, Changeset, ChangesetFilter};
use serde_json::{Value, json};

pub struct Changesets;

fn to_json(c: &Changeset) -> Value {
    let when = c.committed_on.to_iso_z();
    json!({
        "id": c.id,
        "author": c.author.clone().unwrap_or_default(),
        "requested_on": when,
        "committed_on": when,
        "duration": "0.000",
        "comment": c.comment,
        "changes": c.changes.iter().map(|ch| json!({
            "resource": ch.target_class,
            "resource_id": ch.target_id.to_string(),
            "old_value": ch.old_value.clone().unwrap_or_else(|| "null".into()),
            "new_value": ch.new_value.clone().unwrap_or_else(|| "null".into()),
        })).collect::<Vec<_>>(),
    })
}

fn time(q: &ListQuery, name: &str) -> Result<Option<Timestamp>, PdcError> {
    match q.values(name).first() {
        None => Ok(None),
        Some(v) => Timestamp::parse_iso8601(v).map(Some).ok_or_else(|| {
            PdcError::bad_request(format!(
                "{name} '{v}' is not a time (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]])"
            ))
        }),
    }
}

impl Resource for Changesets {
    fn prefix(&self) -> &'static str {
        "changesets"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "author",
            "resource",
            "resource_id",
            "changed_since",
            "changed_until",
            "comment",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "committed_on", "author"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "author",
            "requested_on",
            "committed_on",
            "duration",
            "comment",
            "changes",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NONE
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let resource_ids = q
            .values("resource_id")
            .iter()
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    PdcError::bad_request(format!("Value [{v}] of resource_id is not an integer"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let f = ChangesetFilter {
            authors: q.values("author").to_vec(),
            resources: q
                .values("resource")
                .iter()
                .map(|r| r.to_lowercase())
                .collect(),
            resource_ids,
            since: time(q, "changed_since")?,
            until: time(q, "changed_until")?,
            comments: q.values("comment").to_vec(),
            ..Default::default()
        };
        let (count, sets) = changes::list_changesets(conn, &f, &q.ordering, q.page)?;
        Ok((count, sets.iter().map(to_json).collect()))
    }

    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        let f = ChangesetFilter {
            ids: vec![id],
            ..Default::default()
        };
        let (_, sets) = changes::list_changesets(conn, &f, &[], None)?;
        Ok(sets.first().map(to_json))
    }
}
