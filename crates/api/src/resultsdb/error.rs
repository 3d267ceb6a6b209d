//! The one mapping from failures to ResultsDB's error responses.

use crate::body::BodyError;
use almanac_model::ModelError;
use almanac_store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum RdbError {
    BadRequest(String),
    NotFound(String),
    Unauthorized(String),
    Forbidden(String),
    MethodNotAllowed,
    TooLarge(String),
    Unavailable(&'static str),
    Internal,
}

impl From<ModelError> for RdbError {
    fn from(e: ModelError) -> Self {
        RdbError::BadRequest(e.message)
    }
}

impl From<BodyError> for RdbError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(_) => RdbError::TooLarge(e.to_string()),
            other => RdbError::BadRequest(other.to_string()),
        }
    }
}

impl From<StoreError> for RdbError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => RdbError::BadRequest(m.message),
            StoreError::Conflict(m) => RdbError::BadRequest(m),
            StoreError::Metadata(m) => RdbError::BadRequest(m.to_string()),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                RdbError::Unavailable(cause.client_message())
            }
            StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                RdbError::Internal
            }
        }
    }
}

impl IntoResponse for RdbError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            RdbError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            RdbError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            RdbError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
            RdbError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            RdbError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "The method is not allowed for the requested URL.".into(),
            ),
            RdbError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            RdbError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m.into()),
            RdbError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error".into(),
            ),
        };
        (status, axum::Json(json!({ "message": message }))).into_response()
    }
}
