//! Greenwave's decision API on both engines, as Bodhi calls it: results
//! posted to the ResultsDB API, waivers to the WaiverDB API, decisions that
//! are missing, failed, errored, waived, passing, under wildcard product
//! versions, ring-based rules and several subjects at once.

use super::{App, run};
use almanac_api::ApiSettings;
use almanac_api::gating::GatingSettings;
use almanac_model::policies::parse_policies;
use almanac_store::{Actor, both_engines, tokens};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

const POLICIES: &str = r#"
--- !Policy
id: taskotron_release_critical_tasks_for_stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
excluded_packages: [python2-*]
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
--- !Policy
id: ring0_functional
product_versions: [fedora-41]
decision_contexts: [bodhi_update_push_stable, bodhi_update_push_testing]
subject_type: koji_build
component_groups: [ring 0]
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
--- !Policy
id: compose_gate
product_versions: [fedora-*]
decision_context: compose_accept
subject_type: compose
rules:
  - !PassingTestCaseRule {test_case_name: compose.install, scenario: fedora.Server.x86_64}
--- !Policy
id: image_boot
product_versions: [fedora-*]
decision_context: compose_accept
subject_type: image
rules:
  - !PassingTestCaseRule {test_case_name: image.boot}
"#;

fn settings() -> ApiSettings {
    ApiSettings {
        gating: GatingSettings {
            policies: Arc::new(parse_policies("fedora.yaml", POLICIES).unwrap()),
            remote_rule_sources: Vec::new(),
        },
        ..ApiSettings::default()
    }
}

async fn post_token(app: &App, path: &str, body: Value, token: &str) -> (StatusCode, Value) {
    app.send(
        Request::post(path)
            .header("host", "almanac.test")
            .header("content-type", "application/json")
            .header("authorization", format!("Token {token}"))
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn result(app: &App, nvr: &str, testcase: &str, outcome: &str, extra: Value) -> i64 {
    let mut data = json!({"item": nvr, "type": "koji_build"});
    if let Value::Object(o) = extra {
        for (k, v) in o {
            data[k] = v;
        }
    }
    let (status, r) = app
        .post(
            "/api/v2.0/results",
            json!({"testcase": {"name": testcase}, "outcome": outcome, "data": data}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["id"].as_i64().unwrap()
}

async fn decide(app: &App, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1.0/decision", body).await
}

/// Bodhi's call: the update's builds as a legacy subject list, verbose.
fn bodhi_request(context: &str, nvrs: &[&str]) -> Value {
    json!({
        "product_version": "fedora-41",
        "decision_context": context,
        "subject": nvrs.iter().map(|n| json!({"item": n, "type": "koji_build"}))
            .chain(std::iter::once(json!({"item": "FEDORA-2026-abc123", "type": "bodhi_update"})))
            .collect::<Vec<_>>(),
        "verbose": true,
    })
}

both_engines!(fn decisions_follow_results_waivers_rings_and_policies(db) {
    run(async {
        let app = App::with(db, settings());
        let admin = tokio::task::block_in_place(|| app.state.store.write_blocking(|c|
            tokens::create_token(c, "bodhi", &[], true, &Actor::anonymous("test"))).unwrap());

        // glibc is in ring 0 of fedora-41.
        for (path, body) in [
            ("/rest_api/v1/products/", json!({"name": "Fedora", "short": "fedora"})),
            ("/rest_api/v1/releases/", json!({"short": "fedora", "version": "41", "name": "Fedora", "release_type": "ga"})),
            ("/rest_api/v1/global-components/", json!({"name": "glibc"})),
            ("/rest_api/v1/release-components/", json!({"release": "fedora-41", "global_component": "glibc", "name": "glibc"})),
            ("/rest_api/v1/component-group-types/", json!({"name": "ring", "description": "rings"})),
            ("/rest_api/v1/component-groups/", json!({"group_type": "ring", "release": "fedora-41", "description": "ring 0",
                "components": [{"release": "fedora-41", "name": "glibc"}]})),
        ] {
            let (status, body) = post_token(&app, path, body, &admin).await;
            assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
        }

        let one = |nvr: &str| json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
                                    "subject_type": "koji_build", "subject_identifier": nvr});

        // Missing.
        let (status, d) = decide(&app, one("bash-5.2-1.fc41")).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["policies_satisfied"], false);
        assert_eq!(d["summary"], "1 of 1 required test results missing");
        assert_eq!(d["applicable_policies"], json!(["taskotron_release_critical_tasks_for_stable"]));
        assert_eq!(d["unsatisfied_requirements"][0]["type"], "test-result-missing");
        assert_eq!(d["unsatisfied_requirements"][0]["item"], json!({"type": "koji_build", "item": "bash-5.2-1.fc41"}));
        // Failed, then errored, then passed: the latest result counts.
        let failed = result(&app, "bash-5.2-1.fc41", "dist.rpmdeplint", "FAILED", json!({})).await;
        let (_, d) = decide(&app, one("bash-5.2-1.fc41")).await;
        assert_eq!((d["summary"].as_str(), d["unsatisfied_requirements"][0]["result_id"].as_i64()), (Some("1 of 1 required tests failed"), Some(failed)));
        result(&app, "bash-5.2-1.fc41", "dist.rpmdeplint", "ERROR", json!({"error_reason": "CI broke"})).await;
        let (_, d) = decide(&app, one("bash-5.2-1.fc41")).await;
        assert_eq!(d["summary"], "1 of 1 required tests failed (1 error)");
        assert_eq!(d["unsatisfied_requirements"][0]["error_reason"], "CI broke");
        result(&app, "bash-5.2-1.fc41", "dist.rpmdeplint", "PASSED", json!({})).await;
        let (_, d) = decide(&app, one("bash-5.2-1.fc41")).await;
        assert_eq!((d["policies_satisfied"].as_bool(), d["summary"].as_str()), (Some(true), Some("All required tests passed")));
        // `when` before the pass: the decision as it was then.
        let (status, d) = decide(&app, json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
            "subject_type": "koji_build", "subject_identifier": "bash-5.2-1.fc41", "when": "1999-01-01T00:00:00.000000"})).await;
        assert_eq!((status, d["summary"].as_str()), (StatusCode::OK, Some("1 of 1 required test results missing")));

        // Waived, then revoked.
        result(&app, "zsh-5.9-1.fc41", "dist.rpmdeplint", "FAILED", json!({})).await;
        let (status, w) = post_token(&app, "/api/v1.0/waivers/", json!({"subject_type": "koji_build", "subject_identifier": "zsh-5.9-1.fc41",
            "testcase": "dist.rpmdeplint", "product_version": "fedora-41", "comment": "false positive"}), &admin).await;
        assert_eq!(status, StatusCode::CREATED, "{w}");
        let (_, d) = decide(&app, one("zsh-5.9-1.fc41")).await;
        assert_eq!(d["policies_satisfied"], true);
        assert_eq!(d["satisfied_requirements"][0]["type"], "test-result-failed-waived");
        assert_eq!(d["satisfied_requirements"][0]["waiver_id"], w["id"]);
        post_token(&app, "/api/v1.0/waivers/", json!({"subject_type": "koji_build", "subject_identifier": "zsh-5.9-1.fc41",
            "testcase": "dist.rpmdeplint", "product_version": "fedora-41", "comment": "not a false positive", "waived": false}), &admin).await;
        let (_, d) = decide(&app, one("zsh-5.9-1.fc41")).await;
        assert_eq!(d["policies_satisfied"], false);
        // A waiver for another product version does not count.
        post_token(&app, "/api/v1.0/waivers/", json!({"subject_type": "koji_build", "subject_identifier": "zsh-5.9-1.fc41",
            "testcase": "dist.rpmdeplint", "product_version": "fedora-40", "comment": "old"}), &admin).await;
        let (_, d) = decide(&app, one("zsh-5.9-1.fc41")).await;
        assert_eq!(d["policies_satisfied"], false);

        // Ring 0: glibc must also pass tier0; fedora-42 (only the wildcard policy applies) need not.
        result(&app, "glibc-2.40-1.fc41", "dist.rpmdeplint", "PASSED", json!({})).await;
        let (_, d) = decide(&app, one("glibc-2.40-1.fc41")).await;
        assert_eq!(d["applicable_policies"], json!(["taskotron_release_critical_tasks_for_stable", "ring0_functional"]));
        assert_eq!(d["summary"], "1 of 2 required test results missing");
        let mut f42 = one("glibc-2.40-1.fc41");
        f42["product_version"] = json!("fedora-42");
        let (_, d) = decide(&app, f42).await;
        assert_eq!((d["policies_satisfied"].as_bool(), d["applicable_policies"].as_array().unwrap().len()), (Some(true), 1));
        // Excluded packages.
        let (_, d) = decide(&app, one("python2-six-1.16-1.fc41")).await;
        assert_eq!((d["policies_satisfied"].as_bool(), d["satisfied_requirements"][0]["type"].as_str()), (Some(true), Some("excluded")));

        // Bodhi's call: several builds and the update itself, verbose.
        let (status, d) = decide(&app, bodhi_request("bodhi_update_push_stable", &["bash-5.2-1.fc41", "zsh-5.9-1.fc41", "glibc-2.40-1.fc41"])).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["policies_satisfied"], false);
        assert_eq!(d["summary"], "1 of 4 required tests failed, 1 result missing");
        let unsatisfied: Vec<(&str, &str)> = d["unsatisfied_requirements"].as_array().unwrap().iter()
            .map(|r| (r["subject_identifier"].as_str().unwrap(), r["type"].as_str().unwrap())).collect();
        assert_eq!(unsatisfied, [("zsh-5.9-1.fc41", "test-result-failed"), ("glibc-2.40-1.fc41", "test-result-missing")]);
        assert!(d["results"].as_array().unwrap().len() >= 3, "verbose results: {}", d["results"]);
        assert!(!d["waivers"].as_array().unwrap().is_empty());
        let ids: Vec<i64> = d["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "verbose results are deduplicated");

        // A compose gate with a scenario: only that scenario counts.
        app.post("/api/v2.0/results", json!({"testcase": {"name": "compose.install"}, "outcome": "PASSED",
            "data": {"productmd.compose.id": "Fedora-41-20261101.n.0", "scenario": "fedora.Workstation.x86_64"}})).await;
        let compose = json!({"product_version": "fedora-41", "decision_context": "compose_accept",
                             "subject_type": "compose", "subject_identifier": "Fedora-41-20261101.n.0"});
        let (_, d) = decide(&app, compose.clone()).await;
        assert_eq!(d["summary"], "1 of 1 required test results missing");
        assert_eq!(d["unsatisfied_requirements"][0]["item"], json!({"productmd.compose.id": "Fedora-41-20261101.n.0"}));
        app.post("/api/v2.0/results", json!({"testcase": {"name": "compose.install"}, "outcome": "PASSED",
            "data": {"productmd.compose.id": "Fedora-41-20261101.n.0", "scenario": "fedora.Server.x86_64"}})).await;
        let (_, d) = decide(&app, compose).await;
        assert_eq!(d["policies_satisfied"], true);

        // On-demand rules; refusals in Greenwave's words.
        let (_, d) = decide(&app, json!({"product_version": "fedora-41", "subject_type": "koji_build", "subject_identifier": "bash-5.2-1.fc41",
            "rules": [{"type": "PassingTestCaseRule", "test_case_name": "dist.rpmdeplint"}]})).await;
        assert_eq!(d["policies_satisfied"], true);
        assert!(d.get("applicable_policies").is_none());
        for (body, message) in [
            (json!({"decision_context": "x", "subject_type": "koji_build", "subject_identifier": "a-1-1"}), "Missing required product version"),
            (json!({"product_version": "fedora-41", "subject_type": "koji_build", "subject_identifier": "a-1-1"}), "Either decision_context or rules is required."),
            (json!({"product_version": "fedora-41", "decision_context": "x", "subject_identifier": "a-1-1"}), "Missing required \"subject_type\" parameter"),
            (json!({"product_version": "fedora-41", "decision_context": "x", "subject": "a-1-1"}), "Invalid subject, must be a list of dicts"),
            (json!({"product_version": "fedora-41", "decision_context": "x", "subject_type": "koji_build", "subject_identifier": "a-1-1", "verbose": "yes"}), "Invalid verbose flag, must be a bool"),
            (json!({"product_version": "fedora-41", "decision_context": "x", "subject_type": "koji_build", "subject_identifier": "a-1-1", "when": "yesterday"}), "Invalid \"when\" parameter, must be in ISO8601 format"),
        ] {
            let (status, answer) = decide(&app, body).await;
            assert_eq!((status, answer["message"].as_str()), (StatusCode::BAD_REQUEST, Some(message)));
        }
        let (status, answer) = decide(&app, json!({"product_version": "fedora-41", "decision_context": "nowhere",
            "subject_type": "koji_build", "subject_identifier": "a-1-1"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer["message"], "Found no applicable policies for koji_build subjects at gating point(s) nowhere in fedora-41");

        let (_, p) = app.get("/api/v1.0/policies").await;
        assert_eq!(p["policies"].as_array().unwrap().len(), 4);
        assert_eq!(p["policies"][0]["rules"][0], json!({"rule": "PassingTestCaseRule", "test_case_name": "dist.rpmdeplint", "scenario": null}));
        let (_, t) = app.get("/api/v1.0/subject_types").await;
        assert!(t["subject_types"].as_array().unwrap().iter().any(|s| s["id"] == "koji_build" && s["aliases"] == json!(["brew-build"])));
    });
});

fn decision_updates(app: &App) -> Vec<Value> {
    tokio::task::block_in_place(|| {
        app.state
            .store
            .read_blocking(|c| almanac_store::outbox::unpublished(c, 1000))
            .unwrap()
    })
    .into_iter()
    .filter(|e| e.topic == "greenwave.decision.update")
    .map(|e| serde_json::from_str(&e.payload).unwrap())
    .collect()
}

both_engines!(fn a_result_or_waiver_that_changes_a_decision_writes_its_update(db) {
    run(async {
        use almanac_api::gating::watch::{Watch, step};
        let app = App::with(db, settings());
        let admin = tokio::task::block_in_place(|| app.state.store.write_blocking(|c|
            tokens::create_token(c, "bodhi", &[], true, &Actor::anonymous("test"))).unwrap());
        let watch = Watch {
            gating: app.state.settings.gating.clone(),
            outcomes: app.state.settings.outcomes.clone(),
            limits: app.state.settings.page_limits,
        };
        let drain = |w: &Watch| {
            let w = w.clone();
            tokio::task::block_in_place(|| app.state.store.write_blocking(move |c| step(c, &w, 100)).unwrap())
        };
        assert_eq!(drain(&watch), 0, "nothing to look at yet");

        // missing -> failed: an update.
        result(&app, "bash-5.2-1.fc41", "dist.rpmdeplint", "FAILED", json!({})).await;
        assert_eq!(drain(&watch), 1);
        let updates = decision_updates(&app);
        assert_eq!(updates.len(), 1);
        let u = &updates[0];
        assert_eq!((u["subject_identifier"].as_str(), u["decision_context"].as_str(), u["product_version"].as_str()),
                   (Some("bash-5.2-1.fc41"), Some("bodhi_update_push_stable"), Some("fedora-41")));
        assert_eq!((u["summary"].as_str(), u["previous"]["summary"].as_str()),
                   (Some("1 of 1 required tests failed"), Some("1 of 1 required test results missing")));
        assert_eq!(u["testcase"], "dist.rpmdeplint");
        assert_eq!(u["subject"], json!([{"type": "koji_build", "item": "bash-5.2-1.fc41"}]));
        assert_eq!(drain(&watch), 0, "caught up: nothing handled twice");

        // A waiver: failed -> satisfied.
        post_token(&app, "/api/v1.0/waivers/", json!({"subject_type": "koji_build", "subject_identifier": "bash-5.2-1.fc41",
            "testcase": "dist.rpmdeplint", "product_version": "fedora-41", "comment": "buildroot problem"}), &admin).await;
        assert_eq!(drain(&watch), 1);
        let updates = decision_updates(&app);
        assert_eq!(updates.len(), 2);
        assert_eq!((updates[1]["policies_satisfied"].as_bool(), updates[1]["previous"]["policies_satisfied"].as_bool()), (Some(true), Some(false)));

        // Another failure, still waived: no change, no update; a result of
        // a subject no policy gates: none either.
        result(&app, "bash-5.2-1.fc41", "dist.rpmdeplint", "FAILED", json!({})).await;
        result(&app, "bash-5.2-1.fc41", "dist.rpmlint", "FAILED", json!({})).await;
        app.post("/api/v2.0/results", json!({"testcase": {"name": "x"}, "outcome": "FAILED", "data": {"item": "unknown"}})).await;
        assert_eq!(drain(&watch), 3);
        assert_eq!(decision_updates(&app).len(), 2);
    });
});

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../model/tests/data/productmd")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

both_engines!(fn a_compose_and_its_images_have_their_qe_status_as_decisions(db) {
    run(async {
        let app = App::with(db, settings());
        let admin = tokio::task::block_in_place(|| app.state.store.write_blocking(|c|
            tokens::create_token(c, "releng", &[], true, &Actor::anonymous("test"))).unwrap());
        let (status, body) = post_token(&app, "/rest_api/v1/compose-images/", json!({
            "release_id": "fedora-41", "composeinfo": fixture("composeinfo.json"), "image_manifest": fixture("images.json"),
        }), &admin).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = "Fedora-41-20261101.0";
        let booted = "Fedora-Server-dvd-x86_64-41-1.4.iso";
        app.post("/api/v2.0/results", json!({"testcase": {"name": "image.boot"}, "outcome": "PASSED",
            "data": {"item": booted, "type": "image"}})).await;
        app.post("/api/v2.0/results", json!({"testcase": {"name": "compose.install"}, "outcome": "PASSED",
            "data": {"productmd.compose.id": id, "scenario": "fedora.Server.x86_64"}})).await;
        let (status, qe) = app.get(&format!("/api/almanac/v1/composes/{id}/qe?decision_context=compose_accept")).await;
        assert_eq!(status, StatusCode::OK, "{qe}");
        let d = &qe["decisions"];
        assert_eq!((d["product_version"].as_str(), d["compose"]["policies_satisfied"].as_bool()), (Some("fedora-41"), Some(true)));
        let images = d["images"].as_array().unwrap();
        assert_eq!(images.len(), 6);
        for i in images {
            let satisfied = i["decision"]["policies_satisfied"].as_bool().unwrap();
            assert_eq!(satisfied, i["file_name"] == booted, "{i}");
        }
        let missing = images.iter().find(|i| i["file_name"] != booted).unwrap();
        assert_eq!(missing["decision"]["summary"], "1 of 1 required test results missing");
        // Without a context: no decisions, the results alone.
        let (_, plain) = app.get(&format!("/api/almanac/v1/composes/{id}/qe")).await;
        assert!(plain.get("decisions").is_none());
        assert_eq!(plain["results"].as_array().unwrap().len(), 2);
    });
});

both_engines!(fn a_remote_rule_reads_the_package_gating_yaml_over_http(db) {
    run(async {
        // dist-git, as far as gating.yaml goes: systemd has one, zsh none, and
        // the server fails for broken.
        let distgit = axum::Router::new()
            .route("/rpms/systemd/gating.yaml", axum::routing::get(|| async {
                "--- !Policy\ndecision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: systemd.unit}\n"
            }))
            .route("/rpms/broken/gating.yaml", axum::routing::get(|| async {
                (StatusCode::INTERNAL_SERVER_ERROR, "down")
            }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, distgit).await });
        let policies = parse_policies("remote.yaml", "--- !Policy\nid: remote\nproduct_versions: [fedora-*]\n\
            decision_context: bodhi_update_push_stable\nsubject_type: koji_build\nrules:\n  - !RemoteRule {required: true}\n").unwrap();
        let app = App::with(db, ApiSettings {
            gating: GatingSettings {
                policies: Arc::new(policies),
                remote_rule_sources: vec![format!("http://127.0.0.1:{port}/{{pkg_namespace}}{{pkg_name}}/gating.yaml")],
            },
            ..ApiSettings::default()
        });
        let one = |nvr: &str| json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
                                    "subject_type": "koji_build", "subject_identifier": nvr});
        let types = |d: &Value| -> Vec<String> {
            d["unsatisfied_requirements"].as_array().unwrap().iter()
                .chain(d["satisfied_requirements"].as_array().unwrap())
                .map(|r| r["type"].as_str().unwrap().to_string()).collect()
        };
        let (_, d) = decide(&app, one("systemd-256-1.fc41")).await;
        assert_eq!(types(&d), ["test-result-missing", "fetched-gating-yaml"], "{d}");
        assert_eq!(d["unsatisfied_requirements"][0]["testcase"], "systemd.unit");
        result(&app, "systemd-256-1.fc41", "systemd.unit", "PASSED", json!({})).await;
        let (_, d) = decide(&app, one("systemd-256-1.fc41")).await;
        assert_eq!(d["policies_satisfied"], true, "{d}");
        let (_, d) = decide(&app, one("zsh-5.9-1.fc41")).await;
        assert_eq!(types(&d), ["missing-gating-yaml"]);
        let (_, d) = decide(&app, one("broken-1-1.fc41")).await;
        assert_eq!(types(&d), ["failed-fetch-gating-yaml"]);
        assert!(d["unsatisfied_requirements"][0]["error"].as_str().unwrap().contains("HTTP 500"), "{d}");
    });
});
