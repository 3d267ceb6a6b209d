//! `release-types/`, `arches/`, `sigkeys/`, `base-products/`, `releases/`
//! and `release-variants/`.

use super::keep_or;
use super::{must_exist, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{
    Resource, Writes, boolean, check_body, required_text, string_list, text,
};
use almanac_model::product::{parse_short, parse_version, release_id};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::releases::{
    self as store, BaseProduct, Bugzilla, DistGit, Release, ReleaseVariant, Sigkey,
};
use serde_json::{Map, Value, json};

/// A reference by natural key that must exist, with DRF's choice error.
fn choice(
    conn: &mut dyn Conn,
    field: &str,
    value: &str,
    table: &str,
    column: &str,
) -> Result<(), PdcError> {
    if store::id_of(conn, table, column, value)?.is_some() {
        return Ok(());
    }
    let options: Vec<String> = store::names(conn, table, column)?
        .iter()
        .map(|n| format!("'{n}'"))
        .collect();
    Err(PdcError::field(
        field,
        format!(
            "'{value}' is not allowed value. Use one of {}.",
            options.join(", ")
        ),
    ))
}

// ---------------------------------------------------------------------------

pub struct ReleaseTypes;

impl Resource for ReleaseTypes {
    fn prefix(&self) -> &'static str {
        "release-types"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name", "short"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name", "short"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["short", "name", "suffix"]
    }
    fn writes(&self) -> Writes {
        Writes::NONE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, items) = store::list_release_types(
            conn,
            q.values("name"),
            q.values("short"),
            &q.ordering,
            q.page,
        )?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn get(&self, _conn: &mut dyn Conn, _key: &str) -> Result<Option<Value>, PdcError> {
        Ok(None)
    }
}

pub struct Arches;

impl Resource for Arches {
    fn prefix(&self) -> &'static str {
        "arches"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["name"]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: true,
            update: false,
            delete: false,
        }
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let (count, names) = store::list_arches(conn, q.values("name"), &q.ordering, q.page)?;
        Ok((count, names.iter().map(|n| json!({ "name": n })).collect()))
    }
    fn get(&self, _conn: &mut dyn Conn, _key: &str) -> Result<Option<Value>, PdcError> {
        Ok(None)
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["name"], &[])?;
        let name = required_text(body, "name")?;
        if store::id_of(conn, "arches", "name", &name)?.is_some() {
            return Err(PdcError::unique_field("name"));
        }
        store::create_arch(conn, &name, changes)?;
        Ok(json!({ "name": name }))
    }
}

// ---------------------------------------------------------------------------

pub struct Sigkeys;

fn check_key_id(key_id: &str) -> Result<(), PdcError> {
    if key_id.len() == 8 && key_id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(PdcError::field(
            "key_id",
            format!("Key id '{key_id}' must be 8 hexadecimal digits."),
        ))
    }
}

impl Resource for Sigkeys {
    fn prefix(&self) -> &'static str {
        "sigkeys"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["key_id", "name", "description"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "key_id", "name"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["name", "key_id", "description"]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::SigkeyFilter {
            key_ids: q.values("key_id").to_vec(),
            names: q.values("name").to_vec(),
            descriptions: q.values("description").to_vec(),
        };
        let (count, items) = store::list_sigkeys(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get_sigkey(conn, key)?.as_ref().map(to_json))
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
        let old = store::get_sigkey(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
}

impl Sigkeys {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<Sigkey>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["name", "key_id", "description"], &[])?;
        let key_id = match (&old, text(body, "key_id")?) {
            (_, Some(k)) => k.to_lowercase(),
            (Some(o), None) => keep_or("key_id", None, o.key_id.clone(), partial, true)?,
            (None, None) => return Err(PdcError::required("key_id")),
        };
        check_key_id(&key_id)?;
        let new = Sigkey {
            id: 0,
            key_id,
            name: match text(body, "name")? {
                Some(n) => Some(n),
                None if partial => old.as_ref().and_then(|o| o.name.clone()),
                None => None,
            },
            description: match text(body, "description")? {
                Some(d) => d,
                None if partial => old
                    .as_ref()
                    .map(|o| o.description.clone())
                    .unwrap_or_default(),
                None => String::new(),
            },
        };
        if old.as_ref().is_none_or(|o| o.key_id != new.key_id)
            && store::get_sigkey(conn, &new.key_id)?.is_some()
        {
            return Err(PdcError::unique_field("key_id"));
        }
        Ok(to_json(&store::save_sigkey(
            conn,
            old.as_ref(),
            &new,
            changes,
        )?))
    }
}

// ---------------------------------------------------------------------------

pub struct BaseProducts;

impl Resource for BaseProducts {
    fn prefix(&self) -> &'static str {
        "base-products"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "base_product_id",
            "short",
            "version",
            "name",
            "release_type",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "base_product_id", "short", "version", "name"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "base_product_id",
            "short",
            "version",
            "name",
            "release_type",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::BaseProductFilter {
            base_product_ids: q.values("base_product_id").to_vec(),
            shorts: q.values("short").to_vec(),
            versions: q.values("version").to_vec(),
            names: q.values("name").to_vec(),
            release_types: q.values("release_type").to_vec(),
        };
        let (count, items) = store::list_base_products(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("baseproduct")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get_base_product(conn, key)?.map(|b| b.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get_base_product(conn, key)?.as_ref().map(to_json))
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
        let old = store::get_base_product(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
}

impl BaseProducts {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<BaseProduct>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["short", "version", "name", "release_type"],
            &["base_product_id"],
        )?;
        let pick = |field: &str, old_value: Option<String>| -> Result<String, PdcError> {
            match (text(body, field)?, old_value) {
                (Some(v), _) => Ok(v),
                (None, Some(v)) if partial => Ok(v),
                _ => Err(PdcError::required(field)),
            }
        };
        let short = parse_short(
            "short",
            &pick("short", old.as_ref().map(|o| o.short.clone()))?,
        )?;
        let version = parse_version(
            "version",
            &pick("version", old.as_ref().map(|o| o.version.clone()))?,
        )?;
        let name = pick("name", old.as_ref().map(|o| o.name.clone()))?;
        let release_type = pick("release_type", old.as_ref().map(|o| o.release_type.clone()))?;
        choice(
            conn,
            "release_type",
            &release_type,
            "release_types",
            "short",
        )?;
        let new = BaseProduct {
            id: 0,
            base_product_id: release_id(&short, &version, &release_type, None),
            short,
            version,
            name,
            release_type,
        };
        let taken = |conn: &mut dyn Conn, f: store::BaseProductFilter| -> Result<bool, PdcError> {
            let (_, found) = store::list_base_products(conn, &f, &[], None)?;
            Ok(found
                .iter()
                .any(|b| old.as_ref().is_none_or(|o| o.id != b.id)))
        };
        let same_type = vec![new.release_type.clone()];
        if taken(
            conn,
            store::BaseProductFilter {
                shorts: vec![new.short.clone()],
                versions: vec![new.version.clone()],
                release_types: same_type.clone(),
                ..Default::default()
            },
        )? {
            return Err(PdcError::unique_set(&["short", "version", "release_type"]));
        }
        if taken(
            conn,
            store::BaseProductFilter {
                names: vec![new.name.clone()],
                versions: vec![new.version.clone()],
                release_types: same_type,
                ..Default::default()
            },
        )? {
            return Err(PdcError::unique_set(&["name", "version", "release_type"]));
        }
        Ok(to_json(&store::save_base_product(
            conn,
            old.as_ref(),
            &new,
            changes,
        )?))
    }
}

// ---------------------------------------------------------------------------

pub struct Releases;

const RELEASE_WRITABLE: [&str; 14] = [
    "short",
    "version",
    "name",
    "release_type",
    "base_product",
    "active",
    "product_version",
    "integrated_with",
    "sigkey",
    "allow_buildroot_push",
    "allowed_debuginfo_services",
    "allowed_push_targets",
    "bugzilla",
    "dist_git",
];

fn nested(
    body: &Map<String, Value>,
    field: &str,
    key: &str,
) -> Result<Option<Option<String>>, PdcError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(o)) => {
            for k in o.keys() {
                if k != key {
                    return Err(PdcError::field(field, format!("Unknown fields: \"{k}\".")));
                }
            }
            match o.get(key) {
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(Some(s.clone()))),
                Some(Value::Null) | None => Ok(Some(None)),
                _ => Err(PdcError::field(
                    field,
                    format!("{key} must be a non-empty string"),
                )),
            }
        }
        Some(_) => Err(PdcError::field(
            field,
            format!("Expected an object like {{\"{key}\": ...}} or null."),
        )),
    }
}

impl Resource for Releases {
    fn prefix(&self) -> &'static str {
        "releases"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release_id",
            "base_product",
            "has_base_product",
            "release_type",
            "product_version",
            "integrated_with",
            "active",
            "name",
            "short",
            "version",
            "sigkey",
            "allow_buildroot_push",
            "allowed_debuginfo_services",
            "allowed_push_targets",
            "bugzilla_product",
            "dist_git_branch",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "release_id",
            "short",
            "version",
            "name",
            "active",
            "release_type",
            "product_version",
            "base_product",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "release_id",
            "short",
            "version",
            "name",
            "base_product",
            "active",
            "product_version",
            "release_type",
            "compose_set",
            "integrated_with",
            "sigkey",
            "allow_buildroot_push",
            "allowed_debuginfo_services",
            "allowed_push_targets",
            "bugzilla",
            "dist_git",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let has_base_product = match q.values("has_base_product").first().map(String::as_str) {
            None => None,
            Some(v) => Some(crate::pdc::query::parse_bool(v).ok_or_else(|| {
                PdcError::bad_request(format!("{v} is not a valid boolean value"))
            })?),
        };
        let f = store::ReleaseFilter {
            release_ids: q.values("release_id").to_vec(),
            base_products: q.values("base_product").to_vec(),
            has_base_product,
            release_types: q.values("release_type").to_vec(),
            product_versions: q.values("product_version").to_vec(),
            integrated_with: q.values("integrated_with").to_vec(),
            active: q.boolean("active")?,
            names: q.values("name").to_vec(),
            shorts: q.values("short").to_vec(),
            versions: q.values("version").to_vec(),
            sigkeys: q.values("sigkey").to_vec(),
            allow_buildroot_push: q.boolean("allow_buildroot_push")?,
            allowed_debuginfo_services: q.values("allowed_debuginfo_services").to_vec(),
            allowed_push_targets: q.values("allowed_push_targets").to_vec(),
            bugzilla_products: q.values("bugzilla_product").to_vec(),
            dist_git_branches: q.values("dist_git_branch").to_vec(),
        };
        let (count, items) = store::list_releases(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("release")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get_release(conn, key)?.map(|r| r.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        self.get_with(conn, key, &ListQuery::default())
    }
    fn detail_params(&self) -> &'static [&'static str] {
        &["disable_overrides"]
    }
    /// `releases/{id}/rpm-mapping/{package}/`: the mapping in the release's
    /// newest compose.
    fn get_with(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        q: &ListQuery,
    ) -> Result<Option<Value>, PdcError> {
        if let Some((id, package)) = key.split_once("/rpm-mapping/") {
            let Some((compose, _)) = almanac_store::overrides::latest_compose(conn, id)? else {
                return Ok(None);
            };
            return super::composes::rpm_mapping(conn, compose, id, package, q);
        }
        Ok(store::get_release(conn, key)?.as_ref().map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        Ok(to_json(&save_release(conn, None, body, false, changes)?))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let old = store::get_release(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(to_json(&save_release(
            conn,
            Some(old),
            body,
            partial,
            changes,
        )?))
    }
}

/// Creates or updates a release from a PDC body. A PUT erases what it does
/// not name (bindings included); a PATCH keeps it.
pub fn save_release(
    conn: &mut dyn Conn,
    old: Option<Release>,
    body: &Map<String, Value>,
    partial: bool,
    changes: &mut Vec<Change>,
) -> Result<Release, PdcError> {
    check_body(body, &RELEASE_WRITABLE, &["release_id", "compose_set"])?;
    let keep = partial && old.is_some();
    let req = |field: &str, old_value: Option<&String>| -> Result<String, PdcError> {
        match (text(body, field)?, old_value) {
            (Some(v), _) => Ok(v),
            (None, Some(v)) if keep => Ok(v.clone()),
            _ => Err(PdcError::required(field)),
        }
    };
    let opt =
        |field: &str, old_value: Option<&Option<String>>| -> Result<Option<String>, PdcError> {
            match body.get(field) {
                Some(_) => text(body, field),
                None if keep => Ok(old_value.cloned().flatten()),
                None => Ok(None),
            }
        };
    let short = parse_short("short", &req("short", old.as_ref().map(|o| &o.short))?)?;
    let version = parse_version(
        "version",
        &req("version", old.as_ref().map(|o| &o.version))?,
    )?;
    let name = req("name", old.as_ref().map(|o| &o.name))?;
    let release_type = req("release_type", old.as_ref().map(|o| &o.release_type))?;
    choice(
        conn,
        "release_type",
        &release_type,
        "release_types",
        "short",
    )?;
    let base_product = opt("base_product", old.as_ref().map(|o| &o.base_product))?;
    let product_version = opt("product_version", old.as_ref().map(|o| &o.product_version))?;
    let integrated_with = opt("integrated_with", old.as_ref().map(|o| &o.integrated_with))?;
    let sigkey = opt("sigkey", old.as_ref().map(|o| &o.sigkey))?;
    if let Some(b) = &base_product {
        must_exist(conn, "base_product", b, "base_products", "base_product_id")?;
    }
    if let Some(p) = &product_version {
        must_exist(
            conn,
            "product_version",
            p,
            "product_versions",
            "product_version_id",
        )?;
    }
    if let Some(i) = &integrated_with {
        must_exist(conn, "integrated_with", i, "releases", "release_id")?;
    }
    if let Some(s) = &sigkey {
        must_exist(conn, "sigkey", s, "sigkeys", "key_id")?;
    }
    let flag = |field: &str, old_value: Option<bool>, default: bool| -> Result<bool, PdcError> {
        Ok(match boolean(body, field)? {
            Some(v) => v,
            None if keep => old_value.unwrap_or(default),
            None => default,
        })
    };
    let list = |field: &str, old_value: Option<&Vec<String>>| -> Result<Vec<String>, PdcError> {
        Ok(match string_list(body, field)? {
            Some(v) => v,
            None if keep => old_value.cloned().unwrap_or_default(),
            None => Vec::new(),
        })
    };
    let services = list(
        "allowed_debuginfo_services",
        old.as_ref().map(|o| &o.allowed_debuginfo_services),
    )?;
    for s in &services {
        choice(conn, "allowed_debuginfo_services", s, "services", "name")?;
    }
    let bugzilla = match nested(body, "bugzilla", "product")? {
        Some(v) => v.map(|product| Bugzilla { product }),
        None if keep => old.as_ref().and_then(|o| o.bugzilla.clone()),
        None => None,
    };
    let dist_git = match nested(body, "dist_git", "branch")? {
        Some(v) => v.map(|branch| DistGit { branch }),
        None if keep => old.as_ref().and_then(|o| o.dist_git.clone()),
        None => None,
    };
    let new = Release {
        id: 0,
        release_id: release_id(&short, &version, &release_type, base_product.as_deref()),
        short,
        version,
        name,
        base_product,
        active: flag("active", old.as_ref().map(|o| o.active), true)?,
        product_version,
        release_type,
        compose_set: Vec::new(),
        integrated_with,
        sigkey,
        allow_buildroot_push: flag(
            "allow_buildroot_push",
            old.as_ref().map(|o| o.allow_buildroot_push),
            false,
        )?,
        allowed_debuginfo_services: services,
        allowed_push_targets: list(
            "allowed_push_targets",
            old.as_ref().map(|o| &o.allowed_push_targets),
        )?,
        bugzilla,
        dist_git,
    };
    if old.as_ref().is_none_or(|o| o.release_id != new.release_id)
        && store::get_release(conn, &new.release_id)?.is_some()
    {
        return Err(PdcError::unique_set(&[
            "short",
            "version",
            "release_type",
            "base_product",
        ]));
    }
    Ok(store::save_release(conn, old.as_ref(), &new, changes)?)
}

// ---------------------------------------------------------------------------

pub struct ReleaseVariants;

fn split_variant_key(key: &str) -> Option<(&str, &str)> {
    key.split_once('/')
        .filter(|(r, u)| !r.is_empty() && !u.is_empty() && !u.contains('/'))
}

impl Resource for ReleaseVariants {
    fn prefix(&self) -> &'static str {
        "release-variants"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release",
            "id",
            "uid",
            "name",
            "type",
            "variant_version",
            "variant_release",
            "allowed_push_targets",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "uid", "variant_uid", "name", "release", "type"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "release",
            "id",
            "uid",
            "name",
            "type",
            "arches",
            "variant_version",
            "variant_release",
            "allowed_push_targets",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::VariantFilter {
            releases: q.values("release").to_vec(),
            ids: q.values("id").to_vec(),
            uids: q.values("uid").to_vec(),
            names: q.values("name").to_vec(),
            types: q.values("type").to_vec(),
            variant_versions: q.values("variant_version").to_vec(),
            variant_releases: q.values("variant_release").to_vec(),
            allowed_push_targets: q.values("allowed_push_targets").to_vec(),
        };
        let (count, items) = store::list_variants(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("variant")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(match split_variant_key(key) {
            Some((release, uid)) => store::get_variant(conn, release, uid)?.map(|v| v.pk),
            None => None,
        })
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some((release, uid)) = split_variant_key(key) else {
            return Ok(None);
        };
        Ok(store::get_variant(conn, release, uid)?
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
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let (release, uid) = split_variant_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::get_variant(conn, release, uid)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let (release, uid) = split_variant_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::get_variant(conn, release, uid)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete_variant(conn, &old, changes)?)
    }
}

impl ReleaseVariants {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<ReleaseVariant>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let mut writable = vec![
            "release",
            "id",
            "uid",
            "name",
            "type",
            "arches",
            "variant_version",
            "variant_release",
            "allowed_push_targets",
        ];
        if old.is_some() {
            writable.extend(["add_arches", "remove_arches"]);
        }
        check_body(body, &writable, &[])?;
        let keep = partial && old.is_some();
        let req = |field: &str, old_value: Option<&String>| -> Result<String, PdcError> {
            match (text(body, field)?, old_value) {
                (Some(v), _) => Ok(v),
                (None, Some(v)) if keep => Ok(v.clone()),
                _ => Err(PdcError::required(field)),
            }
        };
        let release = req("release", old.as_ref().map(|o| &o.release))?;
        must_exist(conn, "release", &release, "releases", "release_id")?;
        let uid = req("uid", old.as_ref().map(|o| &o.uid))?;
        if uid.contains('/') {
            return Err(PdcError::field("uid", "uid must not contain '/'"));
        }
        let variant_type = req("type", old.as_ref().map(|o| &o.variant_type))?;
        choice(conn, "type", &variant_type, "variant_types", "name")?;
        let optional =
            |field: &str, old_value: Option<&Option<String>>| -> Result<Option<String>, PdcError> {
                match body.get(field) {
                    Some(_) => text(body, field),
                    None if keep => Ok(old_value.cloned().flatten()),
                    None => Ok(None),
                }
            };
        let mut arches = match string_list(body, "arches")? {
            Some(a) => {
                if body.contains_key("add_arches") || body.contains_key("remove_arches") {
                    return Err(PdcError::bad_request(
                        "Can not combine arches with add_arches or remove_arches.",
                    ));
                }
                a
            }
            None if keep => old.as_ref().map(|o| o.arches.clone()).unwrap_or_default(),
            None => Vec::new(),
        };
        for a in string_list(body, "add_arches")?.unwrap_or_default() {
            if !arches.contains(&a) {
                arches.push(a);
            }
        }
        let removed = string_list(body, "remove_arches")?.unwrap_or_default();
        arches.retain(|a| !removed.contains(a));
        for a in &arches {
            must_exist(conn, "arches", a, "arches", "name")?;
        }
        arches.sort();
        let new = ReleaseVariant {
            pk: 0,
            release: release.clone(),
            id: req("id", old.as_ref().map(|o| &o.id))?,
            uid: uid.clone(),
            name: req("name", old.as_ref().map(|o| &o.name))?,
            variant_type,
            arches,
            variant_version: optional("variant_version", old.as_ref().map(|o| &o.variant_version))?,
            variant_release: optional("variant_release", old.as_ref().map(|o| &o.variant_release))?,
            allowed_push_targets: match string_list(body, "allowed_push_targets")? {
                Some(l) => l,
                None if keep => old
                    .as_ref()
                    .map(|o| o.allowed_push_targets.clone())
                    .unwrap_or_default(),
                None => Vec::new(),
            },
        };
        let moved = old
            .as_ref()
            .is_none_or(|o| o.release != new.release || o.uid != new.uid);
        if moved && store::get_variant(conn, &release, &uid)?.is_some() {
            return Err(PdcError::unique_set(&["release", "variant_uid"]));
        }
        Ok(to_json(&store::save_variant(
            conn,
            old.as_ref(),
            &new,
            changes,
        )?))
    }
}
