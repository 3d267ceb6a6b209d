//! PDC's compose imports and finders: `POST compose-rpms/`,
//! `POST compose-images/` and `POST rpc/compose-full-import/` (productmd
//! manifests in, one transaction, one changeset), `GET compose-rpms/{id}/`
//! and `GET compose-images/{id}/` (the manifests out again), and the
//! `rpc/find-compose*` family.
//!
//! Unlike PDC: the rpm manifest is streamed into the store (never held as a
//! tree of JSON objects), compose type `ci` and arches Almanac has not seen
//! are accepted (the answer names the new arches), and a release that does
//! not exist and that composeinfo does not describe is a 400 naming it.

use super::error::PdcError;
use super::handlers::{API_ROOT, authorize, read, recorded_write};
use super::query::{check_known, pairs, parse_bool};
use super::resources::to_json;
use crate::AppState;
use crate::routes::Routes;
use almanac_model::productmd::{
    ImagesManifest, RpmsWriter, images_json, parse_composeinfo, parse_images,
};
use almanac_store::compose_import::{ComposeImport, ImportSummary, TreeLocation, import_compose};
use almanac_store::composes::{self as store, RpmFinder};
use almanac_store::packages::{self, RpmFilter};

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn routes() -> Routes {
    Routes::new()
        .route(
            &format!("{API_ROOT}/compose-rpms/"),
            get(|| async { PdcError::method_not_allowed("GET") }).post(import_rpms),
        )
        .route(
            &format!("{API_ROOT}/compose-rpms/{{id}}/"),
            get(export_rpms),
        )
        .route(
            &format!("{API_ROOT}/compose-images/"),
            get(|| async { PdcError::method_not_allowed("GET") }).post(import_images),
        )
        .route(
            &format!("{API_ROOT}/compose-images/{{id}}/"),
            get(export_images),
        )
        .route(
            &format!("{API_ROOT}/rpc/compose-full-import/"),
            axum::routing::post(full_import),
        )
        .route(
            &format!("{API_ROOT}/rpc/overrides-rpm/clone/"),
            axum::routing::post(clone_overrides),
        )
        .route(
            &format!("{API_ROOT}/rpc/find-compose-by-release-rpm/{{release}}/{{rpm}}/"),
            get(find_by_release_rpm),
        )
        .route(
            &format!("{API_ROOT}/rpc/find-composes-by-product-version-rpm/{{pv}}/{{rpm}}/"),
            get(find_by_product_version_rpm),
        )
        .route(
            &format!("{API_ROOT}/rpc/find-older-compose-by-compose-rpm/{{compose}}/{{rpm}}/"),
            get(find_older),
        )
}

/// The prefixes this module serves, for the API root.
pub const PREFIXES: [&str; 7] = [
    "rpc/overrides-rpm/clone",
    "compose-rpms",
    "compose-images",
    "rpc/compose-full-import",
    "rpc/find-compose-by-release-rpm",
    "rpc/find-composes-by-product-version-rpm",
    "rpc/find-older-compose-by-compose-rpm",
];

/// An import body's keys, each read as raw JSON so the rpm manifest can be
/// streamed from the request's bytes.
fn import_fields<'a>(
    bytes: &'a [u8],
    required: &[&str],
) -> Result<BTreeMap<String, &'a RawValue>, PdcError> {
    let fields: BTreeMap<String, &RawValue> = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            PdcError::bad_request("Invalid input: must be a dict.")
        } else {
            PdcError::bad_request(format!("JSON parse error - {e}"))
        }
    })?;
    let mut errors = serde_json::Map::new();
    for k in fields.keys() {
        if !required.contains(&k.as_str()) {
            errors.insert(k.clone(), json!(["This field is illegal"]));
        }
    }
    for k in required {
        if !fields.contains_key(*k) {
            errors.insert(k.to_string(), json!(["This field is required"]));
        }
    }
    if !errors.is_empty() {
        return Err(PdcError::new(
            StatusCode::BAD_REQUEST,
            Value::Object(errors),
        ));
    }
    Ok(fields)
}

fn string_field(fields: &BTreeMap<String, &RawValue>, key: &str) -> Result<String, PdcError> {
    serde_json::from_str::<String>(fields[key].get())
        .map_err(|_| PdcError::field(key, "Not a valid string."))
}

/// What the three import endpoints read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Import {
    Rpms,
    Images,
    Full,
}

impl Import {
    fn fields(self) -> &'static [&'static str] {
        match self {
            Import::Rpms => &["release_id", "composeinfo", "rpm_manifest"],
            Import::Images => &["release_id", "composeinfo", "image_manifest"],
            Import::Full => &[
                "release_id",
                "composeinfo",
                "rpm_manifest",
                "image_manifest",
                "location",
                "url",
                "scheme",
            ],
        }
    }
    fn resource(self) -> &'static str {
        match self {
            Import::Rpms => "compose-rpms",
            Import::Images => "compose-images",
            Import::Full => "rpc/compose-full-import",
        }
    }
}

async fn import_rpms(s: State<AppState>, h: HeaderMap, b: Body) -> Result<Response, PdcError> {
    import(s, h, b, Import::Rpms).await
}
async fn import_images(s: State<AppState>, h: HeaderMap, b: Body) -> Result<Response, PdcError> {
    import(s, h, b, Import::Images).await
}
async fn full_import(s: State<AppState>, h: HeaderMap, b: Body) -> Result<Response, PdcError> {
    import(s, h, b, Import::Full).await
}

async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
    kind: Import,
) -> Result<Response, PdcError> {
    let actor = authorize(&state, &headers, kind.resource(), "create").await?;
    let bytes: Bytes = crate::body::read_bytes(body, state.settings.max_import_bytes)
        .await
        .map_err(|e| match e {
            crate::body::BodyError::TooLarge(_) => {
                PdcError::detail(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            other => PdcError::bad_request(other.to_string()),
        })?;
    // Checked before the write begins, so a bad body costs the writer nothing.
    let fields = import_fields(&bytes, kind.fields())?;
    let info = parse_composeinfo(fields["composeinfo"].get().as_bytes())?;
    let images = match fields.get("image_manifest") {
        Some(raw) => Some(parse_images(raw.get().as_bytes())?),
        None => None,
    };
    let location = match kind {
        Import::Full => Some(TreeLocation {
            location: string_field(&fields, "location")?,
            scheme: string_field(&fields, "scheme")?,
            url: string_field(&fields, "url")?,
        }),
        _ => None,
    };
    let release_id = string_field(&fields, "release_id")?;
    drop(fields);
    let summary = recorded_write(&state, actor, move |c, changes| {
        let fields = import_fields(&bytes, kind.fields())?;
        let composeinfo = fields["composeinfo"].get();
        let mut rpms = fields.get("rpm_manifest").map(|raw| raw.get().as_bytes());
        let summary = import_compose(
            c,
            ComposeImport {
                info: &info,
                composeinfo_json: composeinfo,
                release_id: Some(&release_id),
                rpms: rpms.as_mut().map(|r| r as &mut dyn std::io::Read),
                images: images.as_ref(),
                location,
            },
            changes,
        )?;
        Ok::<ImportSummary, PdcError>(summary)
    })
    .await?;
    let mut answer = json!({ "compose": summary.compose.compose_id });
    match kind {
        Import::Rpms => answer["imported rpms"] = json!(summary.rpms),
        Import::Images => answer["imported images"] = json!(summary.images),
        Import::Full => {
            answer["imported rpms"] = json!(summary.rpms);
            answer["imported images"] = json!(summary.images);
            answer["set_locations"] = json!(summary.locations);
        }
    }
    answer["new_arches"] = json!(summary.new_arches);
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

fn no_params(uri: &axum::http::Uri) -> Result<(), PdcError> {
    check_known(&pairs(uri), &[])
}

/// `GET compose-rpms/{id}/`: the compose's `rpms.json`, rebuilt from the store.
async fn export_rpms(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, PdcError> {
    no_params(&uri)?;
    let body = state
        .store
        .read(move |c| {
            let Some(compose) = store::get_compose(c, &id)? else {
                return Ok(None);
            };
            let header = store::compose_header(c, compose.pk)?;
            let mut w = RpmsWriter::new(Vec::with_capacity(1 << 16), &header)
                .map_err(|e| almanac_store::StoreError::Internal(e.to_string()))?;
            store::for_each_rpm(c, compose.pk, |e| {
                w.push(&e)
                    .map_err(|e| almanac_store::StoreError::Internal(e.to_string()))
            })?;
            w.finish()
                .map(Some)
                .map_err(|e| almanac_store::StoreError::Internal(e.to_string()))
        })
        .await?
        .ok_or_else(PdcError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET compose-images/{id}/`: the compose's `images.json`.
async fn export_images(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, PdcError> {
    no_params(&uri)?;
    let doc = state
        .store
        .read(move |c| {
            let Some(compose) = store::get_compose(c, &id)? else {
                return Ok(None);
            };
            let header = store::compose_header(c, compose.pk)?;
            let images = store::compose_images(c, compose.pk)?;
            Ok(Some(images_json(
                &header,
                &ImagesManifest {
                    compose: header.clone(),
                    images,
                }
                .images,
            )))
        })
        .await?
        .ok_or_else(PdcError::not_found)?;
    Ok(axum::Json(doc).into_response())
}

/// `POST rpc/overrides-rpm/clone/`: copies the source release's overrides
/// (those matching the optional `variant`, `arch`, `srpm_name`, `rpm_name`,
/// `rpm_arch`) into the target release; 201 with the ones created, or 200
/// when the target had them all already.
async fn clone_overrides(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    use almanac_store::overrides::{self, OverrideFilter};
    let actor = authorize(&state, &headers, "overrides/rpm", "create").await?;
    let body = super::handlers::json_body(&state, body).await?;
    let (created, answer) = recorded_write(&state, actor, move |c, changes| {
        let body = body
            .as_object()
            .ok_or_else(|| PdcError::bad_request("Invalid input: must be a dict."))?;
        super::resource::check_body(
            body,
            &[
                "source_release_id",
                "target_release_id",
                "variant",
                "arch",
                "srpm_name",
                "rpm_name",
                "rpm_arch",
            ],
            &[],
        )?;
        let text = |k: &str| super::resource::text(body, k);
        let source = super::resource::required_text(body, "source_release_id")?;
        let target = super::resource::required_text(body, "target_release_id")?;
        for (field, release) in [
            ("source_release_id", &source),
            ("target_release_id", &target),
        ] {
            if almanac_store::releases::get_release(c, release)?.is_none() {
                return Err(PdcError::field(
                    field,
                    format!("Release {release} does not exist."),
                ));
            }
        }
        let one = |k: &str| -> Result<Vec<String>, PdcError> { Ok(text(k)?.into_iter().collect()) };
        let f = OverrideFilter {
            releases: vec![source.clone()],
            variants: one("variant")?,
            arches: one("arch")?,
            srpm_names: one("srpm_name")?,
            rpm_names: one("rpm_name")?,
            rpm_arches: one("rpm_arch")?,
            ..Default::default()
        };
        let existing = overrides::list_overrides(
            c,
            &OverrideFilter {
                releases: vec![target.clone()],
                ..Default::default()
            },
            &[],
            None,
        )?
        .1;
        let key = |o: &overrides::Override| {
            (
                o.variant.clone(),
                o.arch.clone(),
                o.rpm_name.clone(),
                o.rpm_arch.clone(),
            )
        };
        let taken: std::collections::BTreeSet<_> = existing.iter().map(key).collect();
        let mut created = Vec::new();
        for o in overrides::list_overrides(c, &f, &[], None)?.1 {
            if taken.contains(&key(&o)) {
                continue;
            }
            let copy = overrides::Override {
                release: target.clone(),
                ..o
            };
            created.push(to_json(&overrides::create_override(c, &copy, changes)?));
        }
        Ok((!created.is_empty(), Value::Array(created)))
    })
    .await?;
    if created {
        Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
    } else {
        Ok(
            axum::Json(json!({"detail": "overridesRPMs have existed in target release"}))
                .into_response(),
        )
    }
}

/// The finders' shared parameters.
struct FinderParams {
    included: Vec<String>,
    excluded: Vec<String>,
    latest: bool,
    to_dict: bool,
}

fn finder_params(uri: &axum::http::Uri) -> Result<FinderParams, PdcError> {
    let pairs = pairs(uri);
    check_known(
        &pairs,
        &[
            "included_compose_type",
            "excluded_compose_type",
            "latest",
            "to_dict",
        ],
    )?;
    let mut p = FinderParams {
        included: Vec::new(),
        excluded: Vec::new(),
        latest: false,
        to_dict: false,
    };
    for (k, v) in pairs {
        let flag = || {
            parse_bool(&v)
                .ok_or_else(|| PdcError::bad_request(format!("{v} is not a valid boolean value")))
        };
        match k.as_str() {
            "included_compose_type" => p.included.push(v),
            "excluded_compose_type" => p.excluded.push(v),
            "latest" => p.latest = flag()?,
            "to_dict" => p.to_dict = flag()?,
            _ => {}
        }
    }
    Ok(p)
}

/// The finders' answer: `[{compose, packages}]`, packages as `nevra.rpm`
/// or, with `to_dict`, as rpm objects.
fn finder_answer(
    c: &mut dyn almanac_store::Conn,
    mut found: Vec<store::ComposeRpms>,
    p: &FinderParams,
) -> Result<Value, PdcError> {
    if p.latest {
        found = found.pop().into_iter().collect();
    }
    let mut out = Vec::new();
    for f in found {
        let packages: Vec<Value> = if p.to_dict {
            let nevras: Vec<String> = f
                .packages
                .iter()
                .map(|p| p.trim_end_matches(".rpm").to_string())
                .collect();
            let rpms = packages::list_rpms(
                c,
                &RpmFilter {
                    nevras,
                    ..Default::default()
                },
                &[],
                None,
            )?
            .1;
            rpms.iter()
                .map(|r| {
                    let mut v = to_json(r);
                    if let Some(o) = v.as_object_mut() {
                        o.remove("dependencies");
                    }
                    v
                })
                .collect()
        } else {
            f.packages.iter().map(|p| json!(p)).collect()
        };
        out.push(json!({"compose": f.compose, "packages": packages}));
    }
    Ok(Value::Array(out))
}

/// The composes of `releases` holding an rpm called `rpm`, answered as the
/// finders answer.
fn find_in(
    c: &mut dyn almanac_store::Conn,
    releases: Vec<String>,
    rpm: &str,
    p: &FinderParams,
) -> Result<Value, PdcError> {
    let found = store::find_composes_by_rpm(
        c,
        &RpmFinder {
            releases,
            rpm_name: rpm.to_string(),
            included_types: p.included.clone(),
            excluded_types: p.excluded.clone(),
        },
    )?;
    finder_answer(c, found, p)
}

async fn find_by_release_rpm(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path((release, rpm)): Path<(String, String)>,
) -> Result<Response, PdcError> {
    let p = finder_params(&uri)?;
    let answer = read(&state, move |c| {
        if almanac_store::releases::get_release(c, &release)?.is_none() {
            return Err(PdcError::not_found());
        }
        find_in(c, vec![release.clone()], &rpm, &p)
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn find_by_product_version_rpm(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path((pv, rpm)): Path<(String, String)>,
) -> Result<Response, PdcError> {
    let p = finder_params(&uri)?;
    let answer = read(&state, move |c| {
        let releases =
            store::releases_of_product_version(c, &pv)?.ok_or_else(PdcError::not_found)?;
        find_in(c, releases, &rpm, &p)
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn find_older(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path((compose, rpm)): Path<(String, String)>,
) -> Result<Response, PdcError> {
    let p = finder_params(&uri)?;
    let answer = read(&state, move |c| {
        let compose = store::get_compose(c, &compose)?.ok_or_else(PdcError::not_found)?;
        let found = store::find_older_compose_with_rpm(c, &compose, &rpm)?
            .ok_or_else(PdcError::not_found)?;
        let mut list = finder_answer(c, vec![found], &p)?;
        Ok(list
            .as_array_mut()
            .and_then(|l| l.pop())
            .unwrap_or(Value::Null))
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}
