//! Lifecycles: SLA types, component branches (a component's dist-git branch,
//! active while one of its SLAs has not reached end of life), the SLAs of
//! each branch, and release schedules (a release's end date per SLA).

use crate::changes::Change;
use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use crate::releases::id_of;
use serde::Serialize;
use std::collections::HashMap;

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchSla {
    pub id: i64,
    pub sla: String,
    pub eol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branch {
    pub id: i64,
    pub global_component: String,
    pub name: String,
    pub slas: Vec<BranchSla>,
    #[serde(rename = "type")]
    pub branch_type: String,
    pub active: bool,
    pub critical_path: bool,
}

#[derive(Debug, Clone, Default)]
pub struct BranchFilter {
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    pub global_components: Vec<String>,
    pub types: Vec<String>,
    pub active: Option<bool>,
    pub critical_path: Option<bool>,
}

/// "Active": an SLA whose end of life is today or later.
fn branch_active(p: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM component_branch_slas x WHERE x.branch_id = b.id AND x.eol >= {p})"
    )
}

/// Lists branches as release components are listed: natural keys resolved
/// to ids first, matching ids from `component_branches` alone, then the
/// page's rows by primary key (no join on an estimate).
pub fn list_branches(
    conn: &mut dyn Conn,
    f: &BranchFilter,
    today: &str,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Branch>)> {
    let mut l = Listing::new("component_branches b");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("b.id = ANY({p})"));
    }
    let resolve =
        |conn: &mut dyn Conn, table: &str, values: &[String]| -> StoreResult<Option<Vec<i64>>> {
            if values.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                crate::releases::ids_of(conn, table, "name", values)?
                    .into_values()
                    .collect(),
            ))
        };
    let globals = resolve(conn, "global_components", &f.global_components)?;
    let types = resolve(conn, "release_component_types", &f.types)?;
    for (column, ids) in [("b.global_component_id", globals), ("b.type_id", types)] {
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok((0, Vec::new()));
            }
            let p = l.sql.bind(ids);
            l.condition(format!("{column} = ANY({p})"));
        }
    }
    l.any_of("b.name", &f.names)
        .boolean("b.critical_path = TRUE", f.critical_path);
    if let Some(a) = f.active {
        let p = l.sql.bind(today);
        l.boolean(&branch_active(&p), Some(a));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "b.id"),
            ("name", "b.name"),
            (
                "global_component",
                "(SELECT g.name FROM global_components g WHERE g.id = b.global_component_id)",
            ),
            (
                "type",
                "(SELECT t.name FROM release_component_types t WHERE t.id = b.type_id)",
            ),
            ("critical_path", "b.critical_path"),
        ],
        "(SELECT g.name FROM global_components g WHERE g.id = b.global_component_id), b.name, \
         (SELECT t.name FROM release_component_types t WHERE t.id = b.type_id), b.id",
    );
    let (count, rows) = l.run(conn, "b.id", &order, page)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int(0)).collect::<Result<_, _>>()?;
    let mut by_id: HashMap<i64, Branch> = conn
        .query(
            &format!(
                "SELECT b.id, g.name, b.name, t.name, {}, b.critical_path
                   FROM component_branches b
                   JOIN global_components g ON g.id = b.global_component_id
                   JOIN release_component_types t ON t.id = b.type_id
                  WHERE b.id = ANY($1)",
                branch_active("$2")
            ),
            &[Value::IntList(ids.clone()), today.into()],
        )?
        .into_iter()
        .map(|mut r| {
            let b = Branch {
                id: r.int(0)?,
                global_component: r.text(1)?,
                name: r.text(2)?,
                slas: Vec::new(),
                branch_type: r.text(3)?,
                active: r.bool(4)?,
                critical_path: r.bool(5)?,
            };
            Ok((b.id, b))
        })
        .collect::<StoreResult<_>>()?;
    let mut slas: HashMap<i64, Vec<BranchSla>> = HashMap::new();
    for mut r in conn.query(
        "SELECT x.branch_id, x.id, s.name, x.eol FROM component_branch_slas x JOIN component_sla_types s ON s.id = x.sla_id
          WHERE x.branch_id = ANY($1) ORDER BY s.name",
        &[Value::IntList(ids.clone())],
    )? {
        slas.entry(r.int(0)?).or_default().push(BranchSla { id: r.int(1)?, sla: r.text(2)?, eol: r.text(3)? });
    }
    let branches = ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|mut b| {
            b.slas = slas.remove(&b.id).unwrap_or_default();
            b
        })
        .collect();
    Ok((count, branches))
}

pub fn get_branch(conn: &mut dyn Conn, id: i64, today: &str) -> StoreResult<Option<Branch>> {
    let f = BranchFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_branches(conn, &f, today, &[], None)?.1.pop())
}

pub fn find_branch(
    conn: &mut dyn Conn,
    global_component: &str,
    name: &str,
    branch_type: &str,
    today: &str,
) -> StoreResult<Option<Branch>> {
    let f = BranchFilter {
        names: vec![name.to_string()],
        global_components: vec![global_component.to_string()],
        types: vec![branch_type.to_string()],
        ..Default::default()
    };
    Ok(list_branches(conn, &f, today, &[], None)?.1.pop())
}

/// A branch's writable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchInput {
    pub global_component: String,
    pub name: String,
    pub branch_type: String,
    pub critical_path: bool,
}

/// Creates a branch or updates its type or critical path (its name and
/// component never change).
pub fn save_branch(
    conn: &mut dyn Conn,
    existing: Option<&Branch>,
    input: &BranchInput,
    today: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<Branch> {
    let (global_component, name, branch_type, critical_path) = (
        input.global_component.as_str(),
        input.name.as_str(),
        input.branch_type.as_str(),
        input.critical_path,
    );
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let gc = must(
        "global component",
        id_of(conn, "global_components", "name", global_component)?,
    )?;
    let tid = must(
        "branch type",
        id_of(conn, "release_component_types", "name", branch_type)?,
    )?;
    let id = match existing {
        None => conn
            .query_opt(
                "INSERT INTO component_branches (global_component_id, name, type_id, critical_path) VALUES ($1, $2, $3, $4) RETURNING id",
                &[gc.into(), name.into(), tid.into(), critical_path.into()],
            )?
            .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?
            .int(0)?,
        Some(old) => {
            conn.execute(
                "UPDATE component_branches SET type_id = $1, critical_path = $2 WHERE id = $3",
                &[tid.into(), critical_path.into(), old.id.into()],
            )?;
            old.id
        }
    };
    let saved = get_branch(conn, id, today)?
        .ok_or_else(|| StoreError::Internal("saved branch vanished".into()))?;
    record(changes, "componentbranch", id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_branch(
    conn: &mut dyn Conn,
    existing: &Branch,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM component_branch_slas WHERE branch_id = $1",
        &[existing.id.into()],
    )?;
    conn.execute(
        "DELETE FROM component_branches WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "componentbranch",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchRef {
    pub id: i64,
    pub name: String,
    pub global_component: String,
    #[serde(rename = "type")]
    pub branch_type: String,
    pub critical_path: bool,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaToBranch {
    pub id: i64,
    pub sla: String,
    pub branch: BranchRef,
    pub eol: String,
}

#[derive(Debug, Clone, Default)]
pub struct SlaToBranchFilter {
    pub ids: Vec<i64>,
    pub slas: Vec<String>,
    pub branches: Vec<String>,
    pub global_components: Vec<String>,
    pub branch_types: Vec<String>,
    pub branch_active: Option<bool>,
    pub branch_critical_path: Option<bool>,
    pub eols: Vec<String>,
    pub eol_after: Option<String>,
    pub eol_before: Option<String>,
}

pub fn list_slas_to_branches(
    conn: &mut dyn Conn,
    f: &SlaToBranchFilter,
    today: &str,
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<SlaToBranch>)> {
    let mut l = Listing::new(
        "component_branch_slas x JOIN component_sla_types s ON s.id = x.sla_id JOIN component_branches b ON b.id = x.branch_id
         JOIN global_components g ON g.id = b.global_component_id JOIN release_component_types t ON t.id = b.type_id",
    );
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("x.id = ANY({p})"));
    }
    l.any_of("s.name", &f.slas)
        .any_of("b.name", &f.branches)
        .any_of("g.name", &f.global_components)
        .any_of("t.name", &f.branch_types)
        .boolean("b.critical_path = TRUE", f.branch_critical_path)
        .any_of("x.eol", &f.eols);
    if let Some(a) = f.branch_active {
        let p = l.sql.bind(today);
        l.boolean(&branch_active(&p), Some(a));
    }
    if let Some(d) = &f.eol_after {
        let p = l.sql.bind(d.clone());
        l.condition(format!("x.eol >= {p}"));
    }
    if let Some(d) = &f.eol_before {
        let p = l.sql.bind(d.clone());
        l.condition(format!("x.eol <= {p}"));
    }
    let p = l.bind_select(today);
    let active = branch_active(&p);
    let (count, rows) = l.run(
        conn,
        &format!("x.id, s.name, x.eol, b.id, b.name, g.name, t.name, b.critical_path, {active}"),
        "x.id",
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(SlaToBranch {
                id: r.int(0)?,
                sla: r.text(1)?,
                eol: r.text(2)?,
                branch: BranchRef {
                    id: r.int(3)?,
                    name: r.text(4)?,
                    global_component: r.text(5)?,
                    branch_type: r.text(6)?,
                    critical_path: r.bool(7)?,
                    active: r.bool(8)?,
                },
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get_sla_to_branch(
    conn: &mut dyn Conn,
    id: i64,
    today: &str,
) -> StoreResult<Option<SlaToBranch>> {
    let f = SlaToBranchFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_slas_to_branches(conn, &f, today, None)?.1.pop())
}

pub fn save_sla_to_branch(
    conn: &mut dyn Conn,
    existing: Option<&SlaToBranch>,
    sla: &str,
    branch_id: i64,
    eol: &str,
    today: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<SlaToBranch> {
    let sla_id = id_of(conn, "component_sla_types", "name", sla)?
        .ok_or_else(|| StoreError::Internal("sla vanished".into()))?;
    let id = match existing {
        None => conn
            .query_opt(
                "INSERT INTO component_branch_slas (sla_id, branch_id, eol) VALUES ($1, $2, $3) RETURNING id",
                &[sla_id.into(), branch_id.into(), eol.into()],
            )?
            .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?
            .int(0)?,
        Some(old) => {
            conn.execute("UPDATE component_branch_slas SET sla_id = $1, eol = $2 WHERE id = $3", &[sla_id.into(), eol.into(), old.id.into()])?;
            old.id
        }
    };
    let saved = get_sla_to_branch(conn, id, today)?
        .ok_or_else(|| StoreError::Internal("saved SLA vanished".into()))?;
    record(changes, "slatocomponentbranch", id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_sla_to_branch(
    conn: &mut dyn Conn,
    existing: &SlaToBranch,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM component_branch_slas WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "slatocomponentbranch",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub id: i64,
    pub release: String,
    pub sla: String,
    pub date: String,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ScheduleFilter {
    pub ids: Vec<i64>,
    pub releases: Vec<String>,
    pub product_versions: Vec<String>,
    pub slas: Vec<String>,
    pub active: Option<bool>,
    pub dates: Vec<String>,
    pub date_after: Option<String>,
    pub date_before: Option<String>,
}

pub fn list_schedules(
    conn: &mut dyn Conn,
    f: &ScheduleFilter,
    today: &str,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Schedule>)> {
    let mut l = Listing::new(
        "release_schedules rs JOIN releases r ON r.id = rs.release_id JOIN component_sla_types s ON s.id = rs.sla_id
         LEFT JOIN product_versions pv ON pv.id = r.product_version_id",
    );
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("rs.id = ANY({p})"));
    }
    l.any_of("r.release_id", &f.releases)
        .any_of("pv.product_version_id", &f.product_versions)
        .any_of("s.name", &f.slas)
        .any_of("rs.date", &f.dates);
    if let Some(a) = f.active {
        let t = l.sql.bind(today);
        l.boolean(&format!("rs.date >= {t}"), Some(a));
    }
    if let Some(d) = &f.date_after {
        let p = l.sql.bind(d.clone());
        l.condition(format!("rs.date >= {p}"));
    }
    if let Some(d) = &f.date_before {
        let p = l.sql.bind(d.clone());
        l.condition(format!("rs.date <= {p}"));
    }
    let t = l.bind_select(today);
    let active = format!("rs.date >= {t}");
    let order = order_by(
        ordering,
        &[
            ("id", "rs.id"),
            ("date", "rs.date"),
            ("release", "r.sort_key"),
            ("sla", "s.name"),
        ],
        "rs.date, rs.id",
    );
    let (count, rows) = l.run(
        conn,
        &format!("rs.id, r.release_id, s.name, rs.date, {active}"),
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(Schedule {
                id: r.int(0)?,
                release: r.text(1)?,
                sla: r.text(2)?,
                date: r.text(3)?,
                active: r.bool(4)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get_schedule(conn: &mut dyn Conn, id: i64, today: &str) -> StoreResult<Option<Schedule>> {
    let f = ScheduleFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_schedules(conn, &f, today, &[], None)?.1.pop())
}

pub fn save_schedule(
    conn: &mut dyn Conn,
    existing: Option<&Schedule>,
    release: &str,
    sla: &str,
    date: &str,
    today: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<Schedule> {
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let rid = must("release", id_of(conn, "releases", "release_id", release)?)?;
    let sid = must("sla", id_of(conn, "component_sla_types", "name", sla)?)?;
    let id = crate::db::save_row(
        conn,
        "release_schedules",
        &["release_id", "sla_id", "date"],
        vec![rid.into(), sid.into(), date.into()],
        existing.map(|o| o.id),
    )?;
    let saved = get_schedule(conn, id, today)?
        .ok_or_else(|| StoreError::Internal("saved schedule vanished".into()))?;
    record(changes, "releaseschedule", id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_schedule(
    conn: &mut dyn Conn,
    existing: &Schedule,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM release_schedules WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "releaseschedule",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}
