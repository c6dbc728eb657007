//! The SQLite writer: one thread owns one connection of its own and runs the card
//! logins' write transactions there, without a thread hop per statement. Group commit:
//! the jobs waiting when a transaction starts run in it one after another, each inside its
//! own SAVEPOINT (a job that fails leaves nothing behind), and one COMMIT ends them all;
//! each job hears its outcome only after that COMMIT.
//!
//! It links the same SQLite as sqlx (libsqlite3-sys is shared), so SQLite's locks see the
//! pool's connections and this one as one process's.

use super::store::{Cell, Param, Row, Store};
use tokio::sync::{mpsc, oneshot};

/// The most jobs one COMMIT ends.
const MAX_BATCH: usize = 256;

/// What a job leaves to do after the COMMIT: hand its result (or the COMMIT's error) back.
type Finish = Box<dyn FnOnce(Result<(), sqlx::Error>) + Send>;
/// A job's statements (`None`: they will not run, the transaction failed); `true` if they
/// failed, and so are rolled back to its savepoint.
type Job = Box<dyn FnOnce(Option<&mut rusqlite::Connection>) -> (bool, Finish) + Send>;

/// A handle to the writer thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the thread on the SQLite file `path` (already migrated).
    pub fn start(path: std::path::PathBuf) -> Writer {
        let (jobs, queue) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(&path, queue))
            .expect("a thread for the SQLite writer");
        Writer { jobs }
    }

    /// Runs `work` in a write transaction on the writer thread; answers once it committed.
    pub async fn run<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, sqlx::Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let result = match db {
                Some(db) => work(db),
                None => Err(sqlx::Error::WorkerCrashed),
            };
            let failed = result.is_err();
            let finish: Finish = Box::new(move |committed| {
                let _ = answer.send(committed.and(result));
            });
            (failed, finish)
        });
        self.jobs
            .send(job)
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        answered.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let db = rusqlite::Connection::open(path)?;
    // As the pool's connections (db::open): WAL, a commit synced at checkpoints only, and
    // a wait rather than "database is locked" while another connection writes.
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    db.set_prepared_statement_cache_capacity(64);
    Ok(db)
}

fn serve(path: &std::path::Path, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut db = open(path);
    if let Err(error) = &db {
        tracing::error!("the SQLite writer cannot open {}: {error}", path.display());
    }
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = match &mut db {
            Ok(db) => transaction(db, batch),
            Err(error) => Err((
                batch.into_iter().map(skip).collect(),
                WriterError::from(&*error),
            )),
        };
        match outcome {
            Ok(finishes) => finishes.into_iter().for_each(|finish| finish(Ok(()))),
            Err((finishes, problem)) => {
                tracing::error!("{problem}");
                for finish in finishes {
                    finish(Err(error(problem.clone())));
                }
            }
        }
    }
}

/// A job that will not run: it hears the transaction's error.
fn skip(job: Job) -> Finish {
    job(None).1
}

type Failed = (Vec<Finish>, WriterError);

fn transaction(db: &mut rusqlite::Connection, batch: Vec<Job>) -> Result<Vec<Finish>, Failed> {
    if let Err(problem) = db.execute_batch("BEGIN IMMEDIATE") {
        return Err((
            batch.into_iter().map(skip).collect(),
            WriterError::from(&problem),
        ));
    }
    let mut finishes = Vec::with_capacity(batch.len());
    let mut broken = None;
    for job in batch {
        if broken.is_some() {
            finishes.push(skip(job));
            continue;
        }
        if let Err(problem) = db.execute_batch("SAVEPOINT job") {
            broken = Some(WriterError::from(&problem));
            finishes.push(skip(job));
            continue;
        }
        // A job that panics is rolled back; its caller hears that the writer failed (its
        // answer is dropped), and the thread goes on with the others.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(&mut *db))));
        let failed = match ran {
            Ok((failed, finish)) => {
                finishes.push(finish);
                failed
            }
            Err(_) => true,
        };
        let end = if failed {
            "ROLLBACK TO job; RELEASE job"
        } else {
            "RELEASE job"
        };
        if let Err(problem) = db.execute_batch(end) {
            broken = Some(WriterError::from(&problem));
        }
    }
    let committed = match broken {
        Some(problem) => Err(problem),
        None => db
            .execute_batch("COMMIT")
            .map_err(|problem| WriterError::from(&problem)),
    };
    match committed {
        Ok(()) => Ok(finishes),
        Err(problem) => {
            let _ = db.execute_batch("ROLLBACK");
            Err((finishes, problem))
        }
    }
}

/// A SQLite error of the writer, as the error type card logins answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("SQLite (writer thread): {0}")]
pub struct WriterError(String);

impl From<&rusqlite::Error> for WriterError {
    fn from(error: &rusqlite::Error) -> WriterError {
        WriterError(error.to_string())
    }
}

impl sqlx::error::DatabaseError for WriterError {
    fn message(&self) -> &str {
        &self.0
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}

fn error(problem: WriterError) -> sqlx::Error {
    sqlx::Error::Database(Box::new(problem))
}

pub(super) fn lite(problem: rusqlite::Error) -> sqlx::Error {
    error(WriterError::from(&problem))
}

/// `$1`…`$16`: how the portable SQL names its parameters.
const NAMES: [&str; 16] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16",
];

fn prepare<'c>(
    db: &'c rusqlite::Connection,
    sql: &'static str,
    params: &[Param<'_>],
) -> Result<rusqlite::CachedStatement<'c>, sqlx::Error> {
    let mut statement = db.prepare_cached(sql).map_err(lite)?;
    for (param, name) in params.iter().zip(NAMES) {
        let Some(index) = statement.parameter_index(name).map_err(lite)? else {
            continue;
        };
        match *param {
            Param::Text(text) => statement.raw_bind_parameter(index, text),
            Param::Int(number) => statement.raw_bind_parameter(index, number),
            Param::Null => statement.raw_bind_parameter(index, rusqlite::types::Null),
        }
        .map_err(lite)?;
    }
    Ok(statement)
}

/// Its futures are ready at once: run them with [`now`].
impl Store for rusqlite::Connection {
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, sqlx::Error> {
        let mut statement = prepare(self, sql, params)?;
        Ok(statement.raw_execute().map_err(lite)? as u64)
    }

    async fn row(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, sqlx::Error> {
        use rusqlite::types::ValueRef;
        let mut statement = prepare(self, sql, params)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let Some(row) = rows.next().map_err(lite)? else {
            return Ok(None);
        };
        let cells = (0..columns)
            .map(|i| {
                Ok(match row.get_ref(i).map_err(lite)? {
                    ValueRef::Integer(number) => Cell::Int(number),
                    ValueRef::Text(text) => Cell::Text(String::from_utf8_lossy(text).into_owned()),
                    ValueRef::Null | ValueRef::Real(_) | ValueRef::Blob(_) => Cell::Null,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(Row(cells)))
    }
}

/// The output of a future that never waits (the writer's [`Store`] calls).
pub fn now<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs sent at once share transactions: each failed (or panicking) one leaves no row,
    /// each other one's row is committed, and every caller hears its own outcome.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_job_leaves_nothing_and_the_others_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (v INTEGER)")
            .unwrap();
        let writer = Writer::start(path.clone());
        let tasks: Vec<_> = (0..60i64)
            .map(|v| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .run(move |db| {
                            rusqlite::Connection::execute(db, "INSERT INTO t (v) VALUES (?1)", [v])
                                .map_err(lite)?;
                            if v == 7 {
                                panic!("a job that panics");
                            }
                            if v % 5 == 0 {
                                return Err(sqlx::Error::RowNotFound);
                            }
                            Ok(v)
                        })
                        .await
                })
            })
            .collect();
        for (v, task) in (0..60i64).zip(tasks) {
            let outcome = task.await.unwrap();
            match v {
                7 => assert!(matches!(outcome, Err(sqlx::Error::WorkerCrashed))),
                _ if v % 5 == 0 => assert!(matches!(outcome, Err(sqlx::Error::RowNotFound))),
                _ => assert_eq!(outcome.unwrap(), v),
            }
        }
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut statement = db.prepare("SELECT v FROM t ORDER BY v").unwrap();
        let kept: Vec<i64> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected: Vec<i64> = (0..60).filter(|v| v % 5 != 0 && *v != 7).collect();
        assert_eq!(kept, expected);
    }
}
