//! Several processes on one PostgreSQL: two `serve` and two `listen` share
//! the data and the work, every message is applied once, and the outbox is
//! published by one relay at a time, in commit order, none twice. Reads go
//! to a streaming standby when one is configured.

use crate::bus::{Listener, bus_config, collector, count, event_id, journalled, python, wait_for};
use crate::services::PrivatePostgres;
use crate::support::{Server, almanac, request};
use almanac_store::Conn;
use almanac_store::db::postgres::PgConn;
use almanac_store::testing::TestDb;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn result_body(i: usize) -> String {
    json!({"testcase": {"name": "multi.http"}, "outcome": "PASSED",
           "ref_url": format!("https://ci/http/{i}"), "data": {"item": format!("pkg-{i}-1.fc41"), "type": "koji_build"}})
    .to_string()
}

#[test]
fn two_serve_and_two_listen_processes_on_one_postgresql_share_the_data_and_publish_each_event_once()
{
    let db = TestDb::postgres();
    let queue = format!("almanac-multi-{}", std::process::id());
    let config = bus_config(&queue);
    let store = db.store();
    // A consumer of every event, until none has come for 8 s.
    let (mut collector, lines) = collector(&format!("{queue}.#"), "100000", Some("8"));

    let public = ["--public-url", "http://almanac.example"];
    let servers = [
        Server::start(&db.url, &public),
        Server::start(&db.url, &public),
    ];
    let listeners = [Listener::start(&db, &config), Listener::start(&db, &config)];
    // Bus messages and HTTP writes at once, the writes spread over both servers.
    let publisher = Command::new(crate::support::venv_python())
        .arg(crate::support::repo_root().join("tests/python/bus_messages.py"))
        .args(["bulk", "1500", &queue])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let urls = urls.clone();
            std::thread::spawn(move || {
                for i in (w..600).step_by(2) {
                    let (status, body) = request(
                        &urls[i % 2],
                        "POST",
                        "/api/v2.0/results",
                        None,
                        Some(&result_body(i)),
                    );
                    assert_eq!(status, 201, "{body}");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert!(publisher.wait_with_output().unwrap().status.success());
    wait_for(
        "1,500 messages journalled",
        Duration::from_secs(300),
        || journalled(&store) == 1500,
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM results"),
        2100,
        "each message applied once, each write once"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM bus_journal WHERE status = 'applied'"
        ),
        1500
    );

    // Both servers answer the same, whichever wrote.
    for path in [
        "/api/v2.0/results?testcases=multi.http&limit=50",
        "/api/v2.0/results?limit=100&page=3",
        "/api/v2.0/results/latest?testcases=multi.http",
        "/api/v2.0/testcases",
    ] {
        let answers: Vec<Value> = urls
            .iter()
            .map(|u| {
                let (status, body) = request(u, "GET", path, None, None);
                assert_eq!(status, 200, "{path}: {body}");
                serde_json::from_str(&body).unwrap()
            })
            .collect();
        assert_eq!(answers[0], answers[1], "{path} differs between the servers");
    }

    // Every result's event, once, in commit order, whichever relay sent it.
    let events: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(collector.wait().unwrap().success());
    let ids: Vec<i64> = events.iter().map(event_id).collect();
    assert_eq!(ids.len(), 2100, "one event a result, none twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in commit order");
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ),
        0
    );
    let tallies: Vec<String> = listeners.into_iter().map(Listener::stop).collect();
    let applied: Vec<usize> = tallies
        .iter()
        .map(|t| t.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        applied.iter().all(|n| *n > 0),
        "both listeners took their share: {tallies:?}"
    );
    python(&["drop", &queue, &format!("{queue}.dead")]);
    let _ = std::fs::remove_file(&config);
}

/// A hot standby streaming from the primary answers the reads; the writes
/// go to the primary. Pausing the standby's replay shows where each read
/// came from: a write acknowledged by the primary is not listed until the
/// standby replays it.
#[test]
fn reads_go_to_a_streaming_standby_and_writes_to_the_primary() {
    let cluster = PrivatePostgres::start();
    let standby = cluster.standby();
    let primary = TestDb::postgres_on(&cluster.admin_url());
    let replica_url = primary.url.replace(
        &format!(":{}/", cluster.port()),
        &format!(":{}/", standby.port()),
    );
    let server = Server::start(&primary.url, &["--replica-url", &replica_url]);
    let refs = || {
        let (status, body) = request(&server.url, "GET", "/api/v2.0/results", None, None);
        assert_eq!(status, 200, "{body}");
        let listed: Value = serde_json::from_str(&body).unwrap();
        let mut refs: Vec<String> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ref_url"].as_str().unwrap().to_string())
            .collect();
        refs.sort();
        refs
    };
    let until_listed = |want: &[&str]| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while refs() != want {
            assert!(
                Instant::now() < deadline,
                "the standby never listed {want:?}: {:?}",
                refs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let post = |i| {
        request(
            &server.url,
            "POST",
            "/api/v2.0/results",
            None,
            Some(&result_body(i)),
        )
    };
    assert_eq!(post(1).0, 201);
    until_listed(&["https://ci/http/1"]);

    let mut on_standby = PgConn::connect(&replica_url).unwrap();
    assert!(
        on_standby
            .query_opt("SELECT pg_is_in_recovery()", &[])
            .unwrap()
            .unwrap()
            .bool(0)
            .unwrap(),
        "the replica is a standby"
    );
    on_standby
        .query("SELECT pg_wal_replay_pause()", &[])
        .unwrap();
    let (status, body) = post(2);
    assert_eq!(status, 201, "{body}");
    let primary_store = primary.store();
    assert_eq!(
        count(&primary_store, "SELECT count(*) FROM results"),
        2,
        "the write is on the primary"
    );
    assert_eq!(
        refs(),
        ["https://ci/http/1"],
        "the read came from the standby, which has not replayed the second"
    );
    on_standby
        .query("SELECT pg_wal_replay_resume()", &[])
        .unwrap();
    until_listed(&["https://ci/http/1", "https://ci/http/2"]);
    drop(on_standby);

    assert_eq!(crate::support::get(&server.url, "/healthz").0, 200);
    // The standby gone, the health check says so; writes still go through.
    standby.down();
    assert_eq!(
        crate::support::get(&server.url, "/healthz").0,
        503,
        "a lost replica is unhealthy"
    );
    assert_eq!(post(3).0, 201, "writes do not need the replica");
    drop(server);
    drop(primary_store);
    drop(primary);
    // `config show` names the replica, its password hidden.
    let out = almanac()
        .args([
            "config",
            "show",
            "--replica-url",
            "postgres://reader:secret@replica.example/almanac",
        ])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    let line = shown
        .lines()
        .find(|l| l.starts_with("store.replica_url"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        line.contains("replica.example")
            && !line.contains("secret")
            && line.contains("command line"),
        "{line}"
    );
}
