//! Backup and restore as docs/production.md says to do them: SQLite's
//! online `.backup` while `serve` runs, PostgreSQL's `pg_dump` and
//! `pg_restore` into a new database. The restored database, served, answers
//! every question the same as the original.

use crate::support::{Server, demo, request, run_ok};
use almanac_store::testing::{TestDb, admin_url};
use std::process::Command;

/// Questions across the model, each answered as JSON.
const QUESTIONS: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v2.0/results?limit=100", None),
    ("GET", "/api/v2.0/results/latest", None),
    ("GET", "/api/v2.0/testcases?limit=100", None),
    ("GET", "/api/v2.0/groups?limit=50", None),
    ("GET", "/rest_api/v1/releases/", None),
    ("GET", "/rest_api/v1/products/", None),
    ("GET", "/rest_api/v1/global-components/?page_size=100", None),
    (
        "GET",
        "/rest_api/v1/release-components/?page_size=100",
        None,
    ),
    ("GET", "/rest_api/v1/composes/", None),
    ("GET", "/rest_api/v1/component-groups/", None),
    ("GET", "/api/v1.0/waivers/", None),
    ("GET", "/api/almanac/v1/graph", None),
    ("GET", "/api/almanac/v1/journal", None),
    ("GET", "/api/almanac/v1/image-sizes", None),
    (
        "POST",
        "/api/almanac/v1/graph/edges/query",
        Some(r#"{"inputs": ["component:glibc"]}"#),
    ),
];

fn answers(url: &str) -> Vec<(String, u16, serde_json::Value)> {
    QUESTIONS
        .iter()
        .map(|(method, path, body)| {
            let (status, text) = request(url, method, path, None, *body);
            let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            (format!("{method} {path}"), status, json)
        })
        .collect()
}

fn assert_same(
    original: &[(String, u16, serde_json::Value)],
    restored: &[(String, u16, serde_json::Value)],
) {
    assert!(
        original.iter().filter(|(_, s, _)| *s == 200).count() >= 14,
        "the questions are answered: {original:?}"
    );
    for (a, b) in original.iter().zip(restored) {
        assert_eq!(a, b, "{} answers differently after the restore", a.0);
    }
}

const PUBLIC: [&str; 2] = ["--public-url", "http://almanac.example"];

#[test]
fn a_sqlite_backup_taken_while_serving_restores_to_the_same_answers() {
    let dir = std::env::temp_dir().join(format!("almanac-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("almanac.db");
    let url = format!("sqlite://{}", db.display());
    demo(&url, 40);
    let server = Server::start(&url, &PUBLIC);
    let before = answers(&server.url);
    let backup = dir.join("backup.db");
    // Online, while the server holds the file open.
    run_ok(
        Command::new("sqlite3")
            .arg(&db)
            .arg(format!(".backup '{}'", backup.display())),
    );
    drop(server);
    let restored = dir.join("restored.db");
    std::fs::copy(&backup, &restored).unwrap();
    let server = Server::start(&format!("sqlite://{}", restored.display()), &PUBLIC);
    assert_same(&before, &answers(&server.url));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_postgresql_dump_restored_into_a_new_database_gives_the_same_answers() {
    let original = TestDb::postgres();
    demo(&original.url, 40);
    let server = Server::start(&original.url, &PUBLIC);
    let before = answers(&server.url);
    let dump = std::env::temp_dir().join(format!("almanac-{}.dump", std::process::id()));
    run_ok(
        Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(&dump)
            .arg(&original.url),
    );
    drop(server);
    // A new, empty database on the same server, restored into.
    let restored = TestDb::postgres_on(&admin_url());
    run_ok(
        Command::new("pg_restore")
            .args(["--no-owner", "--dbname", &restored.url])
            .arg(&dump),
    );
    let server = Server::start(&restored.url, &PUBLIC);
    assert_same(&before, &answers(&server.url));
    drop(server);
    let _ = std::fs::remove_file(&dump);
}
