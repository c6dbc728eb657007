//! The auditors' search of the audit log (SPEC §7b): by person, system, outcome, method
//! and time, newest first, read a page at a time by keyset on `(at, id)` so that a page
//! deep into a year of rows costs as much as the first, and an export reads any number
//! of rows in batches without holding them.

use crate::audit::{self, Logged, Method, OK};
use crate::db::Pool;
use crate::thai_clock;
use sqlx::Row;

/// How long a filter's text may be: what people and codes are, with room.
const MAX_FILTER_CHARS: usize = 100;

/// Which outcomes a search keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Any,
    /// `OK` only.
    Accepted,
    /// Anything but `OK`.
    Refused,
    /// One reason code (`CARD_BLOCKED`).
    Code(String),
}

/// A search, parsed: each `None` keeps every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Whom a row is about, or who did it (`username` or `actor`).
    pub person: Option<String>,
    /// The system's code.
    pub system: Option<String>,
    pub outcome: Outcome,
    pub method: Option<Method>,
    /// From this moment (Unix seconds), inclusive.
    pub from: Option<i64>,
    /// Up to this moment, exclusive.
    pub until: Option<i64>,
}

/// A search's fields as people type them (a form, or an export's query string).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SearchText {
    pub person: String,
    pub system: String,
    /// `OK`, `refused`, a reason code, or empty for any.
    pub outcome: String,
    pub method: String,
    /// Thailand's time: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    pub from: String,
    /// Thailand's time, to the end of the day or minute given.
    pub to: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchError {
    #[error(
        "{field}: {value:?} is not a time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM (Thailand's time)"
    )]
    BadTime { field: &'static str, value: String },
    #[error("the time range ends before it starts")]
    EmptyRange,
    #[error("method: {0:?} is not a method of the audit log")]
    BadMethod(String),
    #[error("outcome: {0:?} is not OK, refused or a reason code (letters, digits and _)")]
    BadOutcome(String),
    #[error("{0}: longer than {MAX_FILTER_CHARS} characters")]
    TooLong(&'static str),
    #[error("page: {0:?} is not a place in the audit log")]
    BadCursor(String),
}

/// Where a page ends: the `(at, id)` of its last row. The next page is the rows before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    /// `AT.ID`, as a page's link carries it.
    pub fn text(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    pub fn parse(text: &str) -> Result<Cursor, SearchError> {
        let bad = || SearchError::BadCursor(text.chars().take(MAX_FILTER_CHARS).collect());
        let (at, id) = text.split_once('.').ok_or_else(bad)?;
        let at = at.parse().map_err(|_| bad())?;
        let id_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if id.is_empty() || id.len() > 64 || !id.chars().all(id_chars) {
            return Err(bad());
        }
        Ok(Cursor { at, id: id.into() })
    }
}

/// A row found, with its id (for the next page's cursor and the exports).
#[derive(Debug)]
pub struct Found {
    pub id: String,
    pub row: Logged,
}

impl Found {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.row.at,
            id: self.id.clone(),
        }
    }
}

fn filter(field: &'static str, text: &str) -> Result<Option<String>, SearchError> {
    let text = text.trim();
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(SearchError::TooLong(field));
    }
    Ok(Some(text.to_owned()).filter(|text| !text.is_empty()))
}

impl Search {
    /// Every row.
    pub fn all() -> Search {
        Search {
            person: None,
            system: None,
            outcome: Outcome::Any,
            method: None,
            from: None,
            until: None,
        }
    }

    pub fn parse(text: &SearchText) -> Result<Search, SearchError> {
        let outcome = match filter("outcome", &text.outcome)? {
            None => Outcome::Any,
            Some(word) if word.eq_ignore_ascii_case(OK) => Outcome::Accepted,
            Some(word) if word.eq_ignore_ascii_case("refused") => Outcome::Refused,
            Some(code) if code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                Outcome::Code(code.to_ascii_uppercase())
            }
            Some(other) => return Err(SearchError::BadOutcome(other)),
        };
        let method = match filter("method", &text.method)? {
            None => None,
            Some(name) => Some(Method::named(&name).ok_or(SearchError::BadMethod(name))?),
        };
        let time = |field: &'static str, value: &str| match filter(field, value)? {
            None => Ok(None),
            Some(value) => thai_clock::parse(&value)
                .map(Some)
                .ok_or(SearchError::BadTime { field, value }),
        };
        let from = time("from", &text.from)?.map(|span| span.start);
        let until = time("to", &text.to)?.map(|span| span.end);
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                return Err(SearchError::EmptyRange);
            }
        }
        Ok(Search {
            person: filter("person", &text.person)?,
            system: filter("system", &text.system)?,
            outcome,
            method,
            from,
            until,
        })
    }

    /// The search in one line, as its audit row's `detail` says it.
    pub fn describe(&self, text: &SearchText) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("person", &self.person),
            ("system", &self.system),
            ("outcome", &filter("", &text.outcome).ok().flatten()),
            ("method", &self.method.map(|m| m.as_str().to_owned())),
            ("from", &filter("", &text.from).ok().flatten()),
            ("to", &filter("", &text.to).ok().flatten()),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name}={value}"));
            }
        }
        if parts.is_empty() {
            "all".into()
        } else {
            parts.join(" ")
        }
    }
}

/// A value bound to a placeholder of the search's SQL.
enum Arg {
    Text(String),
    Number(i64),
}

/// The `WHERE` of a search: its clauses and their values, placeholders numbered in order.
#[derive(Default)]
struct Clauses {
    sql: Vec<String>,
    args: Vec<Arg>,
}

impl Clauses {
    /// A clause whose `?`s each take the next value of `args`.
    fn push(&mut self, clause: &str, args: Vec<Arg>) {
        let mut sql = String::new();
        let mut args = args.into_iter();
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                self.args.extend(args.next());
                sql.push_str(&format!("${}", self.args.len()));
            }
            sql.push_str(part);
        }
        self.sql.push(sql);
    }
}

fn text(value: &str) -> Arg {
    Arg::Text(value.to_owned())
}

/// The rows of `search` before `after` (from the newest when `None`), newest first, at
/// most `limit`.
pub async fn fetch(
    pool: &Pool,
    search: &Search,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Found>, sqlx::Error> {
    let mut clauses = Clauses::default();
    if let Some(person) = &search.person {
        clauses.push(
            "(username = ? OR actor = ?)",
            vec![text(person), text(person)],
        );
    }
    if let Some(system) = &search.system {
        clauses.push("system_code = ?", vec![text(system)]);
    }
    match &search.outcome {
        Outcome::Any => {}
        Outcome::Accepted => clauses.push("outcome = ?", vec![text(OK)]),
        Outcome::Refused => clauses.push("outcome <> ?", vec![text(OK)]),
        Outcome::Code(code) => clauses.push("outcome = ?", vec![text(code)]),
    }
    if let Some(method) = search.method {
        clauses.push("method = ?", vec![text(method.as_str())]);
    }
    if let Some(from) = search.from {
        clauses.push("at >= ?", vec![Arg::Number(from)]);
    }
    if let Some(until) = search.until {
        clauses.push("at < ?", vec![Arg::Number(until)]);
    }
    if let Some(cursor) = after {
        clauses.push(
            "(at < ? OR (at = ? AND id < ?))",
            vec![
                Arg::Number(cursor.at),
                Arg::Number(cursor.at),
                text(&cursor.id),
            ],
        );
    }
    let mut sql = format!("SELECT id, {} FROM audit_log", audit::COLUMNS);
    if !clauses.sql.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.sql.join(" AND "));
    }
    clauses.args.push(Arg::Number(limit));
    sql.push_str(&format!(
        " ORDER BY at DESC, id DESC LIMIT ${}",
        clauses.args.len()
    ));
    let mut query = sqlx::query(&sql);
    for arg in clauses.args {
        query = match arg {
            Arg::Text(value) => query.bind(value),
            Arg::Number(value) => query.bind(value),
        };
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(Found {
                id: row.try_get("id")?,
                row: audit::logged_row(row)?,
            })
        })
        .collect()
}
