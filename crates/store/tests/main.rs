//! Store tests: every body runs on SQLite and on PostgreSQL.

mod composes;
mod graph;
mod modules;

use almanac_model::results::{
    GroupInput, GroupQuery, NewResult, PageLimits, ResultQuery, TestcaseInput, TestcaseName,
};
use almanac_model::{Outcomes, Timestamp};
use almanac_store::db::{Conn, Value};
use almanac_store::{
    Actor, Engine, Store, StoreError, both_engines, changes, migrate, outbox, results, tokens,
};
use serde_json::json;

fn result(body: serde_json::Value) -> NewResult {
    NewResult::from_json(&body, &Outcomes::default()).expect("valid result")
}

fn query(pairs: &[(&str, &str)]) -> ResultQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ResultQuery::from_pairs(&pairs, &Outcomes::default(), PageLimits::default())
        .expect("valid query")
}

fn at(day: u32, hour: u32) -> i64 {
    Timestamp::from_civil(2024, 5, day, hour, 0, 0, 0)
        .unwrap()
        .micros()
        / 1000
}

fn submit(store: &Store, items: Vec<NewResult>) -> Vec<almanac_model::results::StoredResult> {
    store
        .submit_results_blocking(items, Actor::anonymous("test"))
        .expect("submit")
}

fn list(store: &Store, q: ResultQuery) -> Vec<almanac_model::results::StoredResult> {
    store.read_blocking(move |c| results::list(c, &q)).unwrap()
}

/// A small history: two builds, three testcases, results over four days.
fn seed(store: &Store) {
    submit(
        store,
        vec![
            result(
                json!({"testcase": "dist.rpmlint", "outcome": "FAILED", "submit_time": at(1, 10), "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"}}),
            ),
            result(
                json!({"testcase": "dist.rpmlint", "outcome": "PASSED", "submit_time": at(2, 10), "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"}}),
            ),
            result(
                json!({"testcase": "dist.abicheck", "outcome": "PASSED", "submit_time": at(2, 11), "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"}}),
            ),
            result(
                json!({"testcase": "update.install", "outcome": "PASSED", "submit_time": at(3, 10), "data": {"item": "foo-1.0-1.fc40", "type": "koji_build", "scenario": "x86_64"}}),
            ),
            result(
                json!({"testcase": "update.install", "outcome": "FAILED", "submit_time": at(3, 9), "data": {"item": "foo-1.0-1.fc40", "type": "koji_build", "scenario": "aarch64"}}),
            ),
            result(
                json!({"testcase": "dist.rpmlint", "outcome": "PASSED", "submit_time": at(4, 10), "data": {"item": "bar-2.0-1.fc40", "type": "koji_build"}}),
            ),
        ],
    );
}

both_engines!(fn migrations_apply_from_empty_and_only_once(db) {
    let store = Store::open(&db.url, Default::default()).unwrap();
    let all: Vec<i64> = migrate::MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(store.migrate().unwrap(), all, "every migration, in order");
    assert_eq!(all.last(), Some(&migrate::latest_version()));
    assert_eq!(store.migrate().unwrap(), Vec::<i64>::new(), "a second run applies nothing");
});

both_engines!(fn results_round_trip_with_their_testcase_data_and_groups(db) {
    let store = db.store();
    let stored = submit(&store, vec![result(json!({
        "testcase": {"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint"},
        "outcome": "passed", "note": "ok", "ref_url": "https://ci/1",
        "data": {"item": "foo-1.0-1.fc40", "arch": ["x86_64", "noarch"]},
        "groups": [{"uuid": "g-1", "description": "run 1"}],
    }))]);
    assert_eq!(stored.len(), 1);
    let id = stored[0].id;
    let back = store.read_blocking(move |c| results::get(c, id)).unwrap().unwrap();
    assert_eq!(back, stored[0]);
    assert_eq!(back.outcome, "PASSED");
    assert_eq!(back.testcase.ref_url.as_deref(), Some("https://docs/rpmlint"));
    assert_eq!(back.data_json, r#"{"arch":["x86_64","noarch"],"item":["foo-1.0-1.fc40"]}"#);
    assert_eq!(back.groups, vec!["g-1"]);
    let group = store.read_blocking(|c| results::get_group(c, "g-1")).unwrap().unwrap();
    assert_eq!(group.results_count, 1);
    assert_eq!(group.description.as_deref(), Some("run 1"));
    assert!(store.read_blocking(|c| results::get(c, 999_999)).unwrap().is_none());
});

both_engines!(fn list_filters_follow_resultsdb(db) {
    let store = db.store();
    seed(&store);
    let names = |rs: Vec<almanac_model::results::StoredResult>| -> Vec<(String, String)> {
        rs.into_iter().map(|r| (r.testcase.name, r.outcome)).collect()
    };
    assert_eq!(list(&store, query(&[])).len(), 6);
    assert_eq!(list(&store, query(&[("item", "foo-1.0-1.fc40")])).len(), 5);
    assert_eq!(list(&store, query(&[("item", "foo-1.0-1.fc40,bar-2.0-1.fc40")])).len(), 6, "comma is OR");
    assert_eq!(list(&store, query(&[("item", "bar-2.0-1.fc40"), ("item", "nothing")])).len(), 1, "repeat is OR");
    assert_eq!(list(&store, query(&[("item:like", "foo-*")])).len(), 5);
    assert_eq!(list(&store, query(&[("item:like", "FOO-*")])).len(), 0, "LIKE is case-sensitive on both engines");
    assert_eq!(list(&store, query(&[("item", "foo-1.0-1.fc40"), ("scenario", "x86_64")])).len(), 1, "keys AND");
    assert_eq!(list(&store, query(&[("testcases", "dist.rpmlint")])).len(), 3);
    assert_eq!(list(&store, query(&[("testcases:like", "dist.*")])).len(), 4);
    assert_eq!(list(&store, query(&[("testcases", "update.install"), ("testcases:like", "dist.abi*")])).len(), 3);
    assert_eq!(list(&store, query(&[("outcome", "failed")])).len(), 2);
    assert_eq!(list(&store, query(&[("since", "2024-05-02T00:00:00,2024-05-03T09:30:00")])).len(), 3);
    assert_eq!(list(&store, query(&[("since", "2024-05-03T00:00:00")])).len(), 3);
    assert_eq!(
        names(list(&store, query(&[("item", "foo-1.0-1.fc40"), ("limit", "2")]))),
        vec![("update.install".into(), "PASSED".into()), ("update.install".into(), "FAILED".into()), ("dist.abicheck".into(), "PASSED".into())],
        "newest first, limit + 1 rows to tell a next page"
    );
    let oldest = list(&store, query(&[("_sort", "asc:submit_time"), ("limit", "1")]));
    assert_eq!(oldest[0].outcome, "FAILED");
    let page1 = list(&store, query(&[("limit", "4"), ("page", "1")]));
    assert_eq!(page1.len(), 2, "page is 0-based");
});

both_engines!(fn equal_submit_times_keep_a_stable_order(db) {
    let store = db.store();
    let same = at(1, 12);
    let stored = submit(&store, (0..5).map(|i| result(json!({"testcase": "t", "outcome": "PASSED", "submit_time": same, "data": {"n": i}}))).collect());
    let ids: Vec<i64> = list(&store, query(&[])).iter().map(|r| r.id).collect();
    let mut expected: Vec<i64> = stored.iter().map(|r| r.id).collect();
    expected.reverse();
    assert_eq!(ids, expected, "ties are broken by id, newest first");
});

both_engines!(fn groups_filter_and_count(db) {
    let store = db.store();
    submit(&store, vec![
        result(json!({"testcase": "a", "outcome": "PASSED", "groups": ["g1", {"uuid": "g2", "description": "compose tests"}]})),
        result(json!({"testcase": "b", "outcome": "PASSED", "groups": ["g1"]})),
    ]);
    submit(&store, vec![result(json!({"testcase": "c", "outcome": "PASSED", "groups": [{"description": "generated"}]}))]);
    assert_eq!(list(&store, query(&[("groups", "g1")])).len(), 2);
    assert_eq!(list(&store, query(&[("groups", "g2,g1")])).len(), 2);
    let gq = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        GroupQuery::from_pairs(&pairs, PageLimits::default()).unwrap()
    };
    let q = gq(&[]);
    let all = store.read_blocking(move |c| results::list_groups(c, &q)).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].description.as_deref(), Some("generated"), "newest group first");
    assert_eq!(all[0].uuid.len(), 36, "a missing uuid becomes a fresh one");
    let q = gq(&[("uuid", "g1")]);
    let g1 = store.read_blocking(move |c| results::list_groups(c, &q)).unwrap();
    assert_eq!(g1[0].results_count, 2);
    let q = gq(&[("description:like", "compose*")]);
    assert_eq!(store.read_blocking(move |c| results::list_groups(c, &q)).unwrap().len(), 1);
});

both_engines!(fn latest_is_one_per_testcase_or_per_distinct_key(db) {
    let store = db.store();
    seed(&store);
    let q = query(&[("item", "foo-1.0-1.fc40")]);
    let latest = store.read_blocking(move |c| results::latest(c, &q)).unwrap();
    let got: Vec<(&str, &str)> = latest.iter().map(|r| (r.testcase.name.as_str(), r.outcome.as_str())).collect();
    assert_eq!(got, vec![("update.install", "PASSED"), ("dist.abicheck", "PASSED"), ("dist.rpmlint", "PASSED")]);
    let q = query(&[("item", "foo-1.0-1.fc40"), ("_distinct_on", "scenario")]);
    let latest = store.read_blocking(move |c| results::latest(c, &q)).unwrap();
    assert_eq!(latest.len(), 4, "each scenario of update.install counts on its own");
    let q = query(&[("item", "foo-1.0-1.fc40"), ("testcases", "dist.rpmlint"), ("outcome", "FAILED")]);
    let latest = store.read_blocking(move |c| results::latest(c, &q)).unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].outcome, "FAILED", "filters apply before picking the latest");
});

both_engines!(fn every_result_writes_its_event_in_the_same_transaction(db) {
    let store = db.store();
    let stored = submit(&store, vec![
        result(json!({"testcase": "a", "outcome": "PASSED"})),
        result(json!({"testcase": "b", "outcome": "FAILED"})),
    ]);
    let events = store.read_blocking(|c| outbox::unpublished(c, 10)).unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.topic == "resultsdb.result.new"));
    let first: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(first["id"], json!(stored[0].id));
    assert_eq!(first["testcase"]["name"], json!("a"));
    assert_eq!(first["href"], json!(format!("http://127.0.0.1:8080/api/v2.0/results/{}", stored[0].id)));
});

both_engines!(fn concurrent_submissions_commit_together_and_each_is_answered(db) {
    let store = db.store();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| submit(&store, vec![result(json!({"testcase": format!("tc.{}", i % 3), "outcome": "PASSED", "data": {"item": format!("build-{t}-{i}")}}))])[0].id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 400, "every submission got its own id");
    let count = store.read_blocking(|c| Ok(c.query_opt("SELECT count(*) FROM results", &[])?.unwrap().int(0)?)).unwrap();
    assert_eq!(count, 400);
    let events = store.read_blocking(|c| Ok(c.query_opt("SELECT count(*) FROM outbox", &[])?.unwrap().int(0)?)).unwrap();
    assert_eq!(events, 400);
});

both_engines!(fn a_failing_write_is_rolled_back_alone(db) {
    let store = db.store();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let good = store.submit_results(vec![result(json!({"testcase": "kept", "outcome": "PASSED"}))], Actor::anonymous("test"));
        let bad = store.write(|c| {
            c.execute("INSERT INTO testcases (name) VALUES ($1)", &["half-written".into()])?;
            Err::<(), _>(StoreError::Internal("refused on purpose".into()))
        });
        let also_good = store.write(|c| Ok::<_, StoreError>(c.execute("INSERT INTO testcases (name) VALUES ($1)", &["also-kept".into()])?));
        let (good, bad, also_good) = tokio::join!(good, bad, also_good);
        assert!(good.is_ok());
        assert_eq!(bad.unwrap_err(), StoreError::Internal("refused on purpose".into()));
        assert_eq!(also_good.unwrap(), 1);
    });
    let names: Vec<String> = store
        .read_blocking(|c| Ok(c.query("SELECT name FROM testcases ORDER BY name", &[])?.into_iter().map(|mut r| r.text(0).unwrap()).collect()))
        .unwrap();
    assert_eq!(names, vec!["also-kept", "kept"]);
});

both_engines!(fn testcase_and_group_upserts_record_changesets(db) {
    let store = db.store();
    let actor = Actor::user("alice", "http");
    let input = TestcaseInput { name: TestcaseName::parse("dist.rpmlint").unwrap(), ref_url: Some("u1".into()) };
    let a = actor.clone();
    let i = input.clone();
    store.write_blocking(move |c| results::upsert_testcase(c, &i, &a)).unwrap();
    let a = actor.clone();
    let i = input.clone();
    store.write_blocking(move |c| results::upsert_testcase(c, &i, &a)).unwrap();
    let a = actor.clone();
    let changed = TestcaseInput { ref_url: Some("u2".into()), ..input.clone() };
    let tc = store.write_blocking(move |c| results::upsert_testcase(c, &changed, &a)).unwrap();
    assert_eq!(tc.ref_url.as_deref(), Some("u2"));
    let id = store.read_blocking(|c| Ok(c.query_opt("SELECT id FROM testcases", &[])?.unwrap().int(0)?)).unwrap();
    let history = store.read_blocking(move |c| changes::history(c, "testcase", id)).unwrap();
    assert_eq!(history.len(), 2, "an upsert that changes nothing records nothing");
    assert_eq!(history[0].old, None);
    assert_eq!(history[1].old.as_ref().unwrap()["ref_url"], json!("u1"));
    assert_eq!(history[1].new.as_ref().unwrap()["ref_url"], json!("u2"));
    assert_eq!(history[1].author.as_deref(), Some("alice"));

    let g = GroupInput { uuid: None, description: Some("d".into()), ref_url: None };
    let a = actor.clone();
    let group = store.write_blocking(move |c| results::upsert_group(c, &g, &a)).unwrap();
    assert_eq!(group.description.as_deref(), Some("d"));
    let g = GroupInput { uuid: Some(group.uuid.clone()), description: None, ref_url: Some("r".into()) };
    let group = store.write_blocking(move |c| results::upsert_group(c, &g, &actor)).unwrap();
    assert_eq!((group.description.as_deref(), group.ref_url.as_deref()), (Some("d"), Some("r")), "absent fields are kept");
});

both_engines!(fn tokens_authenticate_their_user_only(db) {
    let store = db.store();
    let token = store
        .write_blocking(|c| tokens::create_token(c, "bodhi", &["qa".into(), "releng".into()], false, &Actor::anonymous("cli")))
        .unwrap();
    assert!(token.starts_with("alm_") && token.len() > 40);
    let t = token.clone();
    let user = store.read_blocking(move |c| tokens::authenticate(c, &t)).unwrap().unwrap();
    assert_eq!(user.username, "bodhi");
    assert_eq!(user.groups, vec!["qa", "releng"]);
    assert!(!user.is_superuser);
    assert!(store.read_blocking(|c| tokens::authenticate(c, "alm_wrong")).unwrap().is_none());
    let stored: Vec<String> = store
        .read_blocking(|c| Ok(c.query("SELECT token_hash FROM api_tokens", &[])?.into_iter().map(|mut r| r.text(0).unwrap()).collect()))
        .unwrap();
    assert!(!stored.contains(&token), "only the hash is kept");
    let err = store.write_blocking(|c| tokens::create_token(c, "bad name!", &[], false, &Actor::anonymous("cli"))).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref e) if e.field == "username"));
});

/// The plan of a query, as one string, on either engine.
fn plan(store: &Store, q: &ResultQuery) -> String {
    let q = q.clone();
    let engine = store.engine();
    store
        .read_blocking(move |c| {
            let sql = results::list_statement(c, &q)?.expect("the query can match");
            let explain = match engine {
                Engine::Sqlite => format!("EXPLAIN QUERY PLAN {}", sql.text),
                Engine::Postgres => format!("EXPLAIN {}", sql.text),
            };
            // Explained the way the store runs it: from a cached plan, or planned for its values.
            let rows = if results::planned_for_values(&q) {
                c.query_uncached(&explain, &sql.params)?
            } else {
                c.query(&explain, &sql.params)?
            };
            Ok(rows
                .into_iter()
                .map(|r| {
                    r.0.into_iter()
                        .filter_map(|v| {
                            if let Value::Text(s) = v {
                                Some(s)
                            } else {
                                None
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n"))
        })
        .unwrap()
}

both_engines!(fn lookups_by_item_testcase_and_outcome_use_indexes(db) {
    let store = db.store();
    // Enough rows, and fresh statistics, for the planners to choose as they would in production.
    for chunk in 0..10 {
        let batch = (0..2000)
            .map(|i| {
                let n = chunk * 2000 + i;
                result(json!({"testcase": if n % 1000 == 0 { "tc.rare".to_string() } else { format!("tc.{}", n % 50) }, "outcome": if n % 500 == 0 { "FAILED" } else { "PASSED" },
                              "data": {"item": format!("pkg{}-1.0-1.fc40", n % 4000), "type": "koji_build"}}))
            })
            .collect();
        submit(&store, batch);
    }
    store.write_blocking(|c| Ok::<_, StoreError>(c.batch("ANALYZE")?)).unwrap();
    let by_item = plan(&store, &query(&[("item", "pkg7-1.0-1.fc40")]));
    let by_testcase = plan(&store, &query(&[("item", "pkg7-1.0-1.fc40"), ("testcases", "tc.7,tc.8")]));
    let by_outcome = plan(&store, &query(&[("outcome", "FAILED")]));
    let by_testcase_only = plan(&store, &query(&[("testcases", "tc.rare")]));
    println!("item:\n{by_item}\n\nitem+testcases:\n{by_testcase}\n\noutcome:\n{by_outcome}\n\ntestcase:\n{by_testcase_only}");
    for (what, p) in [("item", &by_item), ("item+testcases", &by_testcase)] {
        assert!(p.contains("result_data_key_value"), "{what} lookup must use the (key, value) index:\n{p}");
        assert!(!p.contains("SCAN r\n") && !p.contains("Seq Scan on results"), "{what} lookup must not scan all results:\n{p}");
    }
    assert!(by_outcome.contains("results_outcome"), "outcome lookup must use its index:\n{by_outcome}");
    assert!(by_testcase_only.contains("results_testcase"), "testcase lookup must use its index:\n{by_testcase_only}");
});

#[test]
fn reads_and_writes_survive_their_connections_being_cut() {
    let db = almanac_store::testing::TestDb::postgres();
    let store = db.store();
    submit(
        &store,
        vec![result(json!({"testcase": "t", "outcome": "PASSED"}))],
    );
    assert_eq!(
        list(&store, query(&[])).len(),
        1,
        "the pool now holds a connection"
    );
    // Cut every session of this database but ours, as a server restart does.
    let url = db.url.clone();
    let name = url.rsplit('/').next().unwrap().to_string();
    let mut admin =
        almanac_store::db::postgres::PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
    admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[name.into()],
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        list(&store, query(&[])).len(),
        1,
        "the read is answered on a fresh connection"
    );
    // Writes begin again on a fresh connection too (nothing had run): every
    // writer thread's connection was cut, and each write still succeeds.
    for _ in 0..4 {
        submit(
            &store,
            vec![result(json!({"testcase": "t", "outcome": "PASSED"}))],
        );
    }
    assert_eq!(list(&store, query(&[])).len(), 5);
}

// API reads run on `[store] readers` threads of their own, however many
// come at once; a read that panics is an error to its caller, and the
// thread reads on.
both_engines!(fn reads_run_on_the_reader_threads_and_no_more_at_once(db) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let store = db.store_with(almanac_store::StoreOptions { readers: 2, ..Default::default() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let (running, most, threads) = (running.clone(), most.clone(), threads.clone());
            let store = store.clone();
            reads.spawn(async move {
                store
                    .read(move |c| {
                        most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                        let name = std::thread::current().name().unwrap_or("unnamed").to_string();
                        threads.lock().unwrap().insert(name);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        let rows = c.query("SELECT 1", &[])?.len();
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(rows)
                    })
                    .await
            });
        }
        while let Some(read) = reads.join_next().await {
            assert_eq!(read.unwrap().unwrap(), 1);
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two readers, two reads at once");
        let threads: Vec<String> = threads.lock().unwrap().iter().cloned().collect();
        assert_eq!(threads, ["almanac-reader-0", "almanac-reader-1"]);

        let panicked = store
            .read(|_| -> Result<(), StoreError> { panic!("a read that panics") })
            .await
            .unwrap_err();
        assert_eq!(panicked, StoreError::Internal("the read failed: its thread panicked".into()));
        for _ in 0..4 {
            let rows = store.read(|c| Ok(c.query("SELECT 1", &[])?.len())).await.unwrap();
            assert_eq!(rows, 1, "both threads read on");
        }
    });
});

/// A reader thread's connection cut while idle (a database restart) is
/// replaced at its next read, which is answered.
#[test]
fn a_reader_threads_cut_connection_is_replaced() {
    let db = almanac_store::testing::TestDb::postgres();
    let store = db.store_with(almanac_store::StoreOptions {
        readers: 1,
        ..Default::default()
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = |store: &Store| {
        rt.block_on(store.read(|c| {
            Ok(c.query_opt("SELECT pg_backend_pid()", &[])?
                .unwrap()
                .int(0)?)
        }))
    };
    let before = pid(&store).unwrap();
    assert_eq!(
        pid(&store).unwrap(),
        before,
        "the thread keeps its connection"
    );
    let mut admin =
        almanac_store::db::postgres::PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
    admin
        .query("SELECT pg_terminate_backend($1::int)", &[before.into()])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after = pid(&store).unwrap();
    assert_ne!(after, before, "answered on a fresh connection");
}

/// SQLite's page caches share the `sqlite_cache_mib` budget (half for the
/// writer, the other half among the readers), and the process's sums
/// (served at `/metrics`) follow what the connections hold. Their page
/// buffers come from a pool of that size, set aside at start.
#[test]
fn sqlite_connections_report_memory_within_their_cache_budget() {
    let db = almanac_store::testing::TestDb::sqlite();
    let options = almanac_store::StoreOptions {
        sqlite_cache_mib: 4,
        sqlite_page_pool: true,
        readers: 2,
        ..Default::default()
    };
    let (writer_kib, reader_kib) = options.sqlite_cache_kib();
    assert_eq!((writer_kib, reader_kib), (2048, 1024));
    let store = Store::open(&db.url, options).unwrap();
    store.migrate().unwrap();
    // Enough writes to dirty far more than 2 MiB of pages in the writer.
    for batch in 0..100 {
        let items = (0..100)
            .map(|i| {
                result(json!({"testcase": format!("t.{}", i % 50), "outcome": "PASSED",
                              "data": {"item": format!("pkg-{batch}-{i}-1.fc41"), "type": "koji_build"}}))
            })
            .collect();
        submit(&store, items);
    }
    for i in 0..200 {
        let item = format!("pkg-{}-{}-1.fc41", i % 100, i % 100);
        assert_eq!(list(&store, query(&[("item", &item)])).len(), 1);
    }
    assert!(
        almanac_store::db::sqlite_alloc::installed(),
        "SQLite allocates through the global allocator"
    );
    let memory = almanac_store::db::sqlite::memory();
    assert!(
        memory.connections >= 3,
        "the writer, the checkpointer and a reader at least: {memory:?}"
    );
    assert!(
        memory.page_cache_bytes > 3 << 19,
        "the writer's cache filled to near its 2 MiB: {memory:?}"
    );
    assert!(
        memory.statement_bytes > 0,
        "statements were prepared: {memory:?}"
    );
    // The writer, the checkpointer (opened as the writer is, with its share)
    // and the readers; each page costs a little more than its size.
    let readers = memory.connections - 2;
    let bound = (2 * writer_kib as i64 + readers * reader_kib as i64) * 1024 * 5 / 4;
    assert!(
        memory.page_cache_bytes <= bound,
        "{} bytes cached, more than the budget allows ({bound}): {memory:?}",
        memory.page_cache_bytes,
    );
    // The page buffers come from the pool set aside for the budget, and
    // what the caches hold past it from the heap.
    let pool = memory.page_pool.expect("a page pool was set aside");
    assert!(
        pool.bytes <= 4 << 20 && pool.bytes > (4 << 20) - 8192,
        "the pool is the 4 MiB budget, in whole slots: {pool:?}"
    );
    assert!(
        pool.used_bytes > 1 << 20 && pool.used_bytes <= pool.bytes,
        "the caches draw on the pool: {pool:?}"
    );
    assert!(
        pool.used_bytes + pool.overflow_bytes >= memory.page_cache_bytes as u64 * 3 / 4,
        "the pool and its overflow hold the cached pages: {pool:?} {memory:?}"
    );
    let before = memory.connections;
    drop(store);
    // The store's threads close their connections as they stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while almanac_store::db::sqlite::memory().connections >= before
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        almanac_store::db::sqlite::memory().connections < before,
        "closing the store closes its connections"
    );
}

/// A PostgreSQL server with autovacuum off is named at start, where the
/// log shows it; SQLite has no such settings.
#[test]
fn a_server_without_autovacuum_is_warned_of() {
    let db = almanac_store::testing::TestDb::postgres();
    let store = db.store();
    let mut admin =
        almanac_store::db::postgres::PgConn::connect(&almanac_store::testing::admin_url()).unwrap();
    let autovacuum = admin
        .query_opt("SELECT current_setting('autovacuum')", &[])
        .unwrap()
        .unwrap()
        .text(0)
        .unwrap();
    let warnings = store.server_warnings().unwrap();
    if autovacuum == "on" {
        assert!(warnings.is_empty(), "{warnings:?}");
    } else {
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("autovacuum is off"), "{warnings:?}");
    }
    let sqlite = almanac_store::testing::TestDb::sqlite();
    assert!(sqlite.store().server_warnings().unwrap().is_empty());
}
