//! Which handler a message goes to: by its topic first, then by the shape
//! of its body, as resultsdb-updater chose, and pungi's compose status.

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
            Route::Ignored(_) => None,
        }
    }
}

pub fn route(topic: &str, body: &Value) -> Route {
    if topic.ends_with(".pungi.compose.status.change") || topic == "pungi.compose.status.change" {
        return Route::ComposeStatus;
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
