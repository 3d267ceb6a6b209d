//! `/testcases`, `/testcases/<name>` (a name may hold `/`), and
//! `/testcases/<name>/results`.

use super::page::page;
use super::results::{page_of, parse_query};
use super::{RdbError, api_url, query_pairs, write_request};
use crate::AppState;
use almanac_model::results::{NameFilter, TestcaseInput, TestcaseQuery};
use almanac_store::results as store;
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, RdbError> {
    let q = TestcaseQuery::from_pairs(&query_pairs(&uri), state.settings.page_limits)?;
    let p = q.page;
    let rows = state
        .store
        .read(move |c| store::list_testcases(c, &q))
        .await?;
    let api = api_url(&state, &headers);
    let data: Vec<_> = rows.iter().map(|t| t.to_json(&api)).collect();
    Ok(Json(page(data, p, &state.base_url(&headers), &uri)).into_response())
}

pub async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
) -> Result<Response, RdbError> {
    let lookup = name.clone();
    if let Some(tc) = state
        .store
        .read(move |c| store::get_testcase(c, &lookup))
        .await?
    {
        return Ok(Json(tc.to_json(&api_url(&state, &headers))).into_response());
    }
    // Not a testcase of that name: perhaps `<name>/results`.
    if let Some(prefix) = name.strip_suffix("/results") {
        let lookup = prefix.to_string();
        if state
            .store
            .read(move |c| store::get_testcase(c, &lookup))
            .await?
            .is_some()
        {
            let mut q = parse_query(&state, &uri)?;
            q.testcases = NameFilter {
                exact: vec![prefix.to_string()],
                likes: Vec::new(),
            };
            return page_of(&state, &headers, &uri, q).await;
        }
    }
    Err(RdbError::NotFound("Testcase not found".into()))
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RdbError> {
    let (body, caller) = write_request(&state, &headers, body).await?;
    let input = TestcaseInput::from_json(&body, "body")?;
    super::check_permission(&state, &caller, &[input.name.as_str()])?;
    let actor = caller.actor("http");
    let tc = state
        .store
        .write(move |c| store::upsert_testcase(c, &input, &actor))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(tc.to_json(&api_url(&state, &headers))),
    )
        .into_response())
}
