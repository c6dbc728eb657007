//! The virtual readers as pcscd sees them: their names, a lock per reader, and waiting for a
//! card to show up in (or leave) a reader.

use std::ffi::CString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pcsc::{Context, ReaderState, Scope, State};

/// The PC/SC name of the vpcd reader for `slot`: "Virtual PCD 00 00", "Virtual PCD 00 01".
pub fn reader_name(slot: u8) -> String {
    format!("Virtual PCD 00 {slot:02}")
}

/// What to wait for in a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Present,
    Absent,
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Presence::Present => "a card present",
            Presence::Absent => "the reader empty",
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    #[error("PC/SC {action} failed: {source} (is pcscd running? `pcscd --foreground &`)")]
    Pcsc {
        action: &'static str,
        source: pcsc::Error,
    },
    #[error(
        "pcscd has no reader {reader:?}: is vsmartcard-vpcd installed and pcscd restarted since?"
    )]
    NoReader { reader: String },
    #[error("waited {waited:?} for {wanted} in {reader:?}; pcscd last said {state}")]
    Timeout {
        reader: String,
        wanted: Presence,
        waited: Duration,
        state: String,
    },
}

/// Blocks until pcscd shows `wanted` in reader `slot` (with this ATR, if given), or `timeout`.
pub fn wait_for(
    slot: u8,
    wanted: Presence,
    atr: Option<&[u8]>,
    timeout: Duration,
) -> Result<(), ReaderError> {
    let reader = reader_name(slot);
    let context = Context::establish(Scope::User).map_err(|source| ReaderError::Pcsc {
        action: "establish context",
        source,
    })?;
    let name = CString::new(reader.clone()).map_err(|_| ReaderError::NoReader {
        reader: reader.clone(),
    })?;
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    let start = Instant::now();
    loop {
        let remaining = timeout.saturating_sub(start.elapsed());
        match context.get_status_change(remaining, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(source) => {
                return Err(ReaderError::Pcsc {
                    action: "get status change",
                    source,
                })
            }
        }
        let state = &states[0];
        let event = state.event_state();
        if event.contains(State::UNKNOWN) {
            return Err(ReaderError::NoReader { reader });
        }
        let done = match wanted {
            Presence::Present => {
                event.contains(State::PRESENT)
                    && !event.contains(State::MUTE)
                    && atr.is_none_or(|atr| state.atr() == atr)
            }
            Presence::Absent => event.contains(State::EMPTY),
        };
        if done {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(ReaderError::Timeout {
                reader,
                wanted,
                waited: timeout,
                state: format!("{event:?}"),
            });
        }
        states[0].sync_current_state();
    }
}

/// An exclusive lock on one virtual reader, held across processes and threads, so that tests
/// running in parallel never put two cards into the same reader. Released on drop.
///
/// It is a `flock` on `/tmp/thaiid-vpcd-<slot>.lock`: one per open file, so two threads of
/// one process exclude each other too (and one thread taking it twice deadlocks). A test that
/// needs both readers takes slot 0 before slot 1, so that two such tests cannot deadlock.
#[derive(Debug)]
pub struct ReaderLock {
    slot: u8,
    _file: File,
}

impl ReaderLock {
    pub fn path(slot: u8) -> PathBuf {
        PathBuf::from(format!("/tmp/thaiid-vpcd-{slot}.lock"))
    }

    /// Waits until the reader is free, then takes it.
    pub fn acquire(slot: u8) -> io::Result<ReaderLock> {
        let file = open_lock_file(slot)?;
        lock(&file, true)?;
        Ok(ReaderLock { slot, _file: file })
    }

    /// Takes the reader if it is free; `None` if someone else holds it.
    pub fn try_acquire(slot: u8) -> io::Result<Option<ReaderLock>> {
        let file = open_lock_file(slot)?;
        match lock(&file, false) {
            Ok(()) => Ok(Some(ReaderLock { slot, _file: file })),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub fn slot(&self) -> u8 {
        self.slot
    }
}

fn open_lock_file(slot: u8) -> io::Result<File> {
    let path = ReaderLock::path(slot);
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path);
    match opened {
        // A lock file another user created: reading is enough to lock it.
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => File::open(&path),
        other => other,
    }
}

#[cfg(unix)]
fn lock(file: &File, block: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let operation = if block {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: flock on a file descriptor that `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The virtual readers exist only where pcscd and vpcd run (Linux); elsewhere nothing to share.
#[cfg(not(unix))]
fn lock(_file: &File, _block: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_match_vpcd() {
        assert_eq!(reader_name(0), "Virtual PCD 00 00");
        assert_eq!(reader_name(1), "Virtual PCD 00 01");
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_dropped() {
        // Slot 200 has no reader: the lock works without one, and no other test uses it.
        let first = ReaderLock::try_acquire(200)
            .unwrap()
            .expect("free at first");
        assert_eq!(first.slot(), 200);
        assert!(ReaderLock::try_acquire(200).unwrap().is_none());
        drop(first);
        assert!(ReaderLock::try_acquire(200).unwrap().is_some());
    }
}
