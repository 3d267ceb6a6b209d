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
