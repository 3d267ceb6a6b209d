//! Releases and what they are made of (PDC's release app): release types,
//! base products, sigkeys, arches, releases with their bindings (bugzilla
//! product, dist-git branch) and release variants with their arches.

use crate::changes::Change;
use crate::db::{Conn, Row, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use serde::Serialize;
use std::collections::HashMap;

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn to_json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialize")
}

/// The id of the row of `table` whose `column` is `value`.
pub fn id_of(
    conn: &mut dyn Conn,
    table: &str,
    column: &str,
    value: &str,
) -> StoreResult<Option<i64>> {
    conn.query_opt(
        &format!("SELECT id FROM {table} WHERE {column} = $1"),
        &[value.into()],
    )?
    .map(|r| r.int(0))
    .transpose()
    .map_err(Into::into)
}

/// The ids of the rows whose `column` is one of `values`, by value.
pub fn ids_of(
    conn: &mut dyn Conn,
    table: &str,
    column: &str,
    values: &[String],
) -> StoreResult<HashMap<String, i64>> {
    conn.query(
        &format!("SELECT {column}, id FROM {table} WHERE {column} = ANY($1)"),
        &[Value::TextList(values.to_vec())],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}

/// Every value of `column` in `table`, ordered (choices for error messages).
pub fn names(conn: &mut dyn Conn, table: &str, column: &str) -> StoreResult<Vec<String>> {
    conn.query(&format!("SELECT {column} FROM {table} ORDER BY id"), &[])?
        .into_iter()
        .map(|mut r| r.text(0).map_err(Into::into))
        .collect()
}

// ---------------------------------------------------------------------------
// Release types and arches: reference data.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseType {
    pub short: String,
    pub name: String,
    pub suffix: String,
}

pub fn list_release_types(
    conn: &mut dyn Conn,
    names_containing: &[String],
    shorts: &[String],
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ReleaseType>)> {
    let mut l = Listing::new("release_types t");
    l.contains_ci("t.name", names_containing)
        .any_of("t.short", shorts);
    let order = order_by(
        ordering,
        &[("id", "t.id"), ("short", "t.short"), ("name", "t.name")],
        "t.id",
    );
    let (count, rows) = l.run(conn, "t.short, t.name, t.suffix", &order, page)?;
    let types = rows
        .into_iter()
        .map(|mut r| {
            Ok(ReleaseType {
                short: r.text(0)?,
                name: r.text(1)?,
                suffix: r.text(2)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, types))
}

pub fn list_arches(
    conn: &mut dyn Conn,
    names: &[String],
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<String>)> {
    let mut l = Listing::new("arches a");
    l.any_of("a.name", names);
    let order = order_by(ordering, &[("id", "a.id"), ("name", "a.name")], "a.id");
    let (count, rows) = l.run(conn, "a.name", &order, page)?;
    Ok((
        count,
        rows.into_iter()
            .map(|mut r| r.text(0))
            .collect::<Result<_, _>>()?,
    ))
}

pub fn create_arch(conn: &mut dyn Conn, name: &str, changes: &mut Vec<Change>) -> StoreResult<()> {
    let row = conn
        .query_opt(
            "INSERT INTO arches (name) VALUES ($1) RETURNING id",
            &[name.into()],
        )?
        .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?;
    record(
        changes,
        "arch",
        row.int(0)?,
        None,
        Some(&serde_json::json!({ "name": name })),
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Sigkeys.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sigkey {
    #[serde(skip)]
    pub id: i64,
    pub name: Option<String>,
    pub key_id: String,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct SigkeyFilter {
    pub key_ids: Vec<String>,
    pub names: Vec<String>,
    pub descriptions: Vec<String>,
}

pub fn list_sigkeys(
    conn: &mut dyn Conn,
    f: &SigkeyFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Sigkey>)> {
    let mut l = Listing::new("sigkeys s");
    l.any_of("s.key_id", &f.key_ids)
        .any_of("s.name", &f.names)
        .contains_ci("s.description", &f.descriptions);
    let order = order_by(
        ordering,
        &[("id", "s.id"), ("key_id", "s.key_id"), ("name", "s.name")],
        "s.id",
    );
    let (count, rows) = l.run(conn, "s.id, s.name, s.key_id, s.description", &order, page)?;
    let keys = rows
        .into_iter()
        .map(|mut r| {
            Ok(Sigkey {
                id: r.int(0)?,
                name: r.opt_text(1)?,
                key_id: r.text(2)?,
                description: r.text(3)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, keys))
}

pub fn get_sigkey(conn: &mut dyn Conn, key_id: &str) -> StoreResult<Option<Sigkey>> {
    let f = SigkeyFilter {
        key_ids: vec![key_id.to_string()],
        ..Default::default()
    };
    Ok(list_sigkeys(conn, &f, &[], None)?.1.pop())
}

pub fn save_sigkey(
    conn: &mut dyn Conn,
    existing: Option<&Sigkey>,
    new: &Sigkey,
    changes: &mut Vec<Change>,
) -> StoreResult<Sigkey> {
    let params: Vec<Value> = vec![
        new.key_id.clone().into(),
        new.name.clone().into(),
        new.description.clone().into(),
    ];
    save_row(
        conn,
        "sigkeys",
        &["key_id", "name", "description"],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_sigkey(conn, &new.key_id)?
        .ok_or_else(|| StoreError::Internal("saved sigkey vanished".into()))?;
    record(changes, "sigkey", saved.id, existing, Some(&saved));
    Ok(saved)
}

// ---------------------------------------------------------------------------
// Base products.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseProduct {
    #[serde(skip)]
    pub id: i64,
    pub base_product_id: String,
    pub short: String,
    pub version: String,
    pub name: String,
    pub release_type: String,
}

#[derive(Debug, Clone, Default)]
pub struct BaseProductFilter {
    pub base_product_ids: Vec<String>,
    pub shorts: Vec<String>,
    pub versions: Vec<String>,
    pub names: Vec<String>,
    pub release_types: Vec<String>,
}

pub fn list_base_products(
    conn: &mut dyn Conn,
    f: &BaseProductFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<BaseProduct>)> {
    let mut l = Listing::new("base_products b JOIN release_types t ON t.id = b.release_type_id");
    l.any_of("b.base_product_id", &f.base_product_ids)
        .any_of("b.short", &f.shorts)
        .any_of("b.version", &f.versions)
        .any_of("b.name", &f.names)
        .any_of("t.short", &f.release_types);
    let order = order_by(
        ordering,
        &[
            ("id", "b.id"),
            ("base_product_id", "b.base_product_id"),
            ("short", "b.short"),
            ("version", "b.version"),
            ("name", "b.name"),
        ],
        "b.id",
    );
    let (count, rows) = l.run(
        conn,
        "b.id, b.base_product_id, b.short, b.version, b.name, t.short",
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(BaseProduct {
                id: r.int(0)?,
                base_product_id: r.text(1)?,
                short: r.text(2)?,
                version: r.text(3)?,
                name: r.text(4)?,
                release_type: r.text(5)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((count, items))
}

pub fn get_base_product(
    conn: &mut dyn Conn,
    base_product_id: &str,
) -> StoreResult<Option<BaseProduct>> {
    let f = BaseProductFilter {
        base_product_ids: vec![base_product_id.to_string()],
        ..Default::default()
    };
    Ok(list_base_products(conn, &f, &[], None)?.1.pop())
}

/// Creates or replaces a base product; `new.base_product_id` is derived by
/// the caller and the release type must exist.
pub fn save_base_product(
    conn: &mut dyn Conn,
    existing: Option<&BaseProduct>,
    new: &BaseProduct,
    changes: &mut Vec<Change>,
) -> StoreResult<BaseProduct> {
    let type_id = id_of(conn, "release_types", "short", &new.release_type)?.ok_or_else(|| {
        StoreError::Internal(format!("release type {} vanished", new.release_type))
    })?;
    let params: Vec<Value> = vec![
        new.base_product_id.clone().into(),
        new.short.clone().into(),
        new.version.clone().into(),
        new.name.clone().into(),
        type_id.into(),
    ];
    save_row(
        conn,
        "base_products",
        &[
            "base_product_id",
            "short",
            "version",
            "name",
            "release_type_id",
        ],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_base_product(conn, &new.base_product_id)?
        .ok_or_else(|| StoreError::Internal("saved base product vanished".into()))?;
    record(changes, "baseproduct", saved.id, existing, Some(&saved));
    Ok(saved)
}

// ---------------------------------------------------------------------------
// Releases.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bugzilla {
    pub product: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistGit {
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    #[serde(skip)]
    pub id: i64,
    pub release_id: String,
    pub short: String,
    pub version: String,
    pub name: String,
    pub base_product: Option<String>,
    pub active: bool,
    pub product_version: Option<String>,
    pub release_type: String,
    /// The release's composes (the composes issue fills them).
    pub compose_set: Vec<String>,
    pub integrated_with: Option<String>,
    pub sigkey: Option<String>,
    pub allow_buildroot_push: bool,
    pub allowed_debuginfo_services: Vec<String>,
    pub allowed_push_targets: Vec<String>,
    pub bugzilla: Option<Bugzilla>,
    pub dist_git: Option<DistGit>,
}

#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub release_ids: Vec<String>,
    pub base_products: Vec<String>,
    pub has_base_product: Option<bool>,
    pub release_types: Vec<String>,
    pub product_versions: Vec<String>,
    /// `null` selects releases integrated with none.
    pub integrated_with: Vec<String>,
    pub active: Option<bool>,
    pub names: Vec<String>,
    pub shorts: Vec<String>,
    pub versions: Vec<String>,
    pub sigkeys: Vec<String>,
    pub allow_buildroot_push: Option<bool>,
    pub allowed_debuginfo_services: Vec<String>,
    pub allowed_push_targets: Vec<String>,
    pub bugzilla_products: Vec<String>,
    pub dist_git_branches: Vec<String>,
}

const RELEASE_FROM: &str = "releases r
    JOIN release_types t ON t.id = r.release_type_id
    LEFT JOIN base_products b ON b.id = r.base_product_id
    LEFT JOIN product_versions pv ON pv.id = r.product_version_id
    LEFT JOIN releases iw ON iw.id = r.integrated_with_id
    LEFT JOIN sigkeys s ON s.id = r.sigkey_id";

const RELEASE_COLUMNS: &str = "r.id, r.release_id, r.short, r.version, r.name, b.base_product_id, r.active, \
    pv.product_version_id, t.short, iw.release_id, s.key_id, r.allow_buildroot_push, r.allowed_debuginfo_services, \
    r.allowed_push_targets, r.bugzilla_product, r.dist_git_branch";

fn json_contains_any(l: &mut Listing, column: &str, values: &[String]) {
    let mut alternatives = Vec::new();
    for v in values {
        let p = l.sql.bind(format!("%\"{}\"%", v.replace('"', "")));
        alternatives.push(format!("{column} LIKE {p}"));
    }
    if !alternatives.is_empty() {
        l.condition(format!("({})", alternatives.join(" OR ")));
    }
}

fn read_release(mut r: Row) -> StoreResult<Release> {
    Ok(Release {
        id: r.int(0)?,
        release_id: r.text(1)?,
        short: r.text(2)?,
        version: r.text(3)?,
        name: r.text(4)?,
        base_product: r.opt_text(5)?,
        active: r.bool(6)?,
        product_version: r.opt_text(7)?,
        release_type: r.text(8)?,
        compose_set: Vec::new(),
        integrated_with: r.opt_text(9)?,
        sigkey: r.opt_text(10)?,
        allow_buildroot_push: r.bool(11)?,
        allowed_debuginfo_services: json_list(&r.text(12)?),
        allowed_push_targets: json_list(&r.text(13)?),
        bugzilla: r.opt_text(14)?.map(|product| Bugzilla { product }),
        dist_git: r.opt_text(15)?.map(|branch| DistGit { branch }),
    })
}

/// Releases, by default in PDC's order: short, then version numerically.
pub fn list_releases(
    conn: &mut dyn Conn,
    f: &ReleaseFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Release>)> {
    let mut l = Listing::new(RELEASE_FROM);
    l.any_of("r.release_id", &f.release_ids)
        .any_of("b.base_product_id", &f.base_products)
        .boolean("r.base_product_id IS NOT NULL", f.has_base_product)
        .any_of("t.short", &f.release_types)
        .any_of("pv.product_version_id", &f.product_versions)
        .nullable("iw.release_id", &f.integrated_with)
        .boolean("r.active = TRUE", f.active)
        .any_of("r.name", &f.names)
        .any_of("r.short", &f.shorts)
        .any_of("r.version", &f.versions)
        .any_of("s.key_id", &f.sigkeys)
        .boolean("r.allow_buildroot_push = TRUE", f.allow_buildroot_push)
        .nullable("r.bugzilla_product", &f.bugzilla_products)
        .nullable("r.dist_git_branch", &f.dist_git_branches);
    json_contains_any(
        &mut l,
        "r.allowed_debuginfo_services",
        &f.allowed_debuginfo_services,
    );
    json_contains_any(&mut l, "r.allowed_push_targets", &f.allowed_push_targets);
    let order = order_by(
        ordering,
        &[
            ("id", "r.id"),
            ("release_id", "r.release_id"),
            ("short", "r.short"),
            ("version", "r.sort_key"),
            ("name", "r.name"),
            ("active", "r.active"),
            ("release_type", "t.short"),
            ("product_version", "pv.product_version_id"),
            ("base_product", "b.base_product_id"),
        ],
        "r.sort_key, r.id",
    );
    let (count, rows) = l.run(conn, RELEASE_COLUMNS, &order, page)?;
    let mut releases: Vec<Release> = rows
        .into_iter()
        .map(read_release)
        .collect::<StoreResult<_>>()?;
    if !releases.is_empty() {
        let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
        let mut composes: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for mut r in conn.query(
            "SELECT release_id, compose_id FROM composes WHERE release_id = ANY($1) ORDER BY sort_key",
            &[Value::IntList(ids)],
        )? {
            composes.entry(r.int(0)?).or_default().push(r.text(1)?);
        }
        for r in &mut releases {
            r.compose_set = composes.remove(&r.id).unwrap_or_default();
        }
    }
    Ok((count, releases))
}

pub fn get_release(conn: &mut dyn Conn, release_id: &str) -> StoreResult<Option<Release>> {
    let f = ReleaseFilter {
        release_ids: vec![release_id.to_string()],
        ..Default::default()
    };
    Ok(list_releases(conn, &f, &[], None)?.1.pop())
}

/// Creates or replaces a release. Every reference (`release_type`,
/// `base_product`, `product_version`, `integrated_with`, `sigkey`) must exist
/// and `new.release_id` be derived: the caller checks and says what is wrong.
pub fn save_release(
    conn: &mut dyn Conn,
    existing: Option<&Release>,
    new: &Release,
    changes: &mut Vec<Change>,
) -> StoreResult<Release> {
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let type_id = must(
        "release type",
        id_of(conn, "release_types", "short", &new.release_type)?,
    )?;
    let opt = |conn: &mut dyn Conn,
               table: &str,
               column: &str,
               v: &Option<String>|
     -> StoreResult<Option<i64>> {
        match v {
            Some(v) => Ok(Some(must(table, id_of(conn, table, column, v)?)?)),
            None => Ok(None),
        }
    };
    let base = opt(conn, "base_products", "base_product_id", &new.base_product)?;
    let pv = opt(
        conn,
        "product_versions",
        "product_version_id",
        &new.product_version,
    )?;
    let integrated = opt(conn, "releases", "release_id", &new.integrated_with)?;
    let sigkey = opt(conn, "sigkeys", "key_id", &new.sigkey)?;
    let params: Vec<Value> = vec![
        new.release_id.clone().into(),
        new.short.clone().into(),
        new.version.clone().into(),
        new.name.clone().into(),
        type_id.into(),
        base.into(),
        pv.into(),
        new.active.into(),
        integrated.into(),
        sigkey.into(),
        new.allow_buildroot_push.into(),
        to_json_list(&new.allowed_debuginfo_services).into(),
        to_json_list(&new.allowed_push_targets).into(),
        new.bugzilla.as_ref().map(|b| b.product.clone()).into(),
        new.dist_git.as_ref().map(|d| d.branch.clone()).into(),
        almanac_model::product::sort_key(&new.short, &new.version).into(),
    ];
    save_row(
        conn,
        "releases",
        &[
            "release_id",
            "short",
            "version",
            "name",
            "release_type_id",
            "base_product_id",
            "product_version_id",
            "active",
            "integrated_with_id",
            "sigkey_id",
            "allow_buildroot_push",
            "allowed_debuginfo_services",
            "allowed_push_targets",
            "bugzilla_product",
            "dist_git_branch",
            "sort_key",
        ],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_release(conn, &new.release_id)?
        .ok_or_else(|| StoreError::Internal("saved release vanished".into()))?;
    record(changes, "release", saved.id, existing, Some(&saved));
    Ok(saved)
}

// ---------------------------------------------------------------------------
// Release variants.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseVariant {
    #[serde(skip)]
    pub pk: i64,
    pub release: String,
    pub id: String,
    pub uid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub variant_type: String,
    pub arches: Vec<String>,
    pub variant_version: Option<String>,
    pub variant_release: Option<String>,
    pub allowed_push_targets: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VariantFilter {
    pub releases: Vec<String>,
    pub ids: Vec<String>,
    pub uids: Vec<String>,
    pub names: Vec<String>,
    pub types: Vec<String>,
    pub variant_versions: Vec<String>,
    pub variant_releases: Vec<String>,
    pub allowed_push_targets: Vec<String>,
}

pub fn list_variants(
    conn: &mut dyn Conn,
    f: &VariantFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ReleaseVariant>)> {
    let mut l = Listing::new(
        "release_variants v JOIN releases r ON r.id = v.release_id JOIN variant_types vt ON vt.id = v.variant_type_id",
    );
    l.any_of("r.release_id", &f.releases)
        .any_of("v.variant_id", &f.ids)
        .any_of("v.variant_uid", &f.uids)
        .any_of("v.name", &f.names)
        .any_of("vt.name", &f.types)
        .nullable("v.variant_version", &f.variant_versions)
        .nullable("v.variant_release", &f.variant_releases);
    json_contains_any(&mut l, "v.allowed_push_targets", &f.allowed_push_targets);
    let order = order_by(
        ordering,
        &[
            ("id", "v.variant_id"),
            ("uid", "v.variant_uid"),
            ("variant_uid", "v.variant_uid"),
            ("name", "v.name"),
            ("release", "r.sort_key"),
            ("type", "vt.name"),
        ],
        "v.id",
    );
    let (count, rows) = l.run(
        conn,
        "v.id, r.release_id, v.variant_id, v.variant_uid, v.name, vt.name, v.variant_version, v.variant_release, v.allowed_push_targets",
        &order,
        page,
    )?;
    let mut variants = rows
        .into_iter()
        .map(|mut r| {
            Ok(ReleaseVariant {
                pk: r.int(0)?,
                release: r.text(1)?,
                id: r.text(2)?,
                uid: r.text(3)?,
                name: r.text(4)?,
                variant_type: r.text(5)?,
                arches: Vec::new(),
                variant_version: r.opt_text(6)?,
                variant_release: r.opt_text(7)?,
                allowed_push_targets: json_list(&r.text(8)?),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let pks: Vec<i64> = variants.iter().map(|v| v.pk).collect();
    let mut arches: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT va.variant_id, a.name FROM release_variant_arches va JOIN arches a ON a.id = va.arch_id
          WHERE va.variant_id = ANY($1) ORDER BY a.name",
        &[Value::IntList(pks)],
    )? {
        arches.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    for v in &mut variants {
        v.arches = arches.remove(&v.pk).unwrap_or_default();
    }
    Ok((count, variants))
}

pub fn get_variant(
    conn: &mut dyn Conn,
    release_id: &str,
    uid: &str,
) -> StoreResult<Option<ReleaseVariant>> {
    let f = VariantFilter {
        releases: vec![release_id.to_string()],
        uids: vec![uid.to_string()],
        ..Default::default()
    };
    Ok(list_variants(conn, &f, &[], None)?.1.pop())
}

/// Creates or replaces a variant and its arches (which must exist, as must
/// the release and the variant type).
pub fn save_variant(
    conn: &mut dyn Conn,
    existing: Option<&ReleaseVariant>,
    new: &ReleaseVariant,
    changes: &mut Vec<Change>,
) -> StoreResult<ReleaseVariant> {
    let must = |what: &str, v: Option<i64>| {
        v.ok_or_else(|| StoreError::Internal(format!("{what} vanished")))
    };
    let release = must(
        "release",
        id_of(conn, "releases", "release_id", &new.release)?,
    )?;
    let vtype = must(
        "variant type",
        id_of(conn, "variant_types", "name", &new.variant_type)?,
    )?;
    let params: Vec<Value> = vec![
        release.into(),
        new.uid.clone().into(),
        new.id.clone().into(),
        new.name.clone().into(),
        vtype.into(),
        new.variant_version.clone().into(),
        new.variant_release.clone().into(),
        to_json_list(&new.allowed_push_targets).into(),
    ];
    let pk = save_row(
        conn,
        "release_variants",
        &[
            "release_id",
            "variant_uid",
            "variant_id",
            "name",
            "variant_type_id",
            "variant_version",
            "variant_release",
            "allowed_push_targets",
        ],
        params,
        existing.map(|o| o.pk),
    )?;
    conn.execute(
        "DELETE FROM release_variant_arches WHERE variant_id = $1",
        &[pk.into()],
    )?;
    conn.execute(
        "INSERT INTO release_variant_arches (variant_id, arch_id) SELECT CAST($1 AS BIGINT), id FROM arches WHERE name = ANY($2)",
        &[pk.into(), Value::TextList(new.arches.clone())],
    )?;
    let saved = get_variant(conn, &new.release, &new.uid)?
        .ok_or_else(|| StoreError::Internal("saved variant vanished".into()))?;
    record(changes, "variant", saved.pk, existing, Some(&saved));
    Ok(saved)
}

pub fn delete_variant(
    conn: &mut dyn Conn,
    existing: &ReleaseVariant,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM release_variant_arches WHERE variant_id = $1",
        &[existing.pk.into()],
    )?;
    conn.execute(
        "DELETE FROM release_variants WHERE id = $1",
        &[existing.pk.into()],
    )?;
    record(changes, "variant", existing.pk, Some(existing), None);
    Ok(())
}
