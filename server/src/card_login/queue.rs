//! The card logins the server takes at once (SPEC §7c): each holds a place from the
//! moment it arrives until it is answered, whether it waits for the database, the SQLite
//! writer or the agents' keys. Beyond the limit a login is turned away at once (`503
//! SERVER_BUSY` with `Retry-After`) instead of waiting in memory without end.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The places by default: some seconds of the SQLite writer's rate, far beyond what a
/// healthy server ever has waiting.
pub const DEFAULT_LIMIT: usize = 4096;
/// What a login turned away is told to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The places, shared by every clone of the verifier.
#[derive(Clone, Debug)]
pub struct Queue {
    places: Arc<Semaphore>,
    limit: usize,
}

/// A place held: given back when dropped, the login answered.
pub struct Place(#[allow(dead_code)] OwnedSemaphorePermit);

impl Queue {
    /// `limit` places (at least one).
    pub fn new(limit: usize) -> Queue {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Queue {
            places: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// A place, or `None` when all are taken.
    pub fn admit(&self) -> Option<Place> {
        self.places.clone().try_acquire_owned().ok().map(Place)
    }

    /// The card logins in progress now.
    pub fn depth(&self) -> usize {
        self.limit - self.places.available_permits()
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_limit_no_place_until_one_is_given_back() {
        let queue = Queue::new(2);
        let first = queue.admit().expect("a first place");
        let _second = queue.admit().expect("a second place");
        assert_eq!(queue.depth(), 2);
        assert!(queue.admit().is_none(), "the queue is full");
        drop(first);
        assert_eq!(queue.depth(), 1);
        assert!(queue.admit().is_some(), "a place was given back");
    }

    #[test]
    fn a_limit_of_zero_still_takes_one() {
        assert_eq!(Queue::new(0).limit(), 1);
    }
}
