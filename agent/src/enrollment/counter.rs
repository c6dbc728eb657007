//! The assertion counter: strictly increasing across restarts and across processes.
//! Each value is written to disk before it is used, so a crash can skip values but
//! never repeat one; a lock file keeps `serve` and `doctor` from taking the same value.

use super::EnrollError;
use std::path::{Path, PathBuf};

const COUNTER_FILE: &str = "counter";
const LOCK_FILE: &str = "counter.lock";

pub struct Counter {
    path: PathBuf,
    lock: PathBuf,
}

impl Counter {
    pub fn open(data_dir: &Path) -> Result<Counter, EnrollError> {
        let counter = Counter {
            path: data_dir.join(COUNTER_FILE),
            lock: data_dir.join(LOCK_FILE),
        };
        counter.last()?;
        Ok(counter)
    }

    pub fn reset(data_dir: &Path) -> Result<(), EnrollError> {
        let path = data_dir.join(COUNTER_FILE);
        crate::fs::write_private(&path, b"0").map_err(|source| EnrollError::Store { path, source })
    }

    /// The next value, already on disk.
    pub fn advance(&mut self) -> Result<u64, EnrollError> {
        let store = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EnrollError::Store { path, source }
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let lock = options.open(&self.lock).map_err(store(&self.lock))?;
        // Held until `lock` is dropped at the end of this call.
        lock.lock().map_err(store(&self.lock))?;
        let next = self.last()? + 1;
        crate::fs::write_private(&self.path, next.to_string().as_bytes())
            .map_err(store(&self.path))?;
        Ok(next)
    }

    /// The last value used, as on disk now (another process may have advanced it).
    fn last(&self) -> Result<u64, EnrollError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => text.trim().parse().map_err(|_| EnrollError::Damaged {
                path: self.path.clone(),
                problem: format!("{text:?} is not a counter"),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(source) => Err(EnrollError::Store {
                path: self.path.clone(),
                source,
            }),
        }
    }
}
