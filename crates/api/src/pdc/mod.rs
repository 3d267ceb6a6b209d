//! PDC's REST API under `/rest_api/v1/`, as `pdc-client`, the `pdc` CLI and
//! pdc-updater use it: paths, lookups, fields, filters, pagination
//! (`count`/`next`/`previous`/`results`, `page_size=-1`), strict parameters
//! and bodies, bulk operations, changesets and errors with PDC's texts.
//!
//! Beyond PDC: ordering always in SQL, no stale reads after a write, 500
//! (not 503) for internal errors, and a changeset filter by resource id.

mod auth;
mod compose_rpc;
pub mod error;
mod handlers;
pub mod query;
pub mod resource;
mod resources;
mod rpc;

use crate::AppState;
use crate::routes::Routes;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use handlers::API_ROOT;
use resource::Resource;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Every PDC resource Almanac serves.
fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(resources::products::Products),
        Arc::new(resources::products::ProductVersions),
        Arc::new(resources::releases::ReleaseTypes),
        Arc::new(resources::releases::Arches),
        Arc::new(resources::releases::Sigkeys),
        Arc::new(resources::releases::BaseProducts),
        Arc::new(resources::releases::Releases),
        Arc::new(resources::releases::ReleaseVariants),
        Arc::new(resources::components::GlobalComponents),
        Arc::new(resources::components::ReleaseComponentTypes),
        Arc::new(resources::components::ReleaseComponents),
        Arc::new(resources::named_types::NamedTypes {
            kind: almanac_store::named_types::TypeKind::ComponentGroup,
            prefix: "component-group-types",
            renamable: true,
            described: true,
        }),
        Arc::new(resources::components::ComponentGroups),
        Arc::new(resources::bugzilla::BugzillaComponents),
        Arc::new(resources::relationships::Relationships),
        Arc::new(resources::modules::Modules),
        Arc::new(resources::named_types::NamedTypes {
            kind: almanac_store::named_types::TypeKind::Sla,
            prefix: "component-sla-types",
            renamable: false,
            described: true,
        }),
        Arc::new(resources::named_types::NamedTypes {
            kind: almanac_store::named_types::TypeKind::Label,
            prefix: "labels",
            renamable: true,
            described: true,
        }),
        Arc::new(resources::named_types::NamedTypes {
            kind: almanac_store::named_types::TypeKind::Relationship,
            prefix: "component-relationship-types",
            renamable: true,
            described: false,
        }),
        Arc::new(resources::deliverables::DeliverableTypes),
        Arc::new(resources::deliverables::ReleaseDeliverables),
        Arc::new(resources::lifecycle::ComponentBranches),
        Arc::new(resources::lifecycle::BranchSlas),
        Arc::new(resources::lifecycle::ReleaseSchedules),
        Arc::new(resources::contacts::Contacts {
            kind: almanac_store::contacts::ContactKind::Person,
            prefix: "contacts/people",
        }),
        Arc::new(resources::contacts::Contacts {
            kind: almanac_store::contacts::ContactKind::MailingList,
            prefix: "contacts/mailing-lists",
        }),
        Arc::new(resources::contacts::ContactRoles),
        Arc::new(resources::contacts::ComponentContacts {
            scope: almanac_store::contacts::Scope::Global,
            prefix: "global-component-contacts",
        }),
        Arc::new(resources::contacts::ComponentContacts {
            scope: almanac_store::contacts::Scope::Release,
            prefix: "release-component-contacts",
        }),
        Arc::new(resources::permissions::GroupResourcePermissions),
        Arc::new(resources::permissions::Groups),
        Arc::new(resources::changesets::Changesets),
        Arc::new(resources::composes::Composes),
        Arc::new(resources::composes::ComposeTreeLocations),
        Arc::new(resources::packages::Rpms),
        Arc::new(resources::packages::Images),
        Arc::new(resources::overrides::RpmOverrides),
        Arc::new(resources::rtt_tests::ComposeTreeRttTests),
        Arc::new(resources::rtt_tests::ComposeImageRttTests),
    ]
}

/// Every resource's prefix (the names permissions are granted on).
pub fn prefixes() -> Vec<&'static str> {
    resources().iter().map(|r| r.prefix()).collect()
}

pub fn routes() -> Routes {
    let mut router = Routes::new()
        .route(&format!("{API_ROOT}/"), get(root))
        .merge(auth::routes())
        .merge(rpc::routes())
        .merge(compose_rpc::routes());
    for res in resources() {
        router = handlers::mount(router, res);
    }
    router
}

/// `GET /rest_api/v1/`: every resource and its list URL.
async fn root(State(state): State<AppState>, headers: HeaderMap) -> axum::Json<Value> {
    let base = state.base_url(&headers);
    let mut map = Map::new();
    for res in resources() {
        map.insert(
            res.prefix().to_string(),
            Value::String(format!("{base}{API_ROOT}/{}/", res.prefix())),
        );
    }
    for prefix in compose_rpc::PREFIXES.into_iter().chain([
        "auth/current-user",
        "auth/token",
        "rpc/release/clone",
        "rpc/release/clone-components",
        "rpc/release/import-from-composeinfo",
    ]) {
        map.insert(
            prefix.to_string(),
            Value::String(format!("{base}{API_ROOT}/{prefix}/")),
        );
    }
    axum::Json(Value::Object(map))
}
