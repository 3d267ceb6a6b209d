//! PDC's resource permissions: a group may create, update or delete a
//! resource. Reads are open; superusers may do anything (checked by callers).

use crate::db::{Conn, Value};
use crate::error::StoreResult;

pub const ACTIONS: [&str; 4] = ["create", "read", "update", "delete"];

/// Whether any of `groups` may do `action` on `resource`.
pub fn allows(
    conn: &mut dyn Conn,
    groups: &[String],
    resource: &str,
    action: &str,
) -> StoreResult<bool> {
    if groups.is_empty() {
        return Ok(false);
    }
    Ok(conn
        .query_opt(
            "SELECT 1 FROM group_resource_permissions WHERE group_name = ANY($1) AND resource = $2 AND permission = $3",
            &[Value::TextList(groups.to_vec()), resource.into(), action.into()],
        )?
        .is_some())
}

/// Lets `group` do `action` on `resource` (no change if it already may).
pub fn grant(conn: &mut dyn Conn, group: &str, resource: &str, action: &str) -> StoreResult<()> {
    ensure_group(conn, group)?;
    conn.execute(
        "INSERT INTO group_resource_permissions (group_name, resource, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[group.into(), resource.into(), action.into()],
    )?;
    Ok(())
}

/// One grant, as `auth/group-resource-permissions/` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Grant {
    pub id: i64,
    pub group: String,
    pub resource: String,
    pub permission: String,
}

#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub ids: Vec<i64>,
    pub groups: Vec<String>,
    pub resources: Vec<String>,
    pub permissions: Vec<String>,
}

pub fn list_grants(
    conn: &mut dyn Conn,
    f: &GrantFilter,
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Grant>)> {
    let mut l = crate::listing::Listing::new("group_resource_permissions p");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("p.id = ANY({p})"));
    }
    l.any_of("p.group_name", &f.groups)
        .any_of("p.resource", &f.resources)
        .any_of("p.permission", &f.permissions);
    let (count, rows) = l.run(
        conn,
        "p.id, p.group_name, p.resource, p.permission",
        "p.id",
        page,
    )?;
    let grants = rows
        .into_iter()
        .map(|mut r| {
            Ok(Grant {
                id: r.int(0)?,
                group: r.text(1)?,
                resource: r.text(2)?,
                permission: r.text(3)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, grants))
}

/// Creates or changes a grant; answers it.
pub fn save_grant(
    conn: &mut dyn Conn,
    existing: Option<&Grant>,
    group: &str,
    resource: &str,
    permission: &str,
    changes: &mut Vec<crate::changes::Change>,
) -> StoreResult<Grant> {
    ensure_group(conn, group)?;
    let params: Vec<Value> = vec![group.into(), resource.into(), permission.into()];
    let id = crate::db::save_row(
        conn,
        "group_resource_permissions",
        &["group_name", "resource", "permission"],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = Grant {
        id,
        group: group.into(),
        resource: resource.into(),
        permission: permission.into(),
    };
    crate::products::record(
        changes,
        "groupresourcepermission",
        id,
        existing,
        Some(&saved),
    );
    Ok(saved)
}

pub fn delete_grant(
    conn: &mut dyn Conn,
    existing: &Grant,
    changes: &mut Vec<crate::changes::Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM group_resource_permissions WHERE id = $1",
        &[existing.id.into()],
    )?;
    crate::products::record(
        changes,
        "groupresourcepermission",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Groups: named sets of users, which grants are given to.

/// A group with its members and what it may do (`resource:permission`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub members: Vec<String>,
    pub permissions: Vec<String>,
}

/// Makes a group known (a token or a grant names it).
pub fn ensure_group(conn: &mut dyn Conn, name: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO auth_groups (name) VALUES ($1) ON CONFLICT DO NOTHING",
        &[name.into()],
    )?;
    Ok(())
}

pub fn list_groups(
    conn: &mut dyn Conn,
    ids: &[i64],
    names: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Group>)> {
    let mut l = crate::listing::Listing::new("auth_groups g");
    if !ids.is_empty() {
        let p = l.sql.bind(ids.to_vec());
        l.condition(format!("g.id = ANY({p})"));
    }
    l.any_of("g.name", names);
    let (count, rows) = l.run(conn, "g.id, g.name", "g.id", page)?;
    let mut groups = Vec::with_capacity(rows.len());
    for mut r in rows {
        let name = r.text(1)?;
        let members = conn
            .query(
                "SELECT u.username FROM user_groups ug JOIN users u ON u.id = ug.user_id WHERE ug.group_name = $1 ORDER BY u.username",
                &[name.clone().into()],
            )?
            .into_iter()
            .map(|mut m| m.text(0))
            .collect::<Result<_, _>>()?;
        let permissions = conn
            .query(
                "SELECT resource, permission FROM group_resource_permissions WHERE group_name = $1 ORDER BY resource, permission",
                &[name.clone().into()],
            )?
            .into_iter()
            .map(|mut p| Ok(format!("{}:{}", p.text(0)?, p.text(1)?)))
            .collect::<StoreResult<_>>()?;
        groups.push(Group {
            id: r.int(0)?,
            name,
            members,
            permissions,
        });
    }
    Ok((count, groups))
}

/// Makes exactly `members` (known users) the members of `group`.
pub fn set_members(
    conn: &mut dyn Conn,
    group: &Group,
    members: &[String],
    changes: &mut Vec<crate::changes::Change>,
) -> StoreResult<Group> {
    conn.execute(
        "DELETE FROM user_groups WHERE group_name = $1",
        &[group.name.clone().into()],
    )?;
    conn.execute(
        "INSERT INTO user_groups (user_id, group_name) SELECT id, CAST($1 AS TEXT) FROM users WHERE username = ANY($2)",
        &[group.name.clone().into(), Value::TextList(members.to_vec())],
    )?;
    let saved = list_groups(conn, &[group.id], &[], None)?
        .1
        .pop()
        .ok_or_else(|| crate::StoreError::Internal("group vanished".into()))?;
    crate::products::record(changes, "group", group.id, Some(group), Some(&saved));
    Ok(saved)
}

/// Which of `usernames` are not known users.
pub fn unknown_users(conn: &mut dyn Conn, usernames: &[String]) -> StoreResult<Vec<String>> {
    let known: Vec<String> = conn
        .query(
            "SELECT username FROM users WHERE username = ANY($1)",
            &[Value::TextList(usernames.to_vec())],
        )?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect::<Result<_, _>>()?;
    Ok(usernames
        .iter()
        .filter(|u| !known.contains(u))
        .cloned()
        .collect())
}
