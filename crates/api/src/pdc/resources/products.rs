//! `products/` and `product-versions/`.

use super::keep_or;
use super::to_json;
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, string_list, text};
use almanac_model::product::{parse_short, parse_version};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::products::{
    self as store, ProductFilter, ProductInput, ProductVersionFilter, ProductVersionInput,
};
use serde_json::{Map, Value};

pub struct Products;

impl Resource for Products {
    fn prefix(&self) -> &'static str {
        "products"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["name", "short", "active", "allowed_push_targets"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name", "short"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "name",
            "short",
            "active",
            "product_versions",
            "allowed_push_targets",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = ProductFilter {
            names: q.values("name").to_vec(),
            shorts: q.values("short").to_vec(),
            active: q.boolean("active")?,
            allowed_push_targets: q.values("allowed_push_targets").to_vec(),
        };
        let (count, items) = store::list_products(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn history_class(&self) -> Option<&'static str> {
        Some("product")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get_product(conn, key)?.map(|p| p.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get_product(conn, key)?.as_ref().map(to_json))
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
        let old = store::get_product(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
}

impl Products {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<store::Product>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["name", "short", "allowed_push_targets"],
            &["active", "product_versions"],
        )?;
        let input = match &old {
            None => ProductInput {
                short: parse_short("short", &required_text(body, "short")?)?,
                name: required_text(body, "name")?,
                allowed_push_targets: string_list(body, "allowed_push_targets")?
                    .unwrap_or_default(),
            },
            Some(o) => ProductInput {
                short: match text(body, "short")? {
                    Some(s) => parse_short("short", &s)?,
                    None => keep_or("short", None, o.short.clone(), partial, true)?,
                },
                name: keep_or("name", text(body, "name")?, o.name.clone(), partial, true)?,
                allowed_push_targets: keep_or(
                    "allowed_push_targets",
                    string_list(body, "allowed_push_targets")?,
                    if partial {
                        o.allowed_push_targets.clone()
                    } else {
                        Vec::new()
                    },
                    partial,
                    false,
                )?,
            },
        };
        let renamed = old.as_ref().is_none_or(|o| o.short != input.short);
        if renamed && store::get_product(conn, &input.short)?.is_some() {
            return Err(PdcError::unique_field("short"));
        }
        Ok(to_json(&store::save_product(
            conn,
            old.as_ref(),
            &input,
            changes,
        )?))
    }
}

pub struct ProductVersions;

impl Resource for ProductVersions {
    fn prefix(&self) -> &'static str {
        "product-versions"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "name",
            "short",
            "version",
            "product_version_id",
            "active",
            "allowed_push_targets",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "short",
            "version",
            "product_version_id",
            "product",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "name",
            "short",
            "version",
            "product_version_id",
            "active",
            "product",
            "releases",
            "allowed_push_targets",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = ProductVersionFilter {
            names: q.values("name").to_vec(),
            shorts: q.values("short").to_vec(),
            versions: q.values("version").to_vec(),
            product_version_ids: q.values("product_version_id").to_vec(),
            active: q.boolean("active")?,
            allowed_push_targets: q.values("allowed_push_targets").to_vec(),
        };
        let (count, items) = store::list_product_versions(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn history_class(&self) -> Option<&'static str> {
        Some("productversion")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get_product_version(conn, key)?.map(|p| p.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get_product_version(conn, key)?.as_ref().map(to_json))
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
        let old = store::get_product_version(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(old), body, partial, changes)
    }
}

impl ProductVersions {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<store::ProductVersion>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &[
                "name",
                "short",
                "version",
                "product",
                "allowed_push_targets",
            ],
            &["product_version_id", "active", "releases"],
        )?;
        let (old_name, old_short, old_version, old_product, old_targets) = match &old {
            Some(o) => (
                Some(o.name.clone()),
                Some(o.short.clone()),
                Some(o.version.clone()),
                Some(o.product.clone()),
                o.allowed_push_targets.clone(),
            ),
            None => (None, None, None, None, Vec::new()),
        };
        let editing = old.is_some();
        let given = |field: &str| text(body, field);
        let product = match (given("product")?, old_product) {
            (Some(p), _) => p,
            (None, Some(p)) if partial || editing => p,
            _ => return Err(PdcError::required("product")),
        };
        if store::get_product(conn, &product)?.is_none() {
            return Err(PdcError::field(
                "product",
                format!("Object with short={product} does not exist."),
            ));
        }
        let name = match (given("name")?, old_name) {
            (Some(n), _) => n,
            (None, Some(n)) if partial => n,
            _ => return Err(PdcError::required("name")),
        };
        let version = match (given("version")?, old_version) {
            (Some(v), _) => parse_version("version", &v)?,
            (None, Some(v)) if partial => v,
            _ => return Err(PdcError::required("version")),
        };
        // The short name defaults to the product's.
        let short = match (given("short")?, old_short) {
            (Some(s), _) => parse_short("short", &s)?,
            (None, Some(s)) if partial => s,
            _ => product.clone(),
        };
        let allowed_push_targets = match string_list(body, "allowed_push_targets")? {
            Some(l) => l,
            None if partial => old_targets,
            None => Vec::new(),
        };
        let input = ProductVersionInput {
            name,
            short,
            version,
            product,
            allowed_push_targets,
        };
        let new_id = almanac_model::product::product_version_id(&input.short, &input.version);
        let renamed = old.as_ref().is_none_or(|o| o.product_version_id != new_id);
        if renamed && store::get_product_version(conn, &new_id)?.is_some() {
            return Err(PdcError::unique_set(&["short", "version"]));
        }
        Ok(to_json(&store::save_product_version(
            conn,
            old.as_ref(),
            &input,
            changes,
        )?))
    }
}
