//! WaiverDB API v1.0 under `/api/v1.0/`, as Bodhi and Greenwave call it:
//! `waivers/` (GET with WaiverDB's filters and 1-based pages with totals,
//! POST one or a list), `waivers/<id>`, `waivers/+filtered`,
//! `waivers/+by-subjects-and-testcases`, `about`, `config` and
//! `permissions`. Errors are `{"message": ...}`.
//!
//! Writes need a token (`Authorization: Token ...` or `Bearer ...`); the
//! configured permission mapping decides who may waive which testcases, and
//! only superusers (Almanac's, or those configured) may waive on behalf of
//! another user (`username`, recorded with `proxied_by`). A list is stored
//! all or none.

use crate::AppState;
use crate::auth::{self, Caller};
use crate::routes::Routes;
use almanac_model::ModelError;
use almanac_model::results::parse_since;
use almanac_model::waivers::{
    NewWaiver, Permission, may_waive, normalize_subject_type, subject_of,
};
use almanac_store::StoreError;
use almanac_store::waivers::{self as store, WaiverFilter};
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// What a deployment says about waiving.
#[derive(Debug, Clone, Default)]
pub struct WaiverSettings {
    /// Testcase globs to who may waive them; empty lets anyone signed in.
    pub permissions: Vec<Permission>,
    /// Users who may waive on behalf of others (besides Almanac's superusers).
    pub superusers: Vec<String>,
}

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1.0/waivers/", get(list).post(create))
        .route("/api/v1.0/waivers", get(list).post(create))
        .route("/api/v1.0/waivers/+filtered", post(filtered))
        .route(
            "/api/v1.0/waivers/+by-subjects-and-testcases",
            post(by_subjects_and_testcases),
        )
        .route("/api/v1.0/waivers/{id}", get(one))
        .route("/api/v1.0/about", get(about))
        .route("/api/v1.0/config", get(config))
        .route("/api/v1.0/permissions", get(permissions))
}

/// A refusal in WaiverDB's shape.
#[derive(Debug)]
pub struct WaiverError(pub(crate) StatusCode, pub(crate) String);

impl WaiverError {
    fn bad(message: impl Into<String>) -> WaiverError {
        WaiverError(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<ModelError> for WaiverError {
    fn from(e: ModelError) -> Self {
        WaiverError::bad(e.message)
    }
}

impl From<StoreError> for WaiverError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => WaiverError::bad(m.message),
            StoreError::Metadata(m) => WaiverError::bad(m.to_string()),
            StoreError::Conflict(m) => WaiverError(StatusCode::CONFLICT, m),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                WaiverError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    cause.client_message().into(),
                )
            }
            StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                WaiverError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error.".into(),
                )
            }
        }
    }
}

impl IntoResponse for WaiverError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

fn pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn flag(name: &str, v: &str) -> Result<bool, WaiverError> {
    crate::pdc::query::parse_bool(v)
        .ok_or_else(|| WaiverError::bad(format!("{name}: '{v}' is not true or false")))
}

const FILTERS: [&str; 7] = [
    "subject_type",
    "subject_identifier",
    "testcase",
    "scenario",
    "product_version",
    "username",
    "proxied_by",
];

/// A filter object (`GET` parameters or one of `+filtered`'s filters).
fn filter_of(get: impl Fn(&str) -> Option<String>) -> Result<WaiverFilter, WaiverError> {
    let since = match get("since") {
        Some(s) => {
            Some(parse_since(&s).map_err(|e| WaiverError(StatusCode::BAD_REQUEST, e.message))?)
        }
        None => None,
    };
    Ok(WaiverFilter {
        subject_type: get("subject_type").map(|t| normalize_subject_type(&t)),
        subject_identifier: get("subject_identifier"),
        testcase: get("testcase"),
        scenario: get("scenario"),
        product_version: get("product_version"),
        username: get("username"),
        proxied_by: get("proxied_by"),
        since,
    })
}

/// `GET /api/v1.0/waivers/`: newest first, 1-based `page`, `limit`
/// (default 10), `include_obsolete`; `{data, prev, next, first, last}`.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, WaiverError> {
    let pairs = pairs(&uri);
    let mut page = 1u64;
    let mut limit = 10u64;
    let mut include_obsolete = false;
    for (k, v) in &pairs {
        match k.as_str() {
            "page" => {
                page = v.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
                    WaiverError::bad(format!("page: '{v}' is not a page number (1, 2, ...)"))
                })?
            }
            "limit" => {
                limit = v.parse().ok().filter(|l| *l >= 1).ok_or_else(|| {
                    WaiverError::bad(format!("limit: '{v}' is not a positive number"))
                })?;
                limit = limit.min(state.settings.page_limits.max);
            }
            "include_obsolete" => include_obsolete = flag(k, v)?,
            "since" => {}
            key if FILTERS.contains(&key) => {}
            other => {
                return Err(WaiverError::bad(format!(
                    "unknown parameter '{other}': use {}, since, include_obsolete, page, limit",
                    FILTERS.join(", ")
                )));
            }
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let f = filter_of(get)?;
    let (total, waivers) = state
        .store
        .read(move |c| store::list(c, &f, include_obsolete, page, limit))
        .await?;
    let pages = (total as u64).div_ceil(limit).max(1);
    let base = format!("{}{}", state.base_url(&headers), uri.path());
    let link = |p: u64| {
        let mut q: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        q.push(("page".into(), p.to_string()));
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        format!("{base}?{query}")
    };
    if page > pages || (waivers.is_empty() && page > 1) {
        return Ok(Json(
            json!({"data": [], "prev": null, "next": null, "first": null, "last": null}),
        )
        .into_response());
    }
    Ok(Json(json!({
        "data": waivers.iter().map(store::Waiver::to_json).collect::<Vec<_>>(),
        "prev": (page > 1).then(|| link(page - 1)),
        "next": (page < pages).then(|| link(page + 1)),
        "first": link(1),
        "last": link(pages),
    }))
    .into_response())
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WaiverError> {
    let not_found = || WaiverError(StatusCode::NOT_FOUND, "Waiver not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let w = state
        .store
        .read(move |c| store::get(c, id))
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(w.to_json()).into_response())
}

async fn body_json(state: &AppState, body: Body) -> Result<Value, WaiverError> {
    crate::body::read_json(body, state.settings.max_body_bytes)
        .await
        .map_err(|e| match e {
            crate::body::BodyError::TooLarge(_) => {
                WaiverError(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            other => WaiverError::bad(other.to_string()),
        })
}

/// `POST /api/v1.0/waivers/`: one waiver (an object; 201 with it) or a
/// list (201 with the list), all or none.
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WaiverError> {
    let user = match auth::identify(&state, auth::header_token(&headers)).await? {
        Caller::User(u) => u,
        Caller::Anonymous => {
            return Err(WaiverError(
                StatusCode::UNAUTHORIZED,
                "Authentication required: send Authorization: Token <token> (or Bearer).".into(),
            ));
        }
        Caller::BadToken => {
            return Err(WaiverError(
                StatusCode::UNAUTHORIZED,
                "Invalid token.".into(),
            ));
        }
    };
    let body = body_json(&state, body).await?;
    let (items, many) = match &body {
        Value::Array(items) => (items.clone(), true),
        other => (vec![other.clone()], false),
    };
    if items.is_empty() {
        return Err(WaiverError::bad("the list of waivers is empty"));
    }
    let max = state.settings.max_results_per_request;
    if items.len() > max {
        return Err(WaiverError::bad(format!(
            "{} waivers in one request: at most {max}",
            items.len()
        )));
    }
    let mut items = items;
    for item in &mut items {
        if item.get("result_id").is_some() {
            *item = from_result(&state, item.clone()).await?;
        }
    }
    let waivers = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            NewWaiver::from_json(v).map_err(|e| {
                if many {
                    WaiverError::bad(format!("waiver {i}: {}", e.message))
                } else {
                    WaiverError::from(e)
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    authorize(&state, &user, &waivers).await?;
    let actor = almanac_store::Actor::user(&user.username, "http");
    let username = user.username.clone();
    let stored = state
        .store
        .write(move |c| store::create(c, &waivers, &username, &actor))
        .await?;
    let answer = if many {
        Value::Array(stored.iter().map(store::Waiver::to_json).collect())
    } else {
        stored[0].to_json()
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Whether `user` may submit `waivers`: each one's testcase under the
/// permission mapping, for themselves or (superusers and proxy users) for
/// the user it names. The API's and the web UI's one check.
pub(crate) async fn authorize(
    state: &AppState,
    user: &almanac_store::tokens::User,
    waivers: &[NewWaiver],
) -> Result<(), WaiverError> {
    let settings = &state.settings.waivers;
    let may_proxy = user.is_superuser || settings.superusers.contains(&user.username);
    for w in waivers {
        let (who, groups) = match &w.username {
            Some(other) if *other != user.username => {
                if !may_proxy {
                    return Err(WaiverError(
                        StatusCode::FORBIDDEN,
                        format!("user {} does not have the proxyuser ability", user.username),
                    ));
                }
                let name = other.clone();
                let groups = state
                    .store
                    .read(move |c| almanac_store::tokens::groups_of(c, &name))
                    .await?;
                (other.clone(), groups)
            }
            _ => (user.username.clone(), user.groups.clone()),
        };
        if !user.is_superuser && !may_waive(&settings.permissions, &w.testcase, &who, &groups) {
            return Err(WaiverError(
                StatusCode::UNAUTHORIZED,
                format!(
                    "You are not authorized to submit a waiver for the test case {}",
                    w.testcase
                ),
            ));
        }
    }
    Ok(())
}

/// A waiver given by `result_id` (as `waiverdb-cli -r` sends it): its
/// subject, testcase and scenario are the result's.
async fn from_result(state: &AppState, mut item: Value) -> Result<Value, WaiverError> {
    let Some(o) = item.as_object_mut() else {
        return Ok(item);
    };
    let id = o
        .remove("result_id")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| WaiverError::bad("result_id must be an integer"))?;
    for k in [
        "subject",
        "subject_type",
        "subject_identifier",
        "testcase",
        "scenario",
    ] {
        if o.contains_key(k) {
            return Err(WaiverError::bad(format!("give result_id or {k}, not both")));
        }
    }
    let result = state
        .store
        .read(move |c| almanac_store::results::get(c, id))
        .await?
        .ok_or_else(|| WaiverError::bad("Result id not found in Resultsdb"))?;
    let data: Value = serde_json::from_str(&result.data_json).unwrap_or(Value::Null);
    let subject = almanac_model::decision::subject_of_result(&data)
        .ok_or_else(|| WaiverError::bad(format!("result {id} names no subject (item and type)")))?;
    o.insert("subject_type".into(), json!(subject.subject_type));
    o.insert("subject_identifier".into(), json!(subject.identifier));
    o.insert("testcase".into(), json!(result.testcase.name));
    if let Some(scenario) = data.get("scenario").and_then(|v| v.get(0)) {
        o.insert("scenario".into(), scenario.clone());
    }
    Ok(item)
}

/// `POST /api/v1.0/waivers/+filtered`: `{"filters": [...], "include_obsolete"}`,
/// filters OR'ed; `{"data": [...]}`, unpaginated.
async fn filtered(State(state): State<AppState>, body: Body) -> Result<Response, WaiverError> {
    let body = body_json(&state, body).await?;
    let filters = body
        .get("filters")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| WaiverError::bad("filters: give a list of at least one filter"))?;
    let include_obsolete = match body.get("include_obsolete") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(WaiverError::bad(format!(
                "include_obsolete: {other} is not a boolean"
            )));
        }
    };
    let mut parsed = Vec::new();
    for f in filters {
        let o = f
            .as_object()
            .ok_or_else(|| WaiverError::bad("each filter must be an object"))?;
        if let Some(k) = o
            .keys()
            .find(|k| !FILTERS.contains(&k.as_str()) && k.as_str() != "since")
        {
            return Err(WaiverError::bad(format!("unknown filter key '{k}'")));
        }
        parsed.push(filter_of(|k| {
            o.get(k).and_then(Value::as_str).map(str::to_string)
        })?);
    }
    let found = state
        .store
        .read(move |c| store::filtered(c, &parsed, include_obsolete))
        .await?;
    Ok(
        Json(json!({"data": found.iter().map(store::Waiver::to_json).collect::<Vec<_>>()}))
            .into_response(),
    )
}

/// `POST /api/v1.0/waivers/+by-subjects-and-testcases` (deprecated upstream,
/// kept for old clients): `{"results": [{"subject", "testcase"}], ...}`.
async fn by_subjects_and_testcases(
    State(state): State<AppState>,
    body: Body,
) -> Result<Response, WaiverError> {
    let body = body_json(&state, body).await?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let since = match text("since") {
        Some(s) => Some(parse_since(&s)?),
        None => None,
    };
    let mut filters = Vec::new();
    for r in body
        .get("results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let (subject_type, subject_identifier) =
            subject_of(r.get("subject").unwrap_or(&Value::Null))?;
        filters.push(WaiverFilter {
            subject_type: Some(subject_type),
            subject_identifier: Some(subject_identifier),
            testcase: r
                .get("testcase")
                .and_then(Value::as_str)
                .map(str::to_string),
            product_version: text("product_version"),
            username: text("username"),
            proxied_by: text("proxied_by"),
            since,
            ..Default::default()
        });
    }
    if filters.is_empty() {
        filters.push(WaiverFilter {
            product_version: text("product_version"),
            username: text("username"),
            proxied_by: text("proxied_by"),
            since,
            ..Default::default()
        });
    }
    let include_obsolete = body
        .get("include_obsolete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let found = state
        .store
        .read(move |c| store::filtered(c, &filters, include_obsolete))
        .await?;
    Ok(
        Json(json!({"data": found.iter().map(store::Waiver::to_json).collect::<Vec<_>>()}))
            .into_response(),
    )
}

async fn about() -> Json<Value> {
    Json(json!({"version": env!("CARGO_PKG_VERSION"), "auth_method": "token"}))
}

async fn config(State(state): State<AppState>) -> Json<Value> {
    let w = &state.settings.waivers;
    Json(json!({"permission_mapping": w.permissions, "superusers": w.superusers}))
}

/// `GET /api/v1.0/permissions[?testcase=X]`: the mapping, or the entries
/// that speak of that testcase.
async fn permissions(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, WaiverError> {
    let pairs = pairs(&uri);
    let mut testcase = None;
    for (k, v) in pairs {
        match k.as_str() {
            "testcase" => testcase = Some(v),
            "html" if v == "0" || v.eq_ignore_ascii_case("false") => {}
            other => return Err(WaiverError::bad(format!("unknown parameter '{other}'"))),
        }
    }
    let entries: Vec<&Permission> = state
        .settings
        .waivers
        .permissions
        .iter()
        .filter(|p| testcase.as_deref().is_none_or(|t| p.covers(t)))
        .collect();
    Ok(Json(json!(entries)).into_response())
}
