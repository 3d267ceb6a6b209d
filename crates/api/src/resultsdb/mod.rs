//! ResultsDB API v2.0, as its clients (`resultsdb-api`, `resultsdb-conventions`,
//! Bodhi, Greenwave) expect it: the same paths, fields, filters, pagination
//! (0-based `page`, `limit`, `prev`/`next` links, no totals) and errors
//! (`{"message": ...}`).
//!
//! Beyond upstream: `limit` is capped, order is stable (submit time, then id),
//! `_distinct_on` works on SQLite too, a group's count does not load its
//! results, and `POST /results` also takes a list (at most
//! `max_results_per_request`, stored all or none).

mod error;
mod groups;
mod page;
mod results;
mod testcases;

pub use error::RdbError;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::routes::Routes;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub fn routes() -> Routes {
    Routes::new()
        .route("/results", get(results::list).post(results::create))
        .route("/results/", get(results::list).post(results::create))
        .route("/results/latest", get(results::latest))
        .route("/results/{id}", get(results::one))
        .route("/testcases", get(testcases::list).post(testcases::create))
        .route("/testcases/", get(testcases::list).post(testcases::create))
        .route("/testcases/{*name}", get(testcases::one))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/", get(groups::list).post(groups::create))
        .route("/groups/{uuid}", get(groups::one))
        .route("/groups/{uuid}/results", get(groups::results))
        .map_router(|r| {
            r.fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
        })
}

/// Upstream answers its landing page with status 300, and clients know it.
pub async fn landing(state: axum::extract::State<AppState>, headers: HeaderMap) -> Response {
    let api = api_url(&state, &headers);
    let body = json!({
        "message": "Almanac serves the ResultsDB API v2.0 here.",
        "documentation": "https://docs.resultsdb20.apiary.io/",
        "groups": format!("{api}/groups"),
        "results": format!("{api}/results"),
        "testcases": format!("{api}/testcases"),
        "outcomes": state.settings.outcomes.all(),
    });
    (StatusCode::MULTIPLE_CHOICES, axum::Json(body)).into_response()
}

pub async fn not_found() -> RdbError {
    RdbError::NotFound("Not found".into())
}

async fn method_not_allowed() -> RdbError {
    RdbError::MethodNotAllowed
}

/// The absolute URL of `/api/v2.0` for this request.
pub(crate) fn api_url(state: &AppState, headers: &HeaderMap) -> String {
    format!("{}/api/v2.0", state.base_url(headers))
}

/// Reads a write's JSON body and checks its credentials; answers the body and
/// who writes.
pub(crate) async fn write_request(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<(serde_json::Value, Caller), RdbError> {
    let body = crate::body::read_json(body, state.settings.max_body_bytes).await?;
    let caller = authorize_write(state, headers, &body).await?;
    Ok((body, caller))
}

/// Whether `caller` may write results (or testcases) of each of `testcases`
/// under `[results] permissions`, as ResultsDB 3 checks its `PERMISSIONS`;
/// with no testcase (a group), whether any entry names the caller. No
/// entries: every caller `authorize_write` let through may.
pub(crate) fn check_permission(
    state: &AppState,
    caller: &Caller,
    testcases: &[&str],
) -> Result<(), RdbError> {
    let permissions = &state.settings.results_permissions;
    if permissions.is_empty() {
        return Ok(());
    }
    let user = match caller {
        Caller::User(u) => u,
        _ => {
            return Err(RdbError::Unauthorized(
                "This deployment grants ResultsDB writes by testcase: send 'Authorization: Token <token>'".into(),
            ));
        }
    };
    if user.is_superuser {
        return Ok(());
    }
    let names = |p: &almanac_model::waivers::Permission| {
        p.users.contains(&user.username) || p.groups.iter().any(|g| user.groups.contains(g))
    };
    if testcases.is_empty() {
        return if permissions.iter().any(names) {
            Ok(())
        } else {
            Err(RdbError::Forbidden(format!(
                "User {} is not allowed to write to ResultsDB",
                user.username
            )))
        };
    }
    for testcase in testcases {
        if !almanac_model::waivers::may_waive(permissions, testcase, &user.username, &user.groups) {
            return Err(RdbError::Forbidden(format!(
                "User {} is not authorized to submit results for the test case {testcase}",
                user.username
            )));
        }
    }
    Ok(())
}

/// Checks a write's credentials: a bad token is always refused; no token is
/// refused only when the deployment requires one for ResultsDB writes.
async fn authorize_write(
    state: &AppState,
    headers: &HeaderMap,
    body: &serde_json::Value,
) -> Result<Caller, RdbError> {
    let token = auth::header_token(headers).or_else(|| {
        body.get("_auth_token")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    });
    let caller = auth::identify(state, token).await?;
    match caller {
        Caller::BadToken => Err(RdbError::Unauthorized("Invalid token".into())),
        Caller::Anonymous if state.settings.results_require_token => Err(RdbError::Unauthorized(
            "This deployment requires a token for writes: send 'Authorization: Token <token>'"
                .into(),
        )),
        caller => Ok(caller),
    }
}

/// The query string as pairs, keys and values percent-decoded, order kept.
pub(crate) fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
