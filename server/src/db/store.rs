//! One statement at a time inside a transaction, on either connection the card login
//! writes with: sqlx's (PostgreSQL, or SQLite without a writer thread) or the SQLite
//! writer thread's own ([`super::writer`]). The logic that spends one-time values is
//! written once against this; its SQL is portable and numbers parameters `$1`, `$2`, ….

use std::future::Future;

/// A parameter bound to `$n` (the n-th in the slice).
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    Int(i64),
    /// A NULL text.
    Null,
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Param<'a> {
        Param::Text(text)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(text: &'a String) -> Param<'a> {
        Param::Text(text)
    }
}

impl From<i64> for Param<'_> {
    fn from(number: i64) -> Self {
        Param::Int(number)
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(text: Option<&'a str>) -> Param<'a> {
        text.map_or(Param::Null, Param::Text)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(text: &'a Option<String>) -> Param<'a> {
        text.as_deref().into()
    }
}

/// A column's value as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// One row, its columns in the SELECT's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    /// The text in column `i`; `None` if NULL (or not text).
    pub fn text(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(Cell::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// The integer in column `i`; `None` if NULL (or not an integer).
    pub fn int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Cell::Int(number)) => Some(*number),
            _ => None,
        }
    }
}

/// A connection inside the caller's transaction.
pub trait Store: Send {
    /// Runs `sql`; answers the rows it changed.
    fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// The first row `sql` answers, if any.
    fn row(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Option<Row>, sqlx::Error>> + Send;
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind<'q>(sql: &'q str, params: &[Param<'q>]) -> AnyQuery<'q> {
    params
        .iter()
        .fold(sqlx::query(sql), |query, param| match *param {
            Param::Text(text) => query.bind(text),
            Param::Int(number) => query.bind(number),
            Param::Null => query.bind(None::<&str>),
        })
}

impl Store for sqlx::AnyConnection {
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, sqlx::Error> {
        Ok(bind(sql, params).execute(self).await?.rows_affected())
    }

    async fn row(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, sqlx::Error> {
        use sqlx::any::AnyTypeInfoKind as Kind;
        use sqlx::{Row as _, ValueRef as _};
        let Some(row) = bind(sql, params).fetch_optional(self).await? else {
            return Ok(None);
        };
        let cells = (0..row.len())
            .map(|i| {
                let value = row.try_get_raw(i)?;
                if value.is_null() {
                    return Ok(Cell::Null);
                }
                let integer = matches!(
                    value.type_info().kind(),
                    Kind::SmallInt | Kind::Integer | Kind::BigInt
                );
                Ok(if integer {
                    Cell::Int(row.try_get(i)?)
                } else {
                    Cell::Text(row.try_get(i)?)
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(Row(cells)))
    }
}

impl Store for sqlx::pool::PoolConnection<sqlx::Any> {
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, sqlx::Error> {
        Store::execute(&mut **self, sql, params).await
    }

    async fn row(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, sqlx::Error> {
        Store::row(&mut **self, sql, params).await
    }
}
