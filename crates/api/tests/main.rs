//! API tests: the router called in-process, on SQLite and on PostgreSQL.

use almanac_api::{ApiSettings, AppState, router};
use almanac_store::testing::TestDb;
use almanac_store::{Actor, both_engines, tokens};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: axum::Router,
    state: AppState,
    db: Option<TestDb>,
}

impl Drop for App {
    fn drop(&mut self) {
        // Closing the store and dropping the database block: not on an async thread.
        let db = self.db.take();
        tokio::task::block_in_place(move || drop(db));
    }
}

impl App {
    fn new(db: TestDb) -> App {
        App::with(db, ApiSettings::default())
    }

    /// Opens the store off the async threads, as the binary does.
    fn with(db: TestDb, settings: ApiSettings) -> App {
        let store = tokio::task::block_in_place(|| db.store());
        let state = AppState::new(store, settings);
        App {
            router: router(state.clone()),
            state,
            db: Some(db),
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(
            Request::get(path)
                .header("host", "almanac.test")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn post_raw(
        &self,
        path: &str,
        body: impl Into<Body>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = Request::post(path)
            .header("host", "almanac.test")
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Token {t}"));
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_raw(path, body.to_string(), None).await
    }

    async fn count(&self, table: &'static str) -> i64 {
        self.state
            .store
            .read(move |c| {
                Ok(c.query_opt(&format!("SELECT count(*) FROM {table}"), &[])?
                    .unwrap()
                    .int(0)?)
            })
            .await
            .unwrap()
    }

    /// Every table's row count: what "nothing was written" is checked against.
    async fn row_counts(&self) -> Vec<(String, i64)> {
        let list = match self.state.store.engine() {
            almanac_store::Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            almanac_store::Engine::Postgres => {
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()"
            }
        };
        self.state
            .store
            .read(move |c| {
                let tables: Vec<String> = c
                    .query(list, &[])?
                    .into_iter()
                    .map(|mut r| r.text(0))
                    .collect::<Result<_, _>>()?;
                let mut counts = Vec::new();
                for t in tables {
                    let n = c
                        .query_opt(&format!("SELECT count(*) FROM \"{t}\""), &[])?
                        .map(|r| r.int(0))
                        .transpose()?
                        .unwrap_or(0);
                    counts.push((t, n));
                }
                counts.sort();
                Ok(counts)
            })
            .await
            .unwrap()
    }
}

/// A token for `user` (created if needed) in `groups`.
pub(crate) fn token(app: &App, user: &str, groups: &[&str], superuser: bool) -> String {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let user = user.to_string();
    tokio::task::block_in_place(|| {
        app.state
            .store
            .write_blocking(move |c| {
                tokens::create_token(c, &user, &groups, superuser, &Actor::anonymous("test"))
            })
            .unwrap()
    })
}

mod bad_input;
mod gating;
mod permissions;
mod waivers;

fn run(f: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

both_engines!(fn a_posted_result_reads_back_in_resultsdb_shape(db) {
    run(async {
        let app = App::new(db);
        let (status, created) = app
            .post("/api/v2.0/results", json!({
                "testcase": {"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint"}, "outcome": "passed",
                "data": {"item": "foo-1.0-1.fc40", "type": "koji_build"}, "ref_url": "https://ci/1",
                "submit_time": "2024-05-01T10:00:00.000000", "groups": [{"uuid": "g1", "description": "run"}],
                "note": null, "_auth_token": null
            }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created, json!({
            "id": id, "groups": ["g1"],
            "testcase": {"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint", "href": "http://almanac.test/api/v2.0/testcases/dist.rpmlint"},
            "submit_time": "2024-05-01T10:00:00", "outcome": "PASSED", "note": null, "ref_url": "https://ci/1",
            "data": {"item": ["foo-1.0-1.fc40"], "type": ["koji_build"]},
            "href": format!("http://almanac.test/api/v2.0/results/{id}")
        }));
        let (status, fetched) = app.get(&format!("/api/v2.0/results/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched, created);
        let (status, group) = app.get("/api/v2.0/groups/g1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(group, json!({"uuid": "g1", "description": "run", "ref_url": null, "results_count": 1,
            "results": "http://almanac.test/api/v2.0/results?groups=g1", "href": "http://almanac.test/api/v2.0/groups/g1"}));
        let (_, listed) = app.get("/api/v2.0/groups/g1/results").await;
        assert_eq!(listed["data"][0]["id"], json!(id));
    });
});

both_engines!(fn bad_input_is_a_400_naming_the_problem_and_writes_nothing(db) {
    run(async {
        let app = App::with(db, ApiSettings { max_body_bytes: 4096, ..ApiSettings::default() });
        let cases: Vec<(Body, StatusCode, &str)> = vec![
            (json!({"testcase": "t", "outcome": "MAYBE"}).to_string().into(), StatusCode::BAD_REQUEST, "outcome 'MAYBE' is not one of PASSED, INFO, FAILED, NEEDS_INSPECTION"),
            (json!({"outcome": "PASSED"}).to_string().into(), StatusCode::BAD_REQUEST, "testcase is required"),
            (json!({"testcase": {"name": ""}, "outcome": "PASSED"}).to_string().into(), StatusCode::BAD_REQUEST, "testcase name must be non-empty"),
            (json!({"testcase": "t", "outcome": "PASSED", "submit_time": "tomorrow"}).to_string().into(), StatusCode::BAD_REQUEST, "Expected timestamp in milliseconds"),
            (json!({"testcase": "t", "outcome": "PASSED", "data": {"a:b": "c"}}).to_string().into(), StatusCode::BAD_REQUEST, "Colon not allowed in key name"),
            ("{not json".into(), StatusCode::BAD_REQUEST, "not valid JSON"),
            ("".into(), StatusCode::BAD_REQUEST, "the body is empty"),
            (format!("{{\"testcase\": \"t\", \"outcome\": \"PASSED\", \"note\": \"{}\"}}", "x".repeat(5000)).into(), StatusCode::PAYLOAD_TOO_LARGE, "larger than the limit of 4096 bytes"),
            (json!([{"testcase": "ok", "outcome": "PASSED"}, {"testcase": "t", "outcome": "NOPE"}]).to_string().into(), StatusCode::BAD_REQUEST, "results[1]: outcome 'NOPE'"),
            ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]".into(), StatusCode::BAD_REQUEST, "not valid JSON"),
        ];
        for (body, status, text) in cases {
            let (got, answer) = app.post_raw("/api/v2.0/results", body, None).await;
            assert_eq!(got, status, "{answer}");
            let message = answer["message"].as_str().unwrap_or_else(|| panic!("no message in {answer}"));
            assert!(message.contains(text), "{message:?} should contain {text:?}");
        }
        assert_eq!(app.count("results").await, 0, "nothing half-written");
        assert_eq!(app.count("testcases").await, 0, "not even the testcase of a refused list");
        let (status, answer) = app.get("/api/v2.0/results?since=never").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer["message"].as_str().unwrap().contains("since"));
        let (status, answer) = app.get("/api/v2.0/results?outcome=SOMETIMES").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer["message"].as_str().unwrap().contains("SOMETIMES"));
        let (status, answer) = app.get("/api/v2.0/results?limit=lots").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(answer["message"].as_str().unwrap().contains("limit"));
    });
});

both_engines!(fn a_list_of_results_is_stored_whole(db) {
    run(async {
        let app = App::new(db);
        let (status, created) = app
            .post("/api/v2.0/results", json!([
                {"testcase": "a", "outcome": "PASSED", "data": {"item": "x"}},
                {"testcase": "b", "outcome": "FAILED", "data": {"item": "x"}},
            ]))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(created.as_array().unwrap().len(), 2);
        assert_eq!(app.count("results").await, 2);
    });
});

both_engines!(fn pages_link_to_each_other_and_limit_is_capped(db) {
    run(async {
        let app = App::with(db, ApiSettings { page_limits: almanac_model::results::PageLimits { default: 20, max: 3 }, ..ApiSettings::default() });
        let batch: Vec<Value> = (0..7).map(|i| json!({"testcase": "t", "outcome": "PASSED", "data": {"item": "x", "n": i}})).collect();
        app.post("/api/v2.0/results", Value::Array(batch)).await;
        let (_, first) = app.get("/api/v2.0/results?item=x&limit=1000").await;
        assert_eq!(first["data"].as_array().unwrap().len(), 3, "limit is capped");
        assert_eq!(first["prev"], Value::Null);
        assert_eq!(first["next"], json!("http://almanac.test/api/v2.0/results?item=x&limit=1000&page=1"));
        let (_, last) = app.get("/api/v2.0/results?item=x&limit=3&page=2").await;
        assert_eq!(last["data"].as_array().unwrap().len(), 1);
        assert_eq!(last["next"], Value::Null);
        assert_eq!(last["prev"], json!("http://almanac.test/api/v2.0/results?item=x&limit=3&page=1"));
        assert_eq!(last["data"][0]["data"]["n"], json!(["0"]), "the oldest is on the last page");
    });
});

both_engines!(fn latest_answers_one_per_testcase_and_guards_distinct_on(db) {
    run(async {
        let app = App::new(db);
        for (tc, outcome, scenario, t) in [("a", "FAILED", "s1", 1), ("a", "PASSED", "s1", 2), ("a", "FAILED", "s2", 3), ("b", "PASSED", "s1", 4)] {
            app.post("/api/v2.0/results", json!({"testcase": tc, "outcome": outcome, "submit_time": t * 1000, "data": {"item": "x", "scenario": scenario}})).await;
        }
        let (status, latest) = app.get("/api/v2.0/results/latest?item=x").await;
        assert_eq!(status, StatusCode::OK);
        let got: Vec<(&str, &str)> = latest["data"].as_array().unwrap().iter().map(|r| (r["testcase"]["name"].as_str().unwrap(), r["outcome"].as_str().unwrap())).collect();
        assert_eq!(got, vec![("b", "PASSED"), ("a", "FAILED")]);
        assert!(latest.get("next").is_none(), "latest is not paginated");
        let (_, distinct) = app.get("/api/v2.0/results/latest?item=x&_distinct_on=scenario").await;
        assert_eq!(distinct["data"].as_array().unwrap().len(), 3);
        let (status, answer) = app.get("/api/v2.0/results/latest?_distinct_on=scenario").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["message"], json!("Please, provide at least one filter beside '_distinct_on'"));
    });
});

both_engines!(fn testcases_and_groups_upsert_list_and_404(db) {
    run(async {
        let app = App::new(db);
        let (status, tc) = app.post("/api/v2.0/testcases", json!({"name": "fedora/openqa/install", "ref_url": "u1"})).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(tc["href"], json!("http://almanac.test/api/v2.0/testcases/fedora/openqa/install"));
        let (_, tc) = app.post("/api/v2.0/testcases", json!({"name": "fedora/openqa/install", "ref_url": "u2"})).await;
        assert_eq!(tc["ref_url"], json!("u2"));
        let (status, got) = app.get("/api/v2.0/testcases/fedora/openqa/install").await;
        assert_eq!((status, got["ref_url"].clone()), (StatusCode::OK, json!("u2")));
        app.post("/api/v2.0/results", json!({"testcase": "fedora/openqa/install", "outcome": "PASSED"})).await;
        let (status, results) = app.get("/api/v2.0/testcases/fedora/openqa/install/results").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(results["data"].as_array().unwrap().len(), 1);
        let (_, listed) = app.get("/api/v2.0/testcases?name:like=fedora/*").await;
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);
        let (status, missing) = app.get("/api/v2.0/testcases/nope").await;
        assert_eq!((status, missing), (StatusCode::NOT_FOUND, json!({"message": "Testcase not found"})));

        let (status, group) = app.post("/api/v2.0/groups", json!({"description": "compose run"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let uuid = group["uuid"].as_str().unwrap().to_string();
        let (_, updated) = app.post("/api/v2.0/groups", json!({"uuid": uuid, "ref_url": "https://r"})).await;
        assert_eq!((updated["description"].clone(), updated["ref_url"].clone()), (json!("compose run"), json!("https://r")));
        let (_, by_description) = app.get("/api/v2.0/groups?description=compose%20run").await;
        assert_eq!(by_description["data"][0]["uuid"], json!(uuid));
        let (status, missing) = app.get("/api/v2.0/groups/nope").await;
        assert_eq!((status, missing), (StatusCode::NOT_FOUND, json!({"message": "Group not found"})));
        let (status, missing) = app.get("/api/v2.0/groups/nope/results").await;
        assert_eq!((status, missing), (StatusCode::NOT_FOUND, json!({"message": "Group not found: nope"})));
        let (status, missing) = app.get("/api/v2.0/results/424242").await;
        assert_eq!((status, missing), (StatusCode::NOT_FOUND, json!({"message": "Result not found"})));
        let (status, missing) = app.get("/api/v2.0/nowhere").await;
        assert_eq!((status, missing), (StatusCode::NOT_FOUND, json!({"message": "Not found"})));
    });
});

both_engines!(fn landing_page_answers_300_and_health_200(db) {
    run(async {
        let app = App::new(db);
        let (status, landing) = app.get("/api/v2.0/").await;
        assert_eq!(status, StatusCode::MULTIPLE_CHOICES);
        assert_eq!(landing["results"], json!("http://almanac.test/api/v2.0/results"));
        assert!(landing["outcomes"].as_array().unwrap().contains(&json!("ERROR")));
        let (status, health) = app.get("/healthz").await;
        assert_eq!((status, health["status"].clone()), (StatusCode::OK, json!("ok")));
        let (status, health) = app.get("/healthcheck").await;
        assert_eq!((status, health), (StatusCode::OK, json!({"message": "Health check OK"})));
        let (status, _) = app.send(Request::delete("/api/v2.0/results").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    });
});

both_engines!(fn writes_can_require_a_token_and_a_bad_token_is_always_refused(db) {
    run(async {
        let app = App::with(db, ApiSettings { results_require_token: true, ..ApiSettings::default() });
        let token = app
            .state
            .store
            .write(|c| tokens::create_token(c, "ci-bot", &[], false, &Actor::anonymous("test")))
            .await
            .unwrap();
        let body = json!({"testcase": "t", "outcome": "PASSED"}).to_string();
        let (status, answer) = app.post_raw("/api/v2.0/results", body.clone(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(answer["message"].as_str().unwrap().contains("requires a token"));
        let (status, _) = app.post_raw("/api/v2.0/results", body.clone(), Some("alm_wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.post_raw("/api/v2.0/testcases", json!({"name": "t"}).to_string(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count("results").await, 0);
        let (status, _) = app.post_raw("/api/v2.0/results", body.clone(), Some(&token)).await;
        assert_eq!(status, StatusCode::CREATED);
        let with_body_token = json!({"testcase": "t", "outcome": "PASSED", "_auth_token": token}).to_string();
        let (status, _) = app.post_raw("/api/v2.0/results", with_body_token, None).await;
        assert_eq!(status, StatusCode::CREATED, "resultsdb-api's _auth_token is honoured");
        let (status, _) = app.get("/api/v2.0/results").await;
        assert_eq!(status, StatusCode::OK, "reads stay open");
        let author = app.state.store.read(|c| Ok(c.query_opt("SELECT author FROM changesets ORDER BY id DESC", &[])?.unwrap().text(0)?)).await.unwrap();
        assert_eq!(author, "ci-bot", "the testcase's creation is recorded as the token's user");
    });
});
