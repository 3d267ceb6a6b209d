//! The bus listener end to end, on both engines: a JSON-lines file applied
//! without a broker (duplicates, poisons, the journal over HTTP, replay),
//! and a real RabbitMQ on 127.0.0.1:5672 fed by the real fedora-messaging
//! library: messages applied once however often they come, poisons
//! dead-lettered with their reason, SIGKILL in the middle of 10,000 messages
//! losing none and applying none twice.

use crate::support::{Server, almanac, get, repo_root, venv_python};
use almanac_store::journal::{self, Filter, Status};
use almanac_store::testing::TestDb;
use almanac_store::{Store, both_engines};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ci_message(id: &str, n: u32, artifact_type: &str) -> Value {
    json!({
        "msg_id": id,
        "topic": "org.centos.prod.ci.koji-build.test.complete",
        "headers": {"sent-at": "2026-12-01T10:00:00+00:00", "JMSXUserID": "fedora-ci"},
        "msg": {
            "version": "0.2.1",
            "contact": {"name": "Fedora CI", "team": "fedora-ci", "email": "ci@example.org"},
            "run": {"url": format!("https://ci/run/{n}"), "log": format!("https://ci/run/{n}/log")},
            "artifact": {"type": artifact_type, "id": n, "nvr": format!("pkg{n}-1.0-1.fc41"), "component": format!("pkg{n}")},
            "test": {"namespace": "fedora-ci.koji-build", "type": "tier0", "category": "functional", "result": "passed"}
        }
    })
}

pub(crate) fn count(store: &Store, sql: &'static str) -> i64 {
    store
        .read_blocking(move |c| Ok(c.query_opt(sql, &[])?.unwrap().int(0)?))
        .unwrap()
}

both_engines!(fn a_file_of_messages_is_applied_once_and_its_failures_journalled(db) {
    let dir = std::env::temp_dir().join(format!("almanac-bus-file-{}-{}", std::process::id(), db.url.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("messages.jsonl");
    let lines = [
        ci_message("m-1", 1, "koji-build"),
        ci_message("m-2", 2, "koji-build"),
        ci_message("m-1", 1, "koji-build"),
        ci_message("m-bad", 3, "tarball"),
        json!({"msg_id": "m-rdb", "topic": "org.fedoraproject.prod.ci.resultsdb", "msg": {
            "testcase": {"name": "dist.rpmlint"}, "outcome": "PASSED", "ref_url": "https://ci/rdb", "data": {"item": "pkg9-1.0-1.fc41", "type": "koji_build"}}}),
        json!({"msg_id": "m-other", "topic": "org.fedoraproject.prod.bodhi.update.comment", "msg": {"comment": {"text": "works"}}}),
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str("this line is not a message\n\n");
    std::fs::write(&file, text).unwrap();
    let listen = |extra: &[&str]| {
        let out = almanac().args(["listen", "--from", file.to_str().unwrap(), "--database-url", &db.url]).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(listen(&[]), "3 applied, 1 duplicate, 1 ignored, 2 failed");
    let store = db.store();
    assert_eq!(count(&store, "SELECT count(*) FROM results"), 3);
    let publisher: String = store
        .read_blocking(|c| Ok(c.query_opt("SELECT value FROM result_data WHERE key = 'publisher_id'", &[])?.unwrap().text(0)?))
        .unwrap();
    assert_eq!(publisher, "fedora-ci", "JMSXUserID becomes publisher_id");
    assert_eq!(listen(&[]), "0 applied, 6 duplicate, 0 ignored, 1 failed", "a second run changes nothing (the bad line is journalled anew under a new id)");
    assert_eq!(count(&store, "SELECT count(*) FROM results"), 3);

    // The journal over HTTP, with the reasons.
    let server = Server::start(&db.url, &[]);
    let (status, body) = get(&server.url, "/api/almanac/v1/journal?status=failed");
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    let reasons: Vec<&str> = page["data"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"Unknown artifact type \"tarball\""), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("line 7: not JSON")), "{reasons:?}");
    assert_eq!(page["counts"]["applied"], 3);
    let (_, body) = get(&server.url, "/api/almanac/v1/journal?message_id=m-1");
    let m1: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(m1["data"][0]["deliveries"], 4, "seen twice a run, applied once");
    assert_eq!(m1["data"][0]["handler"], "ci-messages");
    assert_eq!(get(&server.url, "/api/almanac/v1/journal?status=lost").0, 400);
    assert_eq!(get(&server.url, "/api/almanac/v1/journal?limit=0").0, 400);
    drop(server);

    // Replay after a fix: here nothing changed, so they fail again, and say so.
    let out = almanac().args(["replay", "--id", "m-bad", "--database-url", &db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("m-bad still fails: Unknown artifact type"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
});

/// `almanac listen` on a queue of its own, stopped (SIGTERM) when dropped.
pub(crate) struct Listener {
    child: Option<Child>,
    /// Its log lines so far.
    pub(crate) log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) fn bus_config(queue: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{queue}.toml"));
    // Each test's messages (and events) on topics of its own: tests run side by side.
    std::fs::write(
        &path,
        format!("[bus]\nqueue = \"{queue}\"\ntopics = [\"org.centos.{queue}.#\"]\nprefetch = 50\npublish_prefix = \"{queue}.\"\n"),
    )
    .unwrap();
    path
}

impl Listener {
    pub(crate) fn start(db: &TestDb, config: &std::path::Path) -> Listener {
        let mut child = almanac()
            .args([
                "listen",
                "--config",
                config.to_str().unwrap(),
                "--database-url",
                &db.url,
            ])
            .env("ALMANAC_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start almanac listen");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening") {
                    let _ = tx.send(());
                }
                kept.lock().unwrap().push(line);
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("almanac listen did not bind its queue within 30 s (is RabbitMQ running on 127.0.0.1:5672?)");
        Listener {
            child: Some(child),
            log,
        }
    }

    fn kill9(mut self) {
        let mut c = self.child.take().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }

    /// SIGTERM: finishes the message in hand and exits 0, printing its tally.
    pub(crate) fn stop(mut self) -> String {
        let c = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "almanac listen exited with {:?}",
            out.status
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn python(args: &[&str]) -> String {
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bus_messages.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub(crate) fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what}: not within {limit:?}");
}

pub(crate) fn journalled(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM bus_journal")
}

both_engines!(fn fedora_messaging_messages_are_applied_once_and_poisons_dead_lettered(db) {
    let queue = format!("almanac-test-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    let listener = Listener::start(&db, &config);
    let sent: Vec<Value> = python(&["publish", "20", &queue])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sent.len(), 23, "20 messages, one again, two poisons");
    wait_for("22 messages journalled", Duration::from_secs(60), || journalled(&store) == 22);
    let tally = listener.stop();
    assert_eq!(tally, "20 applied, 1 duplicate, 0 ignored, 2 failed");
    assert_eq!(count(&store, "SELECT count(*) FROM results"), 20, "the repeated message made nothing");
    let f = Filter { status: Some(Status::Failed), limit: 10, ..Default::default() };
    let failed = store.read_blocking(move |c| journal::list(c, &f)).unwrap();
    let mut reasons: Vec<String> = failed.iter().map(|e| format!("{}: {}", e.message_id, e.reason.clone().unwrap_or_default())).collect();
    reasons.sort();
    assert!(reasons[0].ends_with("-not-json: the body is not JSON: expected value at line 1 column 1"), "{reasons:?}");
    assert!(reasons[1].ends_with("-unknown-artifact: Unknown artifact type \"tarball\""), "{reasons:?}");
    // Both poisons are in the dead-letter queue, with the reason beside them.
    let dead: Vec<Value> = python(&["dead", &format!("{queue}.dead")]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut ids: Vec<&str> = dead.iter().map(|d| d["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, [format!("{queue}-not-json"), format!("{queue}-unknown-artifact")]);
    assert!(dead.iter().all(|d| d["headers"]["x-almanac-reason"].as_str().is_some_and(|r| !r.is_empty())), "{dead:?}");
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

both_engines!(fn a_listener_killed_in_the_middle_of_10000_messages_loses_none_and_applies_none_twice(db) {
    let queue = format!("almanac-kill-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    let listener = Listener::start(&db, &config);
    // Published while the listener works; killed once it is well into them.
    let publisher = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(["bulk", "10000", &queue])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the listener to be under way", Duration::from_secs(120), || journalled(&store) >= 500);
    listener.kill9();
    let published = publisher.wait_with_output().unwrap();
    assert!(published.status.success() && String::from_utf8_lossy(&published.stdout).trim() == "10000");
    let seen = journalled(&store);
    assert!(seen < 10_000, "killed before the end ({seen} journalled)");
    let listener = Listener::start(&db, &config);
    wait_for("10,000 messages journalled", Duration::from_secs(600), || journalled(&store) == 10_000);
    let tally = listener.stop();
    assert_eq!(count(&store, "SELECT count(*) FROM results"), 10_000, "none lost, none twice ({tally})");
    assert_eq!(count(&store, "SELECT count(DISTINCT ref_url) FROM results"), 10_000);
    assert_eq!(count(&store, "SELECT count(*) FROM bus_journal WHERE status = 'applied'"), 10_000);
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

/// The database goes away while the listener works (every connection cut,
/// new ones refused for a few seconds, as in a PostgreSQL restart): the
/// listener keeps the message in hand, tries it again after a pause, and
/// loses nothing.
#[test]
fn a_postgresql_outage_while_listening_loses_none() {
    let db = TestDb::postgres();
    let queue = format!("almanac-outage-{}", std::process::id());
    let config = bus_config(&queue);
    let store = db.store();
    let listener = Listener::start(&db, &config);
    let publisher = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(["bulk", "3000", &queue])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = |store: &Store| {
        store
            .read_blocking(|c| {
                Ok(c.query_opt("SELECT count(*) FROM bus_journal", &[])?
                    .unwrap()
                    .int(0)?)
            })
            .unwrap_or(-1)
    };
    wait_for(
        "the listener to be under way",
        Duration::from_secs(120),
        || seen(&store) >= 300,
    );
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut admin =
        almanac_store::db::postgres::PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
    use almanac_store::Conn;
    admin
        .execute(
            &format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"),
            &[],
        )
        .unwrap();
    admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[name.clone().into()],
        )
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    admin
        .execute(
            &format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"),
            &[],
        )
        .unwrap();
    assert!(publisher.wait_with_output().unwrap().status.success());
    wait_for(
        "3,000 messages journalled after the outage",
        Duration::from_secs(300),
        || seen(&store) == 3000,
    );
    let waited = listener
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("cannot apply the message yet"));
    assert!(waited, "the listener met the outage and waited it out");
    let tally = listener.stop();
    assert_eq!(
        count(&store, "SELECT count(*) FROM results"),
        3000,
        "none lost, none twice ({tally})"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM bus_journal WHERE status = 'applied'"
        ),
        3000
    );
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
}

both_engines!(fn two_listeners_on_one_queue_apply_every_message_once(db) {
    let queue = format!("almanac-pair-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    let (a, b) = (Listener::start(&db, &config), Listener::start(&db, &config));
    assert_eq!(python(&["bulk", "4000", &queue]).trim(), "4000");
    wait_for("4,000 messages journalled", Duration::from_secs(300), || journalled(&store) == 4000);
    let tallies = [a.stop(), b.stop()];
    let applied: Vec<usize> = tallies
        .iter()
        .map(|t| t.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(applied.iter().all(|n| *n > 0), "both took their share: {tallies:?}");
    assert_eq!(applied.iter().sum::<usize>(), 4000, "{tallies:?}");
    assert_eq!(count(&store, "SELECT count(*) FROM results"), 4000);
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

/// A consumer of Almanac's events bound to `pattern` before anything happens
/// (`bus_messages.py collect`): its process, and its lines after "ready".
pub(crate) fn collector(
    pattern: &str,
    n: &str,
    quiet: Option<&str>,
) -> (Child, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let mut child = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(["collect", pattern, n])
        .args(quiet)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    (child, lines)
}

/// The outbox id an event carries in its message id.
pub(crate) fn event_id(e: &Value) -> i64 {
    e["id"]
        .as_str()
        .unwrap()
        .strip_prefix("almanac-event-")
        .unwrap()
        .parse()
        .unwrap()
}

both_engines!(fn events_are_published_once_each_in_commit_order(db) {
    let queue = format!("almanac-events-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    // A consumer of Almanac's events, bound before anything happens.
    let (mut collector, lines) = collector(&format!("{queue}.#"), "20", None);
    let listener = Listener::start(&db, &config);
    python(&["publish", "20", &queue]);
    let events: Vec<Value> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(collector.wait().unwrap().success());
    assert_eq!(events.len(), 20, "one resultsdb.result.new a result");
    let ids: Vec<i64> = events
        .iter()
        .map(event_id)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in commit order, none twice: {ids:?}");
    assert!(events.iter().all(|e| e["topic"] == format!("{queue}.resultsdb.result.new")));
    assert!(events.iter().all(|e| e["headers"]["fedora_messaging_schema"] == "base.message"));
    assert!(events.iter().all(|e| e["body"]["outcome"].is_string() && e["body"]["testcase"]["name"] == "fedora-ci.koji-build.tier0.functional"));
    wait_for("every event marked published", Duration::from_secs(30), || {
        count(&store, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    });
    listener.stop();
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

both_engines!(fn two_relays_publish_each_event_once_in_commit_order(db) {
    let queue = format!("almanac-relays-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    // Every event that comes, until none has come for 5 s: extras would show.
    let (mut collector, lines) = collector(&format!("{queue}.#"), "100000", Some("5"));
    // Two processes, each with its relay, on one database.
    let (a, b) = (Listener::start(&db, &config), Listener::start(&db, &config));
    assert_eq!(python(&["bulk", "300", &queue]).trim(), "300");
    let events: Vec<Value> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(collector.wait().unwrap().success());
    let ids: Vec<i64> = events
        .iter()
        .map(event_id)
        .collect();
    assert_eq!(ids.len(), 300, "one event a result, none twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in commit order: {ids:?}");
    assert_eq!(count(&store, "SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
    a.stop();
    b.stop();
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

both_engines!(fn the_relay_survives_a_kill_and_publishes_every_event_at_least_once_in_order(db) {
    let queue = format!("almanac-relaykill-{}-{}", std::process::id(), if db.url.starts_with("sqlite") { "sqlite" } else { "pg" });
    let config = bus_config(&queue);
    let store = db.store();
    let (mut collector, lines) = collector(&format!("{queue}.#"), "100000", Some("8"));
    let listener = Listener::start(&db, &config);
    let publisher = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(["bulk", "3000", &queue])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the listener to be under way", Duration::from_secs(120), || journalled(&store) >= 500);
    listener.kill9();
    assert!(publisher.wait_with_output().unwrap().status.success());
    let listener = Listener::start(&db, &config);
    let events: Vec<Value> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(collector.wait().unwrap().success());
    listener.stop();
    let results = count(&store, "SELECT count(*) FROM results");
    assert_eq!(results, 3000);
    // At least once: a batch published but not marked before the kill comes again.
    let mut first_seen: Vec<i64> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in &events {
        let id = event_id(e);
        if seen.insert(id) {
            first_seen.push(id);
        }
    }
    assert_eq!(first_seen.len() as i64, results, "every event published ({} messages)", events.len());
    assert!(first_seen.windows(2).all(|w| w[0] < w[1]), "first seen in commit order");
    assert_eq!(count(&store, "SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
});

both_engines!(fn pungi_status_changes_import_finished_composes(db) {
    let python = venv_python();
    let dir = std::env::temp_dir().join(format!("almanac-bus-composes-{}-{}", std::process::id(), db.url.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(&python)
        .arg(repo_root().join("tests/python/make_composes.py"))
        .arg(&dir)
        .args(["--composes", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "make_composes.py: {}", String::from_utf8_lossy(&out.stderr));
    let expected: Value = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let id = expected["finished"][0].as_str().unwrap().to_string();
    let topic = "org.fedoraproject.prod.pungi.compose.status.change";
    let location = dir.join(&id).join("compose").to_string_lossy().into_owned();
    let lines = [
        json!({"msg_id": "c-1", "topic": topic, "msg": {"status": "STARTED", "compose_id": id, "location": location}}),
        json!({"msg_id": "c-2", "topic": topic, "msg": {"status": "FINISHED", "compose_id": id, "location": location}}),
        json!({"msg_id": "c-3", "topic": topic, "msg": {"status": "FINISHED", "compose_id": "Fedora-41-20991231.n.0"}}),
        json!({"msg_id": "c-4", "topic": topic, "msg": {"status": "FINISHED", "compose_id": "x", "location": dir.join("nothing-here").to_string_lossy()}}),
    ];
    let file = dir.join("pungi.jsonl");
    std::fs::write(&file, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let listen = || {
        let out = almanac().args(["listen", "--from", file.to_str().unwrap(), "--database-url", &db.url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(listen(), "1 applied, 0 duplicate, 1 ignored, 2 failed");
    let store = db.store();
    let composes: Vec<String> = store
        .read_blocking(|c| Ok(c.query("SELECT compose_id FROM composes", &[])?.into_iter().map(|mut r| r.text(0).unwrap()).collect()))
        .unwrap();
    assert_eq!(composes, vec![id.clone()]);
    let f = Filter { status: Some(Status::Failed), limit: 10, ..Default::default() };
    let failed = store.read_blocking(move |c| journal::list(c, &f)).unwrap();
    let reasons: Vec<String> = failed.iter().map(|e| e.reason.clone().unwrap_or_default()).collect();
    assert!(reasons[0].starts_with("Missing field \"location\""), "{reasons:?}");
    assert!(reasons[1].contains("nothing-here"), "{reasons:?}");
    assert_eq!(listen(), "0 applied, 4 duplicate, 0 ignored, 0 failed", "again: nothing changes");
    let _ = std::fs::remove_dir_all(&dir);
});
