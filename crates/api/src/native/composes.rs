//! Composes beyond PDC: diffs, QE status, image sizes over time, and what
//! was produced between two dates.

use super::{NativeError, ROOT};
use crate::AppState;
use crate::routes::Routes;
use almanac_model::compose_diff::render_text;
use almanac_model::decision::{Subject, product_version_of};
use almanac_model::results::ResultQuery;
use almanac_model::svg::{Point, size_chart};
use almanac_store::composes::{self as store, ComposeFilter, SizeQuery};
use axum::Json;

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Instant;

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{ROOT}/composes/{{id}}/diff"), get(diff))
        .route(&format!("{ROOT}/composes/{{id}}/qe"), get(qe))
        .route(&format!("{ROOT}/image-sizes"), get(sizes))
        .route(&format!("{ROOT}/image-sizes.svg"), get(sizes_svg))
        .route(&format!("{ROOT}/produced"), get(produced))
}

/// The query's parameters, refusing any `allowed` does not name; each at
/// most once.
fn params(uri: &Uri, allowed: &[&str]) -> Result<BTreeMap<String, String>, NativeError> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(NativeError::bad(
                &k,
                format!("unknown parameter '{k}': use {}", allowed.join(", ")),
            ));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(NativeError::bad(&k, format!("'{k}' is given twice")));
        }
    }
    Ok(out)
}

fn flag(p: &BTreeMap<String, String>, name: &str) -> Result<bool, NativeError> {
    match p.get(name).map(String::as_str) {
        None => Ok(false),
        Some(v) => crate::pdc::query::parse_bool(v)
            .ok_or_else(|| NativeError::bad(name, format!("'{v}' is not true or false"))),
    }
}

fn date(p: &BTreeMap<String, String>, name: &str) -> Result<Option<String>, NativeError> {
    match p.get(name) {
        None => Ok(None),
        Some(d) => {
            let ok = d.len() == 10
                && d.bytes().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if ok {
                Ok(Some(d.clone()))
            } else {
                Err(NativeError::bad(
                    name,
                    format!("'{d}' is not a date YYYY-MM-DD"),
                ))
            }
        }
    }
}

async fn read<T, F>(state: &AppState, f: F) -> Result<T, NativeError>
where
    T: Send + 'static,
    F: Fn(&mut dyn almanac_store::Conn) -> almanac_store::StoreResult<T> + Send + 'static,
{
    state.store.read(f).await.map_err(NativeError::from)
}

/// `GET composes/{id}/diff?against=OLDER&format=json|text&verbose=true`:
/// what changed from `against` (by default the compose before it in its
/// release) to this compose, per variant and arch.
async fn diff(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, NativeError> {
    let p = params(&uri, &["against", "format", "verbose"])?;
    let text = match p.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("text") => true,
        Some(other) => {
            return Err(NativeError::bad(
                "format",
                format!("'{other}' is not json or text"),
            ));
        }
    };
    let verbose = flag(&p, "verbose")?;
    let against = p.get("against").cloned();
    let started = Instant::now();
    let result = read(&state, move |c| {
        let Some(compose) = store::get_compose(c, &id)? else {
            return Ok(Err(format!("There is no compose {id}.")));
        };
        let old = match &against {
            Some(a) => a.clone(),
            None => match store::previous_compose(c, &compose)? {
                Some(prev) => prev,
                None => {
                    return Ok(Err(format!(
                        "Compose {id} is the first of release {}: name one to compare with in 'against'.",
                        compose.release
                    )));
                }
            },
        };
        Ok(store::diff(c, &old, &id)?.map_err(|missing| format!("There is no compose {missing}.")))
    })
    .await?
    .map_err(NativeError::not_found)?;
    let took = HeaderValue::from_str(&format!("{:.1}", started.elapsed().as_secs_f64() * 1e3))
        .expect("digits");
    let mut response = if text {
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            render_text(&result, verbose),
        )
            .into_response()
    } else {
        Json(result).into_response()
    };
    response.headers_mut().insert("almanac-took-ms", took);
    Ok(response)
}

/// `GET composes/{id}/qe[?decision_context=C[&product_version=P]]`: the
/// compose's acceptance testing state, the release testing state of its
/// trees, and the results of tests on it (item or `productmd.compose.id` the
/// compose id) and on its images (item the image's file name), with the
/// latest outcome per item and testcase. With a decision context, also the
/// gating decision of the compose and of each image under it (the product
/// version by default guessed from the compose id, `Fedora-41-...` is
/// `fedora-41`).
async fn qe(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, NativeError> {
    let p = params(&uri, &["decision_context", "product_version"])?;
    let context = p.get("decision_context").cloned();
    let product_version = p.get("product_version").cloned();
    let api = format!("{}/api/v2.0", state.base_url(&headers));
    let limits = state.settings.page_limits;
    let outcomes = state.settings.outcomes.clone();
    let gating = state.settings.gating.clone();
    let (compose, results, decisions) = read(&state, move |c| {
        let Some(compose) = store::get_compose(c, &id)? else {
            return Ok(None);
        };
        let images: Vec<String> = store::compose_images(c, compose.pk)?
            .into_iter()
            .map(|i| i.file_name)
            .collect();
        let decisions = match &context {
            None => None,
            Some(ctx) => {
                let subject = |t: &str, id: &str| Subject {
                    subject_type: t.to_string(),
                    identifier: id.to_string(),
                };
                let compose_subject = subject("compose", &compose.compose_id);
                let pv = product_version
                    .clone()
                    .or_else(|| product_version_of(&compose_subject))
                    .unwrap_or_default();
                let contexts = vec![ctx.clone()];
                let mut one = |s: Subject| -> almanac_store::StoreResult<Value> {
                    let d = crate::gating::decide_subjects(
                        c,
                        &gating,
                        &outcomes,
                        limits,
                        std::slice::from_ref(&s),
                        &pv,
                        &contexts,
                    )?;
                    Ok(match d {
                        Ok(d) => d.to_json(),
                        Err(message) => json!({ "message": message }),
                    })
                };
                let compose_decision = one(compose_subject.clone())?;
                let mut per_image = Vec::new();
                for file in &images {
                    per_image
                        .push(json!({"file_name": file, "decision": one(subject("image", file))?}));
                }
                Some(json!({"decision_context": ctx, "product_version": pv,
                            "compose": compose_decision, "images": per_image}))
            }
        };
        let mut items = vec![compose.compose_id.clone()];
        items.extend(images);
        let mut found = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for pairs in [
            vec![("item".to_string(), items.join(","))],
            vec![(
                "productmd.compose.id".to_string(),
                compose.compose_id.clone(),
            )],
        ] {
            let mut pairs = pairs;
            pairs.push(("limit".into(), limits.max.to_string()));
            let q = ResultQuery::from_pairs(&pairs, &outcomes, limits)?;
            for r in almanac_store::results::list(c, &q)? {
                if seen.insert(r.id) {
                    found.push(r);
                }
            }
        }
        Ok(Some((compose, found, decisions)))
    })
    .await?
    .ok_or_else(|| NativeError::not_found("There is no such compose."))?;
    // The latest result per (item, testcase) decides; newest first.
    let mut latest: BTreeMap<(String, String), (i64, String)> = BTreeMap::new();
    let mut listed = Vec::new();
    for r in &results {
        let data: Value = serde_json::from_str(&r.data_json).unwrap_or(Value::Null);
        let item = data
            .get("item")
            .and_then(|v| v.get(0))
            .and_then(Value::as_str)
            .unwrap_or(&compose.compose_id)
            .to_string();
        let key = (item, r.testcase.name.clone());
        let newer = latest
            .get(&key)
            .is_none_or(|(t, _)| r.submit_time.micros() > *t);
        if newer {
            latest.insert(key, (r.submit_time.micros(), r.outcome.clone()));
        }
        listed.push(serde_json::to_value(r.to_json(&api)).unwrap_or(Value::Null));
    }
    let mut summary: BTreeMap<String, u64> = BTreeMap::new();
    for (_, outcome) in latest.values() {
        *summary.entry(outcome.clone()).or_default() += 1;
    }
    let latest: Vec<Value> = latest
        .into_iter()
        .map(|((item, testcase), (_, outcome))| {
            json!({"item": item, "testcase": testcase, "outcome": outcome})
        })
        .collect();
    let mut answer = json!({
        "compose_id": compose.compose_id,
        "release": compose.release,
        "acceptance_testing": compose.acceptance_testing,
        "rtt_tested_architectures": compose.rtt_tested_architectures,
        "summary": summary,
        "latest": latest,
        "results": listed,
    });
    if let Some(d) = decisions {
        answer["decisions"] = d;
    }
    Ok(Json(answer).into_response())
}

const SIZE_PARAMS: [&str; 6] = [
    "release",
    "variant",
    "arch",
    "image_type",
    "format",
    "subvariant",
];

fn size_query(uri: &Uri) -> Result<SizeQuery, NativeError> {
    let p = params(uri, &SIZE_PARAMS)?;
    let req = |name: &str| {
        p.get(name)
            .cloned()
            .ok_or_else(|| NativeError::bad(name, format!("'{name}' is required")))
    };
    Ok(SizeQuery {
        release: req("release")?,
        variant: req("variant")?,
        arch: req("arch")?,
        image_type: req("image_type")?,
        format: p.get("format").cloned(),
        subvariant: p.get("subvariant").cloned(),
    })
}

/// `GET image-sizes?release=&variant=&arch=&image_type=[&format=&subvariant=]`:
/// the image's size in each compose of the release, oldest first.
async fn sizes(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, NativeError> {
    let q = size_query(&uri)?;
    let echo = json!({
        "release": q.release, "variant": q.variant, "arch": q.arch,
        "image_type": q.image_type, "format": q.format, "subvariant": q.subvariant,
    });
    let points = read(&state, move |c| store::image_size_history(c, &q)).await?;
    Ok(Json(json!({"query": echo, "points": points})).into_response())
}

/// The same as an SVG chart, each point linked to its compose.
async fn sizes_svg(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, NativeError> {
    let q = size_query(&uri)?;
    let title = format!(
        "{} {} {} {}{}",
        q.release,
        q.variant,
        q.arch,
        q.image_type,
        q.format
            .as_ref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default()
    );
    let points = read(&state, move |c| store::image_size_history(c, &q)).await?;
    let points: Vec<Point> = points
        .into_iter()
        .map(|p| Point {
            href: format!("/rest_api/v1/composes/{}/", p.compose_id),
            label: p.compose_id,
            date: p.compose_date,
            value: p.size.max(0) as u64,
        })
        .collect();
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        size_chart(&title, &points),
    )
        .into_response())
}

/// `GET produced?after=YYYY-MM-DD&before=YYYY-MM-DD[&release=]`: every
/// compose dated in the range (both ends included), oldest first, with its
/// counts and images.
async fn produced(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, NativeError> {
    let p = params(&uri, &["after", "before", "release", "deleted"])?;
    let f = ComposeFilter {
        date_after: date(&p, "after")?,
        date_before: date(&p, "before")?,
        releases: p.get("release").cloned().into_iter().collect(),
        deleted: Some(flag(&p, "deleted")?),
        ..Default::default()
    };
    let composes = read(&state, move |c| {
        let (_, composes) = store::list_composes(c, &f, &["compose_date".to_string()], None)?;
        let mut out = Vec::new();
        for compose in composes {
            let images = store::compose_images(c, compose.pk)?;
            out.push(json!({
                "compose_id": compose.compose_id,
                "release": compose.release,
                "compose_date": compose.compose_date,
                "compose_type": compose.compose_type,
                "acceptance_testing": compose.acceptance_testing,
                "rpms": compose.rpm_count,
                "imported_at": compose.imported_at.to_iso_z(),
                "images": images.iter().map(|i| json!({
                    "variant": i.variant, "arch": i.arch, "file_name": i.file_name,
                    "type": i.image_type, "format": i.format, "size": i.size,
                })).collect::<Vec<_>>(),
            }));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(json!({"count": composes.len(), "composes": composes})).into_response())
}
