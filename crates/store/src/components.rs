//! Components (PDC's component app): global components, release components
//! (a release's view of a component, with its dist-git branch inherited from
//! the release unless set), and component groups such as rings.

use crate::bugzilla::BugzillaComponent;
use crate::changes::Change;
use crate::db::{BulkInsert, ColType, Conn, Row, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::named_types::NamedType;
use crate::products::record;
use crate::releases::id_of;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upstream {
    pub homepage: String,
    pub scm_type: String,
    pub scm_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobalComponent {
    pub id: i64,
    pub name: String,
    pub dist_git_path: Option<String>,
    pub dist_git_web_url: Option<String>,
    pub labels: Vec<NamedType>,
    pub upstream: Option<Upstream>,
}

#[derive(Debug, Clone, Default)]
pub struct GlobalComponentFilter {
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    pub dist_git_paths: Vec<String>,
    pub upstream_homepages: Vec<String>,
    pub upstream_scm_types: Vec<String>,
    pub upstream_scm_urls: Vec<String>,
    /// Components carrying any of these labels.
    pub labels: Vec<String>,
    /// Components whose name contains any of these (case-insensitive).
    pub name_contains: Vec<String>,
}

pub fn list_global_components(
    conn: &mut dyn Conn,
    f: &GlobalComponentFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<GlobalComponent>)> {
    let mut l = Listing::new("global_components g");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("g.id = ANY({p})"));
    }
    l.any_of("g.name", &f.names)
        .contains_ci("g.name", &f.name_contains)
        .any_of("g.dist_git_path", &f.dist_git_paths)
        .any_of("g.upstream_homepage", &f.upstream_homepages)
        .any_of("g.upstream_scm_type", &f.upstream_scm_types)
        .any_of("g.upstream_scm_url", &f.upstream_scm_urls);
    if !f.labels.is_empty() {
        let p = l.sql.bind(f.labels.clone());
        l.condition(format!(
            "g.id IN (SELECT gl.global_component_id FROM global_component_labels gl JOIN labels lb ON lb.id = gl.label_id WHERE lb.name = ANY({p}))"
        ));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "g.id"),
            ("name", "g.name"),
            ("dist_git_path", "g.dist_git_path"),
        ],
        "g.id",
    );
    let (count, rows) = l.run(
        conn,
        "g.id, g.name, g.dist_git_path, g.upstream_homepage, g.upstream_scm_type, g.upstream_scm_url",
        &order,
        page,
    )?;
    let mut items: Vec<GlobalComponent> = rows
        .into_iter()
        .map(|mut r| {
            let homepage = r.opt_text(3)?;
            let scm_type = r.opt_text(4)?;
            let scm_url = r.opt_text(5)?;
            Ok(GlobalComponent {
                id: r.int(0)?,
                name: r.text(1)?,
                dist_git_path: r.opt_text(2)?,
                dist_git_web_url: None,
                labels: Vec::new(),
                upstream: homepage.map(|homepage| Upstream {
                    homepage,
                    scm_type: scm_type.unwrap_or_default(),
                    scm_url: scm_url.unwrap_or_default(),
                }),
            })
        })
        .collect::<StoreResult<_>>()?;
    let ids: Vec<i64> = items.iter().map(|g| g.id).collect();
    let mut labels = labels_of(conn, &ids)?;
    for g in &mut items {
        g.labels = labels.remove(&g.id).unwrap_or_default();
    }
    Ok((count, items))
}

/// The labels of each of these global components, by id.
fn labels_of(conn: &mut dyn Conn, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<NamedType>>> {
    let mut out: HashMap<i64, Vec<NamedType>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for mut r in conn.query(
        "SELECT gl.global_component_id, lb.id, lb.name, lb.description
           FROM global_component_labels gl JOIN labels lb ON lb.id = gl.label_id
          WHERE gl.global_component_id = ANY($1) ORDER BY lb.name, lb.id",
        &[Value::IntList(ids.to_vec())],
    )? {
        out.entry(r.int(0)?).or_default().push(NamedType {
            id: r.int(1)?,
            name: r.text(2)?,
            description: r.text(3)?,
        });
    }
    Ok(out)
}

/// Puts a label on a global component, or takes it off (`on` false);
/// answers the component as it is now.
pub fn set_label(
    conn: &mut dyn Conn,
    component: &GlobalComponent,
    label: &NamedType,
    on: bool,
    changes: &mut Vec<Change>,
) -> StoreResult<GlobalComponent> {
    if on {
        conn.execute(
            "INSERT INTO global_component_labels (global_component_id, label_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[component.id.into(), label.id.into()],
        )?;
    } else {
        conn.execute(
            "DELETE FROM global_component_labels WHERE global_component_id = $1 AND label_id = $2",
            &[component.id.into(), label.id.into()],
        )?;
    }
    let saved = get_global_component(conn, component.id)?
        .ok_or_else(|| StoreError::Internal("labelled component vanished".into()))?;
    record(
        changes,
        "globalcomponent",
        saved.id,
        Some(component),
        Some(&saved),
    );
    Ok(saved)
}

pub fn get_global_component(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<GlobalComponent>> {
    let f = GlobalComponentFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_global_components(conn, &f, &[], None)?.1.pop())
}

pub fn global_component_named(
    conn: &mut dyn Conn,
    name: &str,
) -> StoreResult<Option<GlobalComponent>> {
    let f = GlobalComponentFilter {
        names: vec![name.to_string()],
        ..Default::default()
    };
    Ok(list_global_components(conn, &f, &[], None)?.1.pop())
}

pub fn save_global_component(
    conn: &mut dyn Conn,
    existing: Option<&GlobalComponent>,
    new: &GlobalComponent,
    changes: &mut Vec<Change>,
) -> StoreResult<GlobalComponent> {
    let up = new.upstream.as_ref();
    let params: Vec<Value> = vec![
        new.name.clone().into(),
        new.dist_git_path.clone().into(),
        up.map(|u| u.homepage.clone()).into(),
        up.map(|u| u.scm_type.clone()).into(),
        up.map(|u| u.scm_url.clone()).into(),
    ];
    let id = save_row(
        conn,
        "global_components",
        &[
            "name",
            "dist_git_path",
            "upstream_homepage",
            "upstream_scm_type",
            "upstream_scm_url",
        ],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_global_component(conn, id)?
        .ok_or_else(|| StoreError::Internal("saved component vanished".into()))?;
    record(changes, "globalcomponent", saved.id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_global_component(
    conn: &mut dyn Conn,
    existing: &GlobalComponent,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    crate::contacts::delete_contacts_of(
        conn,
        crate::contacts::Scope::Global,
        &[existing.id],
        changes,
    )?;
    conn.execute(
        "DELETE FROM global_component_labels WHERE global_component_id = $1",
        &[existing.id.into()],
    )?;
    conn.execute(
        "DELETE FROM global_components WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "globalcomponent",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseRef {
    pub release_id: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Srpm {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseComponent {
    pub id: i64,
    pub release: ReleaseRef,
    pub global_component: String,
    pub name: String,
    /// The component's own branch, or the release's when it has none.
    pub dist_git_branch: Option<String>,
    pub dist_git_web_url: Option<String>,
    pub bugzilla_component: Option<BugzillaComponent>,
    pub brew_package: Option<String>,
    pub active: bool,
    #[serde(rename = "type")]
    pub component_type: String,
    pub srpm: Option<Srpm>,
    /// The branch set on the component itself (not inherited).
    #[serde(skip)]
    pub own_dist_git_branch: Option<String>,
    #[serde(skip)]
    pub bugzilla_component_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ReleaseComponentFilter {
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    pub releases: Vec<String>,
    pub global_components: Vec<String>,
    pub brew_packages: Vec<String>,
    pub active: Option<bool>,
    pub types: Vec<String>,
    pub dist_git_branches: Vec<String>,
    pub srpm_names: Vec<String>,
    /// Components of inactive releases are hidden unless this is set (PDC).
    pub include_inactive_release: bool,
    /// Components filed under a bugzilla component of one of these names.
    pub bugzilla_components: Vec<String>,
}

fn read_release_component(mut r: Row) -> StoreResult<ReleaseComponent> {
    let own = r.opt_text(5)?;
    let release_branch = r.opt_text(6)?;
    Ok(ReleaseComponent {
        id: r.int(0)?,
        release: ReleaseRef {
            release_id: r.text(1)?,
            active: r.bool(2)?,
        },
        global_component: r.text(3)?,
        name: r.text(4)?,
        dist_git_branch: own.clone().or(release_branch),
        dist_git_web_url: None,
        bugzilla_component: None,
        brew_package: r.opt_text(7)?,
        active: r.bool(8)?,
        component_type: r.text(9)?,
        srpm: r.opt_text(10)?.map(|name| Srpm { name }),
        own_dist_git_branch: own,
        bugzilla_component_id: r.opt_int(11)?,
    })
}

/// Ids of `table` rows whose `column` is one of `values` (single-table,
/// unique-index lookups: good plans on both engines whatever the values).
fn ids_where(
    conn: &mut dyn Conn,
    table: &str,
    column: &str,
    values: &[String],
) -> StoreResult<Vec<i64>> {
    conn.query(
        &format!("SELECT id FROM {table} WHERE {column} = ANY($1)"),
        &[Value::TextList(values.to_vec())],
    )?
    .iter()
    .map(|r| r.int(0).map_err(Into::into))
    .collect()
}

/// Lists release components in three steps, so no statement joins a large
/// table on an estimate: natural keys (release, component, type names) are
/// resolved to ids first; the matching ids come from `release_components`
/// alone; the page's rows are then read by primary key.
pub fn list_release_components(
    conn: &mut dyn Conn,
    f: &ReleaseComponentFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ReleaseComponent>)> {
    let mut l = Listing::new("release_components rc");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("rc.id = ANY({p})"));
    }
    let mut releases: Option<Vec<i64>> = None;
    if !f.releases.is_empty() {
        releases = Some(ids_where(conn, "releases", "release_id", &f.releases)?);
    }
    if !f.include_inactive_release {
        let active: Vec<i64> = conn
            .query("SELECT id FROM releases WHERE active = TRUE", &[])?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<_, _>>()?;
        releases = Some(match releases {
            Some(chosen) => chosen
                .into_iter()
                .filter(|id| active.contains(id))
                .collect(),
            None => active,
        });
    }
    let globals = if f.global_components.is_empty() {
        None
    } else {
        Some(ids_where(
            conn,
            "global_components",
            "name",
            &f.global_components,
        )?)
    };
    let types = if f.types.is_empty() {
        None
    } else {
        Some(ids_where(
            conn,
            "release_component_types",
            "name",
            &f.types,
        )?)
    };
    for (column, ids) in [
        ("rc.release_id", releases),
        ("rc.global_component_id", globals),
        ("rc.type_id", types),
    ] {
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok((0, Vec::new()));
            }
            let p = l.sql.bind(ids);
            l.condition(format!("{column} = ANY({p})"));
        }
    }
    l.any_of("rc.name", &f.names)
        .any_of("rc.brew_package", &f.brew_packages)
        .boolean("rc.active = TRUE", f.active)
        .any_of(
            "COALESCE(rc.dist_git_branch, (SELECT r.dist_git_branch FROM releases r WHERE r.id = rc.release_id))",
            &f.dist_git_branches,
        )
        .nullable("rc.srpm_name", &f.srpm_names);
    if !f.bugzilla_components.is_empty() {
        let p = l.sql.bind(f.bugzilla_components.clone());
        l.condition(format!(
            "rc.bugzilla_component_id IN (SELECT b.id FROM bugzilla_components b WHERE b.name = ANY({p}))"
        ));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "rc.id"),
            ("name", "rc.name"),
            (
                "release",
                "(SELECT r.sort_key FROM releases r WHERE r.id = rc.release_id)",
            ),
            (
                "global_component",
                "(SELECT g.name FROM global_components g WHERE g.id = rc.global_component_id)",
            ),
            (
                "type",
                "(SELECT t.name FROM release_component_types t WHERE t.id = rc.type_id)",
            ),
            ("active", "rc.active"),
        ],
        "rc.id",
    );
    let (count, rows) = l.run(conn, "rc.id", &order, page)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int(0)).collect::<Result<_, _>>()?;
    let mut by_id: HashMap<i64, ReleaseComponent> = conn
        .query(
            "SELECT rc.id, r.release_id, r.active, g.name, rc.name, rc.dist_git_branch, r.dist_git_branch, rc.brew_package, rc.active, ct.name, rc.srpm_name, rc.bugzilla_component_id
               FROM release_components rc
               JOIN releases r ON r.id = rc.release_id
               JOIN global_components g ON g.id = rc.global_component_id
               JOIN release_component_types ct ON ct.id = rc.type_id
              WHERE rc.id = ANY($1)",
            &[Value::IntList(ids.clone())],
        )?
        .into_iter()
        .map(|row| read_release_component(row).map(|c| (c.id, c)))
        .collect::<StoreResult<_>>()?;
    let nodes: Vec<i64> = by_id
        .values()
        .filter_map(|c| c.bugzilla_component_id)
        .collect();
    if !nodes.is_empty() {
        let f = crate::bugzilla::BugzillaFilter {
            ids: nodes,
            ..Default::default()
        };
        let found: HashMap<i64, BugzillaComponent> = crate::bugzilla::list(conn, &f, &[], None)?
            .1
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        for c in by_id.values_mut() {
            c.bugzilla_component = c
                .bugzilla_component_id
                .and_then(|id| found.get(&id).cloned());
        }
    }
    let items = ids.iter().filter_map(|id| by_id.remove(id)).collect();
    Ok((count, items))
}

pub fn get_release_component(
    conn: &mut dyn Conn,
    id: i64,
    include_inactive_release: bool,
) -> StoreResult<Option<ReleaseComponent>> {
    let f = ReleaseComponentFilter {
        ids: vec![id],
        include_inactive_release,
        ..Default::default()
    };
    Ok(list_release_components(conn, &f, &[], None)?.1.pop())
}

/// The id of a release's component of that name (and type, when given).
pub fn release_component_id(
    conn: &mut dyn Conn,
    release_id: &str,
    name: &str,
    component_type: Option<&str>,
) -> StoreResult<Option<i64>> {
    let f = ReleaseComponentFilter {
        releases: vec![release_id.to_string()],
        names: vec![name.to_string()],
        types: component_type
            .map(|t| vec![t.to_string()])
            .unwrap_or_default(),
        include_inactive_release: true,
        ..Default::default()
    };
    Ok(list_release_components(conn, &f, &[], None)?
        .1
        .first()
        .map(|c| c.id))
}

/// Creates or replaces a release component; the release, global component
/// and type must exist (the caller checks with proper errors).
pub fn save_release_component(
    conn: &mut dyn Conn,
    existing: Option<&ReleaseComponent>,
    new: &ReleaseComponent,
    changes: &mut Vec<Change>,
) -> StoreResult<ReleaseComponent> {
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let release = must(
        "release",
        id_of(conn, "releases", "release_id", &new.release.release_id)?,
    )?;
    let global = must(
        "global component",
        id_of(conn, "global_components", "name", &new.global_component)?,
    )?;
    let ctype = must(
        "component type",
        id_of(conn, "release_component_types", "name", &new.component_type)?,
    )?;
    let params: Vec<Value> = vec![
        release.into(),
        global.into(),
        new.name.clone().into(),
        ctype.into(),
        new.own_dist_git_branch.clone().into(),
        new.brew_package.clone().into(),
        new.active.into(),
        new.srpm.as_ref().map(|s| s.name.clone()).into(),
        new.bugzilla_component_id.into(),
    ];
    let id = save_row(
        conn,
        "release_components",
        &[
            "release_id",
            "global_component_id",
            "name",
            "type_id",
            "dist_git_branch",
            "brew_package",
            "active",
            "srpm_name",
            "bugzilla_component_id",
        ],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_release_component(conn, id, true)?
        .ok_or_else(|| StoreError::Internal("saved component vanished".into()))?;
    record(
        changes,
        "releasecomponent",
        saved.id,
        existing,
        Some(&saved),
    );
    Ok(saved)
}

/// A release component ready to be written: every reference resolved and
/// every rule checked by the caller.
#[derive(Debug, Clone)]
pub struct NewReleaseComponent {
    pub release_id: i64,
    pub global_component_id: i64,
    pub name: String,
    pub type_id: i64,
    pub dist_git_branch: Option<String>,
    pub brew_package: Option<String>,
    pub active: bool,
    pub srpm_name: Option<String>,
    pub bugzilla_component_id: Option<i64>,
}

/// Writes many new release components in a handful of statements whatever
/// their number (a bulk POST's path), recording each creation; answers them
/// in the order given.
pub fn create_release_components(
    conn: &mut dyn Conn,
    items: &[NewReleaseComponent],
    changes: &mut Vec<Change>,
) -> StoreResult<Vec<ReleaseComponent>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids = conn.next_ids("release_components", items.len())?;
    let rows = items
        .iter()
        .zip(&ids)
        .map(|(c, id)| {
            vec![
                (*id).into(),
                c.release_id.into(),
                c.global_component_id.into(),
                c.name.clone().into(),
                c.type_id.into(),
                c.dist_git_branch.clone().into(),
                c.brew_package.clone().into(),
                c.active.into(),
                c.srpm_name.clone().into(),
                c.bugzilla_component_id.into(),
            ]
        })
        .collect();
    conn.insert_rows(BulkInsert {
        table: "release_components",
        columns: &[
            ("id", ColType::Int),
            ("release_id", ColType::Int),
            ("global_component_id", ColType::Int),
            ("name", ColType::Text),
            ("type_id", ColType::Int),
            ("dist_git_branch", ColType::Text),
            ("brew_package", ColType::Text),
            ("active", ColType::Bool),
            ("srpm_name", ColType::Text),
            ("bugzilla_component_id", ColType::Int),
        ],
        rows,
        skip_conflicts: false,
    })?;
    let f = ReleaseComponentFilter {
        ids: ids.clone(),
        include_inactive_release: true,
        ..Default::default()
    };
    let mut saved: HashMap<i64, ReleaseComponent> = list_release_components(conn, &f, &[], None)?
        .1
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    ids.iter()
        .map(|id| {
            let c = saved
                .remove(id)
                .ok_or_else(|| StoreError::Internal("a created component vanished".into()))?;
            record(changes, "releasecomponent", c.id, None, Some(&c));
            Ok(c)
        })
        .collect()
}

/// Inserts rows of `table` that have only a name (the rest defaults);
/// answers their ids, in the order of `names`.
fn insert_named(conn: &mut dyn Conn, table: &str, names: &[&String]) -> StoreResult<Vec<i64>> {
    let ids = conn.next_ids(table, names.len())?;
    conn.insert_rows(BulkInsert {
        table,
        columns: &[("id", ColType::Int), ("name", ColType::Text)],
        rows: names
            .iter()
            .zip(&ids)
            .map(|(n, id)| vec![(*id).into(), (*n).clone().into()])
            .collect(),
        skip_conflicts: false,
    })?;
    Ok(ids)
}

/// A package as dist-git announces it: its name, the component type of
/// its namespace, and the releases it has a branch in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInput {
    pub name: String,
    pub component_type: String,
    pub releases: Vec<String>,
}

/// Makes what is missing of many packages in a handful of statements
/// whatever their number: each one's global component, its top-level
/// bugzilla component and its release component (brew package the name,
/// active) in each of its releases. Answers the packages that changed.
pub fn ensure_packages(
    conn: &mut dyn Conn,
    packages: &[PackageInput],
    changes: &mut Vec<Change>,
) -> StoreResult<HashSet<String>> {
    let invalid = |m: String| StoreError::Invalid(almanac_model::ModelError::new("detail", m));
    let mut changed = HashSet::new();
    if packages.is_empty() {
        return Ok(changed);
    }
    let mut names: Vec<String> = packages.iter().map(|p| p.name.clone()).collect();
    names.sort();
    names.dedup();
    // Global components.
    let f = GlobalComponentFilter {
        names: names.clone(),
        ..Default::default()
    };
    let mut globals: HashMap<String, i64> = list_global_components(conn, &f, &[], None)?
        .1
        .into_iter()
        .map(|g| (g.name, g.id))
        .collect();
    let missing: Vec<&String> = names.iter().filter(|n| !globals.contains_key(*n)).collect();
    if !missing.is_empty() {
        let ids = insert_named(conn, "global_components", &missing)?;
        let f = GlobalComponentFilter {
            ids: ids.clone(),
            ..Default::default()
        };
        for g in list_global_components(conn, &f, &[], None)?.1 {
            record(changes, "globalcomponent", g.id, None, Some(&g));
            changed.insert(g.name.clone());
            globals.insert(g.name.clone(), g.id);
        }
    }
    // Release components not there yet.
    let mut release_ids: HashMap<String, i64> = HashMap::new();
    let mut type_ids: HashMap<String, i64> = HashMap::new();
    for p in packages {
        if !type_ids.contains_key(&p.component_type) {
            let id = id_of(conn, "release_component_types", "name", &p.component_type)?
                .ok_or_else(|| {
                    invalid(format!(
                        "component type {} does not exist",
                        p.component_type
                    ))
                })?;
            type_ids.insert(p.component_type.clone(), id);
        }
        for r in &p.releases {
            if !release_ids.contains_key(r) {
                let id = id_of(conn, "releases", "release_id", r)?
                    .ok_or_else(|| invalid(format!("release {r} does not exist")))?;
                release_ids.insert(r.clone(), id);
            }
        }
    }
    if release_ids.is_empty() {
        return Ok(changed);
    }
    let all_releases: Vec<i64> = release_ids.values().copied().collect();
    let mut taken = taken_release_component_keys(conn, &all_releases, &names)?;
    let mut new = Vec::new();
    for p in packages {
        let type_id = type_ids[&p.component_type];
        for r in &p.releases {
            if taken.insert((release_ids[r], p.name.clone(), type_id)) {
                new.push((p, release_ids[r], type_id));
            }
        }
    }
    if new.is_empty() {
        return Ok(changed);
    }
    // Their bugzilla components (top level, named after the package).
    let wanted: Vec<String> = {
        let mut w: Vec<String> = new.iter().map(|(p, _, _)| p.name.clone()).collect();
        w.sort();
        w.dedup();
        w
    };
    let mut bugzilla: HashMap<String, i64> = HashMap::new();
    for mut r in conn.query_uncached(
        "SELECT id, name FROM bugzilla_components WHERE parent_id IS NULL AND name = ANY($1)",
        &[Value::TextList(wanted.clone())],
    )? {
        bugzilla.insert(r.text(1)?, r.int(0)?);
    }
    let absent: Vec<&String> = wanted
        .iter()
        .filter(|n| !bugzilla.contains_key(*n))
        .collect();
    if !absent.is_empty() {
        let ids = insert_named(conn, "bugzilla_components", &absent)?;
        for (n, id) in absent.iter().zip(ids) {
            let node = crate::bugzilla::BugzillaComponent {
                id,
                name: (*n).clone(),
                parent_component: None,
                subcomponents: Vec::new(),
                parent_id: None,
            };
            record(changes, "bugzillacomponent", id, None, Some(&node));
            bugzilla.insert((*n).clone(), id);
        }
    }
    let items: Vec<NewReleaseComponent> = new
        .iter()
        .map(|(p, release_id, type_id)| {
            changed.insert(p.name.clone());
            NewReleaseComponent {
                release_id: *release_id,
                global_component_id: globals[&p.name],
                name: p.name.clone(),
                type_id: *type_id,
                dist_git_branch: None,
                brew_package: Some(p.name.clone()),
                active: true,
                srpm_name: None,
                bugzilla_component_id: bugzilla.get(&p.name).copied(),
            }
        })
        .collect();
    create_release_components(conn, &items, changes)?;
    Ok(changed)
}

/// The `(release, name, type)` keys among `names` already taken in `releases`.
pub fn taken_release_component_keys(
    conn: &mut dyn Conn,
    releases: &[i64],
    names: &[String],
) -> StoreResult<HashSet<(i64, String, i64)>> {
    conn.query_uncached(
        "SELECT release_id, name, type_id FROM release_components WHERE release_id = ANY($1) AND name = ANY($2)",
        &[Value::IntList(releases.to_vec()), Value::TextList(names.to_vec())],
    )?
    .into_iter()
    .map(|mut r| Ok((r.int(0)?, r.text(1)?, r.int(2)?)))
    .collect()
}

pub fn delete_release_component(
    conn: &mut dyn Conn,
    existing: &ReleaseComponent,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    crate::contacts::delete_contacts_of(
        conn,
        crate::contacts::Scope::Release,
        &[existing.id],
        changes,
    )?;
    crate::relationships::delete_touching(conn, &[existing.id], changes)?;
    conn.execute(
        "DELETE FROM component_group_members WHERE release_component_id = $1",
        &[existing.id.into()],
    )?;
    conn.execute(
        "DELETE FROM release_components WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "releasecomponent",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

pub fn list_component_types(conn: &mut dyn Conn) -> StoreResult<Vec<(String, bool)>> {
    conn.query(
        "SELECT name, has_osbs FROM release_component_types ORDER BY id",
        &[],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.bool(1)?)))
    .collect()
}

// ---------------------------------------------------------------------------
// Component groups: typed sets of one release's components (rings).

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentGroup {
    pub id: i64,
    pub group_type: String,
    pub release: String,
    pub description: String,
    pub components: Vec<GroupMember>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub ids: Vec<i64>,
    pub group_types: Vec<String>,
    pub releases: Vec<String>,
    /// Groups holding a component of this name.
    pub release_components: Vec<String>,
}

pub fn list_groups(
    conn: &mut dyn Conn,
    f: &GroupFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ComponentGroup>)> {
    let mut l = Listing::new(
        "component_groups cg JOIN component_group_types t ON t.id = cg.group_type_id JOIN releases r ON r.id = cg.release_id",
    );
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("cg.id = ANY({p})"));
    }
    l.any_of("t.name", &f.group_types)
        .any_of("r.release_id", &f.releases);
    if !f.release_components.is_empty() {
        let p = l.sql.bind(f.release_components.clone());
        l.condition(format!(
            "cg.id IN (SELECT m.group_id FROM component_group_members m JOIN release_components rc ON rc.id = m.release_component_id WHERE rc.name = ANY({p}))"
        ));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "cg.id"),
            ("group_type", "t.name"),
            ("release", "r.sort_key"),
            ("description", "cg.description"),
        ],
        "cg.id",
    );
    let (count, rows) = l.run(
        conn,
        "cg.id, t.name, r.release_id, cg.description",
        &order,
        page,
    )?;
    let mut groups = rows
        .into_iter()
        .map(|mut r| {
            Ok(ComponentGroup {
                id: r.int(0)?,
                group_type: r.text(1)?,
                release: r.text(2)?,
                description: r.text(3)?,
                components: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let mut members: HashMap<i64, Vec<GroupMember>> = HashMap::new();
    for mut r in conn.query(
        "SELECT m.group_id, rc.id, rc.name FROM component_group_members m JOIN release_components rc ON rc.id = m.release_component_id
          WHERE m.group_id = ANY($1) ORDER BY rc.name, rc.id",
        &[Value::IntList(ids)],
    )? {
        members.entry(r.int(0)?).or_default().push(GroupMember { id: r.int(1)?, name: r.text(2)? });
    }
    for g in &mut groups {
        g.components = members.remove(&g.id).unwrap_or_default();
    }
    Ok((count, groups))
}

pub fn get_group(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<ComponentGroup>> {
    let f = GroupFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_groups(conn, &f, &[], None)?.1.pop())
}

/// Creates or replaces a group and its members (release component ids, all
/// of the group's release: the caller checks).
pub fn save_group(
    conn: &mut dyn Conn,
    existing: Option<&ComponentGroup>,
    group_type: &str,
    release: &str,
    description: &str,
    members: &[i64],
    changes: &mut Vec<Change>,
) -> StoreResult<ComponentGroup> {
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let type_id = must(
        "group type",
        id_of(conn, "component_group_types", "name", group_type)?,
    )?;
    let release_id = must("release", id_of(conn, "releases", "release_id", release)?)?;
    let id = save_row(
        conn,
        "component_groups",
        &["group_type_id", "release_id", "description"],
        vec![type_id.into(), release_id.into(), description.into()],
        existing.map(|o| o.id),
    )?;
    conn.execute(
        "DELETE FROM component_group_members WHERE group_id = $1",
        &[id.into()],
    )?;
    conn.execute(
        "INSERT INTO component_group_members (group_id, release_component_id)
         SELECT CAST($1 AS BIGINT), id FROM release_components WHERE id = ANY($2)",
        &[id.into(), Value::IntList(members.to_vec())],
    )?;
    let saved =
        get_group(conn, id)?.ok_or_else(|| StoreError::Internal("saved group vanished".into()))?;
    record(changes, "releasecomponentgroup", id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_group(
    conn: &mut dyn Conn,
    existing: &ComponentGroup,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM component_group_members WHERE group_id = $1",
        &[existing.id.into()],
    )?;
    conn.execute(
        "DELETE FROM component_groups WHERE id = $1",
        &[existing.id.into()],
    )?;
    record(
        changes,
        "releasecomponentgroup",
        existing.id,
        Some(existing),
        None,
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Cloning a release's components into another release.

/// What to clone: the source and target releases (row ids), whether
/// inactive components come along, and a dist-git branch for all of them.
#[derive(Debug, Clone)]
pub struct CloneComponents<'a> {
    pub from_release: i64,
    pub to_release: i64,
    pub include_inactive: bool,
    pub dist_git_branch: Option<&'a str>,
}

/// Whether the release (row id) has any component.
pub fn release_has_components(conn: &mut dyn Conn, release: i64) -> StoreResult<bool> {
    Ok(conn
        .query_opt(
            "SELECT 1 FROM release_components WHERE release_id = $1 LIMIT 1",
            &[release.into()],
        )?
        .is_some())
}

/// Copies a release's components (a component the target already has, by
/// name and type, is left as it is), then its component groups and the
/// relationships between its own components. Answers how many components
/// were created. Set-based: a few statements whatever the release's size.
pub fn clone_components(
    conn: &mut dyn Conn,
    c: &CloneComponents,
    changes: &mut Vec<Change>,
) -> StoreResult<usize> {
    let before: HashSet<i64> = conn
        .query(
            "SELECT id FROM release_components WHERE release_id = $1",
            &[c.to_release.into()],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    conn.execute(
        "INSERT INTO release_components (release_id, global_component_id, name, type_id, dist_git_branch, brew_package, active, srpm_name, bugzilla_component_id)
         SELECT CAST($2 AS BIGINT), s.global_component_id, s.name, s.type_id, COALESCE(CAST($3 AS TEXT), s.dist_git_branch), s.brew_package, s.active, s.srpm_name, s.bugzilla_component_id
           FROM release_components s
          WHERE s.release_id = $1 AND (s.active = TRUE OR CAST($4 AS BOOLEAN) = TRUE)
            AND NOT EXISTS (SELECT 1 FROM release_components t WHERE t.release_id = $2 AND t.name = s.name AND t.type_id = s.type_id)",
        &[
            c.from_release.into(),
            c.to_release.into(),
            c.dist_git_branch.map(str::to_string).into(),
            c.include_inactive.into(),
        ],
    )?;
    // Source component id -> its copy, matched by name and type.
    let pairs: HashMap<i64, i64> = conn
        .query(
            "SELECT s.id, t.id FROM release_components s
               JOIN release_components t ON t.release_id = $2 AND t.name = s.name AND t.type_id = s.type_id
              WHERE s.release_id = $1",
            &[c.from_release.into(), c.to_release.into()],
        )?
        .iter()
        .map(|r| Ok((r.int(0)?, r.int(1)?)))
        .collect::<StoreResult<_>>()?;
    let created: Vec<i64> = pairs
        .values()
        .copied()
        .filter(|id| !before.contains(id))
        .collect();
    if !created.is_empty() {
        let f = ReleaseComponentFilter {
            ids: created.clone(),
            include_inactive_release: true,
            ..Default::default()
        };
        for new in list_release_components(conn, &f, &[], None)?.1 {
            record(changes, "releasecomponent", new.id, None, Some(&new));
        }
    }
    clone_groups(conn, c, &pairs, changes)?;
    clone_relationships(conn, c, &pairs, changes)?;
    Ok(created.len())
}

fn clone_groups(
    conn: &mut dyn Conn,
    c: &CloneComponents,
    pairs: &HashMap<i64, i64>,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    let release_name = |conn: &mut dyn Conn, id: i64| -> StoreResult<String> {
        conn.query_opt(
            "SELECT release_id FROM releases WHERE id = $1",
            &[id.into()],
        )?
        .ok_or_else(|| StoreError::Internal("release vanished".into()))?
        .text(0)
        .map_err(Into::into)
    };
    let from = release_name(conn, c.from_release)?;
    let to = release_name(conn, c.to_release)?;
    let f = GroupFilter {
        releases: vec![from],
        ..Default::default()
    };
    let existing = list_groups(
        conn,
        &GroupFilter {
            releases: vec![to.clone()],
            ..Default::default()
        },
        &[],
        None,
    )?
    .1;
    for g in list_groups(conn, &f, &[], None)?.1 {
        if existing
            .iter()
            .any(|e| e.group_type == g.group_type && e.description == g.description)
        {
            continue;
        }
        let members: Vec<i64> = g
            .components
            .iter()
            .filter_map(|m| pairs.get(&m.id).copied())
            .collect();
        save_group(
            conn,
            None,
            &g.group_type,
            &to,
            &g.description,
            &members,
            changes,
        )?;
    }
    Ok(())
}

fn clone_relationships(
    conn: &mut dyn Conn,
    c: &CloneComponents,
    pairs: &HashMap<i64, i64>,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    let edges = conn.query(
        "SELECT e.type_id, e.from_component_id, e.to_component_id
           FROM release_component_relationships e
           JOIN release_components f ON f.id = e.from_component_id
           JOIN release_components t ON t.id = e.to_component_id
          WHERE f.release_id = $1 AND t.release_id = $1",
        &[c.from_release.into()],
    )?;
    for r in edges {
        let (Some(from), Some(to)) = (pairs.get(&r.int(1)?), pairs.get(&r.int(2)?)) else {
            continue;
        };
        let kind = r.int(0)?;
        if crate::relationships::find(conn, kind, *from, *to)?.is_none() {
            crate::relationships::save(conn, None, kind, *from, *to, changes)?;
        }
    }
    Ok(())
}

/// The descriptions of the component groups (`ring 0`...) holding the
/// release component `name` in `release`; none when the release is unknown.
pub fn groups_of_component(
    conn: &mut dyn Conn,
    release: &str,
    name: &str,
) -> StoreResult<Vec<String>> {
    conn.query(
        "SELECT DISTINCT cg.description FROM component_groups cg
           JOIN releases r ON r.id = cg.release_id
           JOIN component_group_members m ON m.group_id = cg.id
           JOIN release_components rc ON rc.id = m.release_component_id
          WHERE r.release_id = $1 AND rc.name = $2 ORDER BY cg.description",
        &[release.into(), name.into()],
    )?
    .into_iter()
    .map(|mut r| r.text(0).map_err(Into::into))
    .collect()
}

/// One component group holding a component, as a rebuild plan names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupOfComponent {
    pub component: String,
    pub release: String,
    pub group_type: String,
    pub description: String,
}

/// The component groups (rings...) holding any release component named
/// in `names`, in `release` only when given.
pub fn groups_of_components(
    conn: &mut dyn Conn,
    names: &[String],
    release: Option<&str>,
) -> StoreResult<Vec<GroupOfComponent>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        "SELECT DISTINCT rc.name, r.release_id, gt.name, cg.description FROM component_groups cg
           JOIN component_group_types gt ON gt.id = cg.group_type_id
           JOIN releases r ON r.id = cg.release_id
           JOIN component_group_members m ON m.group_id = cg.id
           JOIN release_components rc ON rc.id = m.release_component_id
          WHERE rc.name = ANY($1)"
            .to_string();
    let mut params: Vec<Value> = vec![names.to_vec().into()];
    if let Some(r) = release {
        sql.push_str(" AND r.release_id = $2");
        params.push(r.into());
    }
    let mut rows = conn.query(&sql, &params)?;
    let mut out = rows
        .iter_mut()
        .map(|r| {
            Ok(GroupOfComponent {
                component: r.text(0)?,
                release: r.text(1)?,
                group_type: r.text(2)?,
                description: r.text(3)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    out.sort();
    Ok(out)
}
