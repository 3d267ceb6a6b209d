//! The router and the list of its paths, built together.
//!
//! axum's router cannot tell which paths it holds; the permission walk and
//! the fuzzing need every one of them. Each API family builds a [`Routes`],
//! which hands its paths on with its router, so the list cannot fall behind
//! what is served.

use crate::AppState;
use axum::Router;
use axum::routing::MethodRouter;

/// A router under construction and the path templates it serves.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    paths: Vec<String>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn route(mut self, path: &str, method_router: MethodRouter<AppState>) -> Routes {
        self.router = self.router.route(path, method_router);
        self.paths.push(path.to_string());
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// `other`'s routes under `prefix` (which must start with `/`).
    pub fn nest(mut self, prefix: &str, other: Routes) -> Routes {
        self.router = self.router.nest(prefix, other.router);
        self.paths
            .extend(other.paths.into_iter().map(|p| format!("{prefix}{p}")));
        self
    }

    /// Applies what changes the router but adds no path (fallbacks, layers).
    pub fn map_router(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Routes {
        self.router = f(self.router);
        self
    }

    /// Every path template, in the order the routes were added.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
