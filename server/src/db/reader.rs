//! Small SQLite reads on the calling thread, on connections of their own: a read by
//! primary key takes microseconds, less than the hop to sqlx's worker thread and back.
//! Used where a read sits on every request's path (an agent's key on a cache miss).

use std::sync::{Mutex, PoisonError};

pub struct Reader {
    path: std::path::PathBuf,
    /// Connections not in use; one per thread that read at once, at most.
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Reader {
    pub fn new(path: std::path::PathBuf) -> Reader {
        Reader {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on one of the reader's connections (opened read-only on first need).
    pub fn read<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, sqlx::Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let db = match idle {
            Some(db) => db,
            None => open(&self.path).map_err(super::writer::lite)?,
        };
        let answer = read(&db).map_err(super::writer::lite);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(db);
        answer
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let db = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(db)
}
