//! Kinds that are just a name and a description: component group types
//! (`ring`), SLA types (`bug_fixes`), labels and component relationship
//! types (`RPMRequires`). One table each, one code for all.

use crate::changes::Change;
use crate::db::Conn;
use crate::error::StoreResult;
use crate::listing::{Listing, order_by};
use crate::products::record;
use serde::Serialize;

/// Which kind, with its table, changeset class and order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    ComponentGroup,
    Sla,
    Label,
    Relationship,
}

impl TypeKind {
    fn table(self) -> &'static str {
        match self {
            TypeKind::ComponentGroup => "component_group_types",
            TypeKind::Sla => "component_sla_types",
            TypeKind::Label => "labels",
            TypeKind::Relationship => "component_relationship_types",
        }
    }
    fn class(self) -> &'static str {
        match self {
            TypeKind::ComponentGroup => "releasecomponentgrouptype",
            TypeKind::Sla => "sla",
            TypeKind::Label => "label",
            TypeKind::Relationship => "releasecomponentrelationshiptype",
        }
    }
    fn order(self) -> &'static str {
        match self {
            TypeKind::ComponentGroup | TypeKind::Label | TypeKind::Relationship => "t.id",
            TypeKind::Sla => "t.name, t.id",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedType {
    pub id: i64,
    pub name: String,
    pub description: String,
}

pub fn list(
    conn: &mut dyn Conn,
    kind: TypeKind,
    names: &[String],
    ids: &[i64],
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<NamedType>)> {
    let mut l = Listing::new(&format!("{} t", kind.table()));
    l.any_of("t.name", names);
    if !ids.is_empty() {
        let p = l.sql.bind(ids.to_vec());
        l.condition(format!("t.id = ANY({p})"));
    }
    let order = order_by(
        ordering,
        &[("id", "t.id"), ("name", "t.name")],
        kind.order(),
    );
    let (count, rows) = l.run(conn, "t.id, t.name, t.description", &order, page)?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(NamedType {
                id: r.int(0)?,
                name: r.text(1)?,
                description: r.text(2)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn save(
    conn: &mut dyn Conn,
    kind: TypeKind,
    existing: Option<&NamedType>,
    name: &str,
    description: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<NamedType> {
    let id = crate::db::save_row(
        conn,
        kind.table(),
        &["name", "description"],
        vec![name.into(), description.into()],
        existing.map(|o| o.id),
    )?;
    let saved = NamedType {
        id,
        name: name.to_string(),
        description: description.to_string(),
    };
    record(changes, kind.class(), id, existing, Some(&saved));
    Ok(saved)
}

/// How many rows refer to a type of this kind (a type in use is kept).
pub fn uses(conn: &mut dyn Conn, kind: TypeKind, id: i64) -> StoreResult<i64> {
    let sql = match kind {
        TypeKind::ComponentGroup => {
            "SELECT count(*) FROM component_groups WHERE group_type_id = $1"
        }
        TypeKind::Sla => {
            "SELECT (SELECT count(*) FROM component_branch_slas WHERE sla_id = $1) + (SELECT count(*) FROM release_schedules WHERE sla_id = $1)"
        }
        TypeKind::Label => "SELECT count(*) FROM global_component_labels WHERE label_id = $1",
        TypeKind::Relationship => {
            "SELECT count(*) FROM release_component_relationships WHERE type_id = $1"
        }
    };
    Ok(conn
        .query_opt(sql, &[id.into()])?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

pub fn delete(
    conn: &mut dyn Conn,
    kind: TypeKind,
    existing: &NamedType,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        &format!("DELETE FROM {} WHERE id = $1", kind.table()),
        &[existing.id.into()],
    )?;
    record(changes, kind.class(), existing.id, Some(existing), None);
    Ok(())
}
