//! Schema migrations: SQL files kept in the repository, one per engine,
//! applied in order at start, each in its own transaction.

use crate::db::{Conn, Engine, Value};
use crate::error::StoreResult;
use almanac_model::Timestamp;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "product model",
        sqlite: include_str!("../migrations/sqlite/0002_product_model.sql"),
        postgres: include_str!("../migrations/postgres/0002_product_model.sql"),
    },
    Migration {
        version: 3,
        name: "components",
        sqlite: include_str!("../migrations/sqlite/0003_components.sql"),
        postgres: include_str!("../migrations/postgres/0003_components.sql"),
    },
    Migration {
        version: 4,
        name: "lifecycles",
        sqlite: include_str!("../migrations/sqlite/0004_lifecycles.sql"),
        postgres: include_str!("../migrations/postgres/0004_lifecycles.sql"),
    },
    Migration {
        version: 5,
        name: "component details",
        sqlite: include_str!("../migrations/sqlite/0005_component_details.sql"),
        postgres: include_str!("../migrations/postgres/0005_component_details.sql"),
    },
    Migration {
        version: 6,
        name: "composes",
        sqlite: include_str!("../migrations/sqlite/0006_composes.sql"),
        postgres: include_str!("../migrations/postgres/0006_composes.sql"),
    },
    Migration {
        version: 7,
        name: "waivers",
        sqlite: include_str!("../migrations/sqlite/0007_waivers.sql"),
        postgres: include_str!("../migrations/postgres/0007_waivers.sql"),
    },
    Migration {
        version: 8,
        name: "outbox cursors",
        sqlite: include_str!("../migrations/sqlite/0008_cursors.sql"),
        postgres: include_str!("../migrations/postgres/0008_cursors.sql"),
    },
    Migration {
        version: 9,
        name: "artifact graph",
        sqlite: include_str!("../migrations/sqlite/0009_graph.sql"),
        postgres: include_str!("../migrations/postgres/0009_graph.sql"),
    },
    Migration {
        version: 10,
        name: "modules",
        sqlite: include_str!("../migrations/sqlite/0010_modules.sql"),
        postgres: include_str!("../migrations/postgres/0010_modules.sql"),
    },
    Migration {
        version: 11,
        name: "bus journal",
        sqlite: include_str!("../migrations/sqlite/0011_bus_journal.sql"),
        postgres: include_str!("../migrations/postgres/0011_bus_journal.sql"),
    },
    Migration {
        version: 12,
        name: "groups by description",
        sqlite: include_str!("../migrations/sqlite/0012_groups_by_description.sql"),
        postgres: include_str!("../migrations/postgres/0012_groups_by_description.sql"),
    },
    Migration {
        version: 13,
        name: "audit runs",
        sqlite: include_str!("../migrations/sqlite/0013_audit_runs.sql"),
        postgres: include_str!("../migrations/postgres/0013_audit_runs.sql"),
    },
];

/// Serialises migrators across processes sharing one PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x0061_6c6d_616e_6163; // "almanac"

/// Applies every migration not yet applied; answers the versions applied now.
pub fn migrate(conn: &mut dyn Conn) -> StoreResult<Vec<i64>> {
    if conn.engine() == Engine::Postgres {
        conn.query(
            "SELECT pg_advisory_lock($1)",
            &[Value::Int(PG_MIGRATION_LOCK)],
        )?;
    }
    let result = apply_pending(conn);
    if conn.engine() == Engine::Postgres {
        let unlock = conn.query(
            "SELECT pg_advisory_unlock($1)",
            &[Value::Int(PG_MIGRATION_LOCK)],
        );
        if result.is_ok() {
            unlock?;
        }
    }
    result
}

fn apply_pending(conn: &mut dyn Conn) -> StoreResult<Vec<i64>> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at BIGINT NOT NULL
         )",
    )?;
    let applied: Vec<i64> = conn
        .query("SELECT version FROM schema_migrations", &[])?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    let mut now_applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match conn.engine() {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        conn.begin_write()?;
        let step = (|| {
            conn.batch(sql)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[
                    m.version.into(),
                    m.name.into(),
                    Timestamp::now().micros().into(),
                ],
            )?;
            conn.batch("COMMIT")
        })();
        if let Err(e) = step {
            let _ = conn.batch("ROLLBACK");
            return Err(e.into());
        }
        tracing::info!(version = m.version, name = m.name, "applied migration");
        now_applied.push(m.version);
    }
    Ok(now_applied)
}

/// The highest migration the code knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}
