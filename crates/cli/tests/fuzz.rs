//! Property-based fuzzing of the native API from its own OpenAPI document,
//! with the PyPI package `schemathesis`, against the real server on the
//! demo's data, on both engines: no 5xx, no status, content type, header
//! or body the document does not describe.

use crate::support::{Server, demo, venv_python};
use almanac_store::both_engines;
use std::process::Command;

/// The checks the document is held to; schemathesis' data-acceptance checks
/// are left out, as JSON Schema cannot say what the API refuses by meaning
/// (an artifact that is its own input, an empty filter).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance";

both_engines!(fn schemathesis_finds_no_server_error_and_no_answer_off_the_schema(db) {
    let token = demo(&db.url, 60);
    let server = Server::start(&db.url, &[]);
    let schemathesis = venv_python().with_file_name("schemathesis");
    let out = Command::new(&schemathesis)
        .args(["run", &format!("{}/api/almanac/v1/openapi.json", server.url)])
        .args(["--checks", CHECKS, "--max-examples", "60", "--seed", "20261204"])
        .args(["--header", &format!("Authorization: Token {token}")])
        .args(["--request-timeout", "30", "--no-color"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tested = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .unwrap_or_else(|| panic!("no summary in:\n{report}"));
    let (operations, _) = tested.split_once(' ').unwrap_or((tested, ""));
    assert!(operations.parse::<u32>().unwrap_or(0) >= 19, "only {tested} operations tested:\n{report}");
    // "  3373 generated, 3373 passed" (or "..., N found M unique failures").
    let (cases, generated) = report
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let n: u32 = words.next()?.parse().ok()?;
            (words.next()? == "generated,").then_some((n, l.trim()))
        })
        .unwrap_or_else(|| panic!("no case count in:\n{report}"));
    assert!(cases > 1000, "only {cases} cases: {generated}");
    println!("{generated}");
});
