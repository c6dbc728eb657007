//! Machines that ran the per-user agent of earlier versions: each user's data dir held
//! a workstation key, its enrollment and counter, and a local CA that the user's own
//! browsers trusted. Now the machine service holds all of that, so `thaiid-agent tray`
//! (run by each user at login) takes the CA out of the user's trust stores and deletes
//! those files: the user's own process, on the user's own files.

use crate::paths::StateDir;
use crate::setup;
use std::path::{Path, PathBuf};

/// The key and enrollment files the per-user agent wrote (and the temporary files of an
/// interrupted write). Fixed: they are what earlier versions called them.
const KEY_FILES: [&str; 6] = [
    "agent.key",
    "enrollment.json",
    "counter",
    "agent.tmp",
    "enrollment.tmp",
    "counter.tmp",
];
/// The certificate files; `setup::uninstall` deletes them with the trust.
const CERTIFICATE_FILES: [&str; 3] = ["ca.pem", "localhost.pem", "localhost.key"];

/// What was removed.
#[derive(Debug, PartialEq, Eq)]
pub struct Removed {
    /// Trust stores a CA of the old agent was taken out of.
    pub trust_stores: usize,
    /// Files deleted.
    pub files: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpgradeError {
    #[error("cannot remove the earlier per-user agent's CA: {0}")]
    Setup(#[from] setup::SetupError),
    #[error(
        "the earlier per-user agent's CA is still trusted by {0}: close the browsers, \
         then run `thaiid-agent setup --uninstall`"
    )]
    StillTrusted(String),
    #[error("cannot delete {path} of the earlier per-user agent: {source}")]
    Delete {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Removes the per-user agent found in `data_dir` (the user's data dir); `Ok(None)` when
/// there is none. The key files go even when a trust store fails (they are the risk);
/// the CA files then stay, so that `setup --uninstall` can finish the job.
pub fn remove_per_user_agent(data_dir: &Path) -> Result<Option<Removed>, UpgradeError> {
    let present = |files: &[&str]| files.iter().any(|file| data_dir.join(file).exists());
    let (keys, certificates) = (present(&KEY_FILES), present(&CERTIFICATE_FILES));
    if !keys && !certificates {
        return Ok(None);
    }
    let mut removed = Removed {
        trust_stores: 0,
        files: 0,
    };
    for file in KEY_FILES {
        removed.files += delete(&data_dir.join(file))?;
    }
    if certificates {
        let before = count(data_dir, &CERTIFICATE_FILES);
        // The user's own data dir: the user's own trust stores.
        let outcomes = setup::uninstall(&StateDir {
            path: data_dir.to_owned(),
            machine: false,
        })?;
        let mut failed = Vec::new();
        for outcome in outcomes {
            match outcome.result {
                Ok(setup::Done::Removed(n)) if n > 0 => removed.trust_stores += 1,
                Ok(_) => {}
                Err(problem) => failed.push(format!("{} ({problem})", outcome.store.description)),
            }
        }
        removed.files += before - count(data_dir, &CERTIFICATE_FILES);
        if !failed.is_empty() {
            return Err(UpgradeError::StillTrusted(failed.join("; ")));
        }
        delete(&data_dir.join("setup.lock"))?;
    }
    // Only if nothing else is left in it.
    let _ = std::fs::remove_dir(data_dir);
    Ok(Some(removed))
}

fn count(dir: &Path, files: &[&str]) -> usize {
    files.iter().filter(|file| dir.join(file).exists()).count()
}

/// 1 when `path` was there and is gone, 0 when it was not there.
fn delete(path: &Path) -> Result<usize, UpgradeError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(1),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(UpgradeError::Delete {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Runs [`remove_per_user_agent`] on this user's data dir and says in one line what it did.
pub fn run_for_current_user() {
    let data_dir = crate::paths::data_dir();
    match remove_per_user_agent(&data_dir) {
        Ok(None) => {}
        // No path: a home dir's name is often its user's.
        Ok(Some(removed)) => tracing::info!(
            "removed the earlier per-user agent: its CA from {} trust store(s), {} file(s) (key, enrollment, certificate)",
            removed.trust_stores,
            removed.files
        ),
        Err(error) => tracing::warn!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dir_without_the_old_agent_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        assert_eq!(remove_per_user_agent(dir.path()).unwrap(), None);
        assert!(dir.path().join("notes.txt").exists());
        let gone = dir.path().join("gone");
        assert_eq!(remove_per_user_agent(&gone).unwrap(), None);
    }

    #[test]
    fn the_old_key_and_enrollment_are_deleted_and_other_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["agent.key", "enrollment.json", "counter", "notes.txt"] {
            std::fs::write(dir.path().join(file), "x").unwrap();
        }
        let removed = remove_per_user_agent(dir.path()).unwrap();
        assert_eq!(
            removed,
            Some(Removed {
                trust_stores: 0,
                files: 3
            })
        );
        for file in ["agent.key", "enrollment.json", "counter"] {
            assert!(!dir.path().join(file).exists(), "{file}");
        }
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(remove_per_user_agent(dir.path()).unwrap(), None);
    }
}
