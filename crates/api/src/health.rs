//! Probes: `/healthz` (Almanac's) and `/healthcheck` (ResultsDB's shape).

use crate::AppState;
use crate::routes::Routes;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

pub fn routes() -> Routes {
    Routes::new()
        .route("/healthz", get(healthz))
        .route("/healthcheck", get(healthcheck))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let engine = state.store.engine().to_string();
    if state.store.ping().await {
        (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": engine})),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"status": "unavailable", "database": engine, "message": "the database does not answer"}),
            ),
        )
    }
}

async fn healthcheck(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.store.ping().await {
        (StatusCode::OK, Json(json!({"message": "Health check OK"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"message": "Unable to communicate with database"})),
        )
    }
}
