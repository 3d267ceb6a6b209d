//! PDC's release RPCs: `rpc/release/clone/`, `rpc/release/clone-components/`
//! and `rpc/release/import-from-composeinfo/`. Each runs in one transaction
//! and records one changeset.

use super::error::PdcError;
use super::handlers::{API_ROOT, authorize, json_body, recorded_write};
use super::resources::releases::save_release;
use super::resources::to_json;
use crate::AppState;
use crate::routes::Routes;
use almanac_model::productmd::parse_composeinfo;
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::components::{CloneComponents, clone_components};
use almanac_store::release_import::import_release;
use almanac_store::releases::{self as store, ReleaseVariant, VariantFilter};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{API_ROOT}/rpc/release/clone/"), post(clone))
        .route(
            &format!("{API_ROOT}/rpc/release/clone-components/"),
            post(clone_components_rpc),
        )
        .route(
            &format!("{API_ROOT}/rpc/release/import-from-composeinfo/"),
            post(import_from_composeinfo),
        )
}

fn object(body: Value) -> Result<Map<String, Value>, PdcError> {
    match body {
        Value::Object(o) => Ok(o),
        _ => Err(PdcError::bad_request("Invalid input: must be a dict.")),
    }
}

fn flag(body: &mut Map<String, Value>, field: &str, default: bool) -> Result<bool, PdcError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) => super::query::parse_bool(&s)
            .ok_or_else(|| PdcError::field(field, "Must be a valid boolean.")),
        Some(_) => Err(PdcError::field(field, "Must be a valid boolean.")),
    }
}

fn opt_string(body: &mut Map<String, Value>, field: &str) -> Result<Option<String>, PdcError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(PdcError::field(field, "Not a valid string.")),
    }
}

/// `include_trees`: `["Server.x86_64", ...]`; `None` means every tree.
fn trees(body: &mut Map<String, Value>) -> Result<Option<Vec<(String, String)>>, PdcError> {
    match body.remove("include_trees") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .and_then(|t| t.rsplit_once('.'))
                    .map(|(v, a)| (v.to_string(), a.to_string()))
                    .ok_or_else(|| {
                        PdcError::field(
                            "include_trees",
                            format!("{t} is not a tree: use \"Variant.arch\"."),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(PdcError::field(
            "include_trees",
            "Expected a list of \"Variant.arch\".",
        )),
    }
}

/// `POST rpc/release/clone/`: a new release from an old one, with the body's
/// fields overriding the old values, and its variants (or the trees asked
/// for), component groups, components and their relationships.
async fn clone(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    let actor = authorize(&state, &headers, "releases", "create").await?;
    let mut body = object(json_body(&state, body).await?)?;
    let answer = recorded_write(&state, actor, move |c, changes| {
        let old_id = match body.remove("old_release_id") {
            Some(Value::String(s)) => s,
            _ => {
                return Err(PdcError::new(
                    StatusCode::BAD_REQUEST,
                    json!({"__all__": "Missing old_release_id"}),
                ));
            }
        };
        let old = store::get_release(c, &old_id)?.ok_or_else(|| {
            PdcError::field(
                "old_release_id",
                format!("Release {old_id} does not exist."),
            )
        })?;
        let include_trees = trees(&mut body)?;
        let include_inactive = flag(&mut body, "include_inactive", true)?;
        let branch = opt_string(&mut body, "component_dist_git_branch")?;
        let mut fields = match to_json(&old) {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        fields.remove("release_id");
        fields.remove("compose_set");
        for (k, v) in body {
            fields.insert(k, v);
        }
        // The same release_id again is refused as a duplicate by save_release.
        let new = save_release(c, None, &fields, false, changes)?;
        clone_variants(c, &old.release_id, &new.release_id, include_trees, changes)?;
        clone_components(
            c,
            &CloneComponents {
                from_release: old.id,
                to_release: new.id,
                include_inactive,
                dist_git_branch: branch.as_deref(),
            },
            changes,
        )?;
        Ok(to_json(&new))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

fn clone_variants(
    conn: &mut dyn Conn,
    from: &str,
    to: &str,
    include_trees: Option<Vec<(String, String)>>,
    changes: &mut Vec<Change>,
) -> Result<(), PdcError> {
    let f = VariantFilter {
        releases: vec![from.to_string()],
        ..Default::default()
    };
    let variants = store::list_variants(conn, &f, &[], None)?.1;
    if let Some(trees) = &include_trees {
        for (uid, arch) in trees {
            if !variants
                .iter()
                .any(|v| &v.uid == uid && v.arches.contains(arch))
            {
                return Err(PdcError::field(
                    "include_trees",
                    format!("{uid}.{arch} is not in release {from}."),
                ));
            }
        }
    }
    for v in variants {
        let arches: Vec<String> = match &include_trees {
            None => v.arches.clone(),
            Some(trees) => v
                .arches
                .iter()
                .filter(|a| trees.iter().any(|(u, t)| *u == v.uid && t == *a))
                .cloned()
                .collect(),
        };
        if arches.is_empty() {
            continue;
        }
        let copy = ReleaseVariant {
            pk: 0,
            release: to.to_string(),
            arches,
            ..v
        };
        store::save_variant(conn, None, &copy, changes)?;
    }
    Ok(())
}

/// `POST rpc/release/clone-components/`: copies one release's components
/// (with their groups and relationships) into another, active, release.
async fn clone_components_rpc(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    let actor = authorize(&state, &headers, "release-components", "create").await?;
    let base = state.base_url(&headers);
    let mut body = object(json_body(&state, body).await?)?;
    let answer = recorded_write(&state, actor, move |c, changes| {
        let source = opt_string(&mut body, "source_release_id")?
            .ok_or_else(|| PdcError::required("source_release_id"))?;
        let target = opt_string(&mut body, "target_release_id")?
            .ok_or_else(|| PdcError::required("target_release_id"))?;
        let include_inactive = flag(&mut body, "include_inactive", true)?;
        let branch = opt_string(&mut body, "component_dist_git_branch")?;
        if let Some(k) = body.keys().next() {
            return Err(PdcError::bad_request(format!("Unknown fields: \"{k}\".")));
        }
        let from = store::get_release(c, &source)?.ok_or_else(|| {
            PdcError::field(
                "source_release_id",
                format!("Release {source} does not exist."),
            )
        })?;
        let to = store::get_release(c, &target)?.ok_or_else(|| {
            PdcError::field(
                "target_release_id",
                format!("Release {target} does not exist."),
            )
        })?;
        if !to.active {
            return Err(PdcError::field(
                "target_release_id",
                format!("Release {target} is not active."),
            ));
        }
        if !almanac_store::components::release_has_components(c, from.id)? {
            return Err(PdcError::field(
                "source_release_id",
                format!("Release {source} has no components."),
            ));
        }
        clone_components(
            c,
            &CloneComponents {
                from_release: from.id,
                to_release: to.id,
                include_inactive,
                dist_git_branch: branch.as_deref(),
            },
            changes,
        )?;
        Ok(json!({ "url": format!("{base}{API_ROOT}/release-components/?release={target}") }))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// `POST rpc/release/import-from-composeinfo/` with a `composeinfo.json` as
/// the body: its release, product, product version, base product, variants
/// and arches, got or created; 201 with the release's URL. A file productmd
/// would not read is refused with the place and the reason.
async fn import_from_composeinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    let actor = authorize(&state, &headers, "releases", "create").await?;
    let base = state.base_url(&headers);
    let bytes = crate::body::read_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|e| PdcError::bad_request(e.to_string()))?;
    let info = parse_composeinfo(&bytes[..]).map_err(|e| PdcError::metadata(&e))?;
    let answer = recorded_write(&state, actor, move |c, changes| {
        let imported = import_release(c, &info, changes)?;
        Ok(json!({
            "url": format!("{base}{API_ROOT}/releases/{}/", imported.release.release_id),
            "created": imported.created,
            "new_arches": imported.new_arches,
        }))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}
