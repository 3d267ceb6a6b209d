//! A release as a compose's `composeinfo.json` describes it, got or created
//! with everything it hangs on: its product and product version (the major
//! version), the base product of a layered release, its variants and their
//! arches (PDC's `rpc/release/import-from-composeinfo`, which the compose
//! import runs first). Importing the same composeinfo twice changes nothing.

use crate::changes::Change;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::products::{self, ProductInput, ProductVersionInput};
use crate::releases::{self, BaseProduct, Release, ReleaseVariant, id_of};
use almanac_model::ModelError;
use almanac_model::product::{parse_short, parse_version, product_version_id, release_id};
use almanac_model::productmd::{ComposeInfo, ProductInfo};

/// What the import found or made.
#[derive(Debug, Clone)]
pub struct ImportedRelease {
    pub release: Release,
    /// Whether the release itself is new.
    pub created: bool,
    /// Arches no release had used before, added on the way.
    pub new_arches: Vec<String>,
}

pub fn import_release(
    conn: &mut dyn Conn,
    info: &ComposeInfo,
    changes: &mut Vec<Change>,
) -> StoreResult<ImportedRelease> {
    let r = &info.release;
    let short = parse_short("payload.release.short", &r.short)?;
    let version = parse_version("payload.release.version", &r.version)?;
    known_release_type(conn, "payload.release.type", &r.release_type)?;
    let base_product = match &info.base_product {
        Some(bp) => Some(base_product(conn, bp, changes)?),
        None => None,
    };
    if products::get_product(conn, &short)?.is_none() {
        let input = ProductInput {
            short: short.clone(),
            name: r.name.clone(),
            allowed_push_targets: Vec::new(),
        };
        products::save_product(conn, None, &input, changes)?;
    }
    let major = version.split('.').next().unwrap_or(&version).to_string();
    let pv_id = product_version_id(&short, &major);
    if products::get_product_version(conn, &pv_id)?.is_none() {
        let input = ProductVersionInput {
            name: format!("{} {major}", r.name),
            short: short.clone(),
            version: major,
            product: short.clone(),
            allowed_push_targets: Vec::new(),
        };
        products::save_product_version(conn, None, &input, changes)?;
    }
    let id = release_id(
        &short,
        &version,
        &r.release_type,
        base_product.as_ref().map(|b| b.base_product_id.as_str()),
    );
    let (release, created) = match releases::get_release(conn, &id)? {
        Some(existing) => (existing, false),
        None => {
            let new = Release {
                id: 0,
                release_id: id.clone(),
                short,
                version,
                name: r.name.clone(),
                base_product: base_product.map(|b| b.base_product_id),
                active: true,
                product_version: Some(pv_id),
                release_type: r.release_type.clone(),
                compose_set: Vec::new(),
                integrated_with: None,
                sigkey: None,
                allow_buildroot_push: false,
                allowed_debuginfo_services: Vec::new(),
                allowed_push_targets: Vec::new(),
                bugzilla: None,
                dist_git: None,
            };
            (releases::save_release(conn, None, &new, changes)?, true)
        }
    };
    let new_arches = import_variants(conn, info, &release.release_id, changes)?;
    Ok(ImportedRelease {
        release,
        created,
        new_arches,
    })
}

fn known_release_type(conn: &mut dyn Conn, field: &str, short: &str) -> StoreResult<()> {
    if id_of(conn, "release_types", "short", short)?.is_some() {
        return Ok(());
    }
    let known = releases::names(conn, "release_types", "short")?;
    Err(StoreError::Invalid(ModelError::new(
        field,
        format!(
            "Release type '{short}' is unknown: use one of {}.",
            known.join(", ")
        ),
    )))
}

fn base_product(
    conn: &mut dyn Conn,
    bp: &ProductInfo,
    changes: &mut Vec<Change>,
) -> StoreResult<BaseProduct> {
    let short = parse_short("payload.base_product.short", &bp.short)?;
    let version = parse_version("payload.base_product.version", &bp.version)?;
    known_release_type(conn, "payload.base_product.type", &bp.release_type)?;
    let id = release_id(&short, &version, &bp.release_type, None);
    if let Some(existing) = releases::get_base_product(conn, &id)? {
        return Ok(existing);
    }
    let new = BaseProduct {
        id: 0,
        base_product_id: id,
        short,
        version,
        name: bp.name.clone(),
        release_type: bp.release_type.clone(),
    };
    releases::save_base_product(conn, None, &new, changes)
}

/// Creates the variants `release` lacks and adds the arches its variants
/// lack; answers the arches that were new to Almanac.
pub fn import_variants(
    conn: &mut dyn Conn,
    info: &ComposeInfo,
    release: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<Vec<String>> {
    let known: Vec<String> = releases::names(conn, "arches", "name")?;
    let mut new_arches: Vec<String> = Vec::new();
    for v in info.all_variants() {
        for arch in &v.arches {
            if !known.contains(arch) && !new_arches.contains(arch) {
                releases::create_arch(conn, arch, changes)?;
                new_arches.push(arch.clone());
            }
        }
        let existing = releases::get_variant(conn, release, &v.uid)?;
        let mut arches: Vec<String> = existing
            .as_ref()
            .map(|e| e.arches.clone())
            .unwrap_or_default();
        for a in &v.arches {
            if !arches.contains(a) {
                arches.push(a.clone());
            }
        }
        arches.sort();
        if existing.as_ref().is_some_and(|e| e.arches == arches) {
            continue;
        }
        let new = match &existing {
            Some(e) => ReleaseVariant {
                arches,
                ..e.clone()
            },
            None => ReleaseVariant {
                pk: 0,
                release: release.to_string(),
                id: v.id.clone(),
                uid: v.uid.clone(),
                name: v.name.clone(),
                variant_type: v.variant_type.clone(),
                arches,
                variant_version: None,
                variant_release: None,
                allowed_push_targets: Vec::new(),
            },
        };
        releases::save_variant(conn, existing.as_ref(), &new, changes)?;
    }
    Ok(new_arches)
}
