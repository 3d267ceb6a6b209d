//! `/groups`, `/groups/<uuid>`, `/groups/<uuid>/results`.

use super::page::page;
use super::results::{page_of, parse_query};
use super::{RdbError, api_url, query_pairs, write_request};
use crate::AppState;
use almanac_model::results::{GroupInput, GroupQuery};
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
    let q = GroupQuery::from_pairs(&query_pairs(&uri), state.settings.page_limits)?;
    let p = q.page;
    let rows = state.store.read(move |c| store::list_groups(c, &q)).await?;
    let api = api_url(&state, &headers);
    let data: Vec<_> = rows.iter().map(|g| g.to_json(&api)).collect();
    Ok(Json(page(data, p, &state.base_url(&headers), &uri)).into_response())
}

pub async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Result<Response, RdbError> {
    let group = state
        .store
        .read(move |c| store::get_group(c, &uuid))
        .await?
        .ok_or_else(|| RdbError::NotFound("Group not found".into()))?;
    Ok(Json(group.to_json(&api_url(&state, &headers))).into_response())
}

pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(uuid): Path<String>,
) -> Result<Response, RdbError> {
    let lookup = uuid.clone();
    if state
        .store
        .read(move |c| store::get_group(c, &lookup))
        .await?
        .is_none()
    {
        return Err(RdbError::NotFound(format!("Group not found: {uuid}")));
    }
    let mut q = parse_query(&state, &uri)?;
    q.groups = vec![uuid];
    page_of(&state, &headers, &uri, q).await
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RdbError> {
    let (body, caller) = write_request(&state, &headers, body).await?;
    super::check_permission(&state, &caller, &[])?;
    if !body.is_object() {
        return Err(RdbError::BadRequest(
            "the body must be a JSON object: {\"uuid\": ..., \"description\": ..., \"ref_url\": ...}".into(),
        ));
    }
    let input = GroupInput::from_json(&body, "body")?;
    let actor = caller.actor("http");
    let group = state
        .store
        .write(move |c| store::upsert_group(c, &input, &actor))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(group.to_json(&api_url(&state, &headers))),
    )
        .into_response())
}
