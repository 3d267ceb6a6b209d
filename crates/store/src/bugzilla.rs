//! Bugzilla components: a tree (`kernel` / `kernel/drivers` / ...) that
//! release components point into, to say where bugs are filed.

use crate::changes::Change;
use crate::db::{Conn, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use serde::Serialize;
use std::collections::HashMap;

/// A node, with its parent's name and every descendant's path below it
/// (`["child", "child/grandchild"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BugzillaComponent {
    pub id: i64,
    pub name: String,
    pub parent_component: Option<String>,
    pub subcomponents: Vec<String>,
    #[serde(skip)]
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct BugzillaFilter {
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    /// Nodes whose parent has one of these names.
    pub parents: Vec<String>,
}

pub fn list(
    conn: &mut dyn Conn,
    f: &BugzillaFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<BugzillaComponent>)> {
    let mut l =
        Listing::new("bugzilla_components b LEFT JOIN bugzilla_components p ON p.id = b.parent_id");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("b.id = ANY({p})"));
    }
    l.any_of("b.name", &f.names).nullable("p.name", &f.parents);
    let order = order_by(ordering, &[("id", "b.id"), ("name", "b.name")], "b.id");
    let (count, rows) = l.run(conn, "b.id, b.name, p.name, b.parent_id", &order, page)?;
    let mut items = rows
        .into_iter()
        .map(|mut r| {
            Ok(BugzillaComponent {
                id: r.int(0)?,
                name: r.text(1)?,
                parent_component: r.opt_text(2)?,
                subcomponents: Vec::new(),
                parent_id: r.opt_int(3)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let ids: Vec<i64> = items.iter().map(|b| b.id).collect();
    let mut below = descendants(conn, &ids)?;
    for b in &mut items {
        b.subcomponents = below.remove(&b.id).unwrap_or_default();
    }
    Ok((count, items))
}

/// Every descendant's path below each of `roots`, sorted.
fn descendants(conn: &mut dyn Conn, roots: &[i64]) -> StoreResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if roots.is_empty() {
        return Ok(out);
    }
    let rows = conn.query(
        "WITH RECURSIVE d (root, id, path) AS (
             SELECT b.parent_id, b.id, b.name FROM bugzilla_components b WHERE b.parent_id = ANY($1)
             UNION ALL
             SELECT d.root, b.id, d.path || '/' || b.name FROM bugzilla_components b JOIN d ON b.parent_id = d.id)
         SELECT root, path FROM d ORDER BY root, path",
        &[Value::IntList(roots.to_vec())],
    )?;
    for mut r in rows {
        out.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    Ok(out)
}

pub fn get(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<BugzillaComponent>> {
    let f = BugzillaFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list(conn, &f, &[], None)?.1.pop())
}

/// The child of `parent` (a root when `None`) with that name.
pub fn child_named(
    conn: &mut dyn Conn,
    parent: Option<i64>,
    name: &str,
) -> StoreResult<Option<i64>> {
    Ok(conn
        .query_opt(
            "SELECT id FROM bugzilla_components WHERE COALESCE(parent_id, 0) = $1 AND name = $2",
            &[parent.unwrap_or(0).into(), name.into()],
        )?
        .map(|r| r.int(0))
        .transpose()?)
}

/// The node at `path` (`"kernel/drivers"`), or a bare name when exactly one
/// node has it.
pub fn resolve(conn: &mut dyn Conn, path: &str) -> StoreResult<Option<i64>> {
    if !path.contains('/') {
        if let Some(root) = child_named(conn, None, path)? {
            return Ok(Some(root));
        }
        let rows = conn.query(
            "SELECT id FROM bugzilla_components WHERE name = $1",
            &[path.into()],
        )?;
        return Ok(match rows.as_slice() {
            [one] => Some(one.int(0)?),
            _ => None,
        });
    }
    let mut at = None;
    for part in path.split('/') {
        match child_named(conn, at, part)? {
            Some(id) => at = Some(id),
            None => return Ok(None),
        }
    }
    Ok(at)
}

/// The path from the root down to `id` (`"kernel/drivers"`).
pub fn path_of(conn: &mut dyn Conn, id: i64) -> StoreResult<String> {
    let mut parts = Vec::new();
    let mut at = Some(id);
    while let Some(node) = at {
        let mut row = conn
            .query_opt(
                "SELECT name, parent_id FROM bugzilla_components WHERE id = $1",
                &[node.into()],
            )?
            .ok_or_else(|| StoreError::Internal(format!("bugzilla component {node} vanished")))?;
        parts.push(row.text(0)?);
        at = row.opt_int(1)?;
        if parts.len() > 10_000 {
            return Err(StoreError::Internal("bugzilla component cycle".into()));
        }
    }
    parts.reverse();
    Ok(parts.join("/"))
}

/// Whether `candidate` is `id` or lies below it.
pub fn is_within(conn: &mut dyn Conn, id: i64, candidate: i64) -> StoreResult<bool> {
    let mut at = Some(candidate);
    while let Some(node) = at {
        if node == id {
            return Ok(true);
        }
        at = conn
            .query_opt(
                "SELECT parent_id FROM bugzilla_components WHERE id = $1",
                &[node.into()],
            )?
            .map(|r| r.opt_int(0))
            .transpose()?
            .flatten();
    }
    Ok(false)
}

pub fn save(
    conn: &mut dyn Conn,
    existing: Option<&BugzillaComponent>,
    name: &str,
    parent: Option<i64>,
    changes: &mut Vec<Change>,
) -> StoreResult<BugzillaComponent> {
    let id = save_row(
        conn,
        "bugzilla_components",
        &["name", "parent_id"],
        vec![name.into(), parent.into()],
        existing.map(|b| b.id),
    )?;
    let saved = get(conn, id)?.ok_or_else(|| StoreError::Internal("saved node vanished".into()))?;
    record(changes, "bugzillacomponent", id, existing, Some(&saved));
    Ok(saved)
}

/// Deletes a node and everything below it; release components that pointed
/// into the subtree point nowhere afterwards.
pub fn delete(
    conn: &mut dyn Conn,
    existing: &BugzillaComponent,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    let rows = conn.query(
        "WITH RECURSIVE d (id) AS (
             SELECT CAST($1 AS BIGINT)
             UNION ALL
             SELECT b.id FROM bugzilla_components b JOIN d ON b.parent_id = d.id)
         SELECT id FROM d",
        &[existing.id.into()],
    )?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int(0)).collect::<Result<_, _>>()?;
    let users: Vec<i64> = conn
        .query(
            "SELECT id FROM release_components WHERE bugzilla_component_id = ANY($1)",
            &[Value::IntList(ids.clone())],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    for component in users {
        let old = crate::components::get_release_component(conn, component, true)?;
        conn.execute(
            "UPDATE release_components SET bugzilla_component_id = NULL WHERE id = $1",
            &[component.into()],
        )?;
        let new = crate::components::get_release_component(conn, component, true)?;
        record(
            changes,
            "releasecomponent",
            component,
            old.as_ref(),
            new.as_ref(),
        );
    }
    let mut nodes = Vec::new();
    for id in ids.iter().rev() {
        if let Some(node) = get(conn, *id)? {
            nodes.push(node);
        }
    }
    // Children first, so no row ever points at a deleted parent.
    for node in &nodes {
        conn.execute(
            "DELETE FROM bugzilla_components WHERE id = $1",
            &[node.id.into()],
        )?;
        record(changes, "bugzillacomponent", node.id, Some(node), None);
    }
    Ok(())
}
