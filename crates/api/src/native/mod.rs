//! Almanac's own API under `/api/almanac/v1/`: what none of the ancestors
//! could answer, described by the OpenAPI document at
//! `/api/almanac/v1/openapi.json`.
//!
//! - `composes/{id}/diff`: what changed between two composes, per variant
//!   and arch (JSON for tools, text for people);
//! - `composes/{id}/qe`: a compose's QE status, its acceptance testing state
//!   and the results of tests on it and its images;
//! - `image-sizes` and `image-sizes.svg`: one image's size across composes;
//! - `produced`: what was produced between two dates;
//! - `graph/...`: the artifact graph (inputs, consumers, paths, tiers,
//!   rebuild plans, SBOMs) and its bulk writes;
//! - `journal`: the bus messages seen and what became of each.
//! - `audit`: the last audit of each source, and `/metrics`.
//!
//! Errors are `{"message": ..., "field": ...}` with a 4xx status.

mod audit;
mod composes;
mod graph;
mod journal;
mod query;

pub use graph::GraphSettings;

use crate::routes::Routes;
use axum::Json;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub const ROOT: &str = "/api/almanac/v1";

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{ROOT}/openapi.json"), get(openapi))
        .merge(composes::routes())
        .merge(graph::routes())
        .merge(journal::routes())
        .merge(audit::routes())
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// A failure of a native request.
#[derive(Debug)]
pub struct NativeError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
}

impl NativeError {
    pub fn bad(field: &str, message: impl Into<String>) -> NativeError {
        NativeError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
    pub fn not_found(message: impl Into<String>) -> NativeError {
        NativeError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            field: None,
        }
    }
}

impl From<almanac_store::StoreError> for NativeError {
    fn from(e: almanac_store::StoreError) -> Self {
        use almanac_store::StoreError;
        match e {
            StoreError::Invalid(m) => NativeError::bad(&m.field, m.message),
            StoreError::Metadata(m) => NativeError::bad(&m.file, m.to_string()),
            StoreError::Conflict(m) => NativeError {
                status: StatusCode::CONFLICT,
                message: m,
                field: None,
            },
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                NativeError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: cause.client_message().into(),
                    field: None,
                }
            }
            StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                NativeError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "Internal server error.".into(),
                    field: None,
                }
            }
        }
    }
}

impl IntoResponse for NativeError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"message": self.message, "field": self.field})),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    /// Every native route is in the OpenAPI document (path parameters by
    /// position: the router's `{id}` is the document's `{compose_id}`).
    #[test]
    fn the_openapi_document_describes_every_native_route() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let shape = |p: &str| -> String {
            let mut out = String::new();
            let mut inside = false;
            for c in p.chars() {
                match c {
                    '{' => {
                        inside = true;
                        out.push('{');
                    }
                    '}' => {
                        inside = false;
                        out.push('}');
                    }
                    _ if inside => {}
                    _ => out.push(c),
                }
            }
            out
        };
        let documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| shape(k))
            .collect();
        let sources = [
            include_str!("mod.rs"),
            include_str!("composes.rs"),
            include_str!("graph.rs"),
            include_str!("journal.rs"),
            include_str!("audit.rs"),
        ];
        let mut routes = 0;
        for src in sources {
            for line in src.lines() {
                // Every `format!("{ROOT}...")` in these files is a route.
                let Some(at) = line.find("&format!(\"{ROOT}") else {
                    continue;
                };
                let rest = &line[at + "&format!(\"{ROOT}".len()..];
                let path = format!("/api/almanac/v1{}", &rest[..rest.find('"').unwrap()])
                    .replace("{{", "{")
                    .replace("}}", "}");
                routes += 1;
                assert!(
                    documented.contains(&shape(&path)),
                    "{path} is not in openapi.json"
                );
            }
        }
        assert!(routes >= 18, "found {routes} routes");
        assert_eq!(
            routes,
            documented.len(),
            "and nothing documented that is not routed"
        );
    }
}
