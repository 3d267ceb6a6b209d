//! The audit and the import against local sources speaking the real
//! protocols and shapes (koji's XML-RPC, pagure's and FASJSON's JSON, a
//! compose tree written by productmd): messages applied by the listener
//! with some dropped on purpose, then `almanac audit` reports exactly
//! those (exit 1 or 2 by the thresholds), `--repair` makes the next audit
//! exit 0, a source that is down is UNKNOWN alone (exit 3); the import
//! fills an empty Almanac the same way, twice changing nothing.

use crate::bus::count;
use crate::sources::{FakeKoji, add_release, release, text};
use crate::support::{Server, almanac, get, repo_root, venv_python};
use almanac_store::testing::TestDb;
use almanac_store::{Store, both_engines};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn compose_tree(dir: &Path) -> Vec<String> {
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/make_composes.py"))
        .arg(dir)
        .args(["--composes", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_composes.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    expected["finished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn config(dir: &Path, koji_url: &str, base: &str, tree: &Path, extra: &str) -> PathBuf {
    let path = dir.join("almanac.toml");
    std::fs::write(
        &path,
        format!(
            "[bus]\nkoji_url = \"{koji_url}\"\npublish = false\n\n[sources]\ncompose_tree = \"{}\"\ndist_git_url = \"{base}\"\ndist_git_namespaces = [\"rpms\"]\naccounts_url = \"{base}/fasjson\"\n\n[audit]\nwarning = 1\ncritical = 10\n{extra}",
            tree.display()
        ),
    )
    .unwrap();
    path
}

/// `almanac audit ARGS` on `db` with `config`: (exit code, standard output).
fn audit(db: &TestDb, config: &Path, args: &[&str]) -> (i32, String) {
    let out = almanac()
        .args([
            "audit",
            "--config",
            config.to_str().unwrap(),
            "--database-url",
            &db.url,
        ])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

fn audit_json(db: &TestDb, config: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, out) = audit(db, config, &all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
    )
}

fn source<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn listed(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn messages(tree: &Path, composes: &[String]) -> Vec<Value> {
    let tag = |id: &str, build: i64, t: &str| {
        json!({"msg_id": id, "topic": "org.fedoraproject.prod.buildsys.tag",
        "msg": {"build_id": build, "tag": t, "instance": "primary", "name": "x", "version": "1", "release": "1"}})
    };
    let project = |id: &str, name: &str| {
        json!({"msg_id": id, "topic": "org.fedoraproject.prod.pagure.project.new",
        "msg": {"agent": "releng", "project": {"name": name, "namespace": "rpms"}}})
    };
    let branch = |id: &str, name: &str, b: &str| {
        json!({"msg_id": id, "topic": "org.fedoraproject.prod.pagure.git.branch.creation",
        "msg": {"agent": "releng", "repo": {"name": name, "namespace": "rpms"}, "branch": b}})
    };
    let user = |id: &str, name: &str| {
        json!({"msg_id": id, "topic": "org.fedoraproject.prod.fas.user.create",
        "msg": {"msg": {"agent": "admin", "user": name}}})
    };
    let compose = |id: &str, c: &str| {
        json!({"msg_id": id, "topic": "org.fedoraproject.prod.pungi.compose.status.change",
        "msg": {"status": "FINISHED", "compose_id": c, "location": tree.join(c).join("compose").to_string_lossy()}})
    };
    vec![
        tag("k1", 1, "f41-updates"),
        tag("k2", 1, "f41"),
        tag("k3", 2, "f41-updates"),
        project("d1", "bash"),
        branch("d2", "bash", "f41"),
        project("d3", "glibc"),
        branch("d4", "glibc", "f41"),
        user("a1", "alice"),
        user("a2", "bob"),
        compose("c1", &composes[0]),
        compose("c2", &composes[1]),
    ]
}

fn listen(db: &TestDb, config: &Path, dir: &Path, lines: &[Value]) -> String {
    let file = dir.join("messages.jsonl");
    std::fs::write(
        &file,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let out = almanac()
        .args([
            "listen",
            "--config",
            config.to_str().unwrap(),
            "--from",
            file.to_str().unwrap(),
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn prepare(store: &Store) {
    add_release(store, release("fedora-41", "41", "ga", Some("f41")));
    add_release(store, release("fedora-41-updates", "41", "updates", None));
}

both_engines!(fn the_audit_reports_exactly_what_the_bus_dropped_and_repairs_it(db) {
    let dir = std::env::temp_dir().join(format!("almanac-audit-{}-{}", std::process::id(), db.url.len()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tree = dir.join("compose");
    let composes = compose_tree(&tree);
    let sources = FakeKoji::start(&format!("audit-{}", db.url.len()));
    let config = config(&dir, &sources.url, &sources.base, &tree, "");
    let store = db.store();
    prepare(&store);

    // The bus, with five messages dropped on purpose.
    let all = messages(&tree, &composes);
    let dropped = ["k3", "d3", "d4", "a2", "c2"];
    let kept: Vec<Value> = all.iter().filter(|m| !dropped.contains(&m["msg_id"].as_str().unwrap())).cloned().collect();
    assert_eq!(listen(&db, &config, &dir, &kept), "6 applied, 0 duplicate, 0 ignored, 0 failed");

    // Exactly those, and nothing else; exit 1 under the config's thresholds.
    let (code, report) = audit_json(&db, &config, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["status"], "WARNING");
    let koji = source(&report, "koji");
    assert_eq!(listed(&koji["drift"]["missing"]), ["fedora-41-updates glibc-0:2.40-1.fc41.src", "fedora-41-updates glibc-0:2.40-1.fc41.x86_64"]);
    assert_eq!(koji["checked"], 8, "bash's 3 rpms in both tags, glibc's 2 in one");
    let git = source(&report, "dist-git");
    assert_eq!(listed(&git["drift"]["missing"]), ["global glibc", "release fedora-41/glibc/rpm"]);
    let accounts = source(&report, "accounts");
    assert_eq!(listed(&accounts["drift"]["missing"]), ["bob"]);
    let trees = source(&report, "composes");
    assert_eq!(listed(&trees["drift"]["missing"]), [composes[1].clone()]);
    for s in report["sources"].as_array().unwrap() {
        assert_eq!(s["status"], "WARNING", "{s}");
        assert!(s["drift"]["extra"].as_array().unwrap().is_empty() && s["drift"]["differ"].as_array().unwrap().is_empty(), "{s}");
    }
    // Thresholds from the command line: two differences are critical (exit 2).
    let (code, text_out) = audit(&db, &config, &["--critical", "2"]);
    assert_eq!(code, 2, "{text_out}");
    assert!(text_out.starts_with("ALMANAC AUDIT CRITICAL - composes: 1 missing, koji: 2 missing, dist-git: 2 missing, accounts: 1 missing\n"), "{text_out}");
    assert!(text_out.contains("  [CRITICAL] koji: 8 in the source, 2 missing, 0 extra, 0 different (warning at 1, critical at 2)"), "{text_out}");
    assert!(text_out.contains("    - fedora-41-updates glibc-0:2.40-1.fc41.x86_64\n"), "{text_out}");
    // Per source in the config file.
    let lenient = config_with(&dir, &sources, &tree, "[audit.koji]\nwarning = 5\n");
    let (_, r) = audit_json(&db, &lenient, &["koji"]);
    assert_eq!(source(&r, "koji")["status"], "OK");

    // A dry run shows the repairs and writes nothing.
    let changesets = count(&store, "SELECT count(*) FROM changesets");
    let (code, dry) = audit(&db, &config, &["--repair", "--dry-run", "--verbose"]);
    assert_eq!(code, 1, "{dry}");
    assert!(dry.contains("would repair (1):\n    - build glibc-2.40-1.fc41 in fedora-41-updates\n"), "{dry}");
    assert_eq!(count(&store, "SELECT count(*) FROM changesets"), changesets);
    // The repair, then an audit with nothing to say.
    let (code, repaired) = audit(&db, &config, &["--repair"]);
    assert_eq!(code, 1, "the repairing audit reports what it found: {repaired}");
    assert!(repaired.contains("repaired (1):\n    - person bob <bob@fedoraproject.org>"), "{repaired}");
    let (code, after) = audit(&db, &config, &[]);
    assert_eq!(code, 0, "{after}");
    assert!(after.starts_with("ALMANAC AUDIT OK - composes: OK, koji: OK, dist-git: OK, accounts: OK\n"), "{after}");
    assert_eq!(text(&store, "SELECT comment FROM changesets WHERE comment LIKE 'repaired by the audit of %' ORDER BY comment"),
        ["repaired by the audit of accounts", "repaired by the audit of dist-git", "repaired by the audit of koji"]);

    // What Almanac has and the source has not is extra; a different value differs.
    listen(&db, &config, &dir, &[json!({"msg_id": "a3", "topic": "org.fedoraproject.prod.fas.user.create", "msg": {"user": "carol"}})]);
    store.write_blocking(|c| { c.execute("UPDATE contacts SET email = 'alice@elsewhere.org' WHERE name = 'alice'", &[])?; Ok::<_, almanac_store::StoreError>(()) }).unwrap();
    let (code, r) = audit_json(&db, &config, &["accounts"]);
    assert_eq!(code, 1);
    let a = source(&r, "accounts");
    assert_eq!(listed(&a["drift"]["extra"]), ["carol"]);
    assert_eq!(a["drift"]["differ"], json!([{"key": "alice", "field": "email", "almanac": "alice@elsewhere.org", "source": "alice@fedoraproject.org"}]));

    // A source that is down: UNKNOWN, exit 3, for it alone.
    let down = dir.join("down.toml");
    std::fs::write(&down, std::fs::read_to_string(&config).unwrap().replace(&sources.url, "http://127.0.0.1:9/kojihub")).unwrap();
    let (code, r) = audit_json(&db, &down, &["koji", "composes"]);
    assert_eq!(code, 3, "{r:#}");
    assert_eq!(source(&r, "koji")["status"], "UNKNOWN");
    assert!(source(&r, "koji")["error"].as_str().unwrap().contains("unavailable"), "{r}");
    assert_eq!(source(&r, "composes")["status"], "OK");
    // ... and an import from it says so, lists why, and exits non-zero.
    let out = almanac().args(["import", "koji", "composes", "--config", down.to_str().unwrap(), "--database-url", &db.url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("1 errors:\n  koji: http://127.0.0.1:9/kojihub: koji hub http://127.0.0.1:9/kojihub is unavailable"), "{said}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("composes: 2 items in the source, 2 already here, 0 written, 0 errors"), "{}", String::from_utf8_lossy(&out.stdout));

    // The last audit of each source, over HTTP and as metrics.
    let server = Server::start(&db.url, &[]);
    let (status, body) = get(&server.url, "/api/almanac/v1/audit");
    assert_eq!(status, 200, "{body}");
    let runs: Value = serde_json::from_str(&body).unwrap();
    let koji_run = runs["sources"].as_array().unwrap().iter().find(|r| r["source"] == "koji").unwrap();
    assert_eq!(koji_run["status"], "UNKNOWN");
    let (status, metrics) = get(&server.url, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("almanac_audit_status{source=\"koji\"} 3\n"), "{metrics}");
    assert!(metrics.contains("almanac_audit_extra{source=\"accounts\"} 1\n"), "{metrics}");
    // The binary's allocator counts the live heap: some of the resident memory.
    let gauge = |name: &str| {
        metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok()).unwrap_or_else(|| panic!("no {name} in {metrics}"))
    };
    let (live, resident) = (gauge("almanac_heap_live_bytes"), gauge("process_resident_memory_bytes"));
    assert!(live > 64 << 10 && live < resident, "live heap {live} of {resident} resident");
    // glibc's arenas hold the small blocks of that heap, and some free.
    let (arena, free) = (gauge("almanac_heap_arena_bytes"), gauge("almanac_heap_arena_free_bytes"));
    assert!(free < arena && arena < resident, "arenas {arena}, {free} free, of {resident} resident");
    if db.engine == almanac_store::Engine::Sqlite {
        // `serve` sets SQLite's page pool aside: the default 128 MiB, in whole slots.
        let pool = gauge("almanac_sqlite_page_pool_bytes");
        assert!(pool > 120 << 20 && pool <= 128 << 20, "page pool {pool}");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
});

fn config_with(dir: &Path, sources: &FakeKoji, tree: &Path, extra: &str) -> PathBuf {
    let sub = dir.join("lenient");
    std::fs::create_dir_all(&sub).unwrap();
    config(&sub, &sources.url, &sources.base, tree, extra)
}

/// Everything the import writes, as sorted lines.
fn content(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT 'rpm ' || rel.release_id || ' ' || r.nevra FROM rpm_linked_releases l JOIN rpms r ON r.id = l.rpm_id JOIN releases rel ON rel.id = l.release_id",
        "SELECT 'global ' || name FROM global_components",
        "SELECT 'release ' || r.release_id || '/' || c.name FROM release_components c JOIN releases r ON r.id = c.release_id",
        "SELECT 'person ' || name || ' ' || email FROM contacts",
        "SELECT 'compose ' || compose_id FROM composes",
        "SELECT 'edge ' || i.name || ' ' || a.name FROM graph_edges e JOIN graph_nodes i ON i.id = e.input_id JOIN graph_nodes a ON a.id = e.artifact_id",
    ] {
        out.extend(text(store, sql));
    }
    out.sort();
    out
}

/// A larger dist-git and koji, so an import takes long enough to kill.
fn big_data(path: &Path, packages: usize) {
    let mut builds = Vec::new();
    let mut rpms = serde_json::Map::new();
    for i in 0..packages {
        let id = 100 + i as i64;
        let name = format!("pkg{i:05}");
        builds.push(json!({"id": id, "build_id": id, "name": name, "package_name": name, "version": "1.0", "release": "1.fc41",
            "epoch": null, "nvr": format!("{name}-1.0-1.fc41"), "state": 1, "owner_name": "packager", "extra": null}));
        let rpm = |n: i64, arch: &str| {
            json!({"id": id * 10 + n, "name": name, "version": "1.0", "release": "1.fc41", "arch": arch,
            "epoch": null, "build_id": id, "nvr": format!("{name}-1.0-1.fc41"), "payloadhash": "0", "size": 1})
        };
        rpms.insert(id.to_string(), json!([rpm(1, "x86_64"), rpm(2, "src")]));
    }
    let ids: Vec<i64> = builds.iter().map(|b| b["id"].as_i64().unwrap()).collect();
    let projects: Vec<Value> = (0..packages)
        .map(|i| json!({"name": format!("pkg{i:05}"), "branches": ["rawhide", "f41"]}))
        .collect();
    let users: Vec<String> = (0..packages).map(|i| format!("user{i:05}")).collect();
    let data = json!({"builds": builds, "rpms": rpms, "tags": {"f41-updates": ids, "f41": []}, "projects": {"rpms": projects}, "users": users});
    std::fs::write(path, data.to_string()).unwrap();
}

#[test]
fn the_import_changes_nothing_the_second_time_and_resumes_after_a_kill() {
    let dir = std::env::temp_dir().join(format!("almanac-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tree = dir.join("compose");
    let composes = compose_tree(&tree);
    let data = dir.join("data.json");
    big_data(&data, 1500);
    let sources = FakeKoji::with_data("import", Some(&data));
    let config = config(&dir, &sources.url, &sources.base, &tree, "");
    let import = |db: &TestDb| {
        let out = almanac()
            .args([
                "import",
                "--config",
                config.to_str().unwrap(),
                "--database-url",
                &db.url,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };

    // Uninterrupted, twice: the second run writes nothing.
    let whole = TestDb::sqlite();
    prepare(&whole.store());
    let first = import(&whole);
    assert!(
        first.contains("koji: 3000 items in the source, 0 already here, 1500 written, 0 errors"),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "composes: {} items in the source, 0 already here, {} written",
            composes.len(),
            composes.len()
        )),
        "{first}"
    );
    let expected = content(&whole.store());
    let changesets = count(&whole.store(), "SELECT count(*) FROM changesets");
    let second = import(&whole);
    for s in ["composes", "koji", "dist-git", "accounts"] {
        assert!(
            second
                .lines()
                .any(|l| l.starts_with(&format!("{s}: ")) && l.contains("0 written, 0 errors")),
            "{s}: {second}"
        );
    }
    assert_eq!(
        count(&whole.store(), "SELECT count(*) FROM changesets"),
        changesets,
        "the second run records nothing"
    );
    assert_eq!(content(&whole.store()), expected);
    assert_eq!(
        expected.iter().filter(|l| l.starts_with("person ")).count(),
        1500
    );
    assert!(expected.contains(&"release fedora-41/pkg00042".to_string()));
    assert!(
        expected
            .contains(&"edge build:pkg00042-1.0-1.fc41 rpm:pkg00042-1.0-1.fc41.x86_64".to_string())
    );

    // Killed in the middle (SIGKILL once some of it is written), then again.
    let killed = TestDb::sqlite();
    prepare(&killed.store());
    let mut child = almanac()
        .args([
            "import",
            "--config",
            config.to_str().unwrap(),
            "--database-url",
            &killed.url,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let store = killed.store();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while count(
        &store,
        "SELECT count(*) FROM changesets WHERE source = 'import'",
    ) < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the import did not get under way"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = content(&store);
    assert!(
        partial.len() < expected.len(),
        "killed before the end ({} of {})",
        partial.len(),
        expected.len()
    );
    let resumed = import(&killed);
    assert!(resumed.contains("0 errors"), "{resumed}");
    assert_eq!(
        content(&store),
        expected,
        "the same content as the import never interrupted"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
