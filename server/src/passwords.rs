//! Password hashes: argon2id with the crate's defaults (19 MiB, 2 passes), as PHC strings.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const MIN_LENGTH: usize = 10;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(argon2::password_hash::Error),
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::encode_b64(&crate::random_bytes::<16>()).map_err(PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

/// Whether `password` matches `stored`; with no stored hash (unknown account, or card
/// login only) a dummy hash is checked anyway so both answers take as long.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no account has this password").expect("long enough"));
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or(dummy)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

/// Argon2 checks running at once: each takes 19 MiB and a core for tens of
/// milliseconds, so a flood of guesses queues here instead of exhausting memory.
static CHECKS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// [`verify`] off the async threads, at most one check per core at a time.
pub async fn verify_queued(stored: Option<String>, password: String) -> bool {
    let Ok(_permit) = CHECKS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_RUNNING.fetch_max(running, Ordering::SeqCst);
        let right = verify(stored.as_deref(), &password);
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        right
    })
    .await
    .unwrap_or(false)
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// The most Argon2 checks that have run at once in this process.
pub fn most_checks_at_once() -> usize {
    MOST_RUNNING.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(Some(&stored), "correct horse battery"));
        assert!(!verify(Some(&stored), "correct horse batterY"));
        assert!(!verify(None, "no account has this password"));
        assert!(!verify(Some("not a hash"), "x"));
        assert!(hash("short").is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_flood_of_checks_runs_one_per_core() {
        let stored = hash("correct horse battery").unwrap();
        let checks: Vec<_> = (0..12)
            .map(|n| {
                let password = if n % 2 == 0 {
                    "correct horse battery"
                } else {
                    "wrong"
                };
                tokio::spawn(verify_queued(Some(stored.clone()), password.to_owned()))
            })
            .collect();
        for (n, check) in checks.into_iter().enumerate() {
            assert_eq!(check.await.unwrap(), n % 2 == 0);
        }
        let cores = std::thread::available_parallelism().unwrap().get();
        assert!(most_checks_at_once() >= 1);
        assert!(
            most_checks_at_once() <= cores,
            "{} > {cores}",
            most_checks_at_once()
        );
    }
}
