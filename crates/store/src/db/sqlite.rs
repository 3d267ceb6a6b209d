//! The SQLite engine: one file, WAL, one writer connection and several readers.

pub use super::sqlite_alloc::PagePool;
use super::{BulkInsert, Conn, DbError, Engine, Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, ffi};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

/// How hard SQLite pushes each commit to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// fsync the WAL at every commit: an acknowledged write survives power loss.
    #[default]
    Full,
    /// fsync at checkpoints only: survives a process crash, not power loss.
    Normal,
}

/// The file path named by a `sqlite:` URL (`sqlite://a.db` is relative,
/// `sqlite:///var/lib/a.db` absolute).
pub fn path_of(url: &str) -> PathBuf {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    PathBuf::from(rest)
}

/// How much memory a connection may use for the database's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimits {
    /// The page cache, in KiB.
    pub cache_kib: u64,
    /// How much of the file is read through a memory map, in bytes (0: none;
    /// SQLite is built to allow up to 1 TiB, see `.cargo/config.toml`).
    pub mmap_bytes: u64,
    /// The page pool every connection of the process shares, in bytes: set
    /// aside by the first connection opened (see `sqlite_alloc::install`).
    pub page_pool_bytes: u64,
}

/// What SQLite's connections hold in memory, summed over the process: their
/// page caches and their prepared statements. SQLite's own global counters
/// are compiled out (`SQLITE_DEFAULT_MEMSTATUS=0`, they take a mutex on every
/// allocation), so each connection reports its share here now and then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    pub connections: i64,
    pub page_cache_bytes: i64,
    pub statement_bytes: i64,
    /// The page pool the caches draw from, when one was set aside.
    pub page_pool: Option<PagePool>,
}

static CONNECTIONS: AtomicI64 = AtomicI64::new(0);
static PAGE_CACHE_BYTES: AtomicI64 = AtomicI64::new(0);
static STATEMENT_BYTES: AtomicI64 = AtomicI64::new(0);

/// The memory of every open SQLite connection of this process, as last
/// reported (each reports every [`REPORT_EVERY`] statements).
pub fn memory() -> Memory {
    Memory {
        connections: CONNECTIONS.load(Ordering::Relaxed),
        page_cache_bytes: PAGE_CACHE_BYTES.load(Ordering::Relaxed),
        statement_bytes: STATEMENT_BYTES.load(Ordering::Relaxed),
        page_pool: super::sqlite_alloc::page_pool(),
    }
}

/// How many statements a connection runs between two reports of its memory.
const REPORT_EVERY: u32 = 64;

/// A connection's last report: what it added to the process's sums.
#[derive(Default)]
struct Reported {
    page_cache: i64,
    statements: i64,
    /// Statements since the last report.
    since: u32,
}

pub struct SqliteConn {
    conn: Connection,
    broken: bool,
    reported: Reported,
}

impl SqliteConn {
    /// Opens the database file; `memory` bounds the connection's page cache
    /// and says how much of the file it reads through a memory map.
    pub fn open(
        path: &Path,
        read_only: bool,
        sync: SqliteSync,
        memory: MemoryLimits,
    ) -> Result<SqliteConn, DbError> {
        super::sqlite_alloc::install(memory.page_pool_bytes);
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI
        };
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| DbError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        conn.set_prepared_statement_cache_capacity(256);
        // Plans must not depend on bound values: otherwise SQLite recompiles a
        // statement whenever a parameter changes (LIMIT, partial indexes...).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(classify)?;
        let sync = match sync {
            SqliteSync::Full => "FULL",
            SqliteSync::Normal => "NORMAL",
        };
        let mut pragmas = format!(
            "PRAGMA busy_timeout = 10000;
             PRAGMA foreign_keys = ON;
             PRAGMA case_sensitive_like = ON;
             PRAGMA cache_size = -{};
             PRAGMA mmap_size = {};
             PRAGMA temp_store = MEMORY;
             PRAGMA synchronous = {sync};",
            memory.cache_kib, memory.mmap_bytes
        );
        if !read_only {
            // A background thread checkpoints (see the store); this is the
            // safety net should it fall behind (about 64 MiB of log).
            pragmas.push_str("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 16384;");
        }
        conn.execute_batch(&pragmas).map_err(classify)?;
        add_regexp(&conn).map_err(classify)?;
        CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        Ok(SqliteConn {
            conn,
            broken: false,
            reported: Reported::default(),
        })
    }

    /// Counts a statement; every [`REPORT_EVERY`] statements, reports the
    /// connection's memory to the process's sums.
    fn count_statement(&mut self) {
        self.reported.since += 1;
        if self.reported.since < REPORT_EVERY {
            return;
        }
        self.reported.since = 0;
        let status = |op| {
            let (mut current, mut high) = (0, 0);
            // SAFETY: the handle is open for the connection's life, and the
            // out-pointers are valid locals.
            let rc = unsafe {
                ffi::sqlite3_db_status(self.conn.handle(), op, &mut current, &mut high, 0)
            };
            if rc == ffi::SQLITE_OK {
                i64::from(current)
            } else {
                0
            }
        };
        let page_cache = status(ffi::SQLITE_DBSTATUS_CACHE_USED);
        let statements = status(ffi::SQLITE_DBSTATUS_STMT_USED);
        PAGE_CACHE_BYTES.fetch_add(page_cache - self.reported.page_cache, Ordering::Relaxed);
        STATEMENT_BYTES.fetch_add(statements - self.reported.statements, Ordering::Relaxed);
        self.reported.page_cache = page_cache;
        self.reported.statements = statements;
    }

    fn note(&mut self, e: rusqlite::Error) -> DbError {
        let e = classify(e);
        if matches!(e, DbError::Unavailable(_)) {
            self.broken = true;
        }
        e
    }
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        CONNECTIONS.fetch_sub(1, Ordering::Relaxed);
        PAGE_CACHE_BYTES.fetch_sub(self.reported.page_cache, Ordering::Relaxed);
        STATEMENT_BYTES.fetch_sub(self.reported.statements, Ordering::Relaxed);
    }
}

/// Lists longer than this stay one JSON parameter read by `json_each`;
/// shorter ones become `IN (?, ?, ...)`, which SQLite's planner can weigh.
const INLINE_LIST_MAX: usize = 500;

/// One bound argument of a rewritten statement.
enum Arg<'a> {
    Value(&'a Value),
    Text(&'a str),
    Int(i64),
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Value(v) => v.to_sql(),
            Arg::Text(s) => Ok(ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))),
            Arg::Int(i) => Ok(ToSqlOutput::Borrowed(ValueRef::Integer(*i))),
        }
    }
}

/// Rewrites PostgreSQL-dialect SQL for SQLite, outside quotes: `$n` becomes a
/// positional `?`, the PostgreSQL regex match ` ~ ` becomes ` REGEXP `, and `= ANY($n)` becomes `IN (?, ...)` with the list's
/// elements (or `IN (SELECT value FROM json_each(?))` for a long list).
/// Answers the statement and its arguments in order.
fn rewrite<'a>(sql: &str, params: &'a [Value]) -> (String, Vec<Arg<'a>>) {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut args = Vec::with_capacity(params.len());
    let mut i = 0;
    let mut copied = 0;
    let number = |from: usize| {
        let mut j = from;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let n: usize = sql[from..j].parse().unwrap_or(0);
        (n, j)
    };
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b'=' if sql[i..].starts_with("= ANY($") => {
                let (n, j) = number(i + "= ANY($".len());
                if n == 0 || j >= b.len() || b[j] != b')' {
                    i += 1;
                    continue;
                }
                out.push_str(&sql[copied..i]);
                match params.get(n - 1) {
                    Some(Value::TextList(items)) if items.len() <= INLINE_LIST_MAX => {
                        out.push_str("IN (");
                        out.push_str(&vec!["?"; items.len()].join(", "));
                        out.push(')');
                        args.extend(items.iter().map(|s| Arg::Text(s)));
                    }
                    Some(Value::IntList(items)) if items.len() <= INLINE_LIST_MAX => {
                        out.push_str("IN (");
                        out.push_str(&vec!["?"; items.len()].join(", "));
                        out.push(')');
                        args.extend(items.iter().map(|v| Arg::Int(*v)));
                    }
                    Some(v) => {
                        out.push_str("IN (SELECT value FROM json_each(?))");
                        args.push(Arg::Value(v));
                    }
                    None => {
                        out.push_str("IN (SELECT value FROM json_each(NULL))");
                    }
                }
                i = j + 1;
                copied = i;
            }
            b' ' if sql[i..].starts_with(" ~ ") => {
                out.push_str(&sql[copied..i]);
                out.push_str(" REGEXP ");
                i += 3;
                copied = i;
            }
            b'$' if i + 1 < b.len() && b[i + 1].is_ascii_digit() => {
                let (n, j) = number(i + 1);
                out.push_str(&sql[copied..i]);
                out.push('?');
                args.push(
                    params
                        .get(n.wrapping_sub(1))
                        .map_or(Arg::Value(&Value::Null), Arg::Value),
                );
                i = j;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    (out, args)
}

/// `text REGEXP pattern`, which SQLite leaves to the application: a search
/// (not an anchored match), as PostgreSQL's `~`. The compiled pattern is kept
/// for the statement's life.
fn add_regexp(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let re = ctx.get_or_create_aux(0, |pattern| {
                regex_lite::Regex::new(pattern.as_str()?)
                    .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
            })?;
            Ok(match ctx.get_raw(1) {
                ValueRef::Text(t) => std::str::from_utf8(t).is_ok_and(|t| re.is_match(t)),
                _ => false,
            })
        },
    )
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*v))),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::IntList(v) => ToSqlOutput::Owned(rusqlite::types::Value::Text(
                serde_json::to_string(v).expect("ints serialize"),
            )),
            Value::TextList(v) => ToSqlOutput::Owned(rusqlite::types::Value::Text(
                serde_json::to_string(v).expect("strings serialize"),
            )),
        })
    }
}

fn read_row(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Row> {
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        values.push(match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
        });
    }
    Ok(Row(values))
}

impl Conn for SqliteConn {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        super::check_storable(params)?;
        self.count_statement();
        let (sql, args) = rewrite(sql, params);
        let result = (|| {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            for (i, a) in args.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, a)?;
            }
            stmt.raw_execute()
        })();
        result.map(|n| n as u64).map_err(|e| self.note(e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        super::check_storable(params)?;
        self.count_statement();
        let (sql, args) = rewrite(sql, params);
        let result = (|| {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            for (i, a) in args.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, a)?;
            }
            let n = stmt.column_count();
            let mut rows = stmt.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_row(row, n)?);
            }
            Ok(out)
        })();
        result.map_err(|e| self.note(e))
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        // One statement (SAVEPOINT, COMMIT...) runs from the statement cache;
        // only scripts (migrations) are parsed afresh.
        self.count_statement();
        let result = if sql.contains(';') {
            self.conn.execute_batch(sql)
        } else {
            self.conn
                .prepare_cached(sql)
                .and_then(|mut s| s.raw_execute())
                .map(|_| ())
        };
        result.map_err(|e| self.note(e))
    }

    fn begin_write(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn insert_rows(&mut self, insert: BulkInsert<'_>) -> Result<u64, DbError> {
        if insert.rows.is_empty() {
            return Ok(0);
        }
        let cols: Vec<&str> = insert.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}){}",
            insert.table,
            cols.join(", "),
            marks.join(", "),
            if insert.skip_conflicts {
                " ON CONFLICT DO NOTHING"
            } else {
                ""
            }
        );
        let result = (|| {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut n = 0u64;
            for row in &insert.rows {
                for (i, v) in row.iter().enumerate() {
                    stmt.raw_bind_parameter(i + 1, v)?;
                }
                n += stmt.raw_execute()? as u64;
            }
            Ok(n)
        })();
        result.map_err(|e| self.note(e))
    }

    fn next_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>, DbError> {
        // The caller holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
        let row = self
            .query_opt(&format!("SELECT coalesce(max(id), 0) FROM {table}"), &[])?
            .ok_or_else(|| DbError::Decode("max(id) gave no row".into()))?;
        let max = row.int(0)?;
        Ok((1..=n as i64).map(|i| max + i).collect())
    }

    fn is_broken(&self) -> bool {
        self.broken
    }
}

/// Sorts SQLite's error codes into Almanac's classes.
fn classify(e: rusqlite::Error) -> DbError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let text = msg.clone().unwrap_or_else(|| f.to_string());
            match f.code {
                ffi::ErrorCode::ConstraintViolation
                    if f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                        || f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    DbError::Unique(text)
                }
                ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked => {
                    DbError::Busy(text)
                }
                ffi::ErrorCode::ReadOnly => DbError::ReadOnly(text),
                ffi::ErrorCode::DiskFull => DbError::Full(text),
                ffi::ErrorCode::CannotOpen
                | ffi::ErrorCode::NotADatabase
                | ffi::ErrorCode::SystemIoFailure
                | ffi::ErrorCode::DatabaseCorrupt
                | ffi::ErrorCode::PermissionDenied => DbError::Unavailable(text),
                _ => DbError::Other(text),
            }
        }
        _ => DbError::Other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str, params: &[Value]) -> (String, Vec<String>) {
        let (sql, args) = rewrite(sql, params);
        let shown = args
            .iter()
            .map(|a| match a {
                Arg::Value(v) => format!("{v:?}"),
                Arg::Text(s) => s.to_string(),
                Arg::Int(i) => i.to_string(),
            })
            .collect();
        (sql, shown)
    }

    #[test]
    fn rewrite_turns_postgres_parameters_into_sqlite_ones() {
        let (sql, args) = rewritten(
            "SELECT a FROM t WHERE b = $2 AND c = $1 AND d = $2",
            &[Value::Int(1), Value::Int(2)],
        );
        assert_eq!(sql, "SELECT a FROM t WHERE b = ? AND c = ? AND d = ?");
        assert_eq!(args, vec!["Int(2)", "Int(1)", "Int(2)"]);
        let (sql, args) = rewritten(
            "SELECT a FROM t WHERE b = ANY($1) AND c = 'x = ANY($3)' AND e = $2",
            &[Value::TextList(vec!["p".into(), "q".into()]), Value::Int(7)],
        );
        assert_eq!(
            sql,
            "SELECT a FROM t WHERE b IN (?, ?) AND c = 'x = ANY($3)' AND e = ?"
        );
        assert_eq!(args, vec!["p", "q", "Int(7)"]);
        let long: Vec<String> = (0..501).map(|i| i.to_string()).collect();
        let (sql, args) = rewritten(
            "SELECT a FROM t WHERE b = ANY($1)",
            &[Value::TextList(long)],
        );
        assert_eq!(
            sql,
            "SELECT a FROM t WHERE b IN (SELECT value FROM json_each(?))"
        );
        assert_eq!(args.len(), 1);
        assert_eq!(
            rewritten("SELECT '$1', \"$2\" FROM t", &[]).0,
            "SELECT '$1', \"$2\" FROM t"
        );
        assert_eq!(
            rewritten(
                "SELECT a FROM t WHERE b = ANY($1)",
                &[Value::TextList(vec![])]
            )
            .0,
            "SELECT a FROM t WHERE b IN ()"
        );
    }

    #[test]
    fn urls_name_a_file() {
        assert_eq!(path_of("sqlite://almanac.db"), PathBuf::from("almanac.db"));
        assert_eq!(
            path_of("sqlite:///var/lib/a.db"),
            PathBuf::from("/var/lib/a.db")
        );
        assert_eq!(path_of("sqlite:a.db"), PathBuf::from("a.db"));
    }
}
