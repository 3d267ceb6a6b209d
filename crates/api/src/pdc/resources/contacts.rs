//! `contacts/people/`, `contacts/mailing-lists/`, `contact-roles/`,
//! `global-component-contacts/` and `release-component-contacts/`.

use super::components::release_component_ref;
use super::{int_key, keep_or, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::contacts::{
    self as store, ComponentContact, ComponentContactFilter, Contact, ContactFilter, ContactKind,
    ContactRole, Scope,
};
use serde_json::{Map, Value, json};

fn ids(q: &ListQuery) -> Vec<i64> {
    q.values("id")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// People or mailing lists: a name (`username` / `mail_name`) and an email.
pub struct Contacts {
    pub kind: ContactKind,
    pub prefix: &'static str,
}

impl Contacts {
    fn find(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Contact>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        let f = ContactFilter {
            kind: Some(self.kind),
            ids: vec![id],
            ..Default::default()
        };
        Ok(store::list_contacts(conn, &f, &[], None)?.1.pop())
    }

    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<Contact>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let name_field = self.kind.name_field();
        check_body(body, &[name_field, "email"], &["id"])?;
        let name = keep_or(
            name_field,
            nonblank(body, name_field)?,
            old.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            partial && old.is_some(),
            true,
        )?;
        let email = keep_or(
            "email",
            nonblank(body, "email")?,
            old.as_ref().map(|o| o.email.clone()).unwrap_or_default(),
            partial && old.is_some(),
            true,
        )?;
        check_email(&email)?;
        if old.as_ref().is_none_or(|o| o.name != name)
            && store::contact_named(conn, self.kind, &name)?.is_some()
        {
            return Err(PdcError::unique_field(name_field));
        }
        Ok(to_json(&store::save_contact(
            conn,
            old.as_ref(),
            self.kind,
            &name,
            &email,
            changes,
        )?))
    }
}

fn nonblank(body: &Map<String, Value>, field: &str) -> Result<Option<String>, PdcError> {
    match text(body, field)? {
        Some(s) if s.is_empty() => Err(PdcError::field(field, "This field may not be blank.")),
        other => Ok(other),
    }
}

fn check_email(email: &str) -> Result<(), PdcError> {
    match email.split_once('@') {
        Some((user, host)) if !user.is_empty() && host.contains('.') && !host.contains('@') => {
            Ok(())
        }
        _ => Err(PdcError::field("email", "Enter a valid email address.")),
    }
}

impl Resource for Contacts {
    fn prefix(&self) -> &'static str {
        self.prefix
    }
    fn filters(&self) -> &'static [&'static str] {
        match self.kind {
            ContactKind::Person => &["id", "username", "email"],
            ContactKind::MailingList => &["id", "mail_name", "email"],
        }
    }
    fn ordering(&self) -> &'static [&'static str] {
        match self.kind {
            ContactKind::Person => &["id", "username", "email"],
            ContactKind::MailingList => &["id", "mail_name", "email"],
        }
    }
    fn fields(&self) -> &'static [&'static str] {
        match self.kind {
            ContactKind::Person => &["id", "username", "email"],
            ContactKind::MailingList => &["id", "mail_name", "email"],
        }
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = ContactFilter {
            kind: Some(self.kind),
            ids: ids(q),
            names: q.values(self.kind.name_field()).to_vec(),
            emails: q.values("email").to_vec(),
        };
        let (count, items) = store::list_contacts(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some(self.kind.class())
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(self.find(conn, key)?.as_ref().map(to_json))
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
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        let uses = store::contact_uses(conn, old.id)?;
        if uses > 0 {
            return Err(PdcError::bad_request(format!(
                "Cannot delete {} because {uses} component contacts refer to it.",
                old.name
            )));
        }
        Ok(store::delete_contact(conn, &old, changes)?)
    }
}

// ---------------------------------------------------------------------------

/// `contact-roles/`, looked up by name; `count_limit` is a number or
/// `"unlimited"`.
pub struct ContactRoles;

fn role_json(role: &ContactRole) -> Value {
    json!({
        "name": role.name,
        "count_limit": if role.count_limit == 0 { json!("unlimited") } else { json!(role.count_limit) },
    })
}

fn count_limit(body: &Map<String, Value>) -> Result<Option<i64>, PdcError> {
    let bad = || {
        PdcError::field(
            "count_limit",
            "Invalid value: a positive integer or \"unlimited\".",
        )
    };
    match body.get("count_limit") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "unlimited" => Ok(Some(0)),
        Some(Value::String(s)) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(bad),
        Some(Value::Number(n)) => n.as_i64().filter(|n| *n > 0).map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

impl ContactRoles {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<ContactRole>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["name", "count_limit"], &["id"])?;
        let keep = partial && old.is_some();
        let name = keep_or(
            "name",
            text(body, "name")?,
            old.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            keep,
            true,
        )?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(PdcError::field(
                "name",
                "Enter a valid 'slug' consisting of letters, numbers, underscores or hyphens.",
            ));
        }
        let limit = match count_limit(body)? {
            Some(l) => l,
            None if keep => old.as_ref().map_or(1, |o| o.count_limit),
            None => 1,
        };
        if let Some(o) = &old {
            let (most, _) = store::role_usage(conn, o.id)?;
            if limit != 0 && most > limit {
                return Err(PdcError::field(
                    "count_limit",
                    format!(
                        "Count limit can't be lower than {most}: a component has {most} contacts with role {}.",
                        o.name
                    ),
                ));
            }
        }
        if old.as_ref().is_none_or(|o| o.name != name) && store::role_named(conn, &name)?.is_some()
        {
            return Err(PdcError::unique_field("name"));
        }
        Ok(role_json(&store::save_role(
            conn,
            old.as_ref(),
            &name,
            limit,
            changes,
        )?))
    }
}

impl Resource for ContactRoles {
    fn prefix(&self) -> &'static str {
        "contact-roles"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["name", "count_limit"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["name", "count_limit"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) = store::list_roles(conn, q.values("name"), &q.ordering, q.page)?;
        Ok((count, items.iter().map(role_json).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::role_named(conn, key)?.as_ref().map(role_json))
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
        let old = store::role_named(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = store::role_named(conn, key)?.ok_or_else(PdcError::not_found)?;
        let (_, used) = store::role_usage(conn, old.id)?;
        if used > 0 {
            return Err(PdcError::bad_request(format!(
                "Cannot delete role {} because {used} component contacts hold it.",
                old.name
            )));
        }
        Ok(store::delete_role(conn, &old, changes)?)
    }
}

// ---------------------------------------------------------------------------

/// `global-component-contacts/` and `release-component-contacts/`.
pub struct ComponentContacts {
    pub scope: Scope,
    pub prefix: &'static str,
}

impl ComponentContacts {
    fn find(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<ComponentContact>, PdcError> {
        match int_key(key) {
            Some(id) => Ok(store::get_component_contact(conn, self.scope, id)?),
            None => Ok(None),
        }
    }

    /// The component's id from the body's `component`.
    fn component(&self, conn: &mut dyn Conn, value: &Value) -> Result<i64, PdcError> {
        match self.scope {
            Scope::Global => {
                let name = value
                    .as_str()
                    .ok_or_else(|| PdcError::field("component", "Expected a component name."))?;
                almanac_store::releases::id_of(conn, "global_components", "name", name)?.ok_or_else(
                    || {
                        PdcError::field(
                            "component",
                            format!("Object with name={name} does not exist."),
                        )
                    },
                )
            }
            Scope::Release => Ok(release_component_ref(conn, "component", value)?.id),
        }
    }

    /// The contact named in the body, created when it does not exist yet.
    fn contact(
        &self,
        conn: &mut dyn Conn,
        value: &Value,
        changes: &mut Vec<Change>,
    ) -> Result<Contact, PdcError> {
        let obj = value.as_object().ok_or_else(|| {
            PdcError::field(
                "contact",
                "A contact is {\"username\", \"email\"} or {\"mail_name\", \"email\"}.",
            )
        })?;
        let (kind, name) = match (obj.get("username"), obj.get("mail_name")) {
            (Some(Value::String(u)), None) => (ContactKind::Person, u.clone()),
            (None, Some(Value::String(m))) => (ContactKind::MailingList, m.clone()),
            _ => {
                return Err(PdcError::field(
                    "contact",
                    "A contact is {\"username\", \"email\"} or {\"mail_name\", \"email\"}.",
                ));
            }
        };
        let email = obj.get("email").and_then(Value::as_str);
        match store::contact_named(conn, kind, &name)? {
            Some(c) if email.is_none_or(|e| e == c.email) => Ok(c),
            Some(c) => Err(PdcError::field(
                "contact",
                format!(
                    "{} {name} exists with email {}, not {}.",
                    kind.name_field(),
                    c.email,
                    email.unwrap_or_default()
                ),
            )),
            None => {
                let email = email
                    .ok_or_else(|| PdcError::field("contact", "A new contact needs an email."))?;
                check_email(email)?;
                Ok(store::save_contact(
                    conn, None, kind, &name, email, changes,
                )?)
            }
        }
    }

    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<ComponentContact>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["component", "role", "contact"], &["id"])?;
        let keep = partial && old.is_some();
        let component_id = match (body.get("component"), &old) {
            (Some(v), _) => self.component(conn, v)?,
            (None, Some(o)) if keep => o.component_id,
            _ => return Err(PdcError::required("component")),
        };
        let role_name = match (text(body, "role")?, &old) {
            (Some(r), _) => r,
            (None, Some(o)) if keep => o.role.clone(),
            _ => return Err(PdcError::required("role")),
        };
        let role = store::role_named(conn, &role_name)?.ok_or_else(|| {
            PdcError::field(
                "role",
                format!("Object with name={role_name} does not exist."),
            )
        })?;
        let contact_id = match (body.get("contact"), &old) {
            (Some(v), _) => self.contact(conn, v, changes)?.id,
            (None, Some(o)) if keep => o.contact.id,
            _ => return Err(PdcError::required("contact")),
        };
        let holders = store::holders(
            conn,
            self.scope,
            role.id,
            component_id,
            old.as_ref().map(|o| o.id),
        )?;
        if holders.contains(&contact_id) {
            return Err(PdcError::unique_set(&["role", "component", "contact"]));
        }
        if role.count_limit != 0 && holders.len() as i64 >= role.count_limit {
            return Err(PdcError::invalid(format!(
                "Exceed contact role limit for {}. {} allowed.",
                role.name, role.count_limit
            )));
        }
        Ok(to_json(&store::save_component_contact(
            conn,
            self.scope,
            old.as_ref(),
            role.id,
            contact_id,
            component_id,
            changes,
        )?))
    }
}

impl Resource for ComponentContacts {
    fn prefix(&self) -> &'static str {
        self.prefix
    }
    fn filters(&self) -> &'static [&'static str] {
        match self.scope {
            Scope::Global => &["contact", "email", "role", "component"],
            Scope::Release => &[
                "contact",
                "email",
                "role",
                "component",
                "dist_git_branch",
                "release",
                "global_component",
            ],
        }
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "role", "component", "contact"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "component", "role", "contact"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        for pattern in q.values("component") {
            if let Err(e) = regex_lite::Regex::new(pattern) {
                return Err(PdcError::bad_request(format!(
                    "Invalid regular expression {pattern:?} for component: {e}"
                )));
            }
        }
        let f = ComponentContactFilter {
            ids: Vec::new(),
            contacts: q.values("contact").to_vec(),
            emails: q.values("email").to_vec(),
            roles: q.values("role").to_vec(),
            components: q.values("component").to_vec(),
            releases: q.values("release").to_vec(),
            global_components: q.values("global_component").to_vec(),
            dist_git_branches: q.values("dist_git_branch").to_vec(),
        };
        let (count, items) =
            store::list_component_contacts(conn, self.scope, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some(self.scope.class())
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(self.find(conn, key)?.as_ref().map(to_json))
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
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = self.find(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete_component_contact(
            conn, self.scope, &old, changes,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_limits_are_positive_or_unlimited() {
        let body = |v: Value| json!({ "count_limit": v }).as_object().unwrap().clone();
        assert_eq!(count_limit(&body(json!("unlimited"))).unwrap(), Some(0));
        assert_eq!(count_limit(&body(json!(3))).unwrap(), Some(3));
        assert_eq!(count_limit(&body(json!("2"))).unwrap(), Some(2));
        assert!(count_limit(&body(json!(0))).is_err());
        assert!(count_limit(&body(json!("many"))).is_err());
        assert_eq!(count_limit(&Map::new()).unwrap(), None);
    }

    #[test]
    fn emails_need_a_user_and_a_domain() {
        assert!(check_email("jdoe@example.com").is_ok());
        assert!(check_email("jdoe").is_err());
        assert!(check_email("@example.com").is_err());
        assert!(check_email("jdoe@localhost").is_err());
    }
}
