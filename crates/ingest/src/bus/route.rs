//! Which handler a message goes to: by its topic first, then by the shape
//! of its body, as resultsdb-updater chose; the model's sources (pungi,
//! koji, the package database and dist-git, accounts) by topic.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The legacy CI-metrics form.
    CiMetrics,
    /// The CI messages spec (UMB and Fedora topics alike).
    CiUmb,
    /// A result in ResultsDB's own shape, single or bulk.
    ResultsdbFormat,
    /// pungi's `compose.status.change`.
    ComposeStatus,
    /// koji's `buildsys.tag`: a build tagged.
    KojiTag,
    /// koji's `buildsys.build.state.change`: a build finished (or not).
    KojiBuild,
    /// A new package or branch in the package database or dist-git.
    Package,
    /// A new user in the account system.
    Account,
    /// Nothing to do, and why.
    Ignored(String),
}

impl Route {
    /// The handler's name, as the journal records it.
    pub fn handler(&self) -> Option<&'static str> {
        match self {
            Route::CiMetrics => Some("ci-metrics"),
            Route::CiUmb => Some("ci-messages"),
            Route::ResultsdbFormat => Some("resultsdb-format"),
            Route::ComposeStatus => Some("compose"),
            Route::KojiTag => Some("koji-tag"),
            Route::KojiBuild => Some("koji-build"),
            Route::Package => Some("packages"),
            Route::Account => Some("accounts"),
            Route::Ignored(_) => None,
        }
    }
}

/// Whether `topic` is `suffix` under some prefix (`org.fedoraproject.prod.`).
fn is(topic: &str, suffix: &str) -> bool {
    topic
        .strip_suffix(suffix)
        .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('.'))
}

/// The topics of the model's sources, and their handlers.
const SOURCES: &[(&str, Route)] = &[
    ("pungi.compose.status.change", Route::ComposeStatus),
    ("buildsys.tag", Route::KojiTag),
    ("buildsys.build.state.change", Route::KojiBuild),
    ("pkgdb.package.new", Route::Package),
    ("pkgdb.package.branch.new", Route::Package),
    ("pagure.project.new", Route::Package),
    ("pagure.git.branch.creation", Route::Package),
    ("fas.user.create", Route::Account),
];

pub fn route(topic: &str, body: &Value) -> Route {
    if let Some((_, r)) = SOURCES.iter().find(|(suffix, _)| is(topic, suffix)) {
        return r.clone();
    }
    let Some(keys) = body.as_object() else {
        return Route::Ignored("the body is not an object".into());
    };
    if topic == "/topic/VirtualTopic.eng.platformci.tier1.result" {
        return Route::CiMetrics;
    }
    let has = |k: &str| keys.contains_key(k);
    if has("run") && has("artifact") && (has("ci") || has("contact")) {
        return Route::CiUmb;
    }
    if (has("data") && has("outcome") && has("ref_url") && has("testcase"))
        || (has("results") && has("ref_url"))
    {
        return Route::ResultsdbFormat;
    }
    Route::Ignored(format!("no handler for a message like this on {topic}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_go_by_topic_under_any_prefix() {
        let b = json!({});
        assert_eq!(
            route("org.fedoraproject.prod.buildsys.tag", &b),
            Route::KojiTag
        );
        assert_eq!(route("buildsys.tag", &b), Route::KojiTag);
        assert_eq!(
            route("org.fedoraproject.prod.buildsys.build.state.change", &b),
            Route::KojiBuild
        );
        assert_eq!(
            route("org.fedoraproject.stg.fas.user.create", &b),
            Route::Account
        );
        assert_eq!(
            route("org.fedoraproject.prod.pkgdb.package.branch.new", &b),
            Route::Package
        );
        // Not a suffix at a dot.
        assert!(matches!(
            route("org.fedoraproject.prod.xbuildsys.tag", &b),
            Route::Ignored(_)
        ));
        // CI messages about koji builds are CI's.
        let ci = json!({"run": {}, "artifact": {}, "ci": {}});
        assert_eq!(
            route("org.centos.prod.ci.koji-build.test.complete", &ci),
            Route::CiUmb
        );
    }
}
