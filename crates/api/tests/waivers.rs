//! WaiverDB's API on both engines: creation and its refusals, permissions
//! and proxying, revocation by a newer waiver, the list's filters, pages and
//! obsolete waivers, `+filtered`, and the event each waiver writes.

use super::{App, run, token};
use almanac_api::ApiSettings;
use almanac_api::waivers::WaiverSettings;
use almanac_model::waivers::Permission;
use almanac_store::both_engines;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

fn settings() -> ApiSettings {
    ApiSettings {
        waivers: WaiverSettings {
            permissions: vec![Permission {
                name: "QA".into(),
                testcases: vec!["dist.*".into(), "compose.*".into()],
                testcases_ignore: vec!["compose.secret".into()],
                groups: vec!["qa".into()],
                users: vec!["bodhi".into()],
                ..Default::default()
            }],
            superusers: vec!["bodhi".into()],
        },
        ..ApiSettings::default()
    }
}

async fn post_as(app: &App, path: &str, body: Value, token: &str) -> (StatusCode, Value) {
    app.send(
        Request::post(path)
            .header("host", "almanac.test")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

fn waiver(subject: &str, testcase: &str) -> Value {
    json!({"subject_type": "koji_build", "subject_identifier": subject, "testcase": testcase,
           "product_version": "fedora-41", "comment": "known flake"})
}

both_engines!(fn waivers_are_created_refused_revoked_and_listed_as_waiverdb_does(db) {
    run(async {
        let app = App::with(db, settings());
        let alice = token(&app, "alice", &["qa"], false);
        let mallory = token(&app, "mallory", &["packager"], false);
        let bodhi = token(&app, "bodhi", &[], false);

        // Without a token, and with a wrong one.
        let (status, _) = app.post("/api/v1.0/waivers/", waiver("bash-5.2-1.fc41", "dist.abicheck")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = post_as(&app, "/api/v1.0/waivers/", waiver("bash-5.2-1.fc41", "dist.abicheck"), "nope").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Outside the mapping, and for a testcase it ignores.
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", waiver("bash-5.2-1.fc41", "dist.abicheck"), &mallory).await;
        assert_eq!((status, body["message"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "You are not authorized to submit a waiver for the test case dist.abicheck"));
        let (status, _) = post_as(&app, "/api/v1.0/waivers/", waiver("bash-5.2-1.fc41", "compose.secret"), &alice).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Bad input names the field; nothing is written.
        let mut bad = waiver("bash-5.2-1.fc41", "dist.abicheck");
        bad.as_object_mut().unwrap().remove("product_version");
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", bad, &alice).await;
        assert_eq!((status, body["message"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "Missing required parameter: product_version"));
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", json!([waiver("a-1-1", "dist.x"), {"testcase": "dist.y"}]), &alice).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["message"].as_str().unwrap().starts_with("waiver 1: "), "{body}");
        assert_eq!(app.count("waivers").await, 0);

        // A waiver, in WaiverDB's shape; brew-build is koji_build.
        let mut w = waiver("bash-5.2-1.fc41", "dist.abicheck");
        w["subject_type"] = json!("brew-build");
        let (status, first) = post_as(&app, "/api/v1.0/waivers/", w, &alice).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let id = first["id"].as_i64().unwrap();
        assert_eq!(first["subject_type"], "koji_build");
        assert_eq!(first["subject"], json!({"type": "koji_build", "item": "bash-5.2-1.fc41"}));
        assert_eq!((first["username"].as_str(), first["proxied_by"].is_null(), first["waived"].as_bool()), (Some("alice"), true, Some(true)));
        assert!(first["timestamp"].as_str().unwrap().len() >= 19 && !first["timestamp"].as_str().unwrap().ends_with('Z'));
        let (status, read) = app.get(&format!("/api/v1.0/waivers/{id}")).await;
        assert_eq!((status, &read), (StatusCode::OK, &first));
        let (status, body) = app.get("/api/v1.0/waivers/999999").await;
        assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"message": "Waiver not found"})));

        // Proxied: only a superuser may; the waiver is the named user's.
        let mut proxied = waiver("glibc-2.40-1.fc41", "dist.rpmdeplint");
        proxied["username"] = json!("alice");
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", proxied.clone(), &mallory).await;
        assert_eq!((status, body["message"].as_str().unwrap()), (StatusCode::FORBIDDEN, "user mallory does not have the proxyuser ability"));
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", proxied, &bodhi).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!((body["username"].as_str(), body["proxied_by"].as_str()), (Some("alice"), Some("bodhi")));

        // Revoked by a newer one; the list shows the newest only, unless asked.
        let mut revoke = waiver("bash-5.2-1.fc41", "dist.abicheck");
        revoke["waived"] = json!(false);
        revoke["comment"] = json!("fixed after all");
        let (status, revoked) = post_as(&app, "/api/v1.0/waivers/", revoke, &alice).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, listed) = app.get("/api/v1.0/waivers/?subject_identifier=bash-5.2-1.fc41").await;
        let ids: Vec<i64> = listed["data"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [revoked["id"].as_i64().unwrap()]);
        let (_, all) = app.get("/api/v1.0/waivers/?subject_identifier=bash-5.2-1.fc41&include_obsolete=true").await;
        assert_eq!(all["data"].as_array().unwrap().len(), 2);

        // A list is stored whole, and pages are 1-based with totals.
        let many: Vec<Value> = (0..12).map(|i| waiver(&format!("pkg{i}-1-1.fc41"), "dist.rpmlint")).collect();
        let (status, created) = post_as(&app, "/api/v1.0/waivers/", Value::Array(many), &alice).await;
        assert_eq!((status, created.as_array().unwrap().len()), (StatusCode::CREATED, 12));
        let (_, page1) = app.get("/api/v1.0/waivers/?testcase=dist.rpmlint").await;
        assert_eq!(page1["data"].as_array().unwrap().len(), 10);
        assert!(page1["prev"].is_null());
        assert!(page1["next"].as_str().unwrap().contains("page=2"), "{page1}");
        assert!(page1["last"].as_str().unwrap().contains("page=2"));
        let (_, page2) = app.get("/api/v1.0/waivers/?testcase=dist.rpmlint&page=2").await;
        assert_eq!(page2["data"].as_array().unwrap().len(), 2);
        assert!(page2["next"].is_null());
        let (_, past) = app.get("/api/v1.0/waivers/?testcase=dist.rpmlint&page=9").await;
        assert_eq!(past, json!({"data": [], "prev": null, "next": null, "first": null, "last": null}));
        let (status, body) = app.get("/api/v1.0/waivers/?colour=red").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = app.get("/api/v1.0/waivers/?since=yesterday").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, by_user) = app.get("/api/v1.0/waivers/?proxied_by=bodhi").await;
        assert_eq!(by_user["data"].as_array().unwrap().len(), 1);

        // +filtered: filters OR'ed, newest per subject, testcase and scenario.
        let (status, found) = app.post("/api/v1.0/waivers/+filtered", json!({"filters": [
            {"subject_type": "koji_build", "subject_identifier": "bash-5.2-1.fc41"},
            {"subject_type": "koji_build", "subject_identifier": "glibc-2.40-1.fc41", "testcase": "dist.rpmdeplint"},
        ]})).await;
        assert_eq!(status, StatusCode::OK);
        let found: Vec<(String, bool)> = found["data"].as_array().unwrap().iter()
            .map(|w| (w["subject_identifier"].as_str().unwrap().to_string(), w["waived"].as_bool().unwrap())).collect();
        assert_eq!(found, [("bash-5.2-1.fc41".to_string(), false), ("glibc-2.40-1.fc41".to_string(), true)]);
        let (status, _) = app.post("/api/v1.0/waivers/+filtered", json!({"filters": []})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, legacy) = app.post("/api/v1.0/waivers/+by-subjects-and-testcases", json!({"results": [
            {"subject": {"type": "koji_build", "item": "glibc-2.40-1.fc41"}, "testcase": "dist.rpmdeplint"}
        ], "product_version": "fedora-41"})).await;
        assert_eq!(legacy["data"].as_array().unwrap().len(), 1);

        // By result id, as waiverdb-cli -r sends it: the result's subject,
        // testcase and scenario.
        let (_, r) = app.post("/api/v2.0/results", json!({"testcase": {"name": "dist.upgradepath"}, "outcome": "FAILED",
            "data": {"item": "vim-9.1-1.fc41", "type": "koji_build", "scenario": "x86_64"}})).await;
        let (status, by_result) = post_as(&app, "/api/v1.0/waivers/", json!({"result_id": r["id"], "product_version": "fedora-41",
            "comment": "flaky mirror"}), &alice).await;
        assert_eq!(status, StatusCode::CREATED, "{by_result}");
        assert_eq!((by_result["subject_identifier"].as_str(), by_result["testcase"].as_str(), by_result["scenario"].as_str()),
                   (Some("vim-9.1-1.fc41"), Some("dist.upgradepath"), Some("x86_64")));
        let (status, body) = post_as(&app, "/api/v1.0/waivers/", json!({"result_id": 999999, "product_version": "fedora-41",
            "comment": "x"}), &alice).await;
        assert_eq!((status, body["message"].as_str()), (StatusCode::BAD_REQUEST, Some("Result id not found in Resultsdb")));
        let (status, _) = post_as(&app, "/api/v1.0/waivers/", json!({"result_id": r["id"], "testcase": "other",
            "product_version": "fedora-41", "comment": "x"}), &alice).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Every waiver wrote its event.
        assert_eq!(app.count("waivers").await, 16);
        let events = tokio::task::block_in_place(|| app.state.store.read_blocking(|c| almanac_store::outbox::unpublished(c, 100)).unwrap());
        let waiver_events: Vec<_> = events.iter().filter(|e| e.topic == "waiverdb.waiver.new").collect();
        assert_eq!(waiver_events.len(), 16);
        let body: Value = serde_json::from_str(&waiver_events[0].payload).unwrap();
        assert_eq!(body, first);

        // The mapping is visible, and filtered by testcase.
        let (_, perms) = app.get("/api/v1.0/permissions?testcase=dist.abicheck").await;
        assert_eq!(perms.as_array().unwrap().len(), 1);
        let (_, perms) = app.get("/api/v1.0/permissions?testcase=other").await;
        assert_eq!(perms, json!([]));
        let (status, about) = app.get("/api/v1.0/about").await;
        assert_eq!(status, StatusCode::OK);
        assert!(about["version"].is_string());
    });
});
