//! The model's sources from the bus, end to end on both engines: koji's,
//! dist-git's, pkgdb's and the account system's messages, built and
//! validated by their own schema packages and published with the real
//! fedora-messaging over RabbitMQ, applied by `almanac listen`, which asks a
//! koji hub over XML-RPC (Python's own XML-RPC server answering in koji's
//! shapes) what the builds are made of.

use crate::bus::{Listener, count, journalled, python, wait_for};
use crate::support::{almanac, repo_root, venv_python};
use almanac_store::journal::{self, Filter, Status};
use almanac_store::releases::{DistGit, Release, save_release};
use almanac_store::{Store, StoreError, both_engines};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `tests/python/fake_sources.py`, stopped when dropped.
pub(crate) struct FakeKoji {
    child: Child,
    pub(crate) url: String,
    /// Where dist-git's and the account system's APIs are.
    pub(crate) base: String,
    calls: std::path::PathBuf,
}

impl FakeKoji {
    pub(crate) fn start(name: &str) -> FakeKoji {
        FakeKoji::with_data(name, None)
    }

    /// Serving the data of `data` (fake_sources.py's JSON) instead of its own.
    pub(crate) fn with_data(name: &str, data: Option<&std::path::Path>) -> FakeKoji {
        let calls = std::env::temp_dir().join(format!("{name}-koji-calls.jsonl"));
        let _ = std::fs::remove_file(&calls);
        let mut child = Command::new(venv_python())
            .arg(repo_root().join("tests/python/fake_sources.py"))
            .arg(&calls)
            .args(data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start fake_sources.py");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let port: u16 = port
            .trim()
            .parse()
            .expect("fake_sources.py prints its port");
        FakeKoji {
            child,
            url: format!("http://127.0.0.1:{port}/kojihub"),
            base: format!("http://127.0.0.1:{port}"),
            calls,
        }
    }

    fn calls(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.calls)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for FakeKoji {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.calls);
    }
}

pub(crate) fn release(
    release_id: &str,
    version: &str,
    release_type: &str,
    branch: Option<&str>,
) -> Release {
    Release {
        id: 0,
        release_id: release_id.into(),
        short: release_id.split('-').next().unwrap().into(),
        version: version.into(),
        name: "Fedora".into(),
        base_product: None,
        active: true,
        product_version: None,
        release_type: release_type.into(),
        compose_set: Vec::new(),
        integrated_with: None,
        sigkey: None,
        allow_buildroot_push: false,
        allowed_debuginfo_services: Vec::new(),
        allowed_push_targets: Vec::new(),
        bugzilla: None,
        dist_git: branch.map(|b| DistGit { branch: b.into() }),
    }
}

pub(crate) fn add_release(store: &Store, r: Release) {
    store
        .write_blocking(move |c| {
            let mut changes = Vec::new();
            save_release(c, None, &r, &mut changes)?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

pub(crate) fn text(store: &Store, sql: &'static str) -> Vec<String> {
    store
        .read_blocking(move |c| {
            c.query(sql, &[])?
                .iter_mut()
                .map(|r| Ok(r.text(0)?))
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .unwrap()
}

both_engines!(fn koji_dist_git_pkgdb_and_account_messages_fill_the_model(db) {
    let engine = if db.url.starts_with("sqlite") { "sqlite" } else { "pg" };
    let queue = format!("almanac-sources-{}-{engine}", std::process::id());
    let koji = FakeKoji::start(&queue);
    let config = std::env::temp_dir().join(format!("{queue}.toml"));
    std::fs::write(
        &config,
        format!(
            "[bus]\nqueue = \"{queue}\"\ntopics = [\"org.fedoraproject.{queue}.#\"]\nprefetch = 10\npublish = false\nkoji_url = \"{}\"\n",
            koji.url
        ),
    )
    .unwrap();
    let store = db.store();
    add_release(&store, release("fedora-41", "41", "ga", Some("f41")));
    add_release(&store, release("fedora-41-updates", "41", "updates", None));

    let listener = Listener::start(&db, &config);
    let sent: Vec<Value> = python(&["sources", &queue]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(sent.len(), 20);
    wait_for("19 messages journalled", Duration::from_secs(90), || journalled(&store) == 19);
    let tally = listener.stop();
    assert_eq!(tally, "11 applied, 1 duplicate, 4 ignored, 4 failed");

    let id = |key: &str| format!("{queue}-{key}");
    let outcome = |key: &str| {
        let f = Filter { message_id: Some(id(key)), limit: 1, ..Default::default() };
        let e = store.read_blocking(move |c| journal::list(c, &f)).unwrap().pop().unwrap_or_else(|| panic!("{key} not journalled"));
        (e.status, e.handler.unwrap_or_default(), e.reason.unwrap_or_default())
    };
    // Koji: the tagged builds' rpms, linked to the tag's release.
    let rpms = text(&store, "SELECT r.nevra || ' ' || COALESCE(r.srpm_nevra, '-') || ' ' || rel.release_id FROM rpms r \
        JOIN rpm_linked_releases l ON l.rpm_id = r.id JOIN releases rel ON rel.id = l.release_id ORDER BY r.nevra");
    assert_eq!(rpms, [
        "bash-0:5.2.26-1.fc41.src - fedora-41-updates",
        "bash-0:5.2.26-1.fc41.x86_64 bash-0:5.2.26-1.fc41.src fedora-41-updates",
        "bash-doc-0:5.2.26-1.fc41.noarch bash-0:5.2.26-1.fc41.src fedora-41-updates",
        "glibc-0:2.40-1.fc41.src - fedora-41-updates",
        "glibc-0:2.40-1.fc41.x86_64 glibc-0:2.40-1.fc41.src fedora-41-updates",
    ]);
    let (status, handler, reason) = outcome("tag-bash");
    assert_eq!((status, handler.as_str()), (Status::Applied, "koji-tag"));
    assert!(reason.contains("3 rpms, 3 newly linked"), "{reason}");
    let (status, _, reason) = outcome("tag-bash-again");
    assert_eq!(status, Status::Applied);
    assert!(reason.contains("3 rpms, 0 newly linked") && reason.contains("0 graph edges added"), "the same build again changes nothing: {reason}");
    assert_eq!(outcome("tag-testing").0, Status::Ignored);
    assert!(outcome("tag-secondary").2.contains("not the primary one"));
    assert_eq!(outcome("tag-no-build"), (Status::Failed, "koji-tag".into(), "koji has no build 99".into()));
    assert_eq!(outcome("tag-no-release").2, "release fedora-77-updates (fed by koji tag f77-updates) does not exist");

    // The graph: component -> build -> rpm; the container on its base image,
    // with the rpms it includes; the image with its rpms.
    let edges = text(&store, "SELECT i.name || ' -' || e.kind || '-> ' || a.name FROM graph_edges e \
        JOIN graph_nodes i ON i.id = e.input_id JOIN graph_nodes a ON a.id = e.artifact_id WHERE e.source = 'koji' ORDER BY 1");
    for edge in [
        "component:bash -built-from-> build:bash-5.2.26-1.fc41",
        "build:bash-5.2.26-1.fc41 -built-from-> rpm:bash-5.2.26-1.fc41.x86_64",
        "build:glibc-2.40-1.fc41 -built-from-> rpm:glibc-2.40-1.fc41.src",
        "container:fedora-container-base-41-1 -base-image-> container:fedora-toolbox-41-1",
        "rpm:bash-5.2.26-1.fc41.x86_64 -includes-> container:fedora-toolbox-41-1",
        "rpm:glibc-2.40-1.fc41.x86_64 -includes-> container:fedora-toolbox-41-1",
        "rpm:glibc-2.40-1.fc41.x86_64 -includes-> container:fedora-container-base-41-1",
        "rpm:bash-doc-5.2.26-1.fc41.noarch -includes-> image:Fedora-Cloud-Base-41-20261201.0",
        "component:fedora-toolbox -built-from-> container:fedora-toolbox-41-1",
    ] {
        assert!(edges.contains(&edge.to_string()), "{edge} not in {edges:#?}");
    }
    // bash 1 + 3, glibc 1 + 2, the base 2, the toolbox 4, the cloud image 4.
    assert_eq!(edges.len(), 17, "{edges:#?}");
    assert!(outcome("build-failed").2.contains("not complete"));
    assert!(outcome("build-rpm").2.contains("is an rpm build"));
    // Asked over XML-RPC, keyword arguments as koji passes them.
    let calls = koji.calls();
    let asked = |method: &str, kw: &str, v: i64| calls.iter().any(|c| c["method"] == method && c["kwargs"][kw] == v);
    assert!(asked("listRPMs", "buildID", 1) && asked("listRPMs", "imageID", 31) && asked("listArchives", "buildID", 3), "{calls:?}");
    assert!(calls.iter().any(|c| c["method"] == "getBuild" && c["args"][0] == 4), "the base image is looked up: {calls:?}");

    // dist-git and pkgdb: global and release components, bugzilla components.
    let components = text(&store, "SELECT r.release_id || '/' || c.name || ' ' || t.name || ' ' || COALESCE(c.brew_package, '-') || ' ' || b.name \
        FROM release_components c JOIN releases r ON r.id = c.release_id JOIN release_component_types t ON t.id = c.type_id \
        JOIN bugzilla_components b ON b.id = c.bugzilla_component_id ORDER BY 1");
    assert_eq!(components, ["fedora-41/nano rpm nano nano", "fedora-41/python-newpkg rpm python-newpkg python-newpkg"]);
    assert_eq!(text(&store, "SELECT name FROM global_components ORDER BY name"), ["nano", "python-newpkg"]);
    assert_eq!(outcome("branch-unknown").2, "no active release has dist-git branch f99 (package python-newpkg)");

    // Accounts: one person, however often announced; a bad name refused.
    assert_eq!(text(&store, "SELECT name || ' ' || email FROM contacts WHERE kind = 'person'"), ["alice alice@fedoraproject.org"]);
    assert_eq!(outcome("user-again").2, "person alice was there already");
    assert_eq!(outcome("user-bad").0, Status::Failed);

    // Every write is a changeset by the bus naming its message.
    let comments = text(&store, "SELECT DISTINCT comment FROM changesets WHERE author = 'bus' ORDER BY 1");
    assert!(comments.contains(&format!("bus message {}", id("branch-new"))), "{comments:?}");
    assert_eq!(count(&store, "SELECT count(*) FROM changesets WHERE comment LIKE '%-again'"), 0, "a repeat writes no changeset");
    // ... and is announced (almanac.change), with references to what it touched.
    let events: Vec<Value> = text(&store, "SELECT payload FROM outbox WHERE topic = 'almanac.change' ORDER BY id")
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .filter(|e: &Value| e["comment"] == format!("bus message {}", id("branch-new")))
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let classes: Vec<&str> = events[0]["changes"].as_array().unwrap().iter().map(|c| c["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["bugzillacomponent", "releasecomponent"], "{events:?}");
    assert_eq!(events[0]["changes"][1]["action"], "created");

    // The release that was missing is made; the failed message is replayed.
    add_release(&store, release("fedora-77-updates", "77", "updates", None));
    let out = almanac()
        .args(["replay", "--id", &id("tag-no-release"), "--database-url", &db.url])
        .env("ALMANAC_KOJI_URL", &koji.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(outcome("tag-no-release").0, Status::Applied, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(count(&store, "SELECT count(*) FROM rpm_linked_releases l JOIN releases r ON r.id = l.release_id WHERE r.release_id = 'fedora-77-updates'"), 3);
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});
