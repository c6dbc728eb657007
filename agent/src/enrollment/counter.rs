//! The assertion counter: strictly increasing across restarts. Each value is written to
//! disk before it is used, so a crash can skip values but never repeat one.

use super::EnrollError;
use std::path::{Path, PathBuf};

const COUNTER_FILE: &str = "counter";

pub struct Counter {
    path: PathBuf,
    last: u64,
}

impl Counter {
    pub fn open(data_dir: &Path) -> Result<Counter, EnrollError> {
        let path = data_dir.join(COUNTER_FILE);
        let last = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().parse().map_err(|_| EnrollError::Damaged {
                path: path.clone(),
                problem: format!("{text:?} is not a counter"),
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(source) => return Err(EnrollError::Store { path, source }),
        };
        Ok(Counter { path, last })
    }

    pub fn reset(data_dir: &Path) -> Result<(), EnrollError> {
        let path = data_dir.join(COUNTER_FILE);
        crate::fs::write_private(&path, b"0").map_err(|source| EnrollError::Store { path, source })
    }

    /// The next value, already on disk.
    pub fn advance(&mut self) -> Result<u64, EnrollError> {
        let next = self.last + 1;
        crate::fs::write_private(&self.path, next.to_string().as_bytes()).map_err(|source| {
            EnrollError::Store {
                path: self.path.clone(),
                source,
            }
        })?;
        self.last = next;
        Ok(next)
    }
}
