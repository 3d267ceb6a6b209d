//! Faults, on real services: PostgreSQL restarted under HTTP writes,
//! RabbitMQ restarted under bus load, `serve` killed (-9) in the middle of
//! bulk writes, a read-only database, a full disk. Clients get a clear
//! error or their answer; what was acknowledged is there once; nothing is
//! half there.
//!
//! The restarts are of a PostgreSQL cluster and a RabbitMQ node of the
//! test's own (on free ports, in a temporary directory), so the tests beside
//! it keep their services.

use crate::bus::{Listener, count, journalled, wait_for};
use crate::services::{PrivatePostgres, PrivateRabbit, scratch};
use crate::support::{Server, almanac, post_json, repo_root, request, run_ok, venv_python};
use almanac_store::db::postgres::PgConn;
use almanac_store::db::sqlite::{self, MemoryLimits, SqliteConn};
use almanac_store::testing::TestDb;
use almanac_store::{Conn, DbError, Engine, SqliteSync, Store, both_engines};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn result(tag: &str, i: usize) -> serde_json::Value {
    json!({"testcase": {"name": "faults.write"}, "outcome": "PASSED", "ref_url": format!("https://ci/{tag}/{i}"),
           "data": {"item": format!("pkg-{i}-1.fc41"), "type": "koji_build", "arch": "x86_64"}})
}

/// Every result is whole: its three data rows are there.
fn assert_whole(store: &Store) {
    let partial = count(
        store,
        "SELECT count(*) FROM results r WHERE (SELECT count(*) FROM result_data d WHERE d.result_id = r.id) <> 3",
    );
    assert_eq!(partial, 0, "a result without all its data");
}

#[test]
fn a_postgresql_restart_under_http_writes_loses_no_acknowledged_write() {
    let pg = PrivatePostgres::start();
    let db = TestDb::postgres_on(&pg.admin_url());
    drop(db.store());
    let server = Server::start(&db.url, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<(u16, String)>::new()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (url, stop, acked, refused) = (
                server.url.clone(),
                stop.clone(),
                acked.clone(),
                refused.clone(),
            );
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body = result(&format!("w{w}"), i);
                    let (status, answer) = post_json(&url, "/api/v2.0/results", &body);
                    match status {
                        201 => acked
                            .lock()
                            .unwrap()
                            .push(body["ref_url"].as_str().unwrap().to_string()),
                        _ => refused.lock().unwrap().push((status, answer)),
                    }
                    i += 1;
                }
            })
        })
        .collect();
    let acked_now = || acked.lock().unwrap().len();
    wait_for("writes under way", Duration::from_secs(60), || {
        acked_now() >= 300
    });
    pg.down();
    std::thread::sleep(Duration::from_secs(2));
    pg.up();
    let after_restart = acked_now();
    wait_for(
        "writes acknowledged again after the restart",
        Duration::from_secs(60),
        || acked_now() >= after_restart + 300,
    );
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let refused = refused.lock().unwrap().clone();
    assert!(!refused.is_empty(), "the restart was met by the writes");
    for (status, body) in &refused {
        assert_eq!(*status, 503, "a clear refusal, not {status}: {body}");
        assert!(body.contains("try again later"), "{body}");
    }
    let store = db.store();
    let acked = acked.lock().unwrap().clone();
    let stored = count(&store, "SELECT count(*) FROM results") as usize;
    let distinct = count(&store, "SELECT count(DISTINCT ref_url) FROM results") as usize;
    assert_eq!(stored, distinct, "no write twice");
    // A commit whose answer was lost with the connection may be there without
    // an acknowledgement; it is whole, and it is one of the refused.
    assert!(
        stored >= acked.len() && stored - acked.len() <= refused.len(),
        "{stored} stored, {} acknowledged",
        acked.len()
    );
    for chunk in acked.chunks(500) {
        let refs: Vec<String> = chunk.to_vec();
        let n = store
            .read_blocking(move |c| {
                Ok(c.query_opt(
                    "SELECT count(*) FROM results WHERE ref_url = ANY($1)",
                    &[refs.clone().into()],
                )?
                .unwrap()
                .int(0)?)
            })
            .unwrap();
        assert_eq!(n as usize, chunk.len(), "every acknowledged write is there");
    }
    assert_whole(&store);
}

fn listen_config(dir: &Path, queue: &str, amqp_url: &str) -> PathBuf {
    let path = dir.join("bus.toml");
    std::fs::write(
        &path,
        format!("[bus]\namqp_url = \"{amqp_url}\"\nqueue = \"{queue}\"\ntopics = [\"org.centos.{queue}.#\"]\nprefetch = 50\npublish = false\n"),
    )
    .unwrap();
    path
}

fn publish(amqp_url: &str, queue: &str, count: usize, start: usize) {
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/bus_messages.py"))
        .args(["bulk", &count.to_string(), queue, &start.to_string()])
        .env("ALMANAC_TEST_AMQP_URL", amqp_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "publish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Messages in the queue when the restart comes, and in all.
const FIRST: usize = 20_000;
const TOTAL: i64 = 21_000;

#[test]
fn a_rabbitmq_restart_under_bus_load_loses_no_message_and_applies_none_twice() {
    let rabbit = PrivateRabbit::start();
    let db = TestDb::postgres();
    let store = db.store();
    let dir = scratch("rabbit-listen");
    let queue = format!("almanac-restart-{}", std::process::id());
    let config = listen_config(&dir, &queue, &rabbit.url());
    // The durable queue is declared by a first listener, then filled while
    // no one listens, so the restart finds the listener in the middle.
    Listener::start(&db, &config).stop();
    publish(&rabbit.url(), &queue, FIRST, 0);
    let listener = Listener::start(&db, &config);
    wait_for("the listener under way", Duration::from_secs(120), || {
        journalled(&store) >= 300
    });
    rabbit.down();
    let during = journalled(&store);
    std::thread::sleep(Duration::from_secs(2));
    rabbit.up();
    publish(&rabbit.url(), &queue, 1000, FIRST);
    wait_for("every message journalled", Duration::from_secs(300), || {
        journalled(&store) == TOTAL
    });
    let log = listener.log.lock().unwrap().join("\n");
    listener.stop();
    assert!(
        during < FIRST as i64,
        "the restart came in the middle ({during} journalled)"
    );
    assert!(
        log.contains("reopening") || log.contains("not reachable"),
        "the listener met the restart"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM results"),
        TOTAL,
        "none lost, none twice"
    );
    assert_eq!(
        count(&store, "SELECT count(DISTINCT ref_url) FROM results"),
        TOTAL
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM bus_journal WHERE status = 'applied'"
        ),
        TOTAL
    );
}

both_engines!(fn serve_killed_in_the_middle_of_bulk_writes_leaves_each_whole_or_absent(db) {
    drop(db.store());
    let server = Server::start(&db.url, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    // Lists of 1,000 results, each list under a group of its own.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (url, stop, acked) = (server.url.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let group = format!("{:08x}-0000-4000-8000-{:012x}", w, n);
                    let list: Vec<_> = (0..1000)
                        .map(|i| {
                            let mut r = result(&format!("bulk-{w}-{n}"), i);
                            r["groups"] = json!([group]);
                            r
                        })
                        .collect();
                    let (status, _) = post_json(&url, "/api/v2.0/results", &serde_json::Value::from(list));
                    if status == 201 {
                        acked.lock().unwrap().push(group);
                    } else {
                        break; // the server is gone
                    }
                }
            })
        })
        .collect();
    wait_for("bulk writes under way", Duration::from_secs(120), || acked.lock().unwrap().len() >= 4);
    let mut server = server;
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let store = db.store();
    let sizes = store
        .read_blocking(|c| {
            c.query("SELECT g.uuid, count(*) FROM group_results gr JOIN result_groups g ON g.id = gr.group_id GROUP BY g.uuid", &[])?
                .into_iter()
                .map(|mut r| Ok((r.text(0)?, r.int(1)?)))
                .collect::<Result<Vec<_>, almanac_store::StoreError>>()
        })
        .unwrap();
    assert!(sizes.iter().all(|(_, n)| *n == 1000), "a list half written: {sizes:?}");
    for g in &acked {
        assert!(sizes.iter().any(|(u, _)| u == g), "acknowledged list {g} is missing");
    }
    assert!(sizes.len() <= acked.len() + 2, "at most the lists in flight beside the acknowledged");
    assert_eq!(count(&store, "SELECT count(*) FROM results") as usize, sizes.len() * 1000);
    assert_whole(&store);
    // Started again, it takes writes at once.
    let server = Server::start(&db.url, &[]);
    let (status, body) = post_json(&server.url, "/api/v2.0/results", &result("after", 0));
    assert_eq!(status, 201, "{body}");
});

#[test]
fn a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads() {
    // PostgreSQL: the database set read-only under a running server.
    let db = TestDb::postgres();
    drop(db.store());
    let server = Server::start(&db.url, &[]);
    let (status, _) = post_json(&server.url, "/api/v2.0/results", &result("ro", 0));
    assert_eq!(status, 201);
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut admin =
        almanac_store::db::postgres::PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
    use almanac_store::Conn;
    admin
        .batch(&format!(
            "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
        ))
        .unwrap();
    admin
        .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", &[name.clone().into()])
        .unwrap();
    for attempt in 0..3 {
        let (status, body) =
            post_json(&server.url, "/api/v2.0/results", &result("ro", attempt + 1));
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("read-only"), "the refusal says why: {body}");
    }
    let (status, body) = request(&server.url, "GET", "/api/v2.0/results", None, None);
    assert_eq!(status, 200, "reads go on: {body}");
    assert_eq!(
        crate::support::get(&server.url, "/healthz").0,
        200,
        "the server stays up"
    );
    admin
        .batch(&format!(
            "ALTER DATABASE \"{name}\" SET default_transaction_read_only = off"
        ))
        .unwrap();
    admin
        .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", &[name.into()])
        .unwrap();
    wait_for("writes taken again", Duration::from_secs(30), || {
        post_json(&server.url, "/api/v2.0/results", &result("ro", 9)).0 == 201
    });
    drop(server);

    // SQLite: a database file that cannot be written (immutable, which
    // binds root too). `serve` starts on it, answers reads and refuses
    // writes saying why. SQLite keeps a file it opened read-only read-only
    // for the life of the process (its connections share the file's
    // state), so writes come back with a restart of `serve`.
    let dir = scratch("readonly");
    let url = format!("sqlite://{}", dir.join("ro.db").display());
    run_ok(almanac().args(["migrate", "--database-url", &url]));
    let mut locked: Vec<PathBuf> = ["ro.db", "ro.db-wal", "ro.db-shm"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.exists())
        .collect();
    locked.push(dir.clone());
    let chattr = |flag: &str| {
        for f in &locked {
            run_ok(Command::new("chattr").arg(flag).arg(f));
        }
    };
    chattr("+i");
    let server = Server::start(&url, &[]);
    let (status, body) = post_json(&server.url, "/api/v2.0/results", &result("ro", 0));
    let (read, _) = request(&server.url, "GET", "/api/v2.0/results", None, None);
    chattr("-i");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("read-only"), "the refusal says why: {body}");
    assert_eq!(read, 200, "reads go on");
    assert_eq!(
        crate::support::get(&server.url, "/healthz").0,
        200,
        "the server stays up"
    );
    drop(server);
    let server = Server::start(&url, &[]);
    let (status, body) = post_json(&server.url, "/api/v2.0/results", &result("ro", 1));
    assert_eq!(status, 201, "writable again after the restart: {body}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_disk_refuses_writes_clearly_loses_nothing_acknowledged_and_recovers() {
    let disk = Tmpfs::mount("full", 6);
    let url = format!("sqlite://{}", disk.dir.join("full.db").display());
    let server = Server::start(&url, &[]);
    let acked = fill_until_refused(&server, &"x".repeat(20_000));
    recover(&disk, 64, server, &url, acked);
}

/// The same on PostgreSQL, whose database lives in a tablespace on a small
/// disk (the WAL on another, as production servers often have it): the
/// refusal is a 503 that says the storage is full, reads go on, and once
/// the disk has room the server takes writes again with nothing lost.
#[test]
fn a_full_postgresql_tablespace_refuses_writes_clearly_and_recovers() {
    let disk = Tmpfs::mount("pg-full", 24);
    run_ok(Command::new("chown").arg("postgres").arg(&disk.dir));
    let cluster = PrivatePostgres::start();
    let mut admin = PgConn::connect(&cluster.admin_url()).unwrap();
    admin
        .batch(&format!(
            "CREATE TABLESPACE full_disk LOCATION '{}'",
            disk.dir.display()
        ))
        .unwrap();
    admin
        .batch("CREATE DATABASE almanac TABLESPACE full_disk")
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{}/almanac", cluster.port());
    let server = Server::start(&url, &[]);
    // Text PostgreSQL cannot compress: hex digits of a xorshift sequence.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: String = (0..2_500)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("{x:016x}")
        })
        .collect();
    let acked = fill_until_refused(&server, &noise);
    recover(&disk, 256, server, &url, acked);
    drop(admin);
    drop(cluster);
}

/// Posts results carrying `note` until the server refuses one, which must
/// be a 503 saying the storage is full, while reads go on; answers how many
/// were acknowledged.
fn fill_until_refused(server: &Server, note: &str) -> i64 {
    let mut acked = 0;
    for i in 0..5000 {
        let mut r = result("full", i);
        r["note"] = json!(note);
        let (status, body) = post_json(&server.url, "/api/v2.0/results", &r);
        if status == 201 {
            acked += 1;
            continue;
        }
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("full"), "the refusal says why: {body}");
        assert!(acked > 10, "{acked} writes before the disk was full");
        println!("refused after {acked} writes: {status} {body}");
        let (status, _) = request(&server.url, "GET", "/api/v2.0/results?limit=5", None, None);
        assert_eq!(status, 200, "reads go on");
        return acked;
    }
    panic!("the disk never filled up ({acked} writes taken)");
}

/// Room again on `disk`: the next write is taken, and everything
/// acknowledged is there, whole.
fn recover(disk: &Tmpfs, mib: u32, server: Server, url: &str, acked: i64) {
    disk.grow(mib);
    let (status, body) = post_json(&server.url, "/api/v2.0/results", &result("full", 9999));
    assert_eq!(status, 201, "{body}");
    drop(server);
    let store = Store::open(url, Default::default()).unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM results"), acked + 1);
    assert_whole(&store);
}

/// A small disk: a tmpfs of `mib` MiB, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(name: &str, mib: u32) -> Tmpfs {
        let dir = scratch(name);
        run_ok(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
                .arg(&dir),
        );
        Tmpfs { dir }
    }

    fn grow(&self, mib: u32) {
        run_ok(
            Command::new("mount")
                .args(["-o", &format!("remount,size={mib}m")])
                .arg(&self.dir),
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a write transaction that has written something is open on the
/// database: SQLite's write lock is held for 100 ms (a second connection
/// cannot take it), or a PostgreSQL session of the database holds a
/// transaction id (it has written) for 100 ms or more.
fn write_transaction_open(db: &TestDb) -> bool {
    match db.engine {
        Engine::Sqlite => {
            let path = sqlite::path_of(&db.url);
            let Ok(mut conn) = SqliteConn::open(
                &path,
                false,
                SqliteSync::Full,
                MemoryLimits {
                    cache_kib: 1024,
                    mmap_bytes: 0,
                    page_pool_bytes: 0,
                },
            ) else {
                return false;
            };
            conn.query("PRAGMA busy_timeout = 0", &[]).unwrap();
            let mut held = || match conn.begin_write() {
                Err(DbError::Busy(_)) => true,
                Err(e) => panic!("taking SQLite's write lock: {e}"),
                Ok(()) => {
                    conn.batch("ROLLBACK").unwrap();
                    false
                }
            };
            held() && {
                std::thread::sleep(Duration::from_millis(100));
                held()
            }
        }
        Engine::Postgres => {
            let name = db.url.rsplit('/').next().unwrap().to_string();
            let mut admin = PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
            admin
                .query_opt(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                     AND backend_xid IS NOT NULL AND now() - xact_start > interval '100 ms'",
                    &[name.into()],
                )
                .unwrap()
                .unwrap()
                .int(0)
                .unwrap()
                > 0
        }
    }
}

/// A compose of `rpms` rpms in one tree, as PDC's `compose-rpms/` takes it.
fn compose_import_body(compose_id: &str, date: &str, rpms: usize) -> String {
    let mut manifest = serde_json::Map::new();
    for i in 0..rpms {
        let srpm = format!("pkg{}-0:1.{}-1.fc41.src", i / 4, i % 7);
        let nevra = format!("pkg{}-sub{}-0:1.{}-1.fc41.x86_64", i / 4, i % 4, i % 7);
        let entry = manifest
            .entry(srpm)
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        entry[&nevra] = json!({"path": format!("Everything/x86_64/os/Packages/p/{nevra}.rpm"),
                               "sigkey": "a15b79cc", "category": "binary"});
    }
    let compose = json!({"id": compose_id, "date": date, "type": "nightly", "respin": 0});
    json!({
        "release_id": "fedora-41",
        "composeinfo": {"header": {"type": "productmd.composeinfo", "version": "1.2"},
            "payload": {"compose": compose,
                "release": {"name": "Fedora", "short": "Fedora", "version": "41", "type": "ga", "internal": false},
                "variants": {"Everything": {"id": "Everything", "uid": "Everything", "name": "Everything",
                    "type": "variant", "arches": ["x86_64"], "paths": {"os_tree": {"x86_64": "Everything/x86_64/os"}}}}}},
        "rpm_manifest": {"header": {"type": "productmd.rpms", "version": "1.2"},
            "payload": {"compose": compose, "rpms": {"Everything": {"x86_64": manifest}}}}
    })
    .to_string()
}

both_engines!(fn serve_killed_in_the_middle_of_a_compose_import_leaves_it_whole_or_absent(db) {
    let token = crate::support::demo(&db.url, 10);
    let mut server = Server::start(&db.url, &[]);
    const RPMS: i64 = 120_000;
    let body = compose_import_body("Fedora-41-20300101.n.0", "20300101", RPMS as usize);
    let (url, t) = (server.url.clone(), token.clone());
    let poster = std::thread::spawn(move || request(&url, "POST", "/rest_api/v1/compose-rpms/", Some(&t), Some(&body)));
    // Kill once the import's transaction has written and is still open.
    let waited = Instant::now();
    while !write_transaction_open(&db) {
        assert!(waited.elapsed() < Duration::from_secs(60), "the import never began writing");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    let (status, answer) = poster.join().unwrap();
    let store = db.store();
    let rpms_of = |store: &Store| {
        store
            .read_blocking(|c| {
                Ok(c.query_opt(
                    "SELECT count(*) FROM compose_rpms cr JOIN compose_trees t ON t.id = cr.tree_id \
                     JOIN composes c ON c.id = t.compose_id WHERE c.compose_id = 'Fedora-41-20300101.n.0'",
                    &[],
                )?
                .unwrap()
                .int(0)?)
            })
            .unwrap()
    };
    let composes = count(&store, "SELECT count(*) FROM composes WHERE compose_id = 'Fedora-41-20300101.n.0'");
    let found = rpms_of(&store);
    assert_eq!(status, 0, "killed before its commit, the import gets no answer: {answer}");
    assert_eq!(
        (composes, found),
        (0, 0),
        "killed in the middle of its transaction, the compose is absent"
    );
    // Again, after a restart: the compose whole, once.
    let server = Server::start(&db.url, &[]);
    let body = compose_import_body("Fedora-41-20300101.n.0", "20300101", RPMS as usize);
    let (status, answer) = request(&server.url, "POST", "/rest_api/v1/compose-rpms/", Some(&token), Some(&body));
    assert!(status == 200 || status == 201, "{status} {answer}");
    assert_eq!(rpms_of(&store), RPMS);
    assert_eq!(count(&store, "SELECT count(*) FROM composes WHERE compose_id = 'Fedora-41-20300101.n.0'"), 1);
});
