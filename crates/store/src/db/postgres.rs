//! The PostgreSQL engine: prepared statements cached per connection, bulk
//! inserts through `UNNEST` of typed arrays, errors classified by SQLSTATE.

use super::{BulkInsert, ColType, Conn, DbError, Engine, Row, Value};
use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::str::FromStr;
use std::time::Duration;

const STATEMENT_CACHE: usize = 512;
/// Rows per `UNNEST` statement: large enough to amortise the round trip,
/// small enough to keep one message well under PostgreSQL's limits.
const BULK_CHUNK: usize = 20_000;

pub struct PgConn {
    client: Client,
    /// Prepared statements, with how often each was used.
    statements: HashMap<String, (Statement, u64)>,
    broken: bool,
}

impl PgConn {
    pub fn connect(url: &str) -> Result<PgConn, DbError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| DbError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("almanac");
        }
        let mut client = config
            .connect(NoTls)
            .map_err(|e| DbError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        // Almanac's cached statements are lookups whose best plan does not
        // depend on the values (by id, by item...). In PostgreSQL's default
        // mode they would be re-planned at every execution, which cost more
        // than running them; queries whose plan does depend on the values go
        // through `query_uncached`.
        client
            .batch_execute("SET plan_cache_mode = force_generic_plan")
            .map_err(|e| {
                DbError::Unavailable(format!("cannot configure the PostgreSQL session: {e}"))
            })?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            broken: false,
        })
    }

    /// The prepared statement of `sql`. Prepared again at its 8th, 64th,
    /// 512th... use: its generic plan was made with the tables
    /// as they were, and a table that grew since (an import, a busy bus)
    /// may want another (an index scan where a small table was scanned).
    fn statement(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some((s, uses)) = self.statements.get_mut(sql) {
            *uses += 1;
            let replan = *uses >= 8 && (*uses).is_power_of_two() && uses.trailing_zeros() % 3 == 0;
            if !replan {
                return Ok(s.clone());
            }
        }
        let stmt = self.client.prepare(sql).map_err(|e| self.note(e))?;
        let uses = self.statements.remove(sql).map_or(1, |(_, u)| u);
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements
            .insert(sql.to_string(), (stmt.clone(), uses));
        Ok(stmt)
    }

    fn note(&mut self, e: postgres::Error) -> DbError {
        let e = classify(e);
        if matches!(e, DbError::Unavailable(_)) || self.client.is_closed() {
            self.broken = true;
        }
        e
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => v.to_string().to_sql(ty, out),
            },
            Value::Real(v) => v.to_sql(ty, out),
            Value::Bool(v) => match *ty {
                Type::INT8 => i64::from(*v).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::IntList(v) => v.to_sql(ty, out),
            Value::TextList(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn read_row(row: &postgres::Row) -> Result<Row, DbError> {
    let decode = |e: postgres::Error| DbError::Decode(e.to_string());
    let mut values = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => row
                .try_get::<_, Option<i64>>(i)
                .map_err(decode)?
                .map(Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map_err(decode)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)
                .map_err(decode)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)
                .map_err(decode)?
                .map(Value::Bool),
            Type::FLOAT8 => row
                .try_get::<_, Option<f64>>(i)
                .map_err(decode)?
                .map(Value::Real),
            Type::VOID => None,
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)
                .map_err(decode)?
                .map(|v| Value::Real(v.into())),
            _ => row
                .try_get::<_, Option<String>>(i)
                .map_err(decode)?
                .map(Value::Text),
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn as_sql_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        super::check_storable(params)?;
        let stmt = self.statement(sql)?;
        self.client
            .execute(&stmt, &as_sql_params(params))
            .map_err(|e| self.note(e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        super::check_storable(params)?;
        let stmt = self.statement(sql)?;
        let rows = self
            .client
            .query(&stmt, &as_sql_params(params))
            .map_err(|e| self.note(e))?;
        rows.iter().map(read_row).collect()
    }

    fn query_uncached(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        super::check_storable(params)?;
        // An unnamed statement: PostgreSQL plans it with the bound values.
        let rows = self
            .client
            .query(sql, &as_sql_params(params))
            .map_err(|e| self.note(e))?;
        rows.iter().map(read_row).collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).map_err(|e| self.note(e))
    }

    fn begin_write(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN")
    }

    fn insert_rows(&mut self, insert: BulkInsert<'_>) -> Result<u64, DbError> {
        let cols: Vec<&str> = insert.columns.iter().map(|(c, _)| *c).collect();
        let arrays: Vec<String> = insert
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let ty = match t {
                    ColType::Int => "int8[]",
                    ColType::Text => "text[]",
                    ColType::Bool => "bool[]",
                };
                format!("${}::{ty}", i + 1)
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({}){}",
            insert.table,
            cols.join(", "),
            arrays.join(", "),
            if insert.skip_conflicts {
                " ON CONFLICT DO NOTHING"
            } else {
                ""
            }
        );
        let mut total = 0;
        for chunk in insert.rows.chunks(BULK_CHUNK) {
            let columns: Vec<Box<dyn ToSql + Sync>> = insert
                .columns
                .iter()
                .enumerate()
                .map(|(i, (name, t))| -> Result<Box<dyn ToSql + Sync>, DbError> {
                    let cell = |row: &Vec<Value>| row.get(i).cloned().unwrap_or(Value::Null);
                    let bad = |v: &Value| {
                        DbError::Decode(format!("column {name}: {v:?} does not fit {t:?}"))
                    };
                    Ok(match t {
                        ColType::Int => Box::new(
                            chunk
                                .iter()
                                .map(|r| match cell(r) {
                                    Value::Null => Ok(None),
                                    Value::Int(v) => Ok(Some(v)),
                                    Value::Bool(b) => Ok(Some(i64::from(b))),
                                    v => Err(bad(&v)),
                                })
                                .collect::<Result<Vec<Option<i64>>, _>>()?,
                        ),
                        ColType::Text => Box::new(
                            chunk
                                .iter()
                                .map(|r| match cell(r) {
                                    Value::Null => Ok(None),
                                    Value::Text(s) => Ok(Some(s)),
                                    v => Err(bad(&v)),
                                })
                                .collect::<Result<Vec<Option<String>>, _>>()?,
                        ),
                        ColType::Bool => Box::new(
                            chunk
                                .iter()
                                .map(|r| match cell(r) {
                                    Value::Null => Ok(None),
                                    Value::Bool(b) => Ok(Some(b)),
                                    Value::Int(v) => Ok(Some(v != 0)),
                                    v => Err(bad(&v)),
                                })
                                .collect::<Result<Vec<Option<bool>>, _>>()?,
                        ),
                    })
                })
                .collect::<Result<_, _>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = columns.iter().map(|b| b.as_ref()).collect();
            let stmt = self.statement(&sql)?;
            total += self
                .client
                .execute(&stmt, &refs)
                .map_err(|e| self.note(e))?;
        }
        Ok(total)
    }

    fn next_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>, DbError> {
        let sql = format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
        );
        let rows = self.query(&sql, &[Value::Int(n as i64)])?;
        let mut ids = rows
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    fn is_broken(&self) -> bool {
        self.broken || self.client.is_closed()
    }
}

/// Sorts PostgreSQL's errors by SQLSTATE; a lost connection has none.
fn classify(e: postgres::Error) -> DbError {
    let text = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    match e.code() {
        None => DbError::Unavailable(text),
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => DbError::Unique(text),
        Some(code)
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::LOCK_NOT_AVAILABLE =>
        {
            DbError::Busy(text)
        }
        Some(code) if *code == SqlState::READ_ONLY_SQL_TRANSACTION => DbError::ReadOnly(text),
        Some(code) if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY => {
            DbError::Full(text)
        }
        Some(code)
            if *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::CONNECTION_FAILURE
                || *code == SqlState::CONNECTION_EXCEPTION
                || *code == SqlState::TOO_MANY_CONNECTIONS =>
        {
            DbError::Unavailable(text)
        }
        Some(_) => DbError::Other(text),
    }
}
