//! The one mapping from failures to PDC's (Django REST framework's) error
//! responses: `{"detail": ...}` or per-field lists, with the exact texts
//! PDC's clients (pdc-client, pdc-updater) read.

use almanac_model::ModelError;
use almanac_store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct PdcError {
    pub status: StatusCode,
    pub body: Value,
    /// A store failure, kept so reads can be retried on a fresh connection.
    pub store: Option<StoreError>,
}

impl PdcError {
    pub fn new(status: StatusCode, body: Value) -> PdcError {
        PdcError {
            status,
            body,
            store: None,
        }
    }
    /// `{"detail": "..."}` with `status`.
    pub fn detail(status: StatusCode, message: impl Into<String>) -> PdcError {
        PdcError::new(status, json!({ "detail": message.into() }))
    }
    pub fn bad_request(message: impl Into<String>) -> PdcError {
        PdcError::detail(StatusCode::BAD_REQUEST, message)
    }
    /// `{"field": ["message"]}`: a serializer's field error.
    pub fn field(field: &str, message: impl Into<String>) -> PdcError {
        PdcError::new(StatusCode::BAD_REQUEST, json!({ field: [message.into()] }))
    }
    pub fn required(field: &str) -> PdcError {
        PdcError::field(field, "This field is required.")
    }
    /// A unique field already taken, in DRF's words.
    pub fn unique_field(field: &str) -> PdcError {
        PdcError::field(field, "This field must be unique.")
    }
    /// `{"detail": ["message"]}`: a serializer's non-field error.
    pub fn invalid(message: impl Into<String>) -> PdcError {
        PdcError::new(
            StatusCode::BAD_REQUEST,
            json!({ "detail": [message.into()] }),
        )
    }
    /// A unique set already taken, in DRF's words (pdc-updater matches them).
    pub fn unique_set(fields: &[&str]) -> PdcError {
        PdcError::invalid(format!(
            "The fields {} must make a unique set.",
            fields.join(", ")
        ))
    }
    pub fn not_found() -> PdcError {
        PdcError::detail(StatusCode::NOT_FOUND, "Not found.")
    }
    /// A related object named by its natural key that does not exist.
    pub fn no_such(field: &str, kind: &str, value: &str) -> PdcError {
        PdcError::field(
            field,
            format!("{kind} with {field}={value} does not exist."),
        )
    }
    /// A productmd file that cannot be read, in PDC's shape, with the place.
    pub fn metadata(e: &almanac_model::productmd::ProductmdError) -> PdcError {
        PdcError::new(
            StatusCode::BAD_REQUEST,
            json!({
                "detail": "Error parsing productmd metadata.",
                "reason": e.to_string(),
                "file": e.file,
                "place": e.place,
            }),
        )
    }
    pub fn method_not_allowed(method: &str) -> PdcError {
        PdcError::detail(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method \"{method}\" not allowed."),
        )
    }
}

impl From<ModelError> for PdcError {
    fn from(e: ModelError) -> Self {
        PdcError::field(&e.field, e.message)
    }
}

impl From<almanac_model::productmd::ProductmdError> for PdcError {
    fn from(e: almanac_model::productmd::ProductmdError) -> Self {
        PdcError::metadata(&e)
    }
}

impl From<StoreError> for PdcError {
    fn from(e: StoreError) -> Self {
        let mut out = match &e {
            StoreError::Invalid(m) => PdcError::field(&m.field, m.message.clone()),
            StoreError::Conflict(m) => PdcError::detail(StatusCode::CONFLICT, m.clone()),
            StoreError::Metadata(m) => PdcError::metadata(m),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                PdcError::detail(StatusCode::SERVICE_UNAVAILABLE, cause.client_message())
            }
            // PDC answered internal errors with 503; a 500 says what it is.
            StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                PdcError::detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        };
        out.store = Some(e);
        out
    }
}

impl IntoResponse for PdcError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}
