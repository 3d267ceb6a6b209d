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
