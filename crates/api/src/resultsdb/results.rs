//! `/results`, `/results/latest`, `/results/<id>`.

use super::page::page;
use super::{RdbError, api_url, query_pairs, write_request};
use crate::AppState;
use almanac_model::results::{NewResult, ResultQuery, StoredResult};
use almanac_store::results as store;
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(super) fn parse_query(state: &AppState, uri: &Uri) -> Result<ResultQuery, RdbError> {
    Ok(ResultQuery::from_pairs(
        &query_pairs(uri),
        &state.settings.outcomes,
        state.settings.page_limits,
    )?)
}

/// A page of results as ResultsDB answers it.
pub(super) async fn page_of(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    q: ResultQuery,
) -> Result<Response, RdbError> {
    let p = q.page;
    let rows = state.store.read(move |c| store::list(c, &q)).await?;
    let api = api_url(state, headers);
    let data: Vec<_> = rows.iter().map(|r| r.to_json(&api)).collect();
    Ok(Json(page(data, p, &state.base_url(headers), uri)).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, RdbError> {
    let q = parse_query(&state, &uri)?;
    page_of(&state, &headers, &uri, q).await
}

pub async fn latest(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, RdbError> {
    let q = parse_query(&state, &uri)?;
    if !q.distinct_on.is_empty() && !q.has_filter() {
        return Err(RdbError::BadRequest(
            "Please, provide at least one filter beside '_distinct_on'".into(),
        ));
    }
    let rows = state.store.read(move |c| store::latest(c, &q)).await?;
    let api = api_url(&state, &headers);
    let data: Vec<_> = rows.iter().map(|r| r.to_json(&api)).collect();
    Ok(Json(json!({ "data": data })).into_response())
}

pub async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, RdbError> {
    let id: i64 = id
        .parse()
        .map_err(|_| RdbError::NotFound("Not found".into()))?;
    let found = state.store.read(move |c| store::get(c, id)).await?;
    let result = found.ok_or_else(|| RdbError::NotFound("Result not found".into()))?;
    Ok(Json(result.to_json(&api_url(&state, &headers))).into_response())
}

/// `POST /results`: one result (ResultsDB's form) or a list of them
/// (Almanac's bulk form, all stored or none).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RdbError> {
    let (body, caller) = write_request(&state, &headers, body).await?;
    let outcomes = &state.settings.outcomes;
    let (items, single) = match &body {
        Value::Array(list) => {
            let max = state.settings.max_results_per_request;
            if list.len() > max {
                return Err(RdbError::BadRequest(format!(
                    "a list of results holds at most {max}, this one holds {}",
                    list.len()
                )));
            }
            let items = list
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    NewResult::from_json(r, outcomes)
                        .map_err(|e| RdbError::BadRequest(format!("results[{i}]: {}", e.message)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (items, false)
        }
        other => (vec![NewResult::from_json(other, outcomes)?], true),
    };
    let testcases: Vec<&str> = items.iter().map(|r| r.testcase.name.as_str()).collect();
    super::check_permission(&state, &caller, &testcases)?;
    let actor = caller.actor("http");
    let stored: Vec<StoredResult> = state.store.submit_results(items, actor).await?;
    let api = api_url(&state, &headers);
    let response = if single {
        Json(serde_json::to_value(stored[0].to_json(&api)).unwrap_or_default())
    } else {
        Json(json!(
            stored.iter().map(|r| r.to_json(&api)).collect::<Vec<_>>()
        ))
    };
    Ok((StatusCode::CREATED, response).into_response())
}
