//! The seam between Almanac and its database engines.
//!
//! One narrow trait, [`Conn`], over a connection. SQL is written once, in
//! PostgreSQL's dialect with `$n` parameters; the SQLite connection rewrites it
//! mechanically (`$n` to `?n`, `= ANY($n)` to `IN (SELECT value FROM
//! json_each(?n))`). What truly differs between the engines (bulk inserts,
//! id allocation, how a write transaction begins, error classification) is a
//! method here with one implementation per engine, in `sqlite.rs` and
//! `postgres.rs`.

pub mod postgres;
pub mod sqlite;
pub mod sqlite_alloc;

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        })
    }
}

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    /// Bound to `= ANY($n)`.
    IntList(Vec<i64>),
    /// Bound to `= ANY($n)`.
    TextList(Vec<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Value::TextList(v)
    }
}
impl From<Vec<i64>> for Value {
    fn from(v: Vec<i64>) -> Self {
        Value::IntList(v)
    }
}

/// One row of a query's answer, read by column position.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, DbError> {
        self.0
            .get(i)
            .ok_or_else(|| DbError::Decode(format!("no column {i}")))
    }
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(DbError::Decode(format!(
                "column {i}: expected an integer, got {other:?}"
            ))),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn bool(&self, i: usize) -> Result<bool, DbError> {
        match self.at(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(v) => Ok(*v != 0),
            other => Err(DbError::Decode(format!(
                "column {i}: expected a boolean, got {other:?}"
            ))),
        }
    }
    pub fn opt_text(&mut self, i: usize) -> Result<Option<String>, DbError> {
        match self.0.get_mut(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(s)) => Ok(Some(std::mem::take(s))),
            other => Err(DbError::Decode(format!(
                "column {i}: expected text, got {other:?}"
            ))),
        }
    }
    /// Takes the text out of column `i` (each column is read once).
    pub fn text(&mut self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?
            .ok_or_else(|| DbError::Decode(format!("column {i}: unexpected NULL")))
    }
}

/// Refuses text no engine may hold (PostgreSQL cannot store U+0000), the
/// same on both, before the statement runs.
pub(crate) fn check_storable(params: &[Value]) -> Result<(), DbError> {
    let nul = |s: &str| s.as_bytes().contains(&0);
    let bad = params.iter().any(|p| match p {
        Value::Text(s) => nul(s),
        Value::TextList(v) => v.iter().any(|s| nul(s)),
        _ => false,
    });
    if bad {
        return Err(DbError::Unstorable(
            "text may not contain the NUL character (U+0000)".into(),
        ));
    }
    Ok(())
}

/// Column types for bulk inserts (PostgreSQL needs them to type its arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Int,
    Text,
    Bool,
}

/// Many rows into one table in one statement (PostgreSQL `UNNEST`) or one
/// cached prepared statement (SQLite, in-process, where that is fastest).
#[derive(Debug)]
pub struct BulkInsert<'a> {
    pub table: &'a str,
    pub columns: &'a [(&'a str, ColType)],
    pub rows: Vec<Vec<Value>>,
    /// Skip rows that would violate a unique constraint.
    pub skip_conflicts: bool,
}

/// A database failure, classified so callers can answer it properly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// Cannot reach the database, or the connection was lost.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A write raced another and lost (deadlock, serialization, busy file).
    #[error("database busy: {0}")]
    Busy(String),
    #[error("unique constraint violated: {0}")]
    Unique(String),
    #[error("database is read-only: {0}")]
    ReadOnly(String),
    #[error("database storage is full: {0}")]
    Full(String),
    #[error("unexpected column value: {0}")]
    Decode(String),
    /// A value no engine may hold: text with a NUL character.
    #[error("{0}")]
    Unstorable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl DbError {
    /// What a client is told when the database cannot take a request: the
    /// same words from every API, saying what is wrong where it is known.
    pub fn client_message(&self) -> &'static str {
        match self {
            DbError::ReadOnly(_) => {
                "The database is read-only: writes are refused until it is writable again."
            }
            DbError::Full(_) => {
                "The database's storage is full: writes are refused until space is freed."
            }
            DbError::Busy(_) => "The database is busy, try again later.",
            _ => "The database is unavailable, try again later.",
        }
    }
}

/// A connection to one of the engines. Store functions take `&mut dyn Conn`,
/// so the caller decides what commits together.
pub trait Conn: Send {
    fn engine(&self) -> Engine;
    /// Runs one statement; answers the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs one query; answers all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Runs one query planned for its bound values (a rare outcome, a LIKE
    /// pattern, a time range) rather than from a plan cached for any values.
    fn query_uncached(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        self.query(sql, params)
    }
    /// Runs statements without parameters (DDL, `SAVEPOINT`, `COMMIT`).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Opens a write transaction (SQLite takes the write lock at once).
    fn begin_write(&mut self) -> Result<(), DbError>;
    fn insert_rows(&mut self, insert: BulkInsert<'_>) -> Result<u64, DbError>;
    /// `n` fresh ids for `table`'s `id` column, inside a write transaction.
    fn next_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>, DbError>;
    /// True once the connection is unusable and must be replaced.
    fn is_broken(&self) -> bool;

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// Builds a statement with numbered parameters: `sql.bind(v)` returns `$n`.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            params: Vec::new(),
        }
    }
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("${}", self.params.len())
    }
    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }
}

/// How a database URL names its engine: `sqlite://path`, `sqlite:path`,
/// `postgres://...` or `postgresql://...`.
pub fn engine_of(url: &str) -> Option<Engine> {
    if url.starts_with("sqlite:") {
        Some(Engine::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Engine::Postgres)
    } else {
        None
    }
}

/// The same URL with any password replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    // libpq takes the password as a parameter too: `?password=...`.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Inserts a row into `table` (answering its new id), or updates row
/// `existing` with the same columns: one column list, so the two statements
/// cannot drift apart. `values` are in `columns`' order.
pub fn save_row(
    conn: &mut dyn Conn,
    table: &str,
    columns: &[&str],
    mut values: Vec<Value>,
    existing: Option<i64>,
) -> Result<i64, DbError> {
    match existing {
        None => {
            let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
                columns.join(", "),
                marks.join(", ")
            );
            conn.query_opt(&sql, &values)?
                .ok_or_else(|| DbError::Decode("INSERT RETURNING gave no row".into()))?
                .int(0)
        }
        Some(id) => {
            let sets: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE {table} SET {} WHERE id = ${}",
                sets.join(", "),
                columns.len() + 1
            );
            values.push(Value::Int(id));
            conn.execute(&sql, &values)?;
            Ok(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_engine() {
        assert_eq!(engine_of("sqlite://almanac.db"), Some(Engine::Sqlite));
        assert_eq!(engine_of("postgresql://u@h/db"), Some(Engine::Postgres));
        assert_eq!(engine_of("mysql://x"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://a.db"), "sqlite://a.db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
    }
}
