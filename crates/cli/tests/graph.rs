//! The artifact graph over real HTTP and the CLI, on both engines: writes
//! refused without the right token, the ensure form, every query, and SBOMs
//! checked by the real CycloneDX and SPDX validators.

use crate::support::{Server, almanac, repo_root, request, venv_python};
use almanac_store::both_engines;
use serde_json::{Value, json};
use std::process::Command;

const G: &str = "/api/almanac/v1/graph";

fn token(db: &str, args: &[&str]) -> String {
    let out = almanac()
        .args(["token", "create"])
        .args(args)
        .args(["--database-url", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

fn json_of(r: (u16, String), want: u16) -> Value {
    assert_eq!(r.0, want, "{}", r.1);
    serde_json::from_str(&r.1).unwrap_or_else(|e| panic!("{e}: {}", r.1))
}

/// Three tiers with a cycle: glibc and gcc build each other; the bash rpm
/// is built from bash with glibc; a base image includes it; httpd is
/// layered on the base and includes its own rpm.
fn sets() -> Value {
    let i = |input: &str, kind: &str| json!({"input": input, "kind": kind});
    json!([
        {"artifact": "component:gcc", "inputs": [i("component:glibc", "build-requires")]},
        {"artifact": "component:glibc", "inputs": [i("component:gcc", "build-requires")]},
        {"artifact": "rpm:bash-5.2.26-3.fc40.x86_64", "inputs": [i("component:bash", "built-from"), i("component:glibc", "build-requires")]},
        {"artifact": "rpm:httpd-2.4.62-1.fc40.x86_64", "inputs": [i("component:httpd", "built-from"), i("component:glibc", "build-requires")]},
        {"artifact": "container:fedora-base:40", "inputs": [i("rpm:bash-5.2.26-3.fc40.x86_64", "includes")]},
        {"artifact": "container:httpd:40", "inputs": [i("container:fedora-base:40", "base-image"), i("rpm:httpd-2.4.62-1.fc40.x86_64", "includes")]},
    ])
}

both_engines!(fn the_graph_answers_over_http_and_the_cli_and_its_sboms_validate(db) {
    let admin = token(&db.url, &["admin", "--superuser"]);
    let nobody = token(&db.url, &["nobody"]);
    let server = Server::start(&db.url, &[]);
    let u = server.url.as_str();
    let body = sets().to_string();
    assert_eq!(request(u, "POST", &format!("{G}/ensure"), None, Some(&body)).0, 401);
    assert_eq!(request(u, "POST", &format!("{G}/ensure"), Some(&nobody), Some(&body)).0, 403);
    let bad = json!([{"artifact": "bash", "inputs": []}]).to_string();
    let refused = json_of(request(u, "POST", &format!("{G}/ensure"), Some(&admin), Some(&bad)), 400);
    assert_eq!(refused["field"], "sets[0].artifact");
    let kind = json!([{"input": "component:a", "artifact": "component:b", "kind": "likes"}]).to_string();
    let refused = json_of(request(u, "POST", &format!("{G}/edges"), Some(&admin), Some(&kind)), 400);
    assert_eq!(refused["field"], "edges[0].kind");
    let applied = json_of(request(u, "POST", &format!("{G}/ensure"), Some(&admin), Some(&body)), 200);
    assert_eq!(applied, json!({"added": 9, "removed": 0, "artifacts": 6}));
    let again = json_of(request(u, "POST", &format!("{G}/ensure"), Some(&admin), Some(&body)), 200);
    assert_eq!(again["added"], 0);

    // Inputs, transitively and to a depth, with the cycle reported.
    let all = json_of(request(u, "GET", &format!("{G}/inputs?artifact=container:httpd:40"), None, None), 200);
    assert_eq!(all["count"], 7, "{all}");
    assert_eq!(all["cycles"], json!([["component:gcc", "component:glibc"]]));
    let direct = json_of(request(u, "GET", &format!("{G}/inputs?artifact=container:httpd:40&direct=true"), None, None), 200);
    assert_eq!(direct["count"], 2);
    assert_eq!(direct["truncated"], true);
    let includes = json_of(request(u, "GET", &format!("{G}/inputs?artifact=container:httpd:40&kind=includes&kind=base-image"), None, None), 200);
    assert_eq!(includes["count"], 3, "{includes}");
    // Consumers, and the POST form.
    let consumers = json_of(request(u, "GET", &format!("{G}/consumers?input=component:glibc"), None, None), 200);
    assert_eq!(consumers["count"], 5, "{consumers}");
    let posted = json!({"direction": "consumers", "artifact": "component:glibc", "max_depth": 1});
    let posted = json_of(request(u, "POST", &format!("{G}/query"), None, Some(&posted.to_string())), 200);
    assert_eq!(posted["count"], 3);
    // Why httpd depends on glibc.
    let path = json_of(request(u, "GET", &format!("{G}/path?input=component:glibc&artifact=container:httpd:40"), None, None), 200);
    assert_eq!(path["path"], json!(["component:glibc", "rpm:httpd-2.4.62-1.fc40.x86_64", "container:httpd:40"]));
    assert_eq!(path["steps"][0]["kinds"], json!(["build-requires"]));
    // Tiers.
    let tiers = json_of(request(u, "GET", &format!("{G}/tiers?artifact=container:httpd:40"), None, None), 200);
    assert_eq!(tiers["tier"], 3, "{tiers}");
    // A rebuild plan over three tiers.
    let plan = json!({"changed": ["component:glibc"]}).to_string();
    let plan = json_of(request(u, "POST", &format!("{G}/rebuild-plan"), None, Some(&plan)), 200);
    let steps: Vec<Vec<&str>> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["artifacts"].as_array().unwrap().iter().map(|a| a["artifact"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(
        steps,
        vec![
            vec!["component:gcc", "rpm:bash-5.2.26-3.fc40.x86_64", "rpm:httpd-2.4.62-1.fc40.x86_64"],
            vec!["container:fedora-base:40"],
            vec!["container:httpd:40"],
        ]
    );
    assert_eq!(plan["steps"][2]["artifacts"][0]["triggered_by"], json!(["component:glibc"]));
    // Bad input is a 400 naming the field; an unknown artifact a 404.
    assert_eq!(json_of(request(u, "GET", &format!("{G}/inputs?artifact=glibc"), None, None), 400)["field"], "artifact");
    assert_eq!(request(u, "GET", &format!("{G}/inputs?artifact=rpm:nothing"), None, None).0, 404);
    assert_eq!(json_of(request(u, "GET", &format!("{G}/inputs?artifact=rpm:x&max_depth=0"), None, None), 400)["field"], "max_depth");
    // The many-artifact edge filter.
    let q = json!({"artifacts": ["container:httpd:40", "container:fedora-base:40"], "kinds": ["includes"]}).to_string();
    assert_eq!(json_of(request(u, "POST", &format!("{G}/edges/query"), None, Some(&q)), 200)["count"], 2);

    // The SBOMs, checked by cyclonedx-python-lib and spdx-tools.
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/sbom_validate.py"))
        .args([u, "container:httpd:40", "7"])
        .output()
        .expect("run sbom_validate.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("sbom checks:"), "{stdout}");

    // Removing an input: the next question sees it.
    let gone = json!([{"input": "rpm:httpd-2.4.62-1.fc40.x86_64", "artifact": "container:httpd:40", "kind": "includes"}]).to_string();
    assert_eq!(json_of(request(u, "DELETE", &format!("{G}/edges"), Some(&admin), Some(&gone)), 200)["removed"], 1);
    let after = json_of(request(u, "GET", &format!("{G}/inputs?artifact=container:httpd:40"), None, None), 200);
    assert_eq!(after["count"], 5, "{after}");
    drop(server);

    // The CLI asks the same handlers.
    let out = almanac()
        .args(["graph", "rebuild-plan", "component:glibc", "--database-url", &db.url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("step 3:"), "{text}");
    assert!(text.contains("container:httpd:40 (by component:glibc)"), "{text}");
});
