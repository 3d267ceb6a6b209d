//! `auth/token/obtain/`, `auth/token/refresh/` and `auth/current-user/`.
//!
//! PDC handed out tokens behind Kerberos; Almanac's tokens come from
//! `almanac token create`, and `obtain` answers a caller who already holds a
//! valid one with it (what pdc-client does with a configured token).

use super::error::PdcError;
use super::handlers::API_ROOT;
use crate::AppState;
use crate::auth::{self, Caller};
use crate::routes::Routes;
use almanac_store::tokens::User;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};

pub fn routes() -> Routes {
    Routes::new()
        .route(
            &format!("{API_ROOT}/auth/token/obtain/"),
            get(obtain).post(obtain),
        )
        .route(&format!("{API_ROOT}/auth/current-user/"), get(current_user))
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<(User, String), PdcError> {
    let token = auth::header_token(headers);
    match auth::identify(state, token.clone()).await? {
        Caller::User(u) => Ok((u, token.unwrap_or_default())),
        Caller::BadToken => Err(PdcError::detail(StatusCode::UNAUTHORIZED, "Invalid token.")),
        Caller::Anonymous => Err(PdcError::detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )),
    }
}

async fn obtain(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, PdcError> {
    let (_, token) = signed_in(&state, &headers).await.map_err(|_| {
        PdcError::new(
            StatusCode::UNAUTHORIZED,
            json!({"Obtain Token Error": "Failed to authenticate."}),
        )
    })?;
    Ok(axum::Json(json!({ "token": token })))
}

async fn current_user(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, PdcError> {
    let (user, _) = signed_in(&state, &headers).await?;
    let groups = user.groups.clone();
    let grants: Vec<(String, String)> = state
        .store
        .read(move |c| {
            Ok(c.query(
                "SELECT DISTINCT resource, permission FROM group_resource_permissions WHERE group_name = ANY($1) ORDER BY resource, permission",
                &[almanac_store::db::Value::TextList(groups.clone())],
            )?
            .into_iter()
            .map(|mut r| Ok::<_, almanac_store::DbError>((r.text(0)?, r.text(1)?)))
            .collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(axum::Json(json!({
        "username": user.username,
        "fullname": "",
        "e-mail": "",
        "is_superuser": user.is_superuser,
        "is_staff": user.is_superuser,
        "groups": user.groups,
        "permissions": [],
        "resource_permissions": grants.iter().map(|(r, p)| json!({"resource": r, "permission": p})).collect::<Vec<_>>(),
    })))
}
