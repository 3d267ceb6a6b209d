//! Relationships between release components (`RPMRequires`,
//! `ContainerIncludesRPM`...): typed edges, from one component to another.

use crate::changes::Change;
use crate::db::{Conn, save_row};
use crate::error::{StoreError, StoreResult};
use crate::graph;
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::artifacts::edge_of_relationship;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRef {
    pub id: i64,
    pub name: String,
    pub release: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    pub id: i64,
    #[serde(rename = "type")]
    pub relation_type: String,
    pub from_component: ComponentRef,
    pub to_component: ComponentRef,
}

#[derive(Debug, Clone, Default)]
pub struct RelationshipFilter {
    pub ids: Vec<i64>,
    pub types: Vec<String>,
    pub from_releases: Vec<String>,
    pub from_names: Vec<String>,
    pub to_releases: Vec<String>,
    pub to_names: Vec<String>,
    /// Edges touching any of these release components (either end).
    pub components: Vec<i64>,
}

const FROM: &str = "release_component_relationships e
    JOIN component_relationship_types t ON t.id = e.type_id
    JOIN release_components fc ON fc.id = e.from_component_id
    JOIN releases fr ON fr.id = fc.release_id
    JOIN release_components tc ON tc.id = e.to_component_id
    JOIN releases tr ON tr.id = tc.release_id";

pub fn list(
    conn: &mut dyn Conn,
    f: &RelationshipFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Relationship>)> {
    let mut l = Listing::new(FROM);
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("e.id = ANY({p})"));
    }
    if !f.components.is_empty() {
        let p = l.sql.bind(f.components.clone());
        l.condition(format!(
            "(e.from_component_id = ANY({p}) OR e.to_component_id = ANY({p}))"
        ));
    }
    l.any_of("t.name", &f.types)
        .any_of("fr.release_id", &f.from_releases)
        .any_of("fc.name", &f.from_names)
        .any_of("tr.release_id", &f.to_releases)
        .any_of("tc.name", &f.to_names);
    let order = order_by(
        ordering,
        &[
            ("id", "e.id"),
            ("type", "t.name"),
            ("from_component", "fc.name"),
            ("to_component", "tc.name"),
        ],
        "e.id",
    );
    let (count, rows) = l.run(
        conn,
        "e.id, t.name, fc.id, fc.name, fr.release_id, tc.id, tc.name, tr.release_id",
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(Relationship {
                id: r.int(0)?,
                relation_type: r.text(1)?,
                from_component: ComponentRef {
                    id: r.int(2)?,
                    name: r.text(3)?,
                    release: r.text(4)?,
                },
                to_component: ComponentRef {
                    id: r.int(5)?,
                    name: r.text(6)?,
                    release: r.text(7)?,
                },
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<Relationship>> {
    let f = RelationshipFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list(conn, &f, &[], None)?.1.pop())
}

/// The edge of that type between those components, if any.
pub fn find(conn: &mut dyn Conn, type_id: i64, from: i64, to: i64) -> StoreResult<Option<i64>> {
    Ok(conn
        .query_opt(
            "SELECT id FROM release_component_relationships WHERE type_id = $1 AND from_component_id = $2 AND to_component_id = $3",
            &[type_id.into(), from.into(), to.into()],
        )?
        .map(|r| r.int(0))
        .transpose()?)
}

pub fn save(
    conn: &mut dyn Conn,
    existing: Option<&Relationship>,
    type_id: i64,
    from: i64,
    to: i64,
    changes: &mut Vec<Change>,
) -> StoreResult<Relationship> {
    if let Some(old) = existing {
        mirror(conn, old, false)?;
    }
    let id = save_row(
        conn,
        "release_component_relationships",
        &["type_id", "from_component_id", "to_component_id"],
        vec![type_id.into(), from.into(), to.into()],
        existing.map(|e| e.id),
    )?;
    let saved =
        get(conn, id)?.ok_or_else(|| StoreError::Internal("saved relationship vanished".into()))?;
    mirror(conn, &saved, true)?;
    record(
        changes,
        "releasecomponentrelationship",
        id,
        existing,
        Some(&saved),
    );
    Ok(saved)
}

pub fn delete(
    conn: &mut dyn Conn,
    existing: &Relationship,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM release_component_relationships WHERE id = $1",
        &[existing.id.into()],
    )?;
    mirror(conn, existing, false)?;
    record(
        changes,
        "releasecomponentrelationship",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

/// Keeps the artifact graph's copy of a relationship (source
/// `pdc:<release>`), so graph queries and rebuild plans see what PDC's
/// clients write. The relationship's own change is the changeset's record.
fn mirror(conn: &mut dyn Conn, r: &Relationship, present: bool) -> StoreResult<()> {
    let edge = edge_of_relationship(
        &r.relation_type,
        &r.from_component.name,
        &r.to_component.name,
    );
    let source = format!("pdc:{}", r.from_component.release);
    if present {
        graph::add_edges(conn, &[edge], &source, None)?;
    } else {
        graph::remove_edges(conn, &[edge], &source, None)?;
    }
    Ok(())
}

/// Removes every edge touching these components (before they go).
pub fn delete_touching(
    conn: &mut dyn Conn,
    components: &[i64],
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    if components.is_empty() {
        return Ok(());
    }
    let f = RelationshipFilter {
        components: components.to_vec(),
        ..Default::default()
    };
    for edge in list(conn, &f, &[], None)?.1 {
        delete(conn, &edge, changes)?;
    }
    Ok(())
}
