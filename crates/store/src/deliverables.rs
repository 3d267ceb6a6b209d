//! Deliverable types (the kinds of artifact a release's trees produce) and
//! the facts their expansion reads: a release's names and its trees.

use crate::changes::Change;
use crate::db::{Conn, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::deliverables::{DeliverableType, ReleaseNames, Tree};

/// A stored deliverable type and its row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredType {
    pub id: i64,
    pub kind: DeliverableType,
}

fn list_of(raw: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| StoreError::Internal(format!("a stored list: {e}")))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("serializes")
}

/// Deliverable types by name (all when `names` is empty), in creation order
/// unless `ordering` says otherwise.
pub fn list(
    conn: &mut dyn Conn,
    names: &[String],
    artifacts: &[String],
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<StoredType>)> {
    let mut l = Listing::new("deliverable_types t");
    l.any_of("t.name", names).any_of("t.artifact", artifacts);
    let order = order_by(
        ordering,
        &[
            ("id", "t.id"),
            ("name", "t.name"),
            ("artifact", "t.artifact"),
        ],
        "t.id",
    );
    let (count, rows) = l.run(
        conn,
        "t.id, t.name, t.artifact, t.format, t.variant_types, t.variants, t.arches, t.pattern",
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(StoredType {
                id: r.int(0)?,
                kind: DeliverableType {
                    name: r.text(1)?,
                    artifact: r.text(2)?,
                    format: r.text(3)?,
                    variant_types: list_of(&r.text(4)?)?,
                    variants: list_of(&r.text(5)?)?,
                    arches: list_of(&r.text(6)?)?,
                    pattern: r.text(7)?,
                },
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get(conn: &mut dyn Conn, name: &str) -> StoreResult<Option<StoredType>> {
    Ok(list(conn, &[name.to_string()], &[], &[], None)?.1.pop())
}

/// Creates a type, or replaces `existing` with `kind`.
pub fn save(
    conn: &mut dyn Conn,
    existing: Option<&StoredType>,
    kind: DeliverableType,
    changes: &mut Vec<Change>,
) -> StoreResult<StoredType> {
    let id = save_row(
        conn,
        "deliverable_types",
        &[
            "name",
            "artifact",
            "format",
            "variant_types",
            "variants",
            "arches",
            "pattern",
        ],
        vec![
            kind.name.clone().into(),
            kind.artifact.clone().into(),
            kind.format.clone().into(),
            json_list(&kind.variant_types).into(),
            json_list(&kind.variants).into(),
            json_list(&kind.arches).into(),
            kind.pattern.clone().into(),
        ],
        existing.map(|e| e.id),
    )?;
    record(
        changes,
        "deliverabletype",
        id,
        existing.map(|e| &e.kind),
        Some(&kind),
    );
    Ok(StoredType { id, kind })
}

pub fn delete(
    conn: &mut dyn Conn,
    existing: &StoredType,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM deliverable_types WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "deliverabletype",
        existing.id,
        Some(&existing.kind),
        None,
    );
    Ok(())
}

/// A release's names and its trees (variants by uid, with their arches), or
/// `None` when there is no such release.
pub fn release_trees(
    conn: &mut dyn Conn,
    release_id: &str,
) -> StoreResult<Option<(ReleaseNames, Vec<Tree>)>> {
    let Some(release) = crate::releases::get_release(conn, release_id)? else {
        return Ok(None);
    };
    let f = crate::releases::VariantFilter {
        releases: vec![release_id.to_string()],
        ..Default::default()
    };
    let order = ["variant_uid".to_string()];
    let trees = crate::releases::list_variants(conn, &f, &order, None)?
        .1
        .into_iter()
        .map(|v| Tree {
            uid: v.uid,
            variant_type: v.variant_type,
            arches: v.arches,
        })
        .collect();
    let names = ReleaseNames {
        release_id: release.release_id,
        short: release.short,
        name: release.name,
        version: release.version,
    };
    Ok(Some((names, trees)))
}
