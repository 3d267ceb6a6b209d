//! ResultsDB's real Python clients against the real server, on both engines.

use crate::support::{Server, repo_root, venv_python};
use almanac_store::both_engines;
use std::process::Command;

both_engines!(fn resultsdb_api_and_conventions_work_unchanged(db) {
    // Create the schema first, so the server starts on a migrated store as in production.
    db.store();
    let server = Server::start(&db.url, &[]);
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/resultsdb_clients.py"))
        .env("ALMANAC_URL", &server.url)
        .output()
        .expect("run the Python client test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client test failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.ends_with("passed, 0 failed"), "unexpected summary: {summary}");
    let passed: u32 = summary.split_whitespace().next().unwrap().parse().unwrap();
    assert!(passed >= 65, "the client test ran only {passed} checks");
});

/// Runs `almanac` with `args` on `db`; answers the last line it printed.
fn almanac_line(db: &str, args: &[&str]) -> String {
    let out = crate::support::almanac()
        .args(args)
        .args(["--database-url", db])
        .output()
        .expect("run almanac");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

both_engines!(fn pdc_client_and_cli_work_unchanged(db) {
    let admin = almanac_line(&db.url, &["token", "create", "admin", "--superuser"]);
    let limited = almanac_line(&db.url, &["token", "create", "limited"]);
    let producer = almanac_line(&db.url, &["token", "create", "producer", "--group", "producers"]);
    almanac_line(&db.url, &["permission", "grant", "producers", "products", "create"]);
    let server = Server::start(&db.url, &[]);
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/pdc_clients.py"))
        .env("ALMANAC_URL", &server.url)
        .env("PDC_TOKEN", admin)
        .env("PDC_LIMITED_TOKEN", limited)
        .env("PDC_PRODUCTS_TOKEN", producer)
        .output()
        .expect("run the pdc-client test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the pdc-client test failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    let passed: u32 = summary.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
    assert!(summary.ends_with("passed, 0 failed") && passed >= 190, "unexpected summary: {summary}");
});

both_engines!(fn bodhis_gating_calls_work_unchanged(db) {
    let token = almanac_line(&db.url, &["token", "create", "bodhi"]);
    let config = std::env::temp_dir().join(format!("almanac-bodhi-{}-{}.toml", std::process::id(), db.url.len()));
    std::fs::write(&config, "[waivers]\nsuperusers = [\"bodhi\"]\n").unwrap();
    let policies = repo_root().join("tests/python/bodhi-policies");
    let server = Server::start(&db.url, &["--config", config.to_str().unwrap(), "--policies", policies.to_str().unwrap()]);
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bodhi_gating.py"))
        .env("ALMANAC_URL", &server.url)
        .env("BODHI_TOKEN", token)
        .output()
        .expect("run the Bodhi gating test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_file(&config);
    assert!(out.status.success(), "the Bodhi gating test failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    let passed: u32 = summary.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
    assert!(summary.ends_with("passed, 0 failed") && passed >= 20, "unexpected summary: {summary}");
});
