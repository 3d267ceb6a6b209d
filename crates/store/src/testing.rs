//! Throw-away databases for tests, on either engine: a temporary SQLite file,
//! or a new PostgreSQL database with a random name on the local server. Both
//! are removed when the [`TestDb`] is dropped.
//!
//! PostgreSQL tests never skip: when the server is missing they fail, saying
//! how to start it. `ALMANAC_TEST_POSTGRES_URL` names another server.

use crate::db::postgres::PgConn;
use crate::db::{Conn, Engine};
use crate::{Store, StoreOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let mut raw = [0u8; 4];
    let _ = getrandom::fill(&mut raw);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        hex::encode(raw)
    )
}

pub struct TestDb {
    pub engine: Engine,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

/// The server that holds test databases.
pub fn admin_url() -> String {
    std::env::var("ALMANAC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_string())
}

impl TestDb {
    pub fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => TestDb::sqlite(),
            Engine::Postgres => TestDb::postgres(),
        }
    }

    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("almanac_test_{}.db", unique_suffix()));
        TestDb {
            engine: Engine::Sqlite,
            url: format!("sqlite://{}", path.display()),
            cleanup: Cleanup::File(path),
        }
    }

    pub fn postgres() -> TestDb {
        TestDb::postgres_on(&admin_url())
    }

    /// A fresh database on the server `admin` names (a database URL).
    pub fn postgres_on(admin: &str) -> TestDb {
        TestDb::postgres_from(admin, None)
    }

    /// A PostgreSQL copy of this database as it is now (`CREATE DATABASE ...
    /// TEMPLATE`: nobody may be connected to it meanwhile).
    pub fn copy(&self) -> TestDb {
        let Cleanup::Database { admin_url, name } = &self.cleanup else {
            panic!("TestDb::copy is for PostgreSQL databases");
        };
        TestDb::postgres_from(admin_url, Some(name))
    }

    fn postgres_from(admin: &str, template: Option<&str>) -> TestDb {
        let admin = admin.to_string();
        let name = format!("almanac_test_{}", unique_suffix());
        let mut conn = PgConn::connect(&admin).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for this test and is not reachable at {admin}: {e}\n\
                 start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
            )
        });
        let template = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
        conn.batch(&format!("CREATE DATABASE {name}{template}"))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("ALMANAC_TEST_POSTGRES_URL must end with /DATABASE"),
        };
        TestDb {
            engine: Engine::Postgres,
            url,
            cleanup: Cleanup::Database {
                admin_url: admin,
                name,
            },
        }
    }

    /// Opens the store on this database and applies the migrations.
    pub fn store(&self) -> Store {
        self.store_with(StoreOptions::default())
    }

    pub fn store_with(&self, options: StoreOptions) -> Store {
        let store = Store::open(&self.url, options).expect("open the test store");
        store.migrate().expect("migrate the test store");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut conn) = PgConn::connect(admin_url) {
                    let _ = conn.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// Writes one test body twice, as `<name>::sqlite` and `<name>::postgres`, so
/// every store test runs on both engines and CI can select either by name.
///
/// ```ignore
/// both_engines!(fn results_round_trip(db) { let store = db.store(); ... });
/// ```
#[macro_export]
macro_rules! both_engines {
    ($(#[$meta:meta])* fn $name:ident($db:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($db: $crate::testing::TestDb) $body
            $(#[$meta])*
            #[test]
            fn sqlite() {
                body($crate::testing::TestDb::new($crate::Engine::Sqlite))
            }
            $(#[$meta])*
            #[test]
            fn postgres() {
                body($crate::testing::TestDb::new($crate::Engine::Postgres))
            }
        }
    };
}
