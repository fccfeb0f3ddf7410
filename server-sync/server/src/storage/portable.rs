//! Statements written once for both backends: the dashboard's queries.
//!
//! The device API's hot paths (ingest, roster) have hand-tuned SQL per backend in
//! [`super::sqlite`] and [`super::postgres`]. The dashboard's queries are many, small and
//! plain, so they are written once, in the common subset of the two dialects, and run here:
//!
//! - placeholders are written `$1`, `$2` … (PostgreSQL's form) and become `?1`, `?2` … for
//!   SQLite;
//! - upserts use `ON CONFLICT … DO UPDATE/NOTHING` (both backends), never `INSERT OR …`;
//! - a parameter that may be NULL in a test is cast (`CAST($1 AS TEXT) IS NULL`) so PostgreSQL
//!   knows its type;
//! - parameters are [`Val`]s, bound to the column's type on PostgreSQL (an integer parameter
//!   for an `INTEGER` column is sent as `int4`); rows are read through [`Row`], which does the
//!   same on the way back.
//!
//! On SQLite, reads run on the reader connection and writes on the writer connection, both on
//! tokio's blocking pool ([`super::sqlite::SqliteStore::read`] / [`super::sqlite::SqliteStore::run`]),
//! so they never stall the async workers. On PostgreSQL, likewise, reads go through the read
//! connection and writes through the write connection.
//!
//! It owns no tables and makes no decisions: the storage modules that call it
//! ([`super::accounts`], [`super::calendar`] …) hold the SQL and the meaning. Handlers must not
//! call it; it is public for test fixtures that write rows as the device API would.

use super::{Backend, Result, StorageError, Store};
use tokio_postgres::types::{ToSql, Type};

/// A statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// An integer (`INTEGER`/`BIGINT`; also binds to `BOOLEAN` as 0/1).
    Int(i64),
    /// Text.
    Text(String),
    /// A boolean (`INTEGER` 0/1 on SQLite, `BOOLEAN` on PostgreSQL).
    Bool(bool),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(Vec<u8>),
    /// NULL.
    Null,
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}

impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_owned())
    }
}

impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}

impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}

impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Bool(v)
    }
}

impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Val {
        Val::Bytes(v)
    }
}

impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// Parameters: `params![a, b, c]` → `Vec<Val>`.
#[macro_export]
#[doc(hidden)]
macro_rules! portable_params {
    ($($v:expr),* $(,)?) => { vec![$($crate::storage::portable::Val::from($v)),*] };
}
pub use crate::portable_params as params;

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Val::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Val::Bool(v) => ToSqlOutput::Owned(Value::Integer(i64::from(*v))),
            Val::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Val::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Val::Null => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// A PostgreSQL parameter of the type the statement expects.
fn pg_param(v: &Val, ty: &Type) -> Result<Box<dyn ToSql + Sync + Send>> {
    let range = |v: i64| StorageError::Corrupt(format!("integer {v} does not fit a {ty} parameter"));
    Ok(match v {
        Val::Int(i) if *ty == Type::INT4 => Box::new(i32::try_from(*i).map_err(|_| range(*i))?),
        Val::Int(i) if *ty == Type::INT2 => Box::new(i16::try_from(*i).map_err(|_| range(*i))?),
        Val::Int(i) if *ty == Type::BOOL => Box::new(*i != 0),
        Val::Int(i) => Box::new(*i),
        Val::Bool(b) if *ty == Type::BOOL => Box::new(*b),
        Val::Bool(b) => return pg_param(&Val::Int(i64::from(*b)), ty),
        Val::Text(s) => Box::new(s.clone()),
        Val::Bytes(b) => Box::new(b.clone()),
        Val::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Val::Null if *ty == Type::INT4 => Box::new(None::<i32>),
        Val::Null if *ty == Type::INT2 => Box::new(None::<i16>),
        Val::Null if *ty == Type::BOOL => Box::new(None::<bool>),
        Val::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        Val::Null => Box::new(None::<String>),
    })
}

/// The SQLite form of a statement: `$N` → `?N`.
pub fn sqlite_text(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// One column access on a row of either backend; integers of any width read as `i64`.
pub trait Row {
    /// An integer or NULL.
    fn opt_i64(&self, i: usize) -> Result<Option<i64>>;
    /// Text or NULL.
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    /// Bytes or NULL.
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>>;

    /// An integer.
    fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?.ok_or_else(|| StorageError::Corrupt(format!("column {i} is NULL, expected an integer")))
    }
    /// Text.
    fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| StorageError::Corrupt(format!("column {i} is NULL, expected text")))
    }
    /// A boolean (an integer on SQLite).
    fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.i64(i)? != 0)
    }
}

fn sqlite_col(i: usize, e: rusqlite::Error) -> StorageError {
    StorageError::Sqlite { context: format!("read column {i}"), source: e }
}

impl Row for rusqlite::Row<'_> {
    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        self.get(i).map_err(|e| sqlite_col(i, e))
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.get(i).map_err(|e| sqlite_col(i, e))
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        self.get(i).map_err(|e| sqlite_col(i, e))
    }
}

fn pg_col(i: usize, e: tokio_postgres::Error) -> StorageError {
    StorageError::Postgres { context: format!("read column {i}"), source: e }
}

impl Row for tokio_postgres::Row {
    fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        let ty = self.columns().get(i).map(|c| c.type_().clone()).unwrap_or(Type::INT8);
        let v = if ty == Type::INT4 {
            self.try_get::<_, Option<i32>>(i).map(|v| v.map(i64::from))
        } else if ty == Type::INT2 {
            self.try_get::<_, Option<i16>>(i).map(|v| v.map(i64::from))
        } else if ty == Type::BOOL {
            self.try_get::<_, Option<bool>>(i).map(|v| v.map(i64::from))
        } else {
            self.try_get::<_, Option<i64>>(i)
        };
        v.map_err(|e| pg_col(i, e))
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.try_get(i).map_err(|e| pg_col(i, e))
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        self.try_get(i).map_err(|e| pg_col(i, e))
    }
}

/// A write statement and its parameters (for [`Store::write_all`]).
#[derive(Debug, Clone)]
pub struct Stmt {
    /// The portable SQL text.
    pub sql: String,
    /// Its parameters.
    pub params: Vec<Val>,
}

impl Stmt {
    /// A statement.
    pub fn new(sql: impl Into<String>, params: Vec<Val>) -> Stmt {
        Stmt { sql: sql.into(), params }
    }
}

async fn pg_bind<C: tokio_postgres::GenericClient>(
    statements: &mut super::postgres::Statements,
    client: &C,
    sql: &str,
    params: &[Val],
    context: &str,
) -> Result<(tokio_postgres::Statement, Vec<Box<dyn ToSql + Sync + Send>>)> {
    let st = statements.get(client, sql).await.map_err(|source| StorageError::Postgres { context: context.to_owned(), source })?;
    let bound = params.iter().zip(st.params()).map(|(v, ty)| pg_param(v, ty)).collect::<Result<Vec<_>>>()?;
    Ok((st, bound))
}

fn as_refs(bound: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    bound.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
}

impl Store {
    /// Runs a read and maps every row (reader connection on SQLite).
    pub async fn query_rows<T, F>(&self, context: &'static str, sql: impl Into<String>, params: Vec<Val>, map: F) -> Result<Vec<T>>
    where
        T: Send + 'static,
        F: Fn(&dyn Row) -> Result<T> + Send + 'static,
    {
        let sql = sql.into();
        match &*self.backend {
            Backend::Sqlite(s) => {
                s.read(move |c| {
                    let err = |source| StorageError::Sqlite { context: context.to_owned(), source };
                    let mut st = c.prepare_cached(&sqlite_text(&sql)).map_err(err)?;
                    let mut rows = st.query(rusqlite::params_from_iter(params.iter())).map_err(err)?;
                    let mut out = Vec::new();
                    while let Some(r) = rows.next().map_err(err)? {
                        out.push(map(r)?);
                    }
                    Ok(out)
                })
                .await
            }
            Backend::Postgres(p) => {
                let mut c = p.lock_reader().await;
                let super::postgres::PgConn { client, statements } = &mut *c;
                let (st, bound) = pg_bind(statements, client, &sql, &params, context).await?;
                let rows = client
                    .query(&st, &as_refs(&bound))
                    .await
                    .map_err(|source| StorageError::Postgres { context: context.to_owned(), source })?;
                rows.iter().map(|r| map(r)).collect()
            }
        }
    }

    /// [`Store::query_rows`] for a list of keys: `sql` holds `{keys}` where the `IN (…)` list
    /// goes, after the `leading` parameters; the keys are sent 500 at a time (both backends
    /// cap a statement's parameters) and the rows of every chunk returned together.
    pub async fn query_rows_in<T, F>(&self, context: &'static str, sql: &str, leading: Vec<Val>, keys: &[&str], map: F) -> Result<Vec<T>>
    where
        T: Send + 'static,
        F: Fn(&dyn Row) -> Result<T> + Clone + Send + 'static,
    {
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${}", leading.len() + i)).collect();
            let mut values = leading.clone();
            values.extend(chunk.iter().map(|k| Val::from(*k)));
            out.extend(self.query_rows(context, sql.replace("{keys}", &marks.join(", ")), values, map.clone()).await?);
        }
        Ok(out)
    }

    /// Runs a read that gives at most one row.
    pub async fn query_opt<T, F>(&self, context: &'static str, sql: impl Into<String>, params: Vec<Val>, map: F) -> Result<Option<T>>
    where
        T: Send + 'static,
        F: Fn(&dyn Row) -> Result<T> + Send + 'static,
    {
        Ok(self.query_rows(context, sql, params, map).await?.into_iter().next())
    }

    /// Runs one `INSERT … RETURNING <integer>` on the writer connection; returns the value.
    pub async fn insert_returning(&self, context: &'static str, sql: impl Into<String>, params: Vec<Val>) -> Result<i64> {
        let sql = sql.into();
        let touches = super::changes::touches_reports(&sql);
        let out = self.insert_returning_unmarked(context, sql, params).await;
        if touches {
            self.changes.everything();
        }
        out
    }

    async fn insert_returning_unmarked(&self, context: &'static str, sql: String, params: Vec<Val>) -> Result<i64> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                s.run(move |c| {
                    let err = |source| StorageError::Sqlite { context: context.to_owned(), source };
                    let mut st = c.prepare_cached(&sqlite_text(&sql)).map_err(err)?;
                    st.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, i64>(0)).map_err(err)
                })
                .await
            }
            Backend::Postgres(p) => {
                let mut c = p.lock().await;
                let super::postgres::PgConn { client, statements } = &mut *c;
                let (st, bound) = pg_bind(statements, client, &sql, &params, context).await?;
                let row = client.query_one(&st, &as_refs(&bound)).await.map_err(|source| StorageError::Postgres { context: context.to_owned(), source })?;
                row.try_get::<_, i64>(0).map_err(|source| StorageError::Postgres { context: context.to_owned(), source })
            }
        }
    }

    /// Runs one write; returns the rows changed.
    pub async fn write(&self, context: &'static str, sql: impl Into<String>, params: Vec<Val>) -> Result<u64> {
        let n = self.write_all(context, vec![Stmt::new(sql, params)]).await?;
        Ok(n.first().copied().unwrap_or(0))
    }

    /// Runs writes in one transaction, in order; returns the rows each changed. Marks the
    /// change for the report cache by the tables written ([`super::changes`]).
    pub async fn write_all(&self, context: &'static str, stmts: Vec<Stmt>) -> Result<Vec<u64>> {
        let touches = stmts.iter().any(|s| super::changes::touches_reports(&s.sql));
        let out = self.write_all_unmarked(context, stmts).await;
        if touches {
            self.changes.everything();
        }
        out
    }

    /// [`Store::write_all`] for a caller that marks what it changed itself (a terminal's
    /// records change only their employees' months).
    pub(super) async fn write_all_unmarked(&self, context: &'static str, stmts: Vec<Stmt>) -> Result<Vec<u64>> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                s.run(move |c| {
                    let err = |source| StorageError::Sqlite { context: context.to_owned(), source };
                    let tx = c.transaction().map_err(err)?;
                    let mut counts = Vec::with_capacity(stmts.len());
                    for s in &stmts {
                        let mut st = tx.prepare_cached(&sqlite_text(&s.sql)).map_err(err)?;
                        let n = st.execute(rusqlite::params_from_iter(s.params.iter())).map_err(err)?;
                        counts.push(n as u64);
                    }
                    tx.commit().map_err(err)?;
                    Ok(counts)
                })
                .await
            }
            Backend::Postgres(p) => {
                let mut c = p.lock().await;
                let super::postgres::PgConn { client, statements } = &mut *c;
                let err = |source| StorageError::Postgres { context: context.to_owned(), source };
                let tx = client.transaction().await.map_err(err)?;
                let mut counts = Vec::with_capacity(stmts.len());
                for s in &stmts {
                    let (st, bound) = pg_bind(statements, &tx, &s.sql, &s.params, context).await?;
                    counts.push(tx.execute(&st, &as_refs(&bound)).await.map_err(err)?);
                }
                tx.commit().await.map_err(err)?;
                Ok(counts)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_sqlite_ones() {
        assert_eq!(sqlite_text("SELECT $1, $12 FROM t WHERE a = '$'"), "SELECT ?1, ?12 FROM t WHERE a = '$'");
    }
}
