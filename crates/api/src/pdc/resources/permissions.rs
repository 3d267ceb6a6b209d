//! `auth/group-resource-permissions/`: which group may create, update or
//! delete which resource.

use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::permissions::{self as store, ACTIONS, Grant, GrantFilter};
use serde_json::{Map, Value};

pub struct GroupResourcePermissions;

fn check(resource: &str, permission: &str) -> Result<(), PdcError> {
    if !crate::pdc::prefixes().contains(&resource) {
        return Err(PdcError::field(
            "resource",
            format!("'{resource}' is not a resource of this API."),
        ));
    }
    if !ACTIONS.contains(&permission) {
        let choices: Vec<String> = ACTIONS.iter().map(|a| format!("'{a}'")).collect();
        return Err(PdcError::field(
            "permission",
            format!(
                "'{permission}' is not allowed value. Use one of {}.",
                choices.join(", ")
            ),
        ));
    }
    Ok(())
}

fn get(conn: &mut dyn Conn, key: &str) -> Result<Option<Grant>, PdcError> {
    let Some(id) = int_key(key) else {
        return Ok(None);
    };
    let f = GrantFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(store::list_grants(conn, &f, None)?.1.pop())
}

impl Resource for GroupResourcePermissions {
    fn prefix(&self) -> &'static str {
        "auth/group-resource-permissions"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["group", "resource", "permission"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "group", "resource", "permission"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = GrantFilter {
            groups: q.values("group").to_vec(),
            resources: q.values("resource").to_vec(),
            permissions: q.values("permission").to_vec(),
            ..Default::default()
        };
        let (count, grants) = store::list_grants(conn, &f, q.page)?;
        Ok((count, grants.iter().map(to_json).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(get(conn, key)?.as_ref().map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        self.save(conn, None, body, false, changes)
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let old = get(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = get(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete_grant(conn, &old, changes)?)
    }
}

impl GroupResourcePermissions {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<Grant>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["group", "resource", "permission"], &["id"])?;
        let pick = |field: &str, old_value: Option<&String>| -> Result<String, PdcError> {
            match (text(body, field)?, old_value) {
                (Some(v), _) => Ok(v),
                (None, Some(v)) if partial => Ok(v.clone()),
                _ => required_text(body, field),
            }
        };
        let group = pick("group", old.as_ref().map(|o| &o.group))?;
        let resource = pick("resource", old.as_ref().map(|o| &o.resource))?;
        let permission = pick("permission", old.as_ref().map(|o| &o.permission))?;
        check(&resource, &permission)?;
        let f = GrantFilter {
            groups: vec![group.clone()],
            resources: vec![resource.clone()],
            permissions: vec![permission.clone()],
            ..Default::default()
        };
        let (_, same) = store::list_grants(conn, &f, None)?;
        if same
            .iter()
            .any(|g| old.as_ref().is_none_or(|o| o.id != g.id))
        {
            return Err(PdcError::unique_set(&["group", "resource", "permission"]));
        }
        Ok(to_json(&store::save_grant(
            conn,
            old.as_ref(),
            &group,
            &resource,
            &permission,
            changes,
        )?))
    }
}

// ---------------------------------------------------------------------------

/// `auth/groups/`: the groups grants are given to, with their members and
/// permissions; an update sets the members.
pub struct Groups;

fn group(conn: &mut dyn Conn, key: &str) -> Result<Option<store::Group>, PdcError> {
    let Some(id) = int_key(key) else {
        return Ok(None);
    };
    Ok(store::list_groups(conn, &[id], &[], None)?.1.pop())
}

impl Resource for Groups {
    fn prefix(&self) -> &'static str {
        "auth/groups"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "name", "members", "permissions"]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: false,
            update: true,
            delete: false,
        }
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) = store::list_groups(conn, &[], q.values("name"), q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(group(conn, key)?.as_ref().map(to_json))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["members"], &["id", "name", "permissions"])?;
        let old = group(conn, key)?.ok_or_else(PdcError::not_found)?;
        let members = match crate::pdc::resource::string_list(body, "members")? {
            Some(m) => m,
            None if partial => old.members.clone(),
            None => return Err(PdcError::required("members")),
        };
        let unknown = store::unknown_users(conn, &members)?;
        if !unknown.is_empty() {
            return Err(PdcError::field(
                "members",
                format!("Unknown users: {}.", unknown.join(", ")),
            ));
        }
        Ok(to_json(&store::set_members(conn, &old, &members, changes)?))
    }
}
