//! Waivers (WaiverDB): stored once, never changed. Each new waiver writes
//! its change and its `waiverdb.waiver.new` event in the same transaction.
//! "Obsolete" waivers are those a newer one of the same subject, testcase,
//! scenario (and, for the list, user and product version) supersedes.

use crate::changes::{Actor, Change};
use crate::db::{Conn, Row, Sql};
use crate::error::{StoreError, StoreResult};
use almanac_model::Timestamp;
use almanac_model::waivers::{NewWaiver, subject_json};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub id: i64,
    pub subject_type: String,
    pub subject_identifier: String,
    pub testcase: String,
    pub scenario: Option<String>,
    pub username: String,
    pub proxied_by: Option<String>,
    pub product_version: String,
    pub waived: bool,
    pub comment: String,
    pub timestamp: Timestamp,
}

impl Waiver {
    /// WaiverDB's JSON of a waiver (also the body of its event).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "subject_type": self.subject_type,
            "subject_identifier": self.subject_identifier,
            "subject": subject_json(&self.subject_type, &self.subject_identifier),
            "testcase": self.testcase,
            "scenario": self.scenario,
            "username": self.username,
            "proxied_by": self.proxied_by,
            "product_version": self.product_version,
            "waived": self.waived,
            "comment": self.comment,
            "timestamp": self.timestamp.to_python_iso(),
        })
    }
}

/// Stores `waivers` (all or none), each by `user`, or for the user it names
/// when `user` is its proxy; answers them with their ids.
pub fn create(
    conn: &mut dyn Conn,
    waivers: &[NewWaiver],
    user: &str,
    actor: &Actor,
) -> StoreResult<Vec<Waiver>> {
    let now = Timestamp::now();
    let mut out = Vec::with_capacity(waivers.len());
    let mut changes = Vec::with_capacity(waivers.len());
    let mut events = Vec::with_capacity(waivers.len());
    for w in waivers {
        let (username, proxied_by) = match &w.username {
            Some(on_behalf) => (on_behalf.clone(), Some(user.to_string())),
            None => (user.to_string(), None),
        };
        let id = conn
            .query_opt(
                "INSERT INTO waivers (subject_type, subject_identifier, testcase, scenario, username, proxied_by,
                                      product_version, waived, comment, timestamp)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                &[
                    w.subject_type.clone().into(),
                    w.subject_identifier.clone().into(),
                    w.testcase.clone().into(),
                    w.scenario.clone().into(),
                    username.clone().into(),
                    proxied_by.clone().into(),
                    w.product_version.clone().into(),
                    w.waived.into(),
                    w.comment.clone().into(),
                    now.micros().into(),
                ],
            )?
            .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?
            .int(0)?;
        let waiver = Waiver {
            id,
            subject_type: w.subject_type.clone(),
            subject_identifier: w.subject_identifier.clone(),
            testcase: w.testcase.clone(),
            scenario: w.scenario.clone(),
            username,
            proxied_by,
            product_version: w.product_version.clone(),
            waived: w.waived,
            comment: w.comment.clone(),
            timestamp: now,
        };
        let body = waiver.to_json();
        changes.push(Change {
            target_class: "waiver",
            target_id: id,
            old: None,
            new: Some(body.clone()),
        });
        events.push(crate::outbox::Event {
            topic: "waiverdb.waiver.new".into(),
            payload: body.to_string(),
        });
        out.push(waiver);
    }
    crate::changes::record(conn, actor, changes)?;
    crate::outbox::enqueue(conn, events)?;
    Ok(out)
}

/// WaiverDB's `GET /waivers/` filters (each one value, exact) and
/// `+filtered`'s (the same keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaiverFilter {
    pub subject_type: Option<String>,
    pub subject_identifier: Option<String>,
    pub testcase: Option<String>,
    pub scenario: Option<String>,
    pub product_version: Option<String>,
    pub username: Option<String>,
    pub proxied_by: Option<String>,
    /// `timestamp >= start` and, when given, `<= end`.
    pub since: Option<(Timestamp, Option<Timestamp>)>,
}

impl WaiverFilter {
    fn conditions(&self, sql: &mut Sql, alias: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (column, value) in [
            ("subject_type", &self.subject_type),
            ("subject_identifier", &self.subject_identifier),
            ("testcase", &self.testcase),
            ("scenario", &self.scenario),
            ("product_version", &self.product_version),
            ("username", &self.username),
            ("proxied_by", &self.proxied_by),
        ] {
            if let Some(v) = value {
                let p = sql.bind(v.clone());
                out.push(format!("{alias}.{column} = {p}"));
            }
        }
        if let Some((start, end)) = self.since {
            let p = sql.bind(start.micros());
            out.push(format!("{alias}.timestamp >= {p}"));
            if let Some(end) = end {
                let p = sql.bind(end.micros());
                out.push(format!("{alias}.timestamp <= {p}"));
            }
        }
        out
    }
}

const COLUMNS: &str = "w.id, w.subject_type, w.subject_identifier, w.testcase, w.scenario, w.username, \
     w.proxied_by, w.product_version, w.waived, w.comment, w.timestamp";

/// `GET /waivers/`'s rule: a waiver is obsolete when a newer one shares its
/// subject, testcase, scenario, user and product version.
const NOT_OBSOLETE: &str = "NOT EXISTS (SELECT 1 FROM waivers n WHERE n.subject_type = w.subject_type \
     AND n.subject_identifier = w.subject_identifier AND n.testcase = w.testcase \
     AND COALESCE(n.scenario, '') = COALESCE(w.scenario, '') AND n.username = w.username \
     AND n.product_version = w.product_version AND n.id > w.id)";

fn read(mut r: Row) -> StoreResult<Waiver> {
    Ok(Waiver {
        id: r.int(0)?,
        subject_type: r.text(1)?,
        subject_identifier: r.text(2)?,
        testcase: r.text(3)?,
        scenario: r.opt_text(4)?,
        username: r.text(5)?,
        proxied_by: r.opt_text(6)?,
        product_version: r.text(7)?,
        waived: r.bool(8)?,
        comment: r.text(9)?,
        timestamp: Timestamp::from_micros(r.int(10)?),
    })
}

/// One page (1-based) of waivers, newest first, and how many there are.
pub fn list(
    conn: &mut dyn Conn,
    f: &WaiverFilter,
    include_obsolete: bool,
    page: u64,
    limit: u64,
) -> StoreResult<(i64, Vec<Waiver>)> {
    let mut sql = Sql::default();
    let mut conditions = f.conditions(&mut sql, "w");
    if !include_obsolete {
        conditions.push(NOT_OBSOLETE.to_string());
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let total = conn
        .query_uncached(
            &format!("SELECT count(*) FROM waivers w{filter}"),
            &sql.params,
        )?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let l = sql.bind(limit as i64);
    let o = sql.bind(((page.max(1) - 1) * limit) as i64);
    let rows = conn.query_uncached(
        &format!(
            "SELECT {COLUMNS} FROM waivers w{filter} ORDER BY w.timestamp DESC, w.id DESC LIMIT {l} OFFSET {o}"
        ),
        &sql.params,
    )?;
    Ok((
        total,
        rows.into_iter().map(read).collect::<StoreResult<_>>()?,
    ))
}

pub fn get(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<Waiver>> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM waivers w WHERE w.id = $1"),
        &[id.into()],
    )?
    .map(read)
    .transpose()
}

/// `POST /waivers/+filtered`: the waivers matching any of `filters`, newest
/// first; without `include_obsolete`, only the newest of each subject,
/// testcase and scenario among those its filter matches (so a newer waiver
/// for another product version does not hide one for this).
pub fn filtered(
    conn: &mut dyn Conn,
    filters: &[WaiverFilter],
    include_obsolete: bool,
) -> StoreResult<Vec<Waiver>> {
    let mut sql = Sql::default();
    let alternatives: Vec<String> = filters
        .iter()
        .map(|f| {
            let mut c = f.conditions(&mut sql, "w");
            if !include_obsolete {
                let newer = f.conditions(&mut sql, "n");
                let and_newer = if newer.is_empty() {
                    String::new()
                } else {
                    format!(" AND {}", newer.join(" AND "))
                };
                c.push(format!(
                    "NOT EXISTS (SELECT 1 FROM waivers n WHERE n.subject_type = w.subject_type \
                     AND n.subject_identifier = w.subject_identifier AND n.testcase = w.testcase \
                     AND COALESCE(n.scenario, '') = COALESCE(w.scenario, '') AND n.id > w.id{and_newer})"
                ));
            }
            if c.is_empty() {
                "TRUE".to_string()
            } else {
                format!("({})", c.join(" AND "))
            }
        })
        .collect();
    let rows = conn.query_uncached(
        &format!(
            "SELECT {COLUMNS} FROM waivers w WHERE ({}) ORDER BY w.timestamp DESC, w.id DESC",
            alternatives.join(" OR ")
        ),
        &sql.params,
    )?;
    rows.into_iter().map(read).collect()
}

/// The newest waiver of each (subject, testcase, scenario) among `subjects`
/// for `product_version`: what a gating decision consults.
pub fn latest_for_subjects(
    conn: &mut dyn Conn,
    subjects: &[(String, String)],
    product_version: &str,
) -> StoreResult<Vec<Waiver>> {
    let filters: Vec<WaiverFilter> = subjects
        .iter()
        .map(|(t, id)| WaiverFilter {
            subject_type: Some(t.clone()),
            subject_identifier: Some(id.clone()),
            product_version: Some(product_version.to_string()),
            ..Default::default()
        })
        .collect();
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    filtered(conn, &filters, false)
}
