//! The binary's commands: token, migrate, demo, config.

use crate::support::{Server, almanac, get, repo_root};
use almanac_store::both_engines;
use almanac_store::testing::TestDb;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = almanac().args(args).output().expect("run almanac");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

both_engines!(fn migrate_twice_then_token_create_prints_a_working_token(db) {
    let (ok, out, err) = run(&["migrate", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let all = almanac_store::migrate::MIGRATIONS.len();
    assert!(out.contains(&format!("{all} migration(s) applied now")), "{out}");
    let (ok, out, _) = run(&["migrate", "--database-url", &db.url]);
    assert!(ok && out.contains("0 migration(s) applied now"), "{out}");
    let (ok, out, err) = run(&["token", "create", "releng-bot", "--group", "releng", "--superuser", "--database-url", &db.url]);
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("alm_"), "the last line is the token: {out}");
    let store = db.store();
    let user = store.read_blocking(move |c| almanac_store::tokens::authenticate(c, &token)).unwrap().unwrap();
    assert_eq!((user.username.as_str(), user.is_superuser, user.groups.clone()), ("releng-bot", true, vec!["releng".to_string()]));
});

#[test]
fn a_bad_database_url_or_config_is_a_clear_error() {
    let (ok, _, err) = run(&["migrate", "--database-url", "mysql://nope"]);
    assert!(!ok);
    assert!(
        err.contains("must start with sqlite:// or postgres://"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "migrate",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ]);
    assert!(!ok);
    assert!(
        err.contains("cannot open the store") || err.contains("cannot connect"),
        "{err}"
    );
    let dir = std::env::temp_dir().join(format!("almanac-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:1\"\nno_such_setting = 1\n").unwrap();
    let (ok, _, err) = run(&["config", "show", "--config", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("no_such_setting") && err.contains("bad.toml"),
        "{err}"
    );
    std::fs::write(&file, "[store]\nsqlite_cache_mib = 1\n").unwrap();
    let (ok, _, err) = run(&["config", "show", "--config", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("store.sqlite_cache_mib must be at least 2"),
        "{err}"
    );
}

#[test]
fn settings_come_from_file_then_environment_then_flags() {
    let dir = std::env::temp_dir().join(format!("almanac-config-{}-layers", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("almanac.toml");
    std::fs::write(
        &file,
        "bind = \"127.0.0.1:7000\"\ndatabase_url = \"postgres://almanac:secret@db.example/almanac\"\n[results]\nrequire_token = true\nmax_page_limit = 50\n",
    )
    .unwrap();
    let out = almanac()
        .args([
            "config",
            "show",
            "--config",
            file.to_str().unwrap(),
            "--bind",
            "127.0.0.1:9000",
        ])
        .env("ALMANAC_PUBLIC_URL", "https://almanac.example")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("bind ").contains("127.0.0.1:9000") && line("bind ").ends_with("# command line"),
        "{shown}"
    );
    assert!(
        line("public_url").contains("https://almanac.example")
            && line("public_url").ends_with("# environment"),
        "{shown}"
    );
    assert!(
        line("database_url").contains("postgres://almanac:***@db.example/almanac"),
        "the password is hidden: {shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
    assert!(
        line("results.require_token").contains("true")
            && line("results.require_token").ends_with("# config file"),
        "{shown}"
    );
    assert!(line("results.max_page_limit").contains("50"), "{shown}");
    assert!(line("store.readers").ends_with("# default"), "{shown}");
}

#[test]
fn demo_fills_a_store_with_results_for_every_build() {
    let db = TestDb::sqlite();
    let (ok, out, err) = run(&[
        "demo",
        "--no-serve",
        "--builds",
        "40",
        "--database-url",
        &db.url,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("480 results for 40 builds"), "{out}");
    let server = Server::start(&db.url, &[]);
    let (status, body) = get(
        &server.url,
        "/api/v2.0/results?item=bash-1.0.0-1.fc40&limit=100",
    );
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        12,
        "12 results a build"
    );
    let (status, body) = get(
        &server.url,
        "/api/v2.0/results/latest?item=bash-1.0.0-1.fc40&_distinct_on=scenario",
    );
    assert_eq!(status, 200);
    let latest: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        latest["data"].as_array().unwrap().len(),
        12,
        "each openQA scenario counts on its own"
    );
    // The demo's artifact graph: a layered image made, in the end, from glibc.
    let (status, body) = get(
        &server.url,
        "/api/almanac/v1/graph/path?input=component:glibc&artifact=container:python3-web:42",
    );
    assert_eq!(status, 200, "{body}");
    let path: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(path["path"].as_array().unwrap().len() >= 4, "{path}");
    let (status, body) = get(
        &server.url,
        "/api/almanac/v1/graph/tiers?artifact=container:python3-web:42",
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn healthz_answers_503_when_the_database_is_gone() {
    let db = TestDb::postgres();
    db.store();
    let server = Server::start(&db.url, &[]);
    assert_eq!(get(&server.url, "/healthz").0, 200);
    drop(db); // DROP DATABASE ... WITH (FORCE): every connection of the server is cut.
    let (status, body) = get(&server.url, "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    let (status, body) = get(&server.url, "/api/v2.0/results");
    assert_eq!(status, 503, "a read is a clear 503, not a 500: {body}");
    assert!(body.contains("The database is unavailable"), "{body}");
}

#[test]
fn policies_are_checked_at_start_and_a_bad_file_names_its_line() {
    let dir = std::env::temp_dir().join(format!("almanac-policies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("fedora.yaml"),
        "--- !Policy\nid: stable\nproduct_versions: [fedora-*]\ndecision_context: bodhi_update_push_stable\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}\n",
    )
    .unwrap();
    let dir_arg = dir.to_str().unwrap();
    let (ok, out, err) = run(&["config", "show", "--policies", dir_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("(1 policies)"), "{out}");
    std::fs::write(
        dir.join("zz-broken.yaml"),
        "--- !Policy\nid: other\nproduct_versions: [fedora-*]\ndecision_context: x\nsubject_type: koji_build\nrules:\n  - !PackageSpecificBuild {}\n",
    )
    .unwrap();
    let (ok, _, err) = run(&[
        "serve",
        "--policies",
        dir_arg,
        "--database-url",
        "sqlite::memory:",
    ]);
    assert!(!ok, "a bad policy file must stop the binary");
    assert!(
        err.contains("zz-broken.yaml:1:") && err.contains("unknown rule !PackageSpecificBuild"),
        "{err}"
    );
    std::fs::write(dir.join("zz-broken.yaml"), "--- !Policy\nid: stable\nproduct_versions: [f]\ndecision_context: x\nsubject_type: koji_build\n").unwrap();
    let (ok, _, err) = run(&["config", "show", "--policies", dir_arg]);
    assert!(!ok && err.contains("policy stable is defined in"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The example configuration that packaging ships is one the binary takes,
/// and it names every setting `config show` lists, in its table.
#[test]
fn the_example_configuration_is_taken_and_names_every_setting() {
    let example =
        std::fs::read_to_string(repo_root().join("packaging/almanac.toml.example")).unwrap();
    let dir = std::env::temp_dir().join(format!("almanac-config-{}-example", std::process::id()));
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::copy(
        repo_root().join("crates/cli/src/demo_data/policies.yaml"),
        dir.join("policies/policies.yaml"),
    )
    .unwrap();
    let file = dir.join("almanac.toml");
    std::fs::write(
        &file,
        example.replace(
            "/etc/almanac/policies",
            dir.join("policies").to_str().unwrap(),
        ),
    )
    .unwrap();
    let (ok, shown, err) = run(&["config", "show", "--config", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    // Each table of the example, with the keys set or commented out in it.
    let mut tables: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new())];
    for line in example.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            tables.push((
                header.trim_matches(|c| c == '[' || c == ']').to_string(),
                Vec::new(),
            ));
        } else if let Some((key, _)) = line.trim_start_matches('#').split_once(" = ")
            && !key.contains(' ')
        {
            tables.last_mut().unwrap().1.push(key.to_string());
        }
    }
    let mut listed = 0;
    for row in shown
        .lines()
        .filter(|l| l.contains(" = ") && l.contains(" # "))
    {
        let name = row.split_whitespace().next().unwrap();
        let (table, key) = name.rsplit_once('.').unwrap_or(("", name));
        assert!(
            tables
                .iter()
                .any(|(t, keys)| t == table && keys.iter().any(|k| k == key))
                || tables.iter().any(|(t, _)| t == name),
            "{name} is not in packaging/almanac.toml.example"
        );
        listed += 1;
    }
    assert!(
        listed > 40,
        "config show listed only {listed} settings:\n{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("store.sqlite_cache_mib")
                && l.contains("128")
                && l.ends_with("# config file")),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
