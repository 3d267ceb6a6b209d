//! `global-components/`, `release-component-types/`, `release-components/`,
//! `component-group-types/` and `component-groups/`.

use super::{int_key, must_exist, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, boolean, check_body, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::components::{
    self as store, ComponentGroup, GlobalComponent, ReleaseComponent, ReleaseRef, Srpm, Upstream,
};
use almanac_store::releases::{id_of, ids_of};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

fn ints(q: &ListQuery, name: &str) -> Result<Vec<i64>, PdcError> {
    q.values(name)
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                PdcError::bad_request(format!("Value [{v}] of {name} is not an integer"))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------

pub struct GlobalComponents;

fn upstream(body: &Map<String, Value>) -> Result<Option<Option<Upstream>>, PdcError> {
    match body.get("upstream") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(o)) => {
            let get = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
            let homepage = get("homepage")
                .ok_or_else(|| PdcError::field("upstream", "homepage is required"))?;
            Ok(Some(Some(Upstream {
                homepage,
                scm_type: get("scm_type").unwrap_or_default(),
                scm_url: get("scm_url").unwrap_or_default(),
            })))
        }
        Some(_) => Err(PdcError::field("upstream", "Expected an object or null.")),
    }
}

impl Resource for GlobalComponents {
    fn prefix(&self) -> &'static str {
        "global-components"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "name",
            "dist_git_path",
            "label",
            "upstream_homepage",
            "upstream_scm_type",
            "upstream_scm_url",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name", "dist_git_path"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "dist_git_path",
            "dist_git_web_url",
            "labels",
            "upstream",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::GlobalComponentFilter {
            labels: q.values("label").to_vec(),
            names: q.values("name").to_vec(),
            dist_git_paths: q.values("dist_git_path").to_vec(),
            upstream_homepages: q.values("upstream_homepage").to_vec(),
            upstream_scm_types: q.values("upstream_scm_type").to_vec(),
            upstream_scm_urls: q.values("upstream_scm_url").to_vec(),
            ..Default::default()
        };
        let (count, items) = store::list_global_components(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("globalcomponent")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        match LabelKey::parse(key) {
            Some(LabelKey::Labels(id)) => {
                let Some(g) = store::get_global_component(conn, id)? else {
                    return Ok(None);
                };
                Ok(Some(json!({
                    "count": g.labels.len(),
                    "next": null,
                    "previous": null,
                    "results": g.labels,
                })))
            }
            Some(LabelKey::Label(id, label)) => Ok(store::get_global_component(conn, id)?
                .and_then(|g| g.labels.into_iter().find(|l| l.id == label))
                .as_ref()
                .map(to_json)),
            None => Ok(int_key(key)
                .map(|id| store::get_global_component(conn, id))
                .transpose()?
                .flatten()
                .as_ref()
                .map(to_json)),
        }
    }
    /// `POST global-components/{id}/labels/ {"name": label}`.
    fn create_under(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let Some(LabelKey::Labels(id)) = LabelKey::parse(key) else {
            return Err(PdcError::method_not_allowed("POST"));
        };
        let component = store::get_global_component(conn, id)?.ok_or_else(PdcError::not_found)?;
        check_body(body, &["name", "description", "id", "url"], &[])?;
        let name = text(body, "name")?.ok_or_else(|| PdcError::required("name"))?;
        let label = label_named(conn, &name)?.ok_or_else(|| {
            PdcError::bad_request(format!("Label with name {name} does not exist."))
        })?;
        if component.labels.iter().any(|l| l.id == label.id) {
            return Err(PdcError::bad_request(format!(
                "Label {name} is already on component {}.",
                component.name
            )));
        }
        store::set_label(conn, &component, &label, true, changes)?;
        Ok(to_json(&label))
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
        let old = int_key(key)
            .map(|id| store::get_global_component(conn, id))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        if let Some(LabelKey::Label(id, label)) = LabelKey::parse(key) {
            let component =
                store::get_global_component(conn, id)?.ok_or_else(PdcError::not_found)?;
            let label = component
                .labels
                .iter()
                .find(|l| l.id == label)
                .cloned()
                .ok_or_else(PdcError::not_found)?;
            store::set_label(conn, &component, &label, false, changes)?;
            return Ok(());
        }
        let old = int_key(key)
            .map(|id| store::get_global_component(conn, id))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        let f = store::ReleaseComponentFilter {
            global_components: vec![old.name.clone()],
            include_inactive_release: true,
            ..Default::default()
        };
        let (used, _) = store::list_release_components(conn, &f, &[], Some((1, 1)))?;
        if used > 0 {
            return Err(PdcError::bad_request(format!(
                "Cannot delete global component {} because {used} release components refer to it.",
                old.name
            )));
        }
        Ok(store::delete_global_component(conn, &old, changes)?)
    }
}

/// The labels under a global component: `{id}/labels` or `{id}/labels/{label_id}`.
enum LabelKey {
    Labels(i64),
    Label(i64, i64),
}

impl LabelKey {
    fn parse(key: &str) -> Option<LabelKey> {
        let mut parts = key.trim_end_matches('/').split('/');
        let id = parts.next()?.parse().ok()?;
        if parts.next()? != "labels" {
            return None;
        }
        match parts.next() {
            None => Some(LabelKey::Labels(id)),
            Some(l) => {
                let label = l.parse().ok()?;
                parts.next().is_none().then_some(LabelKey::Label(id, label))
            }
        }
    }
}

fn label_named(
    conn: &mut dyn Conn,
    name: &str,
) -> Result<Option<almanac_store::named_types::NamedType>, PdcError> {
    use almanac_store::named_types::{TypeKind, list};
    Ok(
        list(conn, TypeKind::Label, &[name.to_string()], &[], &[], None)?
            .1
            .pop(),
    )
}

impl GlobalComponents {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<GlobalComponent>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["name", "dist_git_path", "upstream"],
            &["id", "dist_git_web_url", "labels"],
        )?;
        let keep = partial && old.is_some();
        let name = match (text(body, "name")?, &old) {
            (Some(n), _) if !n.is_empty() => n,
            (None, Some(o)) if keep => o.name.clone(),
            _ => return Err(PdcError::required("name")),
        };
        if name.contains('/') {
            return Err(PdcError::field("name", "name must not contain '/'"));
        }
        let new = GlobalComponent {
            id: 0,
            name,
            dist_git_path: match body.get("dist_git_path") {
                Some(_) => text(body, "dist_git_path")?,
                None if keep => old.as_ref().and_then(|o| o.dist_git_path.clone()),
                None => None,
            },
            dist_git_web_url: None,
            labels: Vec::new(),
            upstream: match upstream(body)? {
                Some(u) => u,
                None if keep => old.as_ref().and_then(|o| o.upstream.clone()),
                None => None,
            },
        };
        if old.as_ref().is_none_or(|o| o.name != new.name)
            && store::global_component_named(conn, &new.name)?.is_some()
        {
            return Err(PdcError::unique_field("name"));
        }
        Ok(to_json(&store::save_global_component(
            conn,
            old.as_ref(),
            &new,
            changes,
        )?))
    }
}

// ---------------------------------------------------------------------------

pub struct ReleaseComponentTypes;

impl Resource for ReleaseComponentTypes {
    fn prefix(&self) -> &'static str {
        "release-component-types"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["name", "has_osbs"]
    }
    fn writes(&self) -> Writes {
        Writes::NONE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let all: Vec<Value> = store::list_component_types(conn)?
            .into_iter()
            .map(|(name, has_osbs)| json!({"name": name, "has_osbs": has_osbs}))
            .collect();
        let count = all.len() as i64;
        let page = match q.page {
            Some((p, size)) => all
                .into_iter()
                .skip(((p - 1) * size) as usize)
                .take(size as usize)
                .collect(),
            None => all,
        };
        Ok((count, page))
    }
    fn get(&self, _conn: &mut dyn Conn, _key: &str) -> Result<Option<Value>, PdcError> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------

pub struct ReleaseComponents;

const RC_WRITABLE: [&str; 9] = [
    "release",
    "global_component",
    "name",
    "dist_git_branch",
    "bugzilla_component",
    "brew_package",
    "active",
    "type",
    "srpm",
];

impl Resource for ReleaseComponents {
    fn prefix(&self) -> &'static str {
        "release-components"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "name",
            "release",
            "global_component",
            "bugzilla_component",
            "brew_package",
            "active",
            "type",
            "dist_git_branch",
            "srpm_name",
            "include_inactive_release",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "release",
            "global_component",
            "type",
            "active",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "release",
            "global_component",
            "name",
            "dist_git_branch",
            "dist_git_web_url",
            "bugzilla_component",
            "brew_package",
            "active",
            "type",
            "srpm",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::ReleaseComponentFilter {
            bugzilla_components: q.values("bugzilla_component").to_vec(),
            names: q.values("name").to_vec(),
            releases: q.values("release").to_vec(),
            global_components: q.values("global_component").to_vec(),
            brew_packages: q.values("brew_package").to_vec(),
            active: q.boolean("active")?,
            types: q.values("type").to_vec(),
            dist_git_branches: q.values("dist_git_branch").to_vec(),
            srpm_names: q.values("srpm_name").to_vec(),
            include_inactive_release: !q.values("include_inactive_release").is_empty(),
            ..Default::default()
        };
        let (count, items) = store::list_release_components(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    /// Detail reads include components of inactive releases (PDC needed
    /// `?include_inactive_release` for that, which pdc-client always sends).
    fn history_class(&self) -> Option<&'static str> {
        Some("releasecomponent")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::get_release_component(conn, id, true)?
            .as_ref()
            .map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        self.save(conn, None, body, false, changes)
    }
    fn create_many(
        &self,
        conn: &mut dyn Conn,
        items: &[Value],
        changes: &mut Vec<Change>,
    ) -> Result<Option<Vec<Value>>, PdcError> {
        bulk_release_components(conn, items, changes)
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let old = int_key(key)
            .map(|id| store::get_release_component(conn, id, true))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = int_key(key)
            .map(|id| store::get_release_component(conn, id, true))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        Ok(store::delete_release_component(conn, &old, changes)?)
    }
}

impl ReleaseComponents {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<ReleaseComponent>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &RC_WRITABLE, &["id", "dist_git_web_url"])?;
        let keep = partial && old.is_some();
        let release = match (text(body, "release")?, &old) {
            (Some(r), Some(o)) if r != o.release.release_id => {
                return Err(PdcError::field(
                    "release",
                    "The release of a component can not be changed.",
                ));
            }
            (Some(r), _) => r,
            (None, Some(o)) => o.release.release_id.clone(),
            (None, None) => return Err(PdcError::required("release")),
        };
        let release_row =
            almanac_store::releases::get_release(conn, &release)?.ok_or_else(|| {
                PdcError::field(
                    "release",
                    format!("Object with release_id={release} does not exist."),
                )
            })?;
        if old.is_none() && !release_row.active {
            return Err(PdcError::field(
                "release",
                format!(
                    "Release {release} is not active: components can only be added to active releases."
                ),
            ));
        }
        let global_component = match (text(body, "global_component")?, &old) {
            (Some(g), _) => g,
            (None, Some(o)) if keep => o.global_component.clone(),
            _ => return Err(PdcError::required("global_component")),
        };
        must_exist(
            conn,
            "global_component",
            &global_component,
            "global_components",
            "name",
        )?;
        let name = match (text(body, "name")?, &old) {
            (Some(n), _) if !n.is_empty() => n,
            (None, Some(o)) if keep => o.name.clone(),
            _ => return Err(PdcError::required("name")),
        };
        let component_type = match (text(body, "type")?, &old) {
            (Some(t), _) => t,
            (None, Some(o)) if keep => o.component_type.clone(),
            _ => "rpm".to_string(),
        };
        if id_of(conn, "release_component_types", "name", &component_type)?.is_none() {
            let names: Vec<String> = store::list_component_types(conn)?
                .into_iter()
                .map(|(n, _)| format!("'{n}'"))
                .collect();
            return Err(PdcError::field(
                "type",
                format!(
                    "'{component_type}' is not allowed value. Use one of {}.",
                    names.join(", ")
                ),
            ));
        }
        let bugzilla_component_id = match body.get("bugzilla_component") {
            None if keep => old.as_ref().and_then(|o| o.bugzilla_component_id),
            None | Some(Value::Null) => None,
            Some(_) => {
                let path = text(body, "bugzilla_component")?.unwrap_or_default();
                Some(
                    almanac_store::bugzilla::resolve(conn, &path)?.ok_or_else(|| {
                        PdcError::field(
                            "bugzilla_component",
                            format!("Bugzilla component '{path}' does not exist."),
                        )
                    })?,
                )
            }
        };
        let srpm = match body.get("srpm") {
            None if keep => old.as_ref().and_then(|o| o.srpm.clone()),
            None | Some(Value::Null) => None,
            Some(Value::Object(o)) => match o.get("name").and_then(Value::as_str) {
                Some(n) if !n.is_empty() => Some(Srpm {
                    name: n.to_string(),
                }),
                _ => return Err(PdcError::field("srpm", "srpm needs a non-empty name")),
            },
            Some(_) => return Err(PdcError::field("srpm", "Expected {\"name\": ...} or null.")),
        };
        let opt =
            |field: &str, old_value: Option<Option<String>>| -> Result<Option<String>, PdcError> {
                match body.get(field) {
                    Some(_) => text(body, field),
                    None if keep => Ok(old_value.flatten()),
                    None => Ok(None),
                }
            };
        let new = ReleaseComponent {
            id: 0,
            release: ReleaseRef {
                release_id: release.clone(),
                active: release_row.active,
            },
            global_component,
            name,
            dist_git_branch: None,
            dist_git_web_url: None,
            bugzilla_component: None,
            brew_package: opt("brew_package", old.as_ref().map(|o| o.brew_package.clone()))?,
            active: match boolean(body, "active")? {
                Some(a) => a,
                None if keep => old.as_ref().is_none_or(|o| o.active),
                None => true,
            },
            component_type,
            srpm,
            own_dist_git_branch: opt(
                "dist_git_branch",
                old.as_ref().map(|o| o.own_dist_git_branch.clone()),
            )?,
            bugzilla_component_id,
        };
        let clash =
            store::release_component_id(conn, &release, &new.name, Some(&new.component_type))?;
        if clash.is_some_and(|id| old.as_ref().is_none_or(|o| o.id != id)) {
            return Err(PdcError::unique_set(&["release", "name", "type"]));
        }
        Ok(to_json(&store::save_release_component(
            conn,
            old.as_ref(),
            &new,
            changes,
        )?))
    }
}

// ---------------------------------------------------------------------------

/// What one item of a bulk POST of release components asks for, when it
/// asks for nothing the one-by-one path must handle.
struct PlainComponent {
    release: String,
    global_component: String,
    name: String,
    component_type: String,
    dist_git_branch: Option<String>,
    brew_package: Option<String>,
    active: bool,
    srpm_name: Option<String>,
}

fn plain_component(item: &Value) -> Option<PlainComponent> {
    const PLAIN: [&str; 8] = [
        "release",
        "global_component",
        "name",
        "type",
        "dist_git_branch",
        "brew_package",
        "active",
        "srpm",
    ];
    let body = item.as_object()?;
    if body.keys().any(|k| !PLAIN.contains(&k.as_str())) {
        return None;
    }
    let nonempty = |field: &str| text(body, field).ok().flatten().filter(|s| !s.is_empty());
    let srpm_name = match body.get("srpm") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) if o.len() == 1 => Some(
            o.get("name")?
                .as_str()
                .filter(|n| !n.is_empty())?
                .to_string(),
        ),
        Some(_) => return None,
    };
    Some(PlainComponent {
        release: nonempty("release")?,
        global_component: nonempty("global_component")?,
        name: nonempty("name")?,
        component_type: match body.get("type") {
            None => "rpm".to_string(),
            Some(_) => nonempty("type")?,
        },
        dist_git_branch: text(body, "dist_git_branch").ok()?,
        brew_package: text(body, "brew_package").ok()?,
        active: boolean(body, "active").ok()?.unwrap_or(true),
        srpm_name,
    })
}

/// The fast path of a bulk POST of release components: when every item is
/// plain and valid (its release active, its global component and type
/// known, its key free), all are written at once; otherwise `None`, and the
/// one-by-one path creates them or names the first bad item.
fn bulk_release_components(
    conn: &mut dyn Conn,
    items: &[Value],
    changes: &mut Vec<Change>,
) -> Result<Option<Vec<Value>>, PdcError> {
    let Some(plain) = items
        .iter()
        .map(plain_component)
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let distinct = |f: fn(&PlainComponent) -> &String| -> Vec<String> {
        let set: HashSet<&String> = plain.iter().map(f).collect();
        set.into_iter().cloned().collect()
    };
    let release_filter = almanac_store::releases::ReleaseFilter {
        release_ids: distinct(|c| &c.release),
        ..Default::default()
    };
    let releases: HashMap<String, (i64, bool)> =
        almanac_store::releases::list_releases(conn, &release_filter, &[], None)?
            .1
            .into_iter()
            .map(|r| (r.release_id, (r.id, r.active)))
            .collect();
    let globals = ids_of(
        conn,
        "global_components",
        "name",
        &distinct(|c| &c.global_component),
    )?;
    let types = ids_of(
        conn,
        "release_component_types",
        "name",
        &distinct(|c| &c.component_type),
    )?;
    let release_ids: Vec<i64> = releases.values().map(|(id, _)| *id).collect();
    let mut taken =
        store::taken_release_component_keys(conn, &release_ids, &distinct(|c| &c.name))?;
    let mut new = Vec::with_capacity(plain.len());
    for c in plain {
        let (Some(&(release_id, true)), Some(&global), Some(&type_id)) = (
            releases.get(&c.release),
            globals.get(&c.global_component),
            types.get(&c.component_type),
        ) else {
            return Ok(None);
        };
        if !taken.insert((release_id, c.name.clone(), type_id)) {
            return Ok(None);
        }
        new.push(store::NewReleaseComponent {
            release_id,
            global_component_id: global,
            name: c.name,
            type_id,
            dist_git_branch: c.dist_git_branch,
            brew_package: c.brew_package,
            active: c.active,
            srpm_name: c.srpm_name,
            bugzilla_component_id: None,
        });
    }
    let created = store::create_release_components(conn, &new, changes)?;
    Ok(Some(created.iter().map(to_json).collect()))
}

// ---------------------------------------------------------------------------

pub struct ComponentGroups;

impl Resource for ComponentGroups {
    fn prefix(&self) -> &'static str {
        "component-groups"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["group_type", "release", "release_component"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "group_type", "release", "description"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "group_type", "release", "description", "components"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::GroupFilter {
            group_types: q.values("group_type").to_vec(),
            releases: q.values("release").to_vec(),
            release_components: q.values("release_component").to_vec(),
            ids: ints(q, "id")?,
        };
        let (count, items) = store::list_groups(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("releasecomponentgroup")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::get_group(conn, id)?.as_ref().map(to_json))
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
        let old = int_key(key)
            .map(|id| store::get_group(conn, id))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = int_key(key)
            .map(|id| store::get_group(conn, id))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        Ok(store::delete_group(conn, &old, changes)?)
    }
}

impl ComponentGroups {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<ComponentGroup>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["group_type", "release", "description", "components"],
            &["id"],
        )?;
        let keep = partial && old.is_some();
        let pick = |field: &str, old_value: Option<&String>| -> Result<String, PdcError> {
            match (text(body, field)?, old_value) {
                (Some(v), _) => Ok(v),
                (None, Some(v)) if keep => Ok(v.clone()),
                _ => Err(PdcError::required(field)),
            }
        };
        let group_type = pick("group_type", old.as_ref().map(|o| &o.group_type))?;
        must_exist(
            conn,
            "group_type",
            &group_type,
            "component_group_types",
            "name",
        )?;
        let release = pick("release", old.as_ref().map(|o| &o.release))?;
        must_exist(conn, "release", &release, "releases", "release_id")?;
        let description = pick("description", old.as_ref().map(|o| &o.description))?;
        let members = match body.get("components") {
            None if keep => old
                .as_ref()
                .map(|o| o.components.iter().map(|c| c.id).collect())
                .unwrap_or_default(),
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut ids = Vec::with_capacity(items.len());
                for item in items {
                    let id = component_ref(conn, item, &release)?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
            Some(_) => {
                return Err(PdcError::field(
                    "components",
                    "Expected a list of components.",
                ));
            }
        };
        let f = store::GroupFilter {
            group_types: vec![group_type.clone()],
            releases: vec![release.clone()],
            ..Default::default()
        };
        let (_, same) = store::list_groups(conn, &f, &[], None)?;
        if same
            .iter()
            .any(|g| g.description == description && old.as_ref().is_none_or(|o| o.id != g.id))
        {
            return Err(PdcError::unique_set(&[
                "group_type",
                "release",
                "description",
            ]));
        }
        Ok(to_json(&store::save_group(
            conn,
            old.as_ref(),
            &group_type,
            &release,
            &description,
            &members,
            changes,
        )?))
    }
}

/// A release component named `{"id": n}` or `{"release": r, "name": n}`
/// (with `"type"` when the name is not enough), which must exist.
pub fn release_component_ref(
    conn: &mut dyn Conn,
    field: &str,
    item: &Value,
) -> Result<ReleaseComponent, PdcError> {
    let obj = item.as_object().ok_or_else(|| {
        PdcError::field(
            field,
            "A component is {\"id\": n} or {\"release\": r, \"name\": n}.",
        )
    })?;
    let found = if let Some(id) = obj.get("id").and_then(Value::as_i64) {
        store::get_release_component(conn, id, true)?
    } else {
        let (Some(r), Some(n)) = (
            obj.get("release").and_then(Value::as_str),
            obj.get("name").and_then(Value::as_str),
        ) else {
            return Err(PdcError::field(
                field,
                "A component is {\"id\": n} or {\"release\": r, \"name\": n}.",
            ));
        };
        let kind = obj.get("type").and_then(Value::as_str);
        match store::release_component_id(conn, r, n, kind)? {
            Some(id) => store::get_release_component(conn, id, true)?,
            None => None,
        }
    };
    found.ok_or_else(|| PdcError::field(field, format!("Release component {item} does not exist.")))
}

/// A release component reference that must belong to `release`.
fn component_ref(conn: &mut dyn Conn, item: &Value, release: &str) -> Result<i64, PdcError> {
    let component = release_component_ref(conn, "components", item)?;
    if component.release.release_id == release {
        Ok(component.id)
    } else {
        Err(PdcError::field(
            "components",
            format!("{item} is not a component of release {release}."),
        ))
    }
}
