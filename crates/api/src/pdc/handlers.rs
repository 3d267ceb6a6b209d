//! The HTTP side of every PDC resource: list, retrieve, create, update and
//! delete, each also in bulk on the list URL, atomic, with one changeset per
//! request. Writes need a token and the group permission for the resource.

use super::error::PdcError;
use super::query::{pairs, parse_list, select_fields};
use super::resource::Resource;
use crate::AppState;
use crate::auth::{self, Caller};
use crate::routes::Routes;
use almanac_model::Timestamp;
use almanac_store::changes::{self, Change};
use almanac_store::{Actor, Conn, permissions};

use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const API_ROOT: &str = "/rest_api/v1";

/// Adds a resource's list and detail routes to `router`.
pub fn mount(router: Routes, res: Arc<dyn Resource>) -> Routes {
    let prefix = res.prefix();
    let (r1, r2, r3, r4, r5) = (
        res.clone(),
        res.clone(),
        res.clone(),
        res.clone(),
        res.clone(),
    );
    let (r6, r7, r8, r9, r10) = (res.clone(), res.clone(), res.clone(), res.clone(), res);
    router
        .route(
            &format!("{API_ROOT}/{prefix}/"),
            get(move |s: State<AppState>, h: HeaderMap, u: OriginalUri| list(r1.clone(), s, h, u))
                .post(move |s: State<AppState>, h: HeaderMap, b: Body| create(r2.clone(), s, h, b))
                .put(move |s: State<AppState>, h: HeaderMap, b: Body| {
                    bulk_update(r3.clone(), s, h, b, false)
                })
                .patch(move |s: State<AppState>, h: HeaderMap, b: Body| {
                    bulk_update(r4.clone(), s, h, b, true)
                })
                .delete(move |s: State<AppState>, h: HeaderMap, b: Body| {
                    bulk_delete(r5.clone(), s, h, b)
                }),
        )
        .route(&format!("{API_ROOT}/{prefix}"), any(append_slash))
        .route(
            &format!("{API_ROOT}/{prefix}/{{*key}}"),
            get(
                move |s: State<AppState>, h: HeaderMap, u: OriginalUri, k: Path<String>| {
                    retrieve(r6.clone(), s, h, u, k)
                },
            )
            .put(
                move |s: State<AppState>,
                      h: HeaderMap,
                      u: OriginalUri,
                      k: Path<String>,
                      b: Body| { update(r7.clone(), s, h, u, k, b, false) },
            )
            .patch(
                move |s: State<AppState>,
                      h: HeaderMap,
                      u: OriginalUri,
                      k: Path<String>,
                      b: Body| { update(r8.clone(), s, h, u, k, b, true) },
            )
            .delete(
                move |s: State<AppState>, h: HeaderMap, k: Path<String>, b: Body| {
                    destroy(r9.clone(), s, h, k, b)
                },
            )
            .post(
                move |s: State<AppState>,
                      h: HeaderMap,
                      u: OriginalUri,
                      k: Path<String>,
                      b: Body| { query_post(r10.clone(), s, h, u, k, b) },
            ),
        )
}

/// PDC's URLs end with `/`; a GET without it is redirected, as Django does.
async fn append_slash(method: axum::http::Method, OriginalUri(uri): OriginalUri) -> Response {
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        let target = match uri.query() {
            Some(q) => format!("{}/?{q}", uri.path()),
            None => format!("{}/", uri.path()),
        };
        Redirect::permanent(&target).into_response()
    } else {
        PdcError::not_found().into_response()
    }
}

/// Runs a read; store failures keep their class so a dead pooled connection
/// is retried.
pub(super) async fn read<T, F>(state: &AppState, f: F) -> Result<T, PdcError>
where
    T: Send + 'static,
    F: Fn(&mut dyn Conn) -> Result<T, PdcError> + Send + 'static,
{
    state
        .store
        .read(move |c| match f(c) {
            Err(PdcError { store: Some(e), .. }) => Err(e),
            other => Ok(other),
        })
        .await
        .map_err(PdcError::from)?
}

/// Who writes, if they may: a token, and the group permission for `action`
/// on the resource (a superuser may do anything).
pub(super) async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    resource: &'static str,
    action: &'static str,
) -> Result<Actor, PdcError> {
    let caller = auth::identify(state, auth::header_token(headers)).await?;
    let user = match caller {
        Caller::Anonymous => {
            return Err(PdcError::detail(
                StatusCode::UNAUTHORIZED,
                "Authentication credentials were not provided.",
            ));
        }
        Caller::BadToken => {
            return Err(PdcError::detail(StatusCode::UNAUTHORIZED, "Invalid token."));
        }
        Caller::User(u) => u,
    };
    if !user.is_superuser {
        let groups = user.groups.clone();
        let allowed = state
            .store
            .read(move |c| permissions::allows(c, &groups, resource, action))
            .await?;
        if !allowed {
            return Err(PdcError::detail(
                StatusCode::FORBIDDEN,
                "You do not have permission to perform this action.",
            ));
        }
    }
    let comment = headers
        .get("pdc-change-comment")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Actor {
        user: Some(user.username),
        comment,
        source: "http".to_string(),
    })
}

pub(super) async fn json_body(state: &AppState, body: Body) -> Result<Value, PdcError> {
    crate::body::read_json(body, state.settings.max_body_bytes)
        .await
        .map_err(|e| match e {
            crate::body::BodyError::TooLarge(_) => {
                PdcError::detail(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            crate::body::BodyError::Malformed(m) => {
                PdcError::bad_request(format!("JSON parse error - {m}"))
            }
            other => PdcError::bad_request(other.to_string()),
        })
}

fn as_object(v: &Value) -> Result<&Map<String, Value>, PdcError> {
    v.as_object()
        .ok_or_else(|| PdcError::bad_request("Invalid input: must be a dict."))
}

/// The error of one item of a bulk request, in PDC's shape.
fn bulk_error(e: PdcError, id: Value, data: Option<&Value>) -> PdcError {
    let detail = match e.body.get("detail") {
        Some(d) if e.body.as_object().is_some_and(|o| o.len() == 1) => d.clone(),
        _ => e.body.clone(),
    };
    let mut body = json!({ "detail": detail, "id_of_invalid_data": id });
    if let Some(d) = data {
        body["invalid_data"] = d.clone();
    }
    PdcError {
        status: e.status,
        body,
        store: e.store,
    }
}

fn page_link(base: &str, uri: &Uri, page: u64) -> String {
    let mut parts: Vec<String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(str::to_string)
        .collect();
    parts.push(format!("page={page}"));
    format!("{base}{}?{}", uri.path(), parts.join("&"))
}

async fn list(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, PdcError> {
    let pairs = pairs(&uri);
    list_page(res, &state, &headers, &uri, &pairs, true).await
}

/// `POST <resource>/query/`: the list with its parameters in a JSON body,
/// for filters too long for a URL (PDC issue 421). A list value means OR,
/// as a repeated parameter does. The answer is the GET list's, without
/// `next` / `previous` links (a GET URL is what the filters did not fit in):
/// ask for another `page` in the body.
async fn query_post(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(key): Path<String>,
    body: Body,
) -> Result<Response, PdcError> {
    if key != "query/" {
        return create_under(res, state, headers, key, body).await;
    }
    let body = json_body(&state, body).await?;
    let obj = as_object(&body)?;
    let mut pairs = Vec::new();
    for (k, v) in obj {
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(PdcError::bad_request(format!(
                        "Query parameter {k} must be a string, a number, a boolean or a list of them."
                    )));
                }
            };
            pairs.push((k.clone(), text));
        }
    }
    list_page(res, &state, &headers, &uri, &pairs, false).await
}

/// A list answer: the envelope (with links when `links`), or a bare list
/// for `page_size` 0 or less.
async fn list_page(
    res: Arc<dyn Resource>,
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    pairs: &[(String, String)],
    links: bool,
) -> Result<Response, PdcError> {
    let mut q = parse_list(pairs, res.filters(), res.ordering())?;
    q.base_url = state.base_url(headers);
    let (r, q2) = (res.clone(), q.clone());
    let (count, mut items) = read(state, move |c| r.list(c, &q2)).await?;
    select_fields(&mut items, &q, res.fields())?;
    let Some((page, size)) = q.page else {
        return Ok(axum::Json(Value::Array(items)).into_response());
    };
    if page > 1 && items.is_empty() {
        return Err(PdcError::detail(StatusCode::NOT_FOUND, "Invalid page."));
    }
    let base = state.base_url(headers);
    let next = (links && (page * size) < count as u64).then(|| page_link(&base, uri, page + 1));
    let previous = (links && page > 1).then(|| page_link(&base, uri, page - 1));
    Ok(
        axum::Json(json!({ "count": count, "next": next, "previous": previous, "results": items }))
            .into_response(),
    )
}

/// The key of a detail URL, which must end with `/`.
fn detail_key(key: &str) -> Option<String> {
    key.strip_suffix('/')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}

async fn retrieve(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(key): Path<String>,
) -> Result<Response, PdcError> {
    let Some(key) = detail_key(&key) else {
        return Ok(Redirect::permanent(&format!("{}/", uri.path())).into_response());
    };
    let mut pairs = pairs(&uri);
    let as_of = take_as_of(&mut pairs)?;
    // A detail URL takes the list's parameters too (PDC's clients send e.g.
    // `include_inactive_release`); they do not filter a single object.
    let mut allowed = res.filters().to_vec();
    allowed.extend_from_slice(res.detail_params());
    let mut q = parse_list(&pairs, &allowed, &[])?;
    q.base_url = state.base_url(&headers);
    let fields = res.fields();
    let (found, changeset) = match as_of {
        None => {
            let q = q.clone();
            (
                read(&state, move |c| res.get_with(c, &key, &q)).await?,
                None,
            )
        }
        Some(at) => read(&state, move |c| as_it_was(res.as_ref(), c, &key, at)).await?,
    };
    let mut item = vec![found.ok_or_else(PdcError::not_found)?];
    select_fields(&mut item, &q, fields)?;
    let mut response = axum::Json(item.remove(0)).into_response();
    if let Some(id) = changeset {
        response.headers_mut().insert(
            "almanac-as-of-changeset",
            HeaderValue::from_str(&id.to_string()).expect("digits"),
        );
    }
    Ok(response)
}

/// `as_of=<ISO 8601 time>` on a detail URL: the object as it was then.
fn take_as_of(pairs: &mut Vec<(String, String)>) -> Result<Option<Timestamp>, PdcError> {
    let mut values: Vec<String> = Vec::new();
    pairs.retain(|(k, v)| {
        let hit = k == "as_of";
        if hit {
            values.push(v.clone());
        }
        !hit
    });
    match values.as_slice() {
        [] => Ok(None),
        // Changesets show their times to the millisecond: a time given to
        // the millisecond takes in all of it.
        [raw] => Timestamp::parse_iso8601(raw)
            .map(|t| match t.micros() % 1000 {
                0 => Some(Timestamp(t.micros() + 999)),
                _ => Some(t),
            })
            .ok_or_else(|| {
                PdcError::bad_request(format!(
                    "as_of: expected an ISO 8601 time such as 2026-11-01T12:00:00Z, got \"{raw}\"."
                ))
            }),
        _ => Err(PdcError::bad_request("as_of: give one time, not several.")),
    }
}

/// The object behind `key` as its last change at or before `at` left it,
/// and that change's changeset; `None` when it did not exist then.
fn as_it_was(
    res: &dyn Resource,
    conn: &mut dyn Conn,
    key: &str,
    at: Timestamp,
) -> Result<(Option<Value>, Option<i64>), PdcError> {
    let Some(class) = res.history_class() else {
        return Err(PdcError::bad_request(format!(
            "as_of: {} keeps no per-object history.",
            res.prefix()
        )));
    };
    let Some(id) = res.history_id(conn, key)? else {
        return Ok((None, None));
    };
    Ok(match changes::state_at(conn, class, id, at)? {
        Some(change) => (change.new, Some(change.changeset_id)),
        None => (None, None),
    })
}

async fn create(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    if !res.writes().create {
        return Err(PdcError::method_not_allowed("POST"));
    }
    let actor = authorize(&state, &headers, res.prefix(), "create").await?;
    let body = json_body(&state, body).await?;
    let (answer, created) = recorded_write(&state, actor, move |c, changes| {
        let answer = match &body {
            Value::Array(items) => match res.create_many(c, items, changes)? {
                Some(out) => Value::Array(out),
                None => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let created = as_object(item).and_then(|obj| res.create(c, obj, changes));
                        out.push(created.map_err(|e| bulk_error(e, json!(i), Some(item)))?);
                    }
                    Value::Array(out)
                }
            },
            other => res.create(c, as_object(other)?, changes)?,
        };
        Ok((answer, !changes.is_empty()))
    })
    .await?;
    if !created && answer.is_object() {
        // An idempotent create that found the object already there (PDC
        // answers 200 and says so).
        let mut r = axum::Json(answer).into_response();
        r.headers_mut().insert(
            "pdc-warning",
            HeaderValue::from_static("The object already exists."),
        );
        return Ok(r);
    }
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// Runs `f` in one write transaction and records what it changed as one
/// changeset by `actor`: the one path every PDC write takes.
pub(super) async fn recorded_write<T, F>(
    state: &AppState,
    actor: Actor,
    f: F,
) -> Result<T, PdcError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Conn, &mut Vec<Change>) -> Result<T, PdcError> + Send + 'static,
{
    state
        .store
        .write(move |c| {
            let mut changes = Vec::new();
            let answer = f(c, &mut changes)?;
            changes::record(c, &actor, changes)?;
            Ok::<_, PdcError>(answer)
        })
        .await
}

/// POST to a collection under an object (`global-components/1/labels/`).
async fn create_under(
    res: Arc<dyn Resource>,
    state: AppState,
    headers: HeaderMap,
    key: String,
    body: Body,
) -> Result<Response, PdcError> {
    let key = detail_key(&key).ok_or_else(|| PdcError::method_not_allowed("POST"))?;
    let actor = authorize(&state, &headers, res.prefix(), "update").await?;
    let body = json_body(&state, body).await?;
    let answer = recorded_write(&state, actor, move |c, changes| {
        res.create_under(c, &key, as_object(&body)?, changes)
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

fn empty_patch() -> Response {
    let mut r = PdcError::bad_request("Partial update with no changes does not make much sense.")
        .into_response();
    r.headers_mut().insert(
        "pdc-warning",
        HeaderValue::from_static("Partial update with no changes does not make much sense."),
    );
    r
}

async fn update(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(key): Path<String>,
    body: Body,
    partial: bool,
) -> Result<Response, PdcError> {
    let key = detail_key(&key).ok_or_else(PdcError::not_found)?;
    if !res.writes().update {
        return Err(PdcError::method_not_allowed(if partial {
            "PATCH"
        } else {
            "PUT"
        }));
    }
    let actor = authorize(&state, &headers, res.prefix(), "update").await?;
    let body = json_body(&state, body).await?;
    if partial && body.as_object().is_some_and(Map::is_empty) {
        return Ok(empty_patch());
    }
    let query = pairs(&uri);
    let (status, answer) = recorded_write(&state, actor, move |c, changes| {
        if let Some(done) = res.update_under(c, &key, &body, partial, &query, changes)? {
            return Ok(done);
        }
        Ok((
            StatusCode::OK,
            res.update(c, &key, as_object(&body)?, partial, changes)?,
        ))
    })
    .await?;
    if status == StatusCode::NO_CONTENT {
        return Ok(status.into_response());
    }
    Ok((status, axum::Json(answer)).into_response())
}

async fn bulk_update(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
    partial: bool,
) -> Result<Response, PdcError> {
    if !res.writes().update {
        return Err(PdcError::method_not_allowed(if partial {
            "PATCH"
        } else {
            "PUT"
        }));
    }
    let actor = authorize(&state, &headers, res.prefix(), "update").await?;
    let body = json_body(&state, body).await?;
    let Value::Object(items) = body else {
        return Err(PdcError::bad_request("Bulk update needs a mapping."));
    };
    let answer = recorded_write(&state, actor, move |c, changes| {
        let mut out = Map::new();
        for (key, item) in &items {
            let updated = match item.as_object() {
                Some(obj) if partial && obj.is_empty() => Err(PdcError::bad_request(
                    "Partial update with no changes does not make much sense.",
                )),
                _ => as_object(item).and_then(|obj| res.update(c, key, obj, partial, changes)),
            };
            out.insert(
                key.clone(),
                updated.map_err(|e| bulk_error(e, json!(key), Some(item)))?,
            );
        }
        Ok(Value::Object(out))
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn destroy(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    _body: Body,
) -> Result<Response, PdcError> {
    let key = detail_key(&key).ok_or_else(PdcError::not_found)?;
    if !res.writes().delete {
        return Err(PdcError::method_not_allowed("DELETE"));
    }
    let actor = authorize(&state, &headers, res.prefix(), "delete").await?;
    let warning = recorded_write(&state, actor, move |c, changes| {
        res.delete_warning(c, &key, changes)
    })
    .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(w) = warning.and_then(|w| HeaderValue::from_str(&w).ok()) {
        response.headers_mut().insert("pdc-warning", w);
    }
    Ok(response)
}

async fn bulk_delete(
    res: Arc<dyn Resource>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PdcError> {
    if !res.writes().delete {
        return Err(PdcError::method_not_allowed("DELETE"));
    }
    let actor = authorize(&state, &headers, res.prefix(), "delete").await?;
    let body = json_body(&state, body).await?;
    let Value::Array(ids) = body else {
        return Err(PdcError::bad_request(
            "Bulk delete needs a list of identifiers.",
        ));
    };
    recorded_write(&state, actor, move |c, changes| {
        let mut seen: Vec<String> = Vec::new();
        for id in &ids {
            let key = match id {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(bulk_error(
                        PdcError::bad_request("Identifiers must be strings or numbers."),
                        id.clone(),
                        None,
                    ));
                }
            };
            if seen.contains(&key) {
                continue;
            }
            res.delete(c, &key, changes)
                .map_err(|e| bulk_error(e, id.clone(), None))?;
            seen.push(key);
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
