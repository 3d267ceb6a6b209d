//! Rpm overrides of a release (PDC's `overrides/rpm/`): an rpm added to a
//! tree's mapping (`include` true) or hidden from it (`include` false), and
//! the rpm mapping of a source package in a compose with them applied.

use crate::changes::Change;
use crate::db::{Conn, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::ModelError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    pub id: i64,
    pub release: String,
    pub variant: String,
    pub arch: String,
    pub srpm_name: String,
    pub rpm_name: String,
    pub rpm_arch: String,
    pub include: bool,
    pub comment: String,
    pub do_not_delete: bool,
}

#[derive(Debug, Clone, Default)]
pub struct OverrideFilter {
    pub ids: Vec<i64>,
    pub releases: Vec<String>,
    pub variants: Vec<String>,
    pub arches: Vec<String>,
    pub srpm_names: Vec<String>,
    pub rpm_names: Vec<String>,
    pub rpm_arches: Vec<String>,
    pub comments: Vec<String>,
}

pub fn list_overrides(
    conn: &mut dyn Conn,
    f: &OverrideFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Override>)> {
    let mut l = Listing::new("rpm_overrides o JOIN releases rel ON rel.id = o.release_id");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("o.id = ANY({p})"));
    }
    l.any_of_ci("rel.release_id", &f.releases)
        .any_of("o.variant", &f.variants)
        .any_of("o.arch", &f.arches)
        .any_of("o.srpm_name", &f.srpm_names)
        .any_of("o.rpm_name", &f.rpm_names)
        .any_of("o.rpm_arch", &f.rpm_arches)
        .contains_ci("o.comment", &f.comments);
    let order = order_by(
        ordering,
        &[
            ("id", "o.id"),
            ("release", "rel.release_id"),
            ("variant", "o.variant"),
            ("arch", "o.arch"),
            ("srpm_name", "o.srpm_name"),
            ("rpm_name", "o.rpm_name"),
            ("rpm_arch", "o.rpm_arch"),
        ],
        "o.id",
    );
    let (count, rows) = l.run(
        conn,
        "o.id, rel.release_id, o.variant, o.arch, o.srpm_name, o.rpm_name, o.rpm_arch, o.include, o.comment, o.do_not_delete",
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(Override {
                id: r.int(0)?,
                release: r.text(1)?,
                variant: r.text(2)?,
                arch: r.text(3)?,
                srpm_name: r.text(4)?,
                rpm_name: r.text(5)?,
                rpm_arch: r.text(6)?,
                include: r.bool(7)?,
                comment: r.text(8)?,
                do_not_delete: r.bool(9)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((count, items))
}

pub fn get_override(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<Override>> {
    let f = OverrideFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_overrides(conn, &f, &[], None)?.1.pop())
}

/// Creates an override; one per release, variant, arch, rpm name and arch.
pub fn create_override(
    conn: &mut dyn Conn,
    o: &Override,
    changes: &mut Vec<Change>,
) -> StoreResult<Override> {
    let release =
        crate::releases::id_of(conn, "releases", "release_id", &o.release)?.ok_or_else(|| {
            StoreError::Invalid(ModelError::new(
                "release",
                format!("Object with release_id={} does not exist.", o.release),
            ))
        })?;
    let clash = conn.query_opt(
        "SELECT id FROM rpm_overrides WHERE release_id = $1 AND variant = $2 AND arch = $3 AND rpm_name = $4 AND rpm_arch = $5",
        &[
            release.into(),
            o.variant.clone().into(),
            o.arch.clone().into(),
            o.rpm_name.clone().into(),
            o.rpm_arch.clone().into(),
        ],
    )?;
    if clash.is_some() {
        return Err(StoreError::Invalid(ModelError::new(
            "detail",
            "The fields release, variant, arch, rpm_name, rpm_arch must make a unique set.",
        )));
    }
    let id = save_row(
        conn,
        "rpm_overrides",
        &[
            "release_id",
            "variant",
            "arch",
            "srpm_name",
            "rpm_name",
            "rpm_arch",
            "include",
            "comment",
            "do_not_delete",
        ],
        vec![
            release.into(),
            o.variant.clone().into(),
            o.arch.clone().into(),
            o.srpm_name.clone().into(),
            o.rpm_name.clone().into(),
            o.rpm_arch.clone().into(),
            o.include.into(),
            o.comment.clone().into(),
            o.do_not_delete.into(),
        ],
        None,
    )?;
    let saved = get_override(conn, id)?
        .ok_or_else(|| StoreError::Internal("saved override vanished".into()))?;
    record(changes, "overriderpm", id, None, Some(&saved));
    Ok(saved)
}

pub fn delete_override(
    conn: &mut dyn Conn,
    old: &Override,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute("DELETE FROM rpm_overrides WHERE id = $1", &[old.id.into()])?;
    record(changes, "overriderpm", old.id, Some(old), None);
    Ok(())
}

pub use crate::packages::RpmMapping;

/// The compose's mapping of `package` (see [`crate::packages::rpm_mapping`])
/// with the release's overrides applied: included rpms added, excluded ones
/// hidden.
pub fn mapping_with_overrides(
    conn: &mut dyn Conn,
    compose: i64,
    release: &str,
    package: &str,
) -> StoreResult<RpmMapping> {
    let mut mapping = crate::packages::rpm_mapping(conn, compose, package)?;
    let f = OverrideFilter {
        releases: vec![release.to_string()],
        srpm_names: vec![package.to_string()],
        ..Default::default()
    };
    for o in list_overrides(conn, &f, &[], None)?.1 {
        let arches = mapping
            .entry(o.variant.clone())
            .or_default()
            .entry(o.arch.clone())
            .or_default();
        let list = arches.entry(o.rpm_name.clone()).or_default();
        if o.include {
            if !list.contains(&o.rpm_arch) {
                list.push(o.rpm_arch.clone());
                list.sort();
            }
        } else {
            list.retain(|a| *a != o.rpm_arch);
        }
        if list.is_empty() {
            arches.remove(&o.rpm_name);
        }
    }
    mapping.retain(|_, arches| {
        arches.retain(|_, rpms| !rpms.is_empty());
        !arches.is_empty()
    });
    Ok(mapping)
}

/// The newest compose of a release that is not deleted.
pub fn latest_compose(conn: &mut dyn Conn, release: &str) -> StoreResult<Option<(i64, String)>> {
    let row = conn.query_opt(
        "SELECT c.id, c.compose_id FROM composes c JOIN releases rel ON rel.id = c.release_id
          WHERE rel.release_id = $1 AND c.deleted = FALSE ORDER BY c.sort_key DESC LIMIT 1",
        &[Value::from(release)],
    )?;
    row.map(|mut r| Ok((r.int(0)?, r.text(1)?))).transpose()
}

/// One change to a release's overrides, as PDC's rpm-mapping PUT answers
/// and its PATCH takes them: `create` adds an override (`include` true adds
/// the rpm to the mapping, false hides it), `delete` removes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OverrideAction {
    pub action: String,
    #[serde(default)]
    pub release_id: String,
    pub srpm_name: String,
    pub variant: String,
    pub arch: String,
    pub rpm_name: String,
    pub rpm_arch: String,
    #[serde(default)]
    pub include: bool,
    #[serde(default, skip_serializing)]
    pub comment: String,
    #[serde(default, skip_serializing)]
    pub do_not_delete: bool,
}

/// The overrides that turn the `raw` mapping (the compose's own) with
/// `overrides` applied into `desired`: an rpm wanted but missing is
/// included (or its exclusion deleted), one present but unwanted is excluded
/// (or its inclusion deleted). Pure: no I/O.
pub fn compute_changes(
    release: &str,
    package: &str,
    raw: &RpmMapping,
    overrides: &[Override],
    desired: &RpmMapping,
) -> Vec<OverrideAction> {
    use std::collections::BTreeSet;
    type Key = (String, String, String, String);
    let flatten = |m: &RpmMapping| -> BTreeSet<Key> {
        let mut out = BTreeSet::new();
        for (v, arches) in m {
            for (a, rpms) in arches {
                for (name, rpm_arches) in rpms {
                    for ra in rpm_arches {
                        out.insert((v.clone(), a.clone(), name.clone(), ra.clone()));
                    }
                }
            }
        }
        out
    };
    let mut effective = flatten(raw);
    let by_key: std::collections::BTreeMap<Key, &Override> = overrides
        .iter()
        .map(|o| {
            let k = (
                o.variant.clone(),
                o.arch.clone(),
                o.rpm_name.clone(),
                o.rpm_arch.clone(),
            );
            (k, o)
        })
        .collect();
    for (k, o) in &by_key {
        if o.include {
            effective.insert(k.clone());
        } else {
            effective.remove(k);
        }
    }
    let desired = flatten(desired);
    let action = |k: &Key, action: &str, include: bool| OverrideAction {
        action: action.to_string(),
        release_id: release.to_string(),
        srpm_name: package.to_string(),
        variant: k.0.clone(),
        arch: k.1.clone(),
        rpm_name: k.2.clone(),
        rpm_arch: k.3.clone(),
        include,
        comment: String::new(),
        do_not_delete: false,
    };
    let mut out = Vec::new();
    for k in desired.difference(&effective) {
        match by_key.get(k) {
            Some(o) if !o.include => out.push(action(k, "delete", false)),
            _ => out.push(action(k, "create", true)),
        }
    }
    for k in effective.difference(&desired) {
        match by_key.get(k) {
            Some(o) if o.include => out.push(action(k, "delete", true)),
            _ => out.push(action(k, "create", false)),
        }
    }
    out
}

/// Applies override actions to `release`, in order.
pub fn apply_actions(
    conn: &mut dyn Conn,
    release: &str,
    actions: &[OverrideAction],
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    for a in actions {
        match a.action.as_str() {
            "create" => {
                create_override(
                    conn,
                    &Override {
                        id: 0,
                        release: release.to_string(),
                        variant: a.variant.clone(),
                        arch: a.arch.clone(),
                        srpm_name: a.srpm_name.clone(),
                        rpm_name: a.rpm_name.clone(),
                        rpm_arch: a.rpm_arch.clone(),
                        include: a.include,
                        comment: a.comment.clone(),
                        do_not_delete: a.do_not_delete,
                    },
                    changes,
                )?;
            }
            "delete" => {
                let f = OverrideFilter {
                    releases: vec![release.to_string()],
                    variants: vec![a.variant.clone()],
                    arches: vec![a.arch.clone()],
                    rpm_names: vec![a.rpm_name.clone()],
                    rpm_arches: vec![a.rpm_arch.clone()],
                    ..Default::default()
                };
                let found = list_overrides(conn, &f, &[], None)?.1;
                let o = found.first().ok_or_else(|| {
                    StoreError::Invalid(ModelError::new(
                        "action",
                        format!(
                            "There is no override of {}.{} in {}.{} to delete.",
                            a.rpm_name, a.rpm_arch, a.variant, a.arch
                        ),
                    ))
                })?;
                delete_override(conn, o, changes)?;
            }
            other => {
                return Err(StoreError::Invalid(ModelError::new(
                    "action",
                    format!("'{other}' is not allowed value. Use one of 'create', 'delete'."),
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(entries: &[(&str, &str, &str, &str)]) -> RpmMapping {
        let mut m = RpmMapping::new();
        for (v, a, n, ra) in entries {
            m.entry(v.to_string())
                .or_default()
                .entry(a.to_string())
                .or_default()
                .entry(n.to_string())
                .or_default()
                .push(ra.to_string());
        }
        m
    }

    fn o(n: &str, ra: &str, include: bool) -> Override {
        Override {
            id: 1,
            release: "fedora-41".into(),
            variant: "Server".into(),
            arch: "x86_64".into(),
            srpm_name: "glibc".into(),
            rpm_name: n.into(),
            rpm_arch: ra.into(),
            include,
            comment: String::new(),
            do_not_delete: false,
        }
    }

    #[test]
    fn wanted_rpms_are_included_and_unwanted_excluded_or_their_overrides_deleted() {
        let raw = mapping(&[
            ("Server", "x86_64", "glibc", "x86_64"),
            ("Server", "x86_64", "glibc-devel", "x86_64"),
        ]);
        // glibc.i686 was included by an override; glibc-devel excluded by one.
        let overrides = [o("glibc", "i686", true), o("glibc-devel", "x86_64", false)];
        // Wanted: glibc.x86_64, glibc-devel back, glibc.i686 gone, glibc-static new.
        let desired = mapping(&[
            ("Server", "x86_64", "glibc", "x86_64"),
            ("Server", "x86_64", "glibc-devel", "x86_64"),
            ("Server", "x86_64", "glibc-static", "x86_64"),
        ]);
        let got: Vec<(String, String, String, bool)> =
            compute_changes("fedora-41", "glibc", &raw, &overrides, &desired)
                .into_iter()
                .map(|a| (a.action, a.rpm_name, a.rpm_arch, a.include))
                .collect();
        assert_eq!(
            got,
            [
                (
                    "delete".into(),
                    "glibc-devel".into(),
                    "x86_64".into(),
                    false
                ),
                (
                    "create".into(),
                    "glibc-static".into(),
                    "x86_64".into(),
                    true
                ),
                ("delete".into(), "glibc".into(), "i686".into(), true),
            ]
        );
        // Dropping an rpm of the compose itself excludes it.
        let got = compute_changes(
            "fedora-41",
            "glibc",
            &raw,
            &[],
            &mapping(&[("Server", "x86_64", "glibc", "x86_64")]),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].action.as_str(),
                got[0].rpm_name.as_str(),
                got[0].include
            ),
            ("create", "glibc-devel", false)
        );
        // Nothing to do when the mapping is already the one wanted.
        assert!(compute_changes("fedora-41", "glibc", &raw, &[], &raw).is_empty());
    }
}
