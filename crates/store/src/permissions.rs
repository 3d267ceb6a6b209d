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
