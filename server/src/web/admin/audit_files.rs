//! `/admin/audit.csv` and `/admin/audit.jsonl` (auditors only): the search of
//! `/admin/audit`, every row of it, streamed. A task reads [`BATCH_ROWS`] rows at a time by
//! keyset and hands each batch, encoded, to the response through a channel of
//! [`CHUNKS_AHEAD`]: the server holds a few batches at most, however many rows a year of
//! log has, and stops reading when the client goes away. Each export is an audit row.

use super::audit::{record, refused_search};
use super::Console;
use crate::audit_export;
use crate::audit_search::{self, Cursor, Found, Search, SearchText};
use crate::db::Pool;
use crate::http::{AppState, PageError};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Rows read from the database at a time.
pub const BATCH_ROWS: i64 = 1000;
/// Encoded batches waiting for a slow client before the reader waits too.
const CHUNKS_AHEAD: usize = 2;

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    fn start(self) -> String {
        match self {
            Format::Csv => audit_export::csv_header(),
            Format::JsonLines => String::new(),
        }
    }

    fn row(self, found: &Found) -> String {
        match self {
            Format::Csv => audit_export::csv_row(found),
            Format::JsonLines => audit_export::json_line(found),
        }
    }
}

/// `GET /admin/audit.csv`.
pub async fn csv(
    State(state): State<AppState>,
    console: Console,
    Query(text): Query<SearchText>,
) -> Response {
    export(state, console, text, Format::Csv).await
}

/// `GET /admin/audit.jsonl`.
pub async fn jsonl(
    State(state): State<AppState>,
    console: Console,
    Query(text): Query<SearchText>,
) -> Response {
    export(state, console, text, Format::JsonLines).await
}

async fn export(state: AppState, console: Console, text: SearchText, format: Format) -> Response {
    if !console.audits() {
        return console.refuse().into_response();
    }
    let search = match Search::parse(&text) {
        Ok(search) => search,
        Err(refused) => return refused_search(&console, &text, &refused).into_response(),
    };
    let kind = format.extension();
    if let Err(error) = record(&state.pool, &console, &search.describe(&text), kind).await {
        return PageError::from(error).into_response();
    }
    let (chunks, body) = mpsc::channel(CHUNKS_AHEAD);
    tokio::spawn(write_rows(state.pool.clone(), search, format, chunks));
    let stamp = audit_export::thai_rfc3339(crate::now())
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect::<String>();
    let disposition = format!("attachment; filename=\"audit-{stamp}.{kind}\"");
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(ReceiverStream::new(body)),
    )
        .into_response()
}

/// Reads the search's rows a batch at a time, newest first, into `chunks` until the last
/// row or until the client has gone.
async fn write_rows(
    pool: Pool,
    search: Search,
    format: Format,
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut chunk = format.start();
    let mut after: Option<Cursor> = None;
    loop {
        let batch = match audit_search::fetch(&pool, &search, after.as_ref(), BATCH_ROWS).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!("audit export: {error}");
                // The response ends in an error, not as a file that looks whole.
                let _ = chunks.send(Err(std::io::Error::other("database"))).await;
                return;
            }
        };
        for found in &batch {
            chunk.push_str(&format.row(found));
        }
        let last = batch.len() < BATCH_ROWS as usize;
        after = batch.last().map(Found::cursor);
        if chunks
            .send(Ok(Bytes::from(std::mem::take(&mut chunk))))
            .await
            .is_err()
        {
            return; // the client went away
        }
        if last {
            return;
        }
    }
}
