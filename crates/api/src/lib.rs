//! Almanac's HTTP API, on axum.
//!
//! Each API family lives in its own module with its own error mapping, since
//! compatibility includes the error shapes: [`resultsdb`] serves ResultsDB's
//! API v2.0 under `/api/v2.0`, [`pdc`] PDC's REST API under `/rest_api/v1/`,
//! [`waivers`] WaiverDB's API v1.0 and [`gating`] Greenwave's decisions
//! under `/api/v1.0/`, [`native`] Almanac's
//! own under `/api/almanac/v1/`. [`health`] answers probes. [`launch`] serves a
//! router on a listener until a shutdown signal, for the binary and for
//! end-to-end tests alike.

pub mod auth;
pub mod body;
pub mod gating;
pub mod health;
pub mod heap;
pub mod native;
pub mod pdc;
pub mod resultsdb;
pub mod routes;
mod trace;
pub mod waivers;
pub mod web;

use almanac_model::Outcomes;
use almanac_model::results::PageLimits;
use almanac_store::Store;
use almanac_store::graph_index::GraphIndex;
use axum::Router;
use axum::http::HeaderMap;
use std::future::Future;
use std::sync::Arc;

/// What the API needs to know of the deployment.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub outcomes: Outcomes,
    pub page_limits: PageLimits,
    /// ResultsDB writes are open by default, as upstream; this closes them.
    pub results_require_token: bool,
    /// Who may write results of which testcases; empty lets every caller
    /// `results_require_token` admits.
    pub results_permissions: Vec<almanac_model::waivers::Permission>,
    /// The URL clients reach Almanac at; links are built from the request's
    /// `Host` (and `X-Forwarded-*`) when unset.
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    /// Most bytes a compose import (`compose-rpms/`...) may carry: a
    /// distribution's `rpms.json` runs to tens of megabytes.
    pub max_import_bytes: usize,
    /// Most results one `POST /api/v2.0/results` with a list may carry
    /// (and waivers one `POST /api/v1.0/waivers/`).
    pub max_results_per_request: usize,
    pub waivers: waivers::WaiverSettings,
    pub gating: gating::GatingSettings,
    pub graph: native::GraphSettings,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            outcomes: Outcomes::default(),
            page_limits: PageLimits::default(),
            results_require_token: false,
            results_permissions: Vec::new(),
            public_url: None,
            max_body_bytes: 10 * 1024 * 1024,
            max_import_bytes: 512 * 1024 * 1024,
            max_results_per_request: 1000,
            waivers: waivers::WaiverSettings::default(),
            gating: gating::GatingSettings::default(),
            graph: native::GraphSettings::default(),
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<ApiSettings>,
    /// The artifact graph in memory, following the store's commits.
    pub graph: Arc<GraphIndex>,
    /// What the web UI keeps between requests.
    pub ui: Arc<web::Cache>,
}

impl AppState {
    pub fn new(store: Store, settings: ApiSettings) -> AppState {
        AppState {
            store,
            settings: Arc::new(settings),
            graph: Arc::new(GraphIndex::new()),
            ui: Arc::new(web::Cache::default()),
        }
    }

    /// The absolute URL of Almanac's root as this request's client sees it.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.settings.public_url {
            return url.trim_end_matches('/').to_string();
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
        };
        let scheme = header("x-forwarded-proto").unwrap_or("http");
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .unwrap_or("localhost");
        format!("{scheme}://{host}")
    }
}

/// Every route of the application, with its paths.
pub fn routes() -> routes::Routes {
    routes::Routes::new()
        .merge(health::routes())
        .route("/api/v2.0", axum::routing::get(resultsdb::landing))
        .route("/api/v2.0/", axum::routing::get(resultsdb::landing))
        .nest("/api/v2.0", resultsdb::routes())
        .merge(pdc::routes())
        .merge(native::routes())
        .merge(waivers::routes())
        .merge(gating::routes())
        .merge(web::routes())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    routes()
        .into_router()
        .fallback(resultsdb::not_found)
        .layer(axum::middleware::from_fn(trace::log_request))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn launch(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
