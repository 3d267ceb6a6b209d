//! `GET /api/almanac/v1/audit`: the last audit of each source (when, its
//! status, what it found and repaired), as `almanac audit` recorded it;
//! `/metrics` (beside it, at the root) says the same to Prometheus, with the
//! process's memory and, on SQLite, what its connections hold.

use super::{NativeError, ROOT};
use crate::AppState;
use crate::routes::Routes;
use almanac_store::Engine;
use almanac_store::audits;
use almanac_store::db::sqlite;
use axum::Json;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::fmt::Write;

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{ROOT}/audit"), get(last))
        .route("/metrics", get(metrics))
}

async fn last(State(state): State<AppState>) -> Result<Json<Value>, NativeError> {
    let runs = state.store.read(audits::last_runs).await?;
    Ok(Json(json!({ "sources": runs })))
}

/// nagios' codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
fn code(status: &str) -> u8 {
    match status {
        "OK" => 0,
        "WARNING" => 1,
        "CRITICAL" => 2,
        _ => 3,
    }
}

/// A gauge: its name, its help, its value for a run.
type Gauge = (&'static str, &'static str, fn(&audits::Run) -> f64);

/// The Prometheus text exposition of the last audits.
pub fn exposition(runs: &[audits::Run]) -> String {
    let mut out = String::new();
    let gauges: [Gauge; 7] = [
        (
            "almanac_audit_status",
            "The last audit's status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
            |r| f64::from(code(&r.status)),
        ),
        (
            "almanac_audit_last_run_timestamp_seconds",
            "When the last audit finished.",
            |r| r.finished_micros as f64 / 1e6,
        ),
        ("almanac_audit_checked", "Items the source listed.", |r| {
            r.checked as f64
        }),
        (
            "almanac_audit_missing",
            "Items missing from Almanac.",
            |r| r.missing as f64,
        ),
        (
            "almanac_audit_extra",
            "Items in Almanac the source lacks.",
            |r| r.extra as f64,
        ),
        (
            "almanac_audit_different",
            "Items whose values differ.",
            |r| r.differ as f64,
        ),
        (
            "almanac_audit_repaired",
            "Items the last audit repaired.",
            |r| r.repaired as f64,
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for r in runs {
            let _ = writeln!(out, "{name}{{source=\"{}\"}} {}", r.source, value(r));
        }
    }
    out
}

/// The process's own memory figures, each when it can be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessMemory {
    /// Resident memory, from `/proc/self/status`.
    pub resident_bytes: Option<u64>,
    /// Allocated and not freed, from [`crate::heap`].
    pub heap_live_bytes: Option<u64>,
    /// What glibc's arenas hold, and how much of it is free.
    pub arenas: Option<crate::heap::Arenas>,
}

impl ProcessMemory {
    pub fn now() -> ProcessMemory {
        ProcessMemory {
            resident_bytes: resident_bytes(),
            heap_live_bytes: crate::heap::live_bytes(),
            arenas: crate::heap::arenas(),
        }
    }
}

/// The process's memory and, on SQLite, what its connections hold: the
/// figures that tell a leak (live bytes grow) from an allocator keeping what
/// was freed (resident memory grows, live bytes do not) and from a cache
/// filling up to its bound.
pub fn memory_exposition(process: ProcessMemory, sqlite: Option<sqlite::Memory>) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: i64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    if let Some(bytes) = process.resident_bytes {
        gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            bytes as i64,
        );
    }
    if let Some(bytes) = process.heap_live_bytes {
        gauge(
            "almanac_heap_live_bytes",
            "Bytes allocated and not yet freed (all of the heap, SQLite's caches included).",
            bytes as i64,
        );
    }
    if let Some(arenas) = process.arenas {
        gauge(
            "almanac_heap_arena_bytes",
            "Bytes the C library's allocator holds in its arenas (the heap's small and medium blocks, and what it keeps for reuse).",
            arenas.held_bytes as i64,
        );
        gauge(
            "almanac_heap_arena_free_bytes",
            "Bytes of the arenas that are free, kept for reuse.",
            arenas.free_bytes as i64,
        );
    }
    if let Some(m) = sqlite {
        gauge(
            "almanac_sqlite_connections",
            "Open SQLite connections.",
            m.connections,
        );
        gauge(
            "almanac_sqlite_page_cache_bytes",
            "Bytes in the SQLite connections' page caches (together bounded by store.sqlite_cache_mib).",
            m.page_cache_bytes,
        );
        gauge(
            "almanac_sqlite_statement_bytes",
            "Bytes held by the SQLite connections' prepared statements.",
            m.statement_bytes,
        );
        if let Some(pool) = m.page_pool {
            gauge(
                "almanac_sqlite_page_pool_bytes",
                "Bytes set aside at start for SQLite's page buffers (store.sqlite_cache_mib).",
                pool.bytes as i64,
            );
            gauge(
                "almanac_sqlite_page_pool_used_bytes",
                "Bytes of the page pool in use.",
                pool.used_bytes as i64,
            );
            gauge(
                "almanac_sqlite_page_overflow_bytes",
                "Bytes of page buffers that did not fit in the pool and came from the heap.",
                pool.overflow_bytes as i64,
            );
        }
    }
    out
}

/// Resident memory from `/proc/self/status` (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    Some(
        kib.trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?
            * 1024,
    )
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, NativeError> {
    let runs = state.store.read(audits::last_runs).await?;
    let sqlite = (state.store.engine() == Engine::Sqlite).then(sqlite::memory);
    let mut text = exposition(&runs);
    text.push_str(&memory_exposition(ProcessMemory::now(), sqlite));
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_a_gauge_per_source() {
        let run = audits::Run {
            source: "koji".into(),
            finished_at: String::new(),
            finished_micros: 1_796_119_200_000_000,
            status: "WARNING".into(),
            checked: 80,
            missing: 3,
            extra: 1,
            differ: 0,
            repaired: 0,
            error: None,
        };
        let text = exposition(&[run]);
        assert!(
            text.contains(
                "# TYPE almanac_audit_status gauge\nalmanac_audit_status{source=\"koji\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("almanac_audit_missing{source=\"koji\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("almanac_audit_last_run_timestamp_seconds{source=\"koji\"} 1796119200\n"),
            "{text}"
        );
    }

    #[test]
    fn memory_gauges_say_what_sqlite_holds() {
        let sqlite = sqlite::Memory {
            connections: 3,
            page_cache_bytes: 4096,
            statement_bytes: 512,
            page_pool: Some(sqlite::PagePool {
                bytes: 1 << 20,
                used_bytes: 8192,
                overflow_bytes: 0,
            }),
        };
        let process = ProcessMemory {
            resident_bytes: Some(1 << 20),
            heap_live_bytes: Some(1 << 19),
            arenas: Some(crate::heap::Arenas {
                held_bytes: 1 << 18,
                free_bytes: 1 << 17,
            }),
        };
        let text = memory_exposition(process, Some(sqlite));
        for line in [
            "process_resident_memory_bytes 1048576\n",
            "almanac_heap_live_bytes 524288\n",
            "almanac_heap_arena_bytes 262144\n",
            "almanac_heap_arena_free_bytes 131072\n",
            "almanac_sqlite_connections 3\n",
            "# TYPE almanac_sqlite_page_cache_bytes gauge\nalmanac_sqlite_page_cache_bytes 4096\n",
            "almanac_sqlite_statement_bytes 512\n",
            "almanac_sqlite_page_pool_bytes 1048576\n",
            "almanac_sqlite_page_pool_used_bytes 8192\n",
            "almanac_sqlite_page_overflow_bytes 0\n",
        ] {
            assert!(text.contains(line), "{line:?} not in {text}");
        }
        assert!(!memory_exposition(ProcessMemory::default(), None).contains("almanac_"));
    }
}
