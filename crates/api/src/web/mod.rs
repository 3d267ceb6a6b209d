//! The web UI under `/ui/`: server-rendered HTML from the binary itself
//! (no script needed to read it; the stylesheet and the SVG charts are
//! embedded), on the same store queries as the APIs. Every page's filters
//! are in its URL.
//!
//! - [`html`]: escaping, the layout, tables, pagers, filter forms;
//! - [`pages`]: home, releases, composes (a compose, a diff, image sizes
//!   over time), results, the bus journal, changesets;
//! - [`graph`]: an artifact's inputs and consumers by tier, its rebuild plan;
//! - [`gating`]: a subject's decision, its waivers, waiving from the page;
//! - [`session`]: signing in with an API token, the CSRF guard.

mod gating;
mod graph;
pub mod html;
mod pages;
mod session;

use crate::routes::Routes;
use almanac_store::StoreError;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

pub fn routes() -> Routes {
    Routes::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(pages::home))
        .route("/ui/products", get(pages::products))
        .route("/ui/components", get(pages::components))
        .route("/ui/releases", get(pages::releases))
        .route("/ui/releases/{id}", get(pages::release))
        .route("/ui/composes", get(pages::composes))
        .route("/ui/composes/{id}", get(pages::compose))
        .route("/ui/composes/{id}/diff", get(pages::diff))
        .route("/ui/image-sizes", get(pages::image_sizes))
        .route("/ui/results", get(pages::results_page))
        .route("/ui/results/{id}", get(pages::result))
        .route("/ui/journal", get(pages::journal_page))
        .route("/ui/changesets", get(pages::changesets))
        .route("/ui/gating", get(gating::decision))
        .route("/ui/graph", get(graph::view))
        .route("/ui/waivers", axum::routing::post(gating::waive))
        .route(
            "/ui/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/ui/sign-out", axum::routing::post(session::sign_out))
}

/// A query parameter's value, empty when absent.
fn param<'a>(p: &'a std::collections::BTreeMap<String, String>, k: &str) -> &'a str {
    p.get(k).map(String::as_str).unwrap_or("")
}

/// What the pages keep between requests: the last diffs computed (two
/// composes' diff never changes: a compose is not changed once imported).
#[derive(Default)]
pub struct Cache {
    diffs: std::sync::Mutex<Vec<DiffEntry>>,
}

type DiffEntry = (
    (String, String),
    std::sync::Arc<almanac_model::compose_diff::ComposeDiff>,
);

/// Diffs kept (each up to a few MiB for composes of 250,000 entries).
const DIFFS_KEPT: usize = 8;

impl Cache {
    pub fn diff(
        &self,
        key: &(String, String),
    ) -> Option<std::sync::Arc<almanac_model::compose_diff::ComposeDiff>> {
        let list = self.diffs.lock().ok()?;
        list.iter().find(|(k, _)| k == key).map(|(_, d)| d.clone())
    }

    pub fn keep_diff(
        &self,
        key: (String, String),
        d: almanac_model::compose_diff::ComposeDiff,
    ) -> std::sync::Arc<almanac_model::compose_diff::ComposeDiff> {
        let d = std::sync::Arc::new(d);
        if let Ok(mut list) = self.diffs.lock() {
            list.retain(|(k, _)| *k != key);
            if list.len() >= DIFFS_KEPT {
                list.remove(0);
            }
            list.push((key, d.clone()));
        }
        d
    }
}

/// A page that cannot be shown: its status and why, as a page.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
}

impl UiError {
    pub fn bad(message: impl Into<String>) -> UiError {
        UiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn status(status: StatusCode, message: impl Into<String>) -> UiError {
        UiError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> UiError {
        UiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => UiError::bad(m.message),
            StoreError::Unavailable(cause) => UiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: cause.client_message().into(),
            },
            other => {
                tracing::error!(error = %other, "a page failed");
                UiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "something went wrong on our side".into(),
                }
            }
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = format!(
            "<p>{}</p><p><a href=\"/ui/\">Home</a></p>",
            html::esc(&self.message)
        );
        (self.status, Html(html::page(title, "", &body))).into_response()
    }
}
