//! Composes end to end, on both engines: a series written by the real
//! productmd library (tests/python/make_composes.py) is imported with
//! `almanac import compose`, over HTTP and from disk; then the real
//! pdc-client, productmd and resultsdb-api drive the compose endpoints, the
//! diff, the size history and the QE status (tests/python/pdc_composes.py).

use crate::support::{Server, almanac, repo_root, venv_python};
use almanac_store::both_engines;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Python's own HTTP server over a directory, on a free loopback port;
/// stopped when dropped.
struct FileServer {
    child: Child,
    url: String,
}

impl FileServer {
    fn start(python: &Path, dir: &Path) -> FileServer {
        let mut child = Command::new(python)
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python's http.server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
                if let Some(port) = line
                    .split(" port ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                {
                    let _ = tx.send(format!("http://127.0.0.1:{port}"));
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("http.server did not say where it listens");
        FileServer { child, url }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "almanac-{name}-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn import(db: &str, location: &str) -> std::process::Output {
    almanac()
        .args(["import", "compose", location, "--database-url", db])
        .output()
        .expect("run almanac import compose")
}

both_engines!(fn composes_import_diff_and_pdc_endpoints_work_end_to_end(db) {
    db.store();
    let python = venv_python();
    let dir = scratch("composes");
    let out = Command::new(&python)
        .arg(repo_root().join("tests/python/make_composes.py"))
        .arg(&dir)
        .output()
        .expect("run make_composes.py");
    assert!(out.status.success(), "make_composes.py: {}", String::from_utf8_lossy(&out.stderr));
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let finished: Vec<String> = serde_json::from_value(expected["finished"].clone()).unwrap();
    assert!(finished.len() >= 5, "{finished:?}");

    // The first compose over HTTP, as kojipkgs serves composes; the rest from disk.
    let files = FileServer::start(&python, &dir);
    for (i, id) in finished.iter().enumerate() {
        let location = if i == 0 {
            format!("{}/{id}/", files.url)
        } else {
            dir.join(id).to_string_lossy().into_owned()
        };
        let out = import(&db.url, &location);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "import {location}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        let rpms = expected["rpm_counts"][id].as_u64().unwrap();
        assert!(stdout.contains(&format!("{id}: imported ({rpms} rpms, {rpms} new;")), "{stdout}");
    }
    // Again over HTTP: already there, nothing new.
    let again = import(&db.url, &format!("{}/{}/compose/", files.url, finished[0]));
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success() && stdout.contains("already there") && stdout.contains(" 0 new;"), "{stdout}");
    // An unfinished compose is refused, and says why.
    let statuses = expected["status"].as_object().unwrap();
    let (doomed, _) = statuses.iter().find(|(_, s)| *s == "DOOMED").expect("a DOOMED compose");
    let refused = import(&db.url, &dir.join(doomed).to_string_lossy());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("STATUS is DOOMED"), "{stderr}");
    // A directory that holds no compose.
    let empty = scratch("not-a-compose");
    let refused = import(&db.url, &empty.to_string_lossy());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no composeinfo.json"));
    drop(files);

    // The diff from the CLI, as people read it.
    let out = almanac()
        .args(["compose", "diff", &finished[0], &finished[1], "--database-url", &db.url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("{} -> {}:", finished[0], finished[1])), "{text}");

    let token = {
        let out = almanac().args(["token", "create", "admin", "--superuser", "--database-url", &db.url]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_string()
    };
    let server = Server::start(&db.url, &[]);
    let out = Command::new(&python)
        .arg(repo_root().join("tests/python/pdc_composes.py"))
        .env("ALMANAC_URL", &server.url)
        .env("PDC_TOKEN", token)
        .env("COMPOSES_DIR", &dir)
        .env("FIXTURES_DIR", repo_root().join("crates/model/tests/data/productmd"))
        .output()
        .expect("run pdc_composes.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the compose client test failed:\n{stdout}\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    let passed: u32 = summary.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
    assert!(summary.ends_with("passed, 0 failed") && passed >= 100, "unexpected summary: {summary}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&empty);
});
