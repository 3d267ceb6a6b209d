//! Every route of the router, every method: writes refuse a missing token, a
//! wrong one and one without the permission, and write nothing; reads stay
//! open, as the ancestors' were.
//!
//! The routes come from [`almanac_api::routes`], the list the router is
//! built from, so a route added later is walked too. Which methods a path
//! serves is asked of the router itself: a 405 means not served.

use super::{App, run, token};
use almanac_api::ApiSettings;
use almanac_api::waivers::WaiverSettings;
use almanac_model::waivers::Permission;
use almanac_store::both_engines;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Answered by POST and changing nothing: Greenwave's decision, WaiverDB's
/// filtered reads, the graph's queries.
const READS_BY_POST: &[&str] = &[
    "/api/v1.0/decision",
    "/api/v1.0/waivers/+filtered",
    "/api/v1.0/waivers/+by-subjects-and-testcases",
    "/api/almanac/v1/graph/query",
    "/api/almanac/v1/graph/rebuild-plan",
    "/api/almanac/v1/graph/edges/query",
];

/// Reads that need credentials, as PDC's: who am I, and my token.
const SIGNED_IN_READS: &[&str] = &[
    "/rest_api/v1/auth/current-user/",
    "/rest_api/v1/auth/token/obtain/",
];

/// The web UI's session: signing in takes a token in a form, signing out
/// forgets the cookie; neither writes to the store.
const SESSION: &[&str] = &["/ui/sign-in", "/ui/sign-out"];

const WRITE_METHODS: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

fn settings() -> ApiSettings {
    let everything = |group: &str| Permission {
        name: format!("{group} may"),
        testcases: vec!["*".into()],
        groups: vec![group.into()],
        ..Default::default()
    };
    ApiSettings {
        results_require_token: true,
        results_permissions: vec![everything("ci")],
        waivers: WaiverSettings {
            permissions: vec![everything("qa")],
            superusers: Vec::new(),
        },
        ..ApiSettings::default()
    }
}

/// A concrete URL for a path template: each `{param}` becomes a value.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed parameter") + start;
        let name = &rest[start + 1..end];
        out.push_str(if name.starts_with('*') { "1/" } else { "1" });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A body the write would accept from a caller who may: the refusal must
/// come from the credentials, not from the body.
fn body_for(path: &str) -> Value {
    match path {
        "/api/v2.0/results" | "/api/v2.0/results/" => json!({
            "testcase": "dist.rpmlint", "outcome": "PASSED",
            "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"}
        }),
        "/api/v2.0/testcases" | "/api/v2.0/testcases/" => json!({"name": "dist.rpmlint"}),
        "/api/v1.0/waivers" | "/api/v1.0/waivers/" => json!({
            "subject_type": "koji_build", "subject_identifier": "foo-1.0-1.fc40",
            "testcase": "dist.rpmlint", "product_version": "fedora-40",
            "waived": true, "comment": "flaky"
        }),
        _ => json!({}),
    }
}

struct Answer {
    status: StatusCode,
    body: String,
}

async fn call(app: &App, method: Method, url: &str, token: Option<&str>) -> Answer {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(url)
        .header("host", "almanac.test");
    if let Some(t) = token {
        req = req
            .header("authorization", format!("Token {t}"))
            .header("cookie", format!("almanac_token={t}"));
    }
    let body = if method == Method::GET {
        Body::empty()
    } else {
        req = req.header("content-type", "application/json");
        Body::from(body_for(url).to_string())
    };
    let response = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
    }
}

both_engines!(fn every_write_refuses_without_the_permission_and_every_read_is_open(db) {
    run(async {
        let app = App::with(db, settings());
        let outsider = token(&app, "outsider", &["visitors"], false);
        let root = token(&app, "root", &[], true);
        let paths = almanac_api::routes().paths().to_vec();
        assert!(paths.len() > 150, "the walk sees {} paths", paths.len());
        let before = app.row_counts().await;

        let mut writes = 0;
        let mut refusals = Vec::new();
        let mut reads = 0;
        for template in &paths {
            let url = concrete(template);
            // Reads: open to anyone, never a 5xx.
            let get = call(&app, Method::GET, &url, None).await;
            if get.status != StatusCode::METHOD_NOT_ALLOWED {
                reads += 1;
                let signed_in = SIGNED_IN_READS.contains(&template.as_str());
                if signed_in {
                    assert_eq!(get.status, StatusCode::UNAUTHORIZED, "GET {url}: {}", get.body);
                } else {
                    assert!(
                        !matches!(get.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                        "GET {url} is a read and must be open: {} {}", get.status, get.body
                    );
                }
                assert!(!get.status.is_server_error(), "GET {url}: {} {}", get.status, get.body);
            }
            for method in WRITE_METHODS {
                let anonymous = call(&app, method.clone(), &url, None).await;
                if anonymous.status == StatusCode::METHOD_NOT_ALLOWED {
                    continue;
                }
                assert!(!anonymous.status.is_server_error(), "{method} {url}: {} {}", anonymous.status, anonymous.body);
                if READS_BY_POST.contains(&template.as_str()) {
                    assert!(
                        !matches!(anonymous.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                        "{method} {url} is a read and must be open: {} {}", anonymous.status, anonymous.body
                    );
                    continue;
                }
                if SIGNED_IN_READS.contains(&template.as_str()) || SESSION.contains(&template.as_str()) {
                    continue;
                }
                // A PDC path without its slash sends reads to the one with
                // it and answers writes 404, as Django's APPEND_SLASH does:
                // the write is checked there.
                let slashed = paths.contains(&format!("{template}/"));
                if anonymous.status.is_redirection()
                    || slashed && anonymous.status == StatusCode::NOT_FOUND
                {
                    continue;
                }
                writes += 1;
                let wrong = call(&app, method.clone(), &url, Some("0123456789abcdef-not-a-token")).await;
                let outside = call(&app, method.clone(), &url, Some(&outsider)).await;
                for (who, answer, allowed) in [
                    ("no token", &anonymous, [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN]),
                    ("a wrong token", &wrong, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED]),
                    ("a token without the permission", &outside, [StatusCode::FORBIDDEN, StatusCode::UNAUTHORIZED]),
                ] {
                    if !allowed.contains(&answer.status) {
                        refusals.push(format!("{method} {url} with {who}: {} {}", answer.status, answer.body));
                    }
                }
            }
        }
        assert!(refusals.is_empty(), "writes not refused:\n{}", refusals.join("\n"));
        assert!(writes > 100, "only {writes} writes were walked");
        assert!(reads > 100, "only {reads} reads were walked");
        assert_eq!(app.row_counts().await, before, "a refused write wrote something");

        // The refusals are the credentials', not the routes': a superuser
        // is let through every one of them. (The web UI's forms also want
        // their CSRF field, which the browser test fills in.)
        for template in &paths {
            if READS_BY_POST.contains(&template.as_str()) || template.starts_with("/ui") {
                continue;
            }
            let url = concrete(template);
            for method in WRITE_METHODS {
                let answer = call(&app, method.clone(), &url, Some(&root)).await;
                assert!(
                    !matches!(answer.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                        || SIGNED_IN_READS.contains(&template.as_str()),
                    "{method} {url} refuses a superuser: {} {}", answer.status, answer.body
                );
                assert!(!answer.status.is_server_error(), "{method} {url} as root: {} {}", answer.status, answer.body);
            }
        }
    });
});
