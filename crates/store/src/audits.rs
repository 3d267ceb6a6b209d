//! What the audit reads of Almanac (each source's holdings, as normalised
//! keys and values), and the outcome of each audit run.

use crate::db::{Conn, Value};
use crate::error::StoreResult;
use almanac_model::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// The finished composes held (not deleted), by compose id.
pub fn compose_ids(conn: &mut dyn Conn) -> StoreResult<Vec<String>> {
    conn.query(
        "SELECT compose_id FROM composes WHERE deleted = FALSE ORDER BY compose_id",
        &[],
    )?
    .into_iter()
    .map(|mut r| r.text(0))
    .collect::<Result<_, _>>()
    .map_err(Into::into)
}

/// `"<release> <nevra>"` -> srpm name, for the rpms linked to `releases`.
pub fn linked_rpms(
    conn: &mut dyn Conn,
    releases: &[String],
) -> StoreResult<BTreeMap<String, String>> {
    let rows = conn.query(
        "SELECT rel.release_id, r.nevra, r.srpm_name FROM rpm_linked_releases l
         JOIN rpms r ON r.id = l.rpm_id JOIN releases rel ON rel.id = l.release_id
         WHERE rel.release_id = ANY($1)",
        &[Value::TextList(releases.to_vec())],
    )?;
    let mut out = BTreeMap::new();
    for mut r in rows {
        out.insert(format!("{} {}", r.text(0)?, r.text(1)?), r.text(2)?);
    }
    Ok(out)
}

/// Every global component's name.
pub fn global_component_names(conn: &mut dyn Conn) -> StoreResult<Vec<String>> {
    conn.query("SELECT name FROM global_components", &[])?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect::<Result<_, _>>()
        .map_err(Into::into)
}

/// `(release, name, type)` of the release components of `releases` whose
/// type is one of `types`.
pub fn release_component_keys(
    conn: &mut dyn Conn,
    releases: &[String],
    types: &[String],
) -> StoreResult<Vec<(String, String, String)>> {
    conn.query(
        "SELECT r.release_id, c.name, t.name FROM release_components c
         JOIN releases r ON r.id = c.release_id JOIN release_component_types t ON t.id = c.type_id
         WHERE r.release_id = ANY($1) AND t.name = ANY($2)",
        &[
            Value::TextList(releases.to_vec()),
            Value::TextList(types.to_vec()),
        ],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}

/// Every person's username and address.
pub fn people(conn: &mut dyn Conn) -> StoreResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for mut r in conn.query(
        "SELECT name, email FROM contacts WHERE kind = 'person'",
        &[],
    )? {
        out.insert(r.text(0)?, r.text(1)?);
    }
    Ok(out)
}

/// One audit of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub source: String,
    pub finished_at: String,
    #[serde(skip)]
    pub finished_micros: i64,
    pub status: String,
    /// Items the source listed.
    pub checked: i64,
    pub missing: i64,
    pub extra: i64,
    pub differ: i64,
    pub repaired: i64,
    pub error: Option<String>,
}

pub fn record_run(conn: &mut dyn Conn, run: &Run) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO audit_runs (source, finished_at, status, checked, missing, extra, differ, repaired, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            run.source.clone().into(),
            run.finished_micros.into(),
            run.status.clone().into(),
            run.checked.into(),
            run.missing.into(),
            run.extra.into(),
            run.differ.into(),
            run.repaired.into(),
            run.error.clone().into(),
        ],
    )?;
    Ok(())
}

/// The last run of each source, by source name.
pub fn last_runs(conn: &mut dyn Conn) -> StoreResult<Vec<Run>> {
    let rows = conn.query(
        "SELECT a.source, a.finished_at, a.status, a.checked, a.missing, a.extra, a.differ, a.repaired, a.error
         FROM audit_runs a WHERE a.id = (SELECT max(b.id) FROM audit_runs b WHERE b.source = a.source)
         ORDER BY a.source",
        &[],
    )?;
    rows.into_iter()
        .map(|mut r| {
            let micros = r.int(1)?;
            Ok(Run {
                source: r.text(0)?,
                finished_at: Timestamp::from_micros(micros).to_string(),
                finished_micros: micros,
                status: r.text(2)?,
                checked: r.int(3)?,
                missing: r.int(4)?,
                extra: r.int(5)?,
                differ: r.int(6)?,
                repaired: r.int(7)?,
                error: r.opt_text(8)?,
            })
        })
        .collect()
}
