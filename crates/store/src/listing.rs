//! Lists with a total, as PDC answers them: one count and one page query,
//! ordered in SQL (PDC sorted whole tables in Python).

use crate::db::{Conn, Row, Sql};
use crate::error::StoreResult;

/// A list query under construction: `FROM` with joins, conditions, order.
pub struct Listing {
    pub sql: Sql,
    pub from: String,
    pub conditions: Vec<String>,
    /// Where the parameters of the select list begin: the count query takes
    /// only those before (PostgreSQL refuses parameters a statement does not use).
    select_params_from: Option<usize>,
}

impl Listing {
    pub fn new(from: &str) -> Listing {
        Listing {
            sql: Sql::default(),
            from: from.to_string(),
            conditions: Vec::new(),
            select_params_from: None,
        }
    }

    /// Binds a parameter used only by the select list (a computed column);
    /// bind these after every condition.
    pub fn bind_select(&mut self, v: impl Into<crate::db::Value>) -> String {
        self.select_params_from.get_or_insert(self.sql.params.len());
        self.sql.bind(v)
    }

    /// `column = ANY(values)` when `values` is not empty (repeated
    /// parameters are OR'ed).
    pub fn any_of(&mut self, column: &str, values: &[String]) -> &mut Listing {
        if !values.is_empty() {
            let p = self.sql.bind(values.to_vec());
            self.conditions.push(format!("{column} = ANY({p})"));
        }
        self
    }

    /// Case-insensitive match of any of `values`.
    pub fn any_of_ci(&mut self, column: &str, values: &[String]) -> &mut Listing {
        if !values.is_empty() {
            let lowered: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
            let p = self.sql.bind(lowered);
            self.conditions.push(format!("lower({column}) = ANY({p})"));
        }
        self
    }

    /// `column` contains any of `values`, case-insensitively.
    pub fn contains_ci(&mut self, column: &str, values: &[String]) -> &mut Listing {
        let mut alternatives = Vec::new();
        for v in values {
            let escaped = v
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = self.sql.bind(format!("%{escaped}%"));
            alternatives.push(format!("lower({column}) LIKE {p} ESCAPE '\\'"));
        }
        if !alternatives.is_empty() {
            self.conditions
                .push(format!("({})", alternatives.join(" OR ")));
        }
        self
    }

    pub fn boolean(&mut self, expression: &str, value: Option<bool>) -> &mut Listing {
        if let Some(v) = value {
            self.conditions.push(if v {
                expression.to_string()
            } else {
                format!("NOT ({expression})")
            });
        }
        self
    }

    /// `column IS NULL` for `null`, else `column = ANY(values)`.
    pub fn nullable(&mut self, column: &str, values: &[String]) -> &mut Listing {
        let nulls = values
            .iter()
            .any(|v| matches!(v.as_str(), "null" | "Null" | "NULL" | "None"));
        let rest: Vec<String> = values
            .iter()
            .filter(|v| !matches!(v.as_str(), "null" | "Null" | "NULL" | "None"))
            .cloned()
            .collect();
        let mut alternatives = Vec::new();
        if nulls {
            alternatives.push(format!("{column} IS NULL"));
        }
        if !rest.is_empty() {
            let p = self.sql.bind(rest);
            alternatives.push(format!("{column} = ANY({p})"));
        }
        if !alternatives.is_empty() {
            self.conditions
                .push(format!("({})", alternatives.join(" OR ")));
        }
        self
    }

    pub fn condition(&mut self, condition: String) -> &mut Listing {
        debug_assert!(
            self.select_params_from.is_none(),
            "conditions come before select-list parameters"
        );
        self.conditions.push(condition);
        self
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// The total and the rows of one page (`(page, size)`, 1-based), or all
    /// the rows (then the total is their number: one query, not two).
    pub fn run(
        mut self,
        conn: &mut dyn Conn,
        select: &str,
        order: &str,
        page: Option<(u64, u64)>,
    ) -> StoreResult<(i64, Vec<Row>)> {
        let filtered = format!("FROM {}{}", self.from, self.where_clause());
        let mut text = format!("SELECT {select} {filtered} ORDER BY {order}");
        let Some((page, size)) = page else {
            let rows = conn.query(&text, &self.sql.params)?;
            return Ok((rows.len() as i64, rows));
        };
        let where_params =
            &self.sql.params[..self.select_params_from.unwrap_or(self.sql.params.len())];
        let count = conn
            .query_opt(&format!("SELECT count(*) {filtered}"), where_params)?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        let limit = self.sql.bind(size as i64);
        let offset = self.sql.bind(((page.max(1) - 1) * size) as i64);
        text.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
        let rows = conn.query(&text, &self.sql.params)?;
        Ok((count, rows))
    }
}

/// `ORDER BY` from API ordering keys (`-` for descending) mapped to columns,
/// then `fallback` so the order is total.
pub fn order_by(keys: &[String], columns: &[(&str, &str)], fallback: &str) -> String {
    let mut parts: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            let (desc, bare) = match k.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, k.as_str()),
            };
            columns
                .iter()
                .find(|(name, _)| *name == bare)
                .map(|(_, col)| format!("{col} {}", if desc { "DESC" } else { "ASC" }))
        })
        .collect();
    parts.push(fallback.to_string());
    parts.join(", ")
}
