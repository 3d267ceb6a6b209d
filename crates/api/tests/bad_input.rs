//! The compatible APIs' writes (ResultsDB, WaiverDB, Greenwave, PDC) given
//! bad bodies: malformed JSON, wrong types at every field, huge bodies, deep
//! nesting, odd unicode and SQL-looking strings. Each is a 4xx whose message
//! names the problem, never a 5xx, and nothing is written.

use super::{App, run, token};
use almanac_store::both_engines;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Each compatible write, with a body it accepts.
fn writes() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/v2.0/results",
            json!({"testcase": {"name": "dist.rpmlint", "ref_url": "https://ci/tc"},
                   "outcome": "PASSED", "note": "fine", "ref_url": "https://ci/1",
                   "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"},
                   "groups": [{"uuid": "7f3c9c56-1d5d-4a55-9ff2-9d5e4b7e2a10", "description": "run"}],
                   "submit_time": "2024-05-01T10:00:00"}),
        ),
        (
            "/api/v2.0/testcases",
            json!({"name": "dist.abicheck", "ref_url": "https://ci/abi"}),
        ),
        (
            "/api/v2.0/groups",
            json!({"uuid": "1c7e3a1e-0d4e-4a0b-9a55-3f1f0b2d9c11", "description": "a run", "ref_url": "https://ci/g"}),
        ),
        (
            "/api/v1.0/waivers/",
            json!({"subject_type": "koji_build", "subject_identifier": "foo-1.0-1.fc40",
                   "testcase": "dist.rpmlint", "product_version": "fedora-40",
                   "waived": true, "comment": "flaky"}),
        ),
        (
            "/api/v1.0/decision",
            json!({"decision_context": "bodhi_update_push_stable", "product_version": "fedora-40",
                   "subject_type": "koji_build", "subject_identifier": "foo-1.0-1.fc40"}),
        ),
        (
            "/rest_api/v1/products/",
            json!({"name": "Fedora", "short": "fedora"}),
        ),
        ("/rest_api/v1/global-components/", json!({"name": "bash"})),
        (
            "/rest_api/v1/sigkeys/",
            json!({"name": "fedora-40", "key_id": "a15b79cc", "description": "Fedora 40"}),
        ),
    ]
}

/// Every JSON type but `value`'s own (and null, which optional fields take).
fn other_types(value: &Value) -> Vec<Value> {
    let all = [
        json!(12345),
        json!("text"),
        json!([1, 2]),
        json!({"x": 1}),
        json!(true),
    ];
    all.into_iter()
        .filter(|v| std::mem::discriminant(v) != std::mem::discriminant(value))
        .collect()
}

async fn post(app: &App, path: &str, token: &str, body: impl Into<Body>) -> (StatusCode, String) {
    let req = Request::post(path)
        .header("host", "almanac.test")
        .header("content-type", "application/json")
        .header("authorization", format!("Token {token}"))
        .body(body.into())
        .unwrap();
    let response = app.router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

both_engines!(fn bad_bodies_are_4xx_naming_the_problem_and_write_nothing(db) {
    run(async {
        let app = App::new(db);
        let root = token(&app, "root", &[], true);
        let before = app.row_counts().await;
        let mut wrong = Vec::new();
        let mut cases = 0;
        let mut check = |path: &str, what: &str, status: StatusCode, body: &str, names: &[&str]| {
            cases += 1;
            let lower = body.to_lowercase();
            let named = names.is_empty() || names.iter().any(|n| lower.contains(&n.to_lowercase()));
            if !status.is_client_error() || !named {
                wrong.push(format!("{path} {what}: {status} {}", body.chars().take(240).collect::<String>()));
            }
        };
        for (path, valid) in writes() {
            // Not JSON, or not finished.
            for raw in ["{\"name\": ", "not json at all", "{\"a\": 1,}", "\u{feff}{}", ""] {
                let (status, body) = post(&app, path, &root, raw).await;
                check(path, &format!("body {raw:?}"), status, &body, &["json", "body", "expected", "eof"]);
            }
            // The wrong shape altogether.
            for top in [json!(42), json!("text"), json!(null), json!(true)] {
                let (status, body) = post(&app, path, &root, top.to_string()).await;
                check(path, &format!("body {top}"), status, &body, &[]);
            }
            let object = valid.as_object().unwrap();
            for (key, value) in object {
                // The wrong type at each field, named in the answer.
                for other in other_types(value) {
                    // Forms these fields take: a testcase by name, data as
                    // pairs, a time in milliseconds, and PDC's text fields
                    // take numbers as their text (as Django REST framework's).
                    if key == "testcase" && (other.is_object() || other.is_string())
                        || key == "data" && other.is_array()
                        || key == "submit_time" && other.is_number()
                        || path.starts_with("/rest_api/") && other.is_number()
                    {
                        continue;
                    }
                    let mut bad = object.clone();
                    bad.insert(key.clone(), other.clone());
                    let (status, body) = post(&app, path, &root, Value::Object(bad).to_string()).await;
                    // ResultsDB's own words for a bad time name no field.
                    let spaced = key.replace('_', " ");
                    let names = [key.as_str(), &spaced, if key == "submit_time" { "timestamp" } else { key }];
                    check(path, &format!("{key}={other}"), status, &body, &names);
                }
                if !value.is_string() {
                    continue;
                }
                // A NUL, an unpaired surrogate (not even JSON), SQL in a
                // field that has a form.
                for odd in ["nul\u{0}here"] {
                    let mut bad = object.clone();
                    bad.insert(key.clone(), json!(odd));
                    let (status, body) = post(&app, path, &root, Value::Object(bad).to_string()).await;
                    check(path, &format!("{key} with a NUL"), status, &body, &[key.as_str(), "nul", "control"]);
                }
                let raw = Value::Object(object.clone())
                    .to_string()
                    .replacen(&format!("\"{key}\":\"{}\"", value.as_str().unwrap()), &format!("\"{key}\":\"\\ud800\""), 1);
                let (status, body) = post(&app, path, &root, raw).await;
                check(path, &format!("{key} with a lone surrogate"), status, &body, &["json", "surrogate", "unicode", "escape"]);
            }
            // Deep nesting where a value goes.
            let first = object.keys().next().unwrap();
            let deep = Value::Object(object.clone())
                .to_string()
                .replacen(&format!("\"{first}\":"), &format!("\"{first}\":{},\"_\":", nested(100_000)), 1);
            let (status, body) = post(&app, path, &root, deep).await;
            check(path, "100,000 levels deep", status, &body, &["json", "recursion", "deep", "nest", "body"]);
            // Over the body limit.
            let mut huge = object.clone();
            huge.insert(first.clone(), json!("x".repeat(11 * 1024 * 1024)));
            let (status, body) = post(&app, path, &root, Value::Object(huge).to_string()).await;
            check(path, "11 MiB", status, &body, &["large", "bytes", "limit"]);
        }
        // SQL where a form is expected.
        let sql = "x'; DROP TABLE results; --";
        for (path, field, names) in [
            ("/api/v2.0/results", "outcome", &["outcome"][..]),
            ("/api/v2.0/results", "submit_time", &["datetime"]),
            ("/api/v1.0/waivers/", "waived", &["waived"]),
            ("/api/v1.0/decision", "decision_context", &["policies", "gating point"]),
            ("/rest_api/v1/sigkeys/", "key_id", &["key_id", "key id"]),
        ] {
            let (_, valid) = writes().into_iter().find(|(p, _)| *p == path).unwrap();
            let mut bad = valid.as_object().unwrap().clone();
            bad.insert(field.into(), json!(sql));
            let (status, body) = post(&app, path, &root, Value::Object(bad).to_string()).await;
            check(path, &format!("{field} = {sql:?}"), status, &body, names);
        }
        assert!(wrong.is_empty(), "{} of {cases} bad bodies were not refused by name:\n{}", wrong.len(), wrong.join("\n"));
        assert!(cases > 150, "only {cases} cases");
        assert_eq!(app.row_counts().await, before, "a refused body wrote something");

        // SQL and odd unicode in free text are text: stored as given, and
        // every table still there.
        let text = "Robert'); DROP TABLE results;-- \u{202e}txet\u{202c} 🚀 e\u{301}";
        let (_, mut valid) = writes().into_iter().next().unwrap();
        valid["note"] = json!(text);
        let (status, body) = post(&app, "/api/v2.0/results", &root, valid.to_string()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let created: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(created["note"], json!(text));
        let after = app.row_counts().await;
        assert_eq!(after.len(), before.len(), "every table is still there");
    });
});
