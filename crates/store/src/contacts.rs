//! Contacts (PDC's contact app): people and mailing lists, the roles they hold
//! (`Devel_Owner`, `QE_Owner`...) with a limit of holders per component, and
//! who holds which role for a global or a release component.

use crate::changes::Change;
use crate::db::{Conn, Row, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A person (named by username) or a mailing list (named by mail_name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Person,
    MailingList,
}

impl ContactKind {
    fn code(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::MailingList => "mailing_list",
        }
    }
    fn from_code(code: &str) -> ContactKind {
        if code == "person" {
            ContactKind::Person
        } else {
            ContactKind::MailingList
        }
    }
    /// The field that names it: `username` or `mail_name`.
    pub fn name_field(self) -> &'static str {
        match self {
            ContactKind::Person => "username",
            ContactKind::MailingList => "mail_name",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::MailingList => "maillist",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: i64,
    pub kind: ContactKind,
    pub name: String,
    pub email: String,
}

/// `{"id", "username"|"mail_name", "email"}`, as PDC shows both kinds.
impl Serialize for Contact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry(self.kind.name_field(), &self.name)?;
        m.serialize_entry("email", &self.email)?;
        m.end()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    pub emails: Vec<String>,
}

fn read_contact(r: &mut Row, at: usize) -> StoreResult<Contact> {
    Ok(Contact {
        id: r.int(at)?,
        kind: ContactKind::from_code(&r.text(at + 1)?),
        name: r.text(at + 2)?,
        email: r.text(at + 3)?,
    })
}

pub fn list_contacts(
    conn: &mut dyn Conn,
    f: &ContactFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Contact>)> {
    let mut l = Listing::new("contacts c");
    if let Some(kind) = f.kind {
        let p = l.sql.bind(kind.code());
        l.condition(format!("c.kind = {p}"));
    }
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("c.id = ANY({p})"));
    }
    l.any_of("c.name", &f.names).any_of("c.email", &f.emails);
    let order = order_by(
        ordering,
        &[
            ("id", "c.id"),
            ("username", "c.name"),
            ("mail_name", "c.name"),
            ("email", "c.email"),
        ],
        "c.id",
    );
    let (count, rows) = l.run(conn, "c.id, c.kind, c.name, c.email", &order, page)?;
    let items = rows
        .into_iter()
        .map(|mut r| read_contact(&mut r, 0))
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn contact_named(
    conn: &mut dyn Conn,
    kind: ContactKind,
    name: &str,
) -> StoreResult<Option<Contact>> {
    let f = ContactFilter {
        kind: Some(kind),
        names: vec![name.to_string()],
        ..Default::default()
    };
    Ok(list_contacts(conn, &f, &[], None)?.1.pop())
}

pub fn save_contact(
    conn: &mut dyn Conn,
    existing: Option<&Contact>,
    kind: ContactKind,
    name: &str,
    email: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<Contact> {
    let id = save_row(
        conn,
        "contacts",
        &["kind", "name", "email"],
        vec![kind.code().into(), name.into(), email.into()],
        existing.map(|c| c.id),
    )?;
    let saved = Contact {
        id,
        kind,
        name: name.to_string(),
        email: email.to_string(),
    };
    record(changes, kind.class(), id, existing, Some(&saved));
    Ok(saved)
}

/// How many component contacts name this contact (a used contact stays).
pub fn contact_uses(conn: &mut dyn Conn, contact_id: i64) -> StoreResult<i64> {
    let row = conn.query_opt(
        "SELECT (SELECT count(*) FROM global_component_contacts WHERE contact_id = $1)
              + (SELECT count(*) FROM release_component_contacts WHERE contact_id = $1)",
        &[contact_id.into()],
    )?;
    Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0))
}

pub fn delete_contact(
    conn: &mut dyn Conn,
    existing: &Contact,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute("DELETE FROM contacts WHERE id = $1", &[existing.id.into()])?;
    record(
        changes,
        existing.kind.class(),
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------

/// A role a contact holds for a component; `count_limit` 0 is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRole {
    pub id: i64,
    pub name: String,
    pub count_limit: i64,
}

pub fn list_roles(
    conn: &mut dyn Conn,
    names: &[String],
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ContactRole>)> {
    let mut l = Listing::new("contact_roles r");
    l.any_of("r.name", names);
    let order = order_by(
        ordering,
        &[("name", "r.name"), ("count_limit", "r.count_limit")],
        "r.id",
    );
    let (count, rows) = l.run(conn, "r.id, r.name, r.count_limit", &order, page)?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(ContactRole {
                id: r.int(0)?,
                name: r.text(1)?,
                count_limit: r.int(2)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn role_named(conn: &mut dyn Conn, name: &str) -> StoreResult<Option<ContactRole>> {
    Ok(list_roles(conn, &[name.to_string()], &[], None)?.1.pop())
}

pub fn save_role(
    conn: &mut dyn Conn,
    existing: Option<&ContactRole>,
    name: &str,
    count_limit: i64,
    changes: &mut Vec<Change>,
) -> StoreResult<ContactRole> {
    let id = save_row(
        conn,
        "contact_roles",
        &["name", "count_limit"],
        vec![name.into(), count_limit.into()],
        existing.map(|r| r.id),
    )?;
    let saved = ContactRole {
        id,
        name: name.to_string(),
        count_limit,
    };
    record(changes, "contactrole", id, existing, Some(&saved));
    Ok(saved)
}

/// The most holders of this role on any one component, and how many
/// component contacts use it at all.
pub fn role_usage(conn: &mut dyn Conn, role_id: i64) -> StoreResult<(i64, i64)> {
    let mut most = 0;
    let mut total = 0;
    for table in ["global_component_contacts", "release_component_contacts"] {
        let rows = conn.query(
            &format!(
                "SELECT count(*) FROM {table} WHERE role_id = $1 GROUP BY component_id ORDER BY count(*) DESC"
            ),
            &[role_id.into()],
        )?;
        for r in &rows {
            let n = r.int(0)?;
            most = most.max(n);
            total += n;
        }
    }
    Ok((most, total))
}

pub fn delete_role(
    conn: &mut dyn Conn,
    existing: &ContactRole,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM contact_roles WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(changes, "contactrole", existing.id, Some(existing), None);
    Ok(())
}

// ---------------------------------------------------------------------------

/// Whether contacts are held for global or for release components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Release,
}

impl Scope {
    fn table(self) -> &'static str {
        match self {
            Scope::Global => "global_component_contacts",
            Scope::Release => "release_component_contacts",
        }
    }
    pub fn class(self) -> &'static str {
        match self {
            Scope::Global => "globalcomponentcontact",
            Scope::Release => "releasecomponentcontact",
        }
    }
}

/// The component a contact is held for: a global component's name, or a
/// release component as `{id, name, release}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ContactComponent {
    Global(String),
    Release {
        id: i64,
        name: String,
        release: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentContact {
    pub id: i64,
    pub component: ContactComponent,
    pub role: String,
    pub contact: Contact,
    #[serde(skip)]
    pub component_id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ComponentContactFilter {
    pub ids: Vec<i64>,
    /// Username or mail_name.
    pub contacts: Vec<String>,
    pub emails: Vec<String>,
    pub roles: Vec<String>,
    /// Regular expressions on the component's name (any matches).
    pub components: Vec<String>,
    /// Release components only.
    pub releases: Vec<String>,
    pub global_components: Vec<String>,
    pub dist_git_branches: Vec<String>,
}

pub fn list_component_contacts(
    conn: &mut dyn Conn,
    scope: Scope,
    f: &ComponentContactFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ComponentContact>)> {
    let (from, component_name) = match scope {
        Scope::Global => (
            "global_component_contacts cc JOIN global_components g ON g.id = cc.component_id",
            "g.name",
        ),
        Scope::Release => (
            "release_component_contacts cc JOIN release_components rc ON rc.id = cc.component_id \
             JOIN releases r ON r.id = rc.release_id JOIN global_components g ON g.id = rc.global_component_id",
            "rc.name",
        ),
    };
    let mut l = Listing::new(&format!(
        "{from} JOIN contacts c ON c.id = cc.contact_id JOIN contact_roles ro ON ro.id = cc.role_id"
    ));
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("cc.id = ANY({p})"));
    }
    l.any_of("c.name", &f.contacts)
        .any_of("c.email", &f.emails)
        .any_of("ro.name", &f.roles);
    let mut matches = Vec::new();
    for pattern in &f.components {
        let p = l.sql.bind(pattern.clone());
        matches.push(format!("{component_name} ~ {p}"));
    }
    if !matches.is_empty() {
        l.condition(format!("({})", matches.join(" OR ")));
    }
    if scope == Scope::Release {
        l.any_of("r.release_id", &f.releases)
            .any_of("g.name", &f.global_components)
            .any_of(
                "COALESCE(rc.dist_git_branch, r.dist_git_branch)",
                &f.dist_git_branches,
            );
    }
    let order = order_by(
        ordering,
        &[
            ("id", "cc.id"),
            ("role", "ro.name"),
            ("component", component_name),
            ("contact", "c.name"),
        ],
        "cc.id",
    );
    let select = match scope {
        Scope::Global => "cc.id, ro.name, c.id, c.kind, c.name, c.email, g.id, g.name, NULL",
        Scope::Release => {
            "cc.id, ro.name, c.id, c.kind, c.name, c.email, rc.id, rc.name, r.release_id"
        }
    };
    let (count, rows) = l.run(conn, select, &order, page)?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            let component_id = r.int(6)?;
            let name = r.text(7)?;
            Ok(ComponentContact {
                id: r.int(0)?,
                role: r.text(1)?,
                contact: read_contact(&mut r, 2)?,
                component: match scope {
                    Scope::Global => ContactComponent::Global(name),
                    Scope::Release => ContactComponent::Release {
                        id: component_id,
                        name,
                        release: r.text(8)?,
                    },
                },
                component_id,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get_component_contact(
    conn: &mut dyn Conn,
    scope: Scope,
    id: i64,
) -> StoreResult<Option<ComponentContact>> {
    let f = ComponentContactFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_component_contacts(conn, scope, &f, &[], None)?.1.pop())
}

/// How many contacts hold `role_id` for `component_id`, leaving out `except`.
pub fn holders(
    conn: &mut dyn Conn,
    scope: Scope,
    role_id: i64,
    component_id: i64,
    except: Option<i64>,
) -> StoreResult<Vec<i64>> {
    conn.query(
        &format!(
            "SELECT contact_id FROM {} WHERE role_id = $1 AND component_id = $2 AND id <> $3",
            scope.table()
        ),
        &[
            role_id.into(),
            component_id.into(),
            except.unwrap_or(0).into(),
        ],
    )?
    .iter()
    .map(|r| r.int(0).map_err(Into::into))
    .collect()
}

/// Creates or replaces a component contact (ids checked by the caller).
pub fn save_component_contact(
    conn: &mut dyn Conn,
    scope: Scope,
    existing: Option<&ComponentContact>,
    role_id: i64,
    contact_id: i64,
    component_id: i64,
    changes: &mut Vec<Change>,
) -> StoreResult<ComponentContact> {
    let id = save_row(
        conn,
        scope.table(),
        &["role_id", "contact_id", "component_id"],
        vec![role_id.into(), contact_id.into(), component_id.into()],
        existing.map(|c| c.id),
    )?;
    let saved = get_component_contact(conn, scope, id)?
        .ok_or_else(|| StoreError::Internal("saved contact vanished".into()))?;
    record(changes, scope.class(), id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_component_contact(
    conn: &mut dyn Conn,
    scope: Scope,
    existing: &ComponentContact,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        &format!("DELETE FROM {} WHERE id = $1", scope.table()),
        &[existing.id.into()],
    )?;
    record(changes, scope.class(), existing.id, Some(existing), None);
    Ok(())
}

/// Removes every contact of these components (before the components go).
pub fn delete_contacts_of(
    conn: &mut dyn Conn,
    scope: Scope,
    component_ids: &[i64],
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    if component_ids.is_empty() {
        return Ok(());
    }
    let (_, held) = {
        let mut l = Listing::new(scope.table());
        let p = l.sql.bind(component_ids.to_vec());
        l.condition(format!("component_id = ANY({p})"));
        l.run(conn, "id", "id", None)?
    };
    for row in held {
        if let Some(old) = get_component_contact(conn, scope, row.int(0)?)? {
            delete_component_contact(conn, scope, &old, changes)?;
        }
    }
    Ok(())
}
