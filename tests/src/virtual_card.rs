//! A virtual card in a vpcd reader: a thread serving the card over a socket, and a handle to
//! insert and remove it.

use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::card::{Card, CardStats, Command, Faults};
use crate::fixture::CardFixture;
use crate::reader::{self, Presence, ReaderError};
use crate::vpcd::{self, SessionEnd};

/// How long `insert` and `remove` wait for pcscd to see the change.
pub const PCSCD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `insert` waits before it suspects pcscd missed the card and plugs it in again.
const FIRST_LOOK: Duration = Duration::from_secs(2);

/// How long the card stays out when plugged in again: more than two pcscd polls.
const REPLUG_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VirtualCardError {
    #[error(
        "cannot connect to vpcd at {addr} for {reader:?}: {source} \
         (is pcscd running with vsmartcard-vpcd?)"
    )]
    Connect {
        addr: std::net::SocketAddr,
        reader: String,
        source: std::io::Error,
    },
    #[error("the virtual card is already in {reader:?}; remove it first")]
    AlreadyInserted { reader: String },
    #[error("{reader:?} still holds another card (another test or thaiid-vcard?): {source}")]
    ReaderBusy { reader: String, source: ReaderError },
    #[error("cannot start the card thread: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Reader(#[from] ReaderError),
}

struct Session {
    stream: TcpStream,
    thread: JoinHandle<SessionEnd>,
}

/// A Thai ID card that tests insert into and remove from a virtual reader.
///
/// Hold [`crate::ReaderLock`] for the slot while the card is in use.
pub struct VirtualCard {
    slot: u8,
    fixture: CardFixture,
    faults: Mutex<Faults>,
    stats: Arc<CardStats>,
    session: Mutex<Option<Session>>,
}

impl VirtualCard {
    /// A card for reader `slot` (0 or 1), not inserted yet.
    pub fn new(slot: u8, fixture: CardFixture, faults: Faults) -> VirtualCard {
        VirtualCard {
            slot,
            fixture,
            faults: Mutex::new(faults),
            stats: Arc::default(),
            session: Mutex::new(None),
        }
    }

    pub fn slot(&self) -> u8 {
        self.slot
    }

    pub fn reader_name(&self) -> String {
        reader::reader_name(self.slot)
    }

    pub fn fixture(&self) -> &CardFixture {
        &self.fixture
    }

    /// Faults for the next insertion (a card already inserted keeps its own).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// Puts the card into the reader; returns once pcscd shows it present with its ATR.
    pub fn insert(&self) -> Result<(), VirtualCardError> {
        let mut session = lock(&self.session);
        if let Some(current) = session.take() {
            if !current.thread.is_finished() {
                *session = Some(current);
                return Err(VirtualCardError::AlreadyInserted {
                    reader: self.reader_name(),
                });
            }
            // The card was pulled by a fault or by vpcd: collect its thread.
            let _ = current.thread.join();
        }
        // A card pulled a moment ago may still be listed until pcscd polls the reader again.
        reader::wait_for(self.slot, Presence::Absent, None, PCSCD_TIMEOUT).map_err(|source| {
            match source {
                ReaderError::Timeout { .. } => VirtualCardError::ReaderBusy {
                    reader: self.reader_name(),
                    source,
                },
                other => VirtualCardError::Reader(other),
            }
        })?;

        // pcscd can miss an insertion: after a vpcd card vanishes mid-command and a client then
        // disconnects with a reset, pcscd shows the reader empty at once but its polling thread
        // still believes the old card is in, so the new one is never announced. Taking the card
        // out again for longer than a poll (400 ms), then putting it back, always clears that.
        let current = match self.plug_in(FIRST_LOOK) {
            Ok(current) => current,
            Err(VirtualCardError::Reader(ReaderError::Timeout { .. })) => {
                thread::sleep(REPLUG_PAUSE);
                self.plug_in(PCSCD_TIMEOUT)?
            }
            Err(err) => return Err(err),
        };
        *session = Some(current);
        Ok(())
    }

    /// Connects and waits for pcscd to show the card; on failure the card is out again.
    fn plug_in(&self, wait: Duration) -> Result<Session, VirtualCardError> {
        let current = self.connect()?;
        match reader::wait_for(self.slot, Presence::Present, Some(&self.fixture.atr), wait) {
            Ok(()) => Ok(current),
            Err(err) => {
                stop(current);
                Err(err.into())
            }
        }
    }

    /// Connects to vpcd and starts serving the card on its own thread.
    fn connect(&self) -> Result<Session, VirtualCardError> {
        let connect_error = |source| VirtualCardError::Connect {
            addr: vpcd::address(self.slot),
            reader: self.reader_name(),
            source,
        };
        let stream = vpcd::connect(self.slot).map_err(connect_error)?;
        let control = stream.try_clone().map_err(connect_error)?;
        let mut card = Card::with_stats(
            &self.fixture,
            lock(&self.faults).clone(),
            Arc::clone(&self.stats),
        );
        let thread = thread::Builder::new()
            .name(format!("vcard-slot{}", self.slot))
            .spawn(move || vpcd::serve(stream, &mut card))
            .map_err(VirtualCardError::Thread)?;
        Ok(Session {
            stream: control,
            thread,
        })
    }

    /// Pulls the card out; returns once pcscd shows the reader empty. Removing a card that is
    /// not in the reader only waits for the reader to be empty.
    pub fn remove(&self) -> Result<(), VirtualCardError> {
        if let Some(current) = lock(&self.session).take() {
            stop(current);
        }
        reader::wait_for(self.slot, Presence::Absent, None, PCSCD_TIMEOUT)?;
        Ok(())
    }

    /// True while the card's connection to vpcd is open.
    pub fn is_inserted(&self) -> bool {
        lock(&self.session)
            .as_ref()
            .is_some_and(|session| !session.thread.is_finished())
    }

    /// Blocks until the card leaves the reader by itself (a `remove_after` fault, or vpcd
    /// closing the connection) and says why; `None` if the card was not inserted.
    pub fn wait_until_ejected(&self) -> Option<SessionEnd> {
        let thread = {
            let mut session = lock(&self.session);
            session.take()?.thread
        };
        Some(
            thread.join().unwrap_or_else(|_| {
                SessionEnd::Failed(std::io::Error::other("card thread panicked"))
            }),
        )
    }

    /// APDUs received since this handle was made (or `clear_log`), over all insertions.
    pub fn apdu_count(&self) -> u64 {
        self.stats.apdu_count()
    }

    /// Every APDU received, in order, over all insertions.
    pub fn commands(&self) -> Vec<Command> {
        self.stats.commands()
    }

    pub fn clear_log(&self) {
        self.stats.clear();
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        if lock(&self.session).is_some() {
            let _ = self.remove();
        }
    }
}

/// Closes the connection (which wakes the card thread out of its read) and waits for the thread.
fn stop(session: Session) {
    let _ = session.stream.shutdown(Shutdown::Both);
    let _ = session.thread.join();
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
