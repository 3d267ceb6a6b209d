//! Products and product versions (PDC's `products/`, `product-versions/`).
//! `active` is derived: a product (version) is active when one of its
//! releases is. Lists are one count, one page query and one query for the
//! page's children, whatever the page size.

use crate::changes::Change;
use crate::db::{Conn, Row, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub short: String,
    pub active: bool,
    pub product_versions: Vec<String>,
    pub allowed_push_targets: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub names: Vec<String>,
    pub shorts: Vec<String>,
    pub active: Option<bool>,
    pub allowed_push_targets: Vec<String>,
}

const PRODUCT_ACTIVE: &str = "EXISTS (SELECT 1 FROM releases r JOIN product_versions pv ON pv.id = r.product_version_id \
                              WHERE pv.product_id = p.id AND r.active = TRUE)";

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn push_target_condition(l: &mut Listing, column: &str, targets: &[String]) {
    // Push targets are kept as a JSON list; any of the asked ones matches.
    let mut alternatives = Vec::new();
    for t in targets {
        let p = l.sql.bind(format!("%\"{}\"%", t.replace('"', "")));
        alternatives.push(format!("{column} LIKE {p}"));
    }
    if !alternatives.is_empty() {
        l.condition(format!("({})", alternatives.join(" OR ")));
    }
}

pub fn list_products(
    conn: &mut dyn Conn,
    f: &ProductFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Product>)> {
    let mut l = Listing::new("products p");
    l.any_of("p.name", &f.names)
        .any_of("p.short", &f.shorts)
        .boolean(PRODUCT_ACTIVE, f.active);
    push_target_condition(&mut l, "p.allowed_push_targets", &f.allowed_push_targets);
    let order = order_by(
        ordering,
        &[("id", "p.id"), ("name", "p.name"), ("short", "p.short")],
        "p.id",
    );
    let select = format!("p.id, p.name, p.short, {PRODUCT_ACTIVE}, p.allowed_push_targets");
    let (count, rows) = l.run(conn, &select, &order, page)?;
    let products = read_products(conn, rows)?;
    Ok((count, products))
}

fn read_products(conn: &mut dyn Conn, rows: Vec<Row>) -> StoreResult<Vec<Product>> {
    let mut products = rows
        .into_iter()
        .map(|mut r| {
            Ok(Product {
                id: r.int(0)?,
                name: r.text(1)?,
                short: r.text(2)?,
                active: r.bool(3)?,
                product_versions: Vec::new(),
                allowed_push_targets: json_list(&r.text(4)?),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let mut children: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT product_id, product_version_id FROM product_versions WHERE product_id = ANY($1) ORDER BY sort_key",
        &[Value::IntList(ids)],
    )? {
        children.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    for p in &mut products {
        p.product_versions = children.remove(&p.id).unwrap_or_default();
    }
    Ok(products)
}

pub fn get_product(conn: &mut dyn Conn, short: &str) -> StoreResult<Option<Product>> {
    let (_, mut products) = list_products(
        conn,
        &ProductFilter {
            shorts: vec![short.to_string()],
            ..Default::default()
        },
        &[],
        None,
    )?;
    Ok(products.pop())
}

/// A product's writable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInput {
    pub short: String,
    pub name: String,
    pub allowed_push_targets: Vec<String>,
}

/// Creates (when `existing` is `None`) or replaces a product.
pub fn save_product(
    conn: &mut dyn Conn,
    existing: Option<&Product>,
    input: &ProductInput,
    changes: &mut Vec<Change>,
) -> StoreResult<Product> {
    let targets = serde_json::to_string(&input.allowed_push_targets).expect("strings serialize");
    crate::db::save_row(
        conn,
        "products",
        &["short", "name", "allowed_push_targets"],
        vec![
            input.short.clone().into(),
            input.name.clone().into(),
            targets.into(),
        ],
        existing.map(|o| o.id),
    )?;
    let saved = get_product(conn, &input.short)?
        .ok_or_else(|| StoreError::Internal("saved product vanished".into()))?;
    record(changes, "product", saved.id, existing, Some(&saved));
    Ok(saved)
}

/// Adds a change when the object's exported value differs.
pub fn record<T: Serialize>(
    changes: &mut Vec<Change>,
    class: &'static str,
    id: i64,
    old: Option<&T>,
    new: Option<&T>,
) {
    let old = old.map(|o| serde_json::to_value(o).expect("serializes"));
    let new = new.map(|n| serde_json::to_value(n).expect("serializes"));
    if old != new {
        changes.push(Change {
            target_class: class,
            target_id: id,
            old,
            new,
        });
    }
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductVersion {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub short: String,
    pub version: String,
    pub product_version_id: String,
    pub active: bool,
    pub product: String,
    pub releases: Vec<String>,
    pub allowed_push_targets: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductVersionFilter {
    pub names: Vec<String>,
    pub shorts: Vec<String>,
    pub versions: Vec<String>,
    pub product_version_ids: Vec<String>,
    pub active: Option<bool>,
    pub allowed_push_targets: Vec<String>,
}

const PV_ACTIVE: &str =
    "EXISTS (SELECT 1 FROM releases r WHERE r.product_version_id = pv.id AND r.active = TRUE)";

pub fn list_product_versions(
    conn: &mut dyn Conn,
    f: &ProductVersionFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ProductVersion>)> {
    let mut l = Listing::new("product_versions pv JOIN products p ON p.id = pv.product_id");
    l.any_of("pv.name", &f.names)
        .any_of("pv.short", &f.shorts)
        .any_of("pv.version", &f.versions)
        .any_of("pv.product_version_id", &f.product_version_ids)
        .boolean(PV_ACTIVE, f.active);
    push_target_condition(&mut l, "pv.allowed_push_targets", &f.allowed_push_targets);
    let order = order_by(
        ordering,
        &[
            ("id", "pv.id"),
            ("name", "pv.name"),
            ("short", "pv.short"),
            ("version", "pv.version"),
            ("product_version_id", "pv.product_version_id"),
            ("product", "p.short"),
        ],
        "pv.id",
    );
    let select = format!(
        "pv.id, pv.name, pv.short, pv.version, pv.product_version_id, {PV_ACTIVE}, p.short, pv.allowed_push_targets"
    );
    let (count, rows) = l.run(conn, &select, &order, page)?;
    let mut versions = rows
        .into_iter()
        .map(|mut r| {
            Ok(ProductVersion {
                id: r.int(0)?,
                name: r.text(1)?,
                short: r.text(2)?,
                version: r.text(3)?,
                product_version_id: r.text(4)?,
                active: r.bool(5)?,
                product: r.text(6)?,
                releases: Vec::new(),
                allowed_push_targets: json_list(&r.text(7)?),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
    let mut releases: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT product_version_id, release_id FROM releases WHERE product_version_id = ANY($1) ORDER BY sort_key, id",
        &[Value::IntList(ids)],
    )? {
        releases.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    for v in &mut versions {
        v.releases = releases.remove(&v.id).unwrap_or_default();
    }
    Ok((count, versions))
}

pub fn get_product_version(
    conn: &mut dyn Conn,
    product_version_id: &str,
) -> StoreResult<Option<ProductVersion>> {
    let f = ProductVersionFilter {
        product_version_ids: vec![product_version_id.to_string()],
        ..Default::default()
    };
    Ok(list_product_versions(conn, &f, &[], None)?.1.pop())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductVersionInput {
    pub name: String,
    pub short: String,
    pub version: String,
    /// The product's short name.
    pub product: String,
    pub allowed_push_targets: Vec<String>,
}

/// Creates or replaces a product version; the product must exist (the caller
/// says so with a proper error first).
pub fn save_product_version(
    conn: &mut dyn Conn,
    existing: Option<&ProductVersion>,
    input: &ProductVersionInput,
    changes: &mut Vec<Change>,
) -> StoreResult<ProductVersion> {
    let product_id = conn
        .query_opt(
            "SELECT id FROM products WHERE short = $1",
            &[input.product.clone().into()],
        )?
        .ok_or_else(|| StoreError::Internal(format!("product {} vanished", input.product)))?
        .int(0)?;
    let pv_id = almanac_model::product::product_version_id(&input.short, &input.version);
    let targets = serde_json::to_string(&input.allowed_push_targets).expect("strings serialize");
    let params: Vec<Value> = vec![
        product_id.into(),
        pv_id.clone().into(),
        input.short.clone().into(),
        input.version.clone().into(),
        input.name.clone().into(),
        targets.into(),
        almanac_model::product::sort_key(&input.short, &input.version).into(),
    ];
    save_row(
        conn,
        "product_versions",
        &[
            "product_id",
            "product_version_id",
            "short",
            "version",
            "name",
            "allowed_push_targets",
            "sort_key",
        ],
        params,
        existing.map(|o| o.id),
    )?;
    let saved = get_product_version(conn, &pv_id)?
        .ok_or_else(|| StoreError::Internal("saved product version vanished".into()))?;
    record(changes, "productversion", saved.id, existing, Some(&saved));
    Ok(saved)
}
