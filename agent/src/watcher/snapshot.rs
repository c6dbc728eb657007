//! What the watcher knows at one moment, as the login and status handlers see it.

use std::ffi::CString;
use std::sync::Arc;
use std::time::Instant;
use thaiid_protocol::assertion::CardClaim;

/// The card in a reader.
#[derive(Clone, Debug)]
pub enum CardState {
    /// Inserted; the login fields are being read.
    Reading,
    /// The login fields, read once at insertion.
    Ready(Arc<Inserted>),
    /// Pulled out before the read finished.
    Removed,
    /// Not a Thai ID card, or it answers wrongly.
    Unreadable,
}

#[derive(Clone, Debug)]
pub struct ReaderView {
    pub name: String,
    /// `None`: no card.
    pub card: Option<CardState>,
}

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Is pcscd (or Windows' smart card service) answering?
    pub service_up: bool,
    pub readers: Vec<ReaderView>,
    /// How many cards were pulled out before their read finished. A count, so that a
    /// login waiting on a read learns of it even when the reader is empty again by
    /// the time it looks.
    pub pulled_mid_read: u64,
}

/// A card read at its insertion. Each insertion authorizes one login (SPEC §5), for
/// the person it belongs to.
#[derive(Debug)]
pub struct Inserted {
    pub claim: CardClaim,
    /// Which insertion this is: counted from 1 since the watcher started.
    pub insertion: u64,
    /// When its read finished: the start of its window.
    pub read_at: Instant,
    /// Who was at the console when the card went in.
    pub owner: Owner,
    /// The reader it is in, and the smart card service's event count for it then: the
    /// card is still this insertion while both hold.
    pub reader: CString,
    pub event_count: u32,
}

/// Whose an insertion is (SPEC §5 "Caller"): putting the card in is the consent of the
/// person whose unlocked session was active at the console, and of nobody else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// That session's user: Linux its uid, Windows its session's id.
    User(u32),
    /// The machine has no session manager: whoever the configuration serves.
    AnyLocalUser,
    /// The screen was locked, nobody was logged in at the console, or the console's
    /// state could not be read.
    Nobody,
}
