//! What the watcher knows at one moment, as the login and status handlers see it.

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

/// A card read at its insertion. Each insertion authorizes one login (SPEC §5).
#[derive(Debug)]
pub struct Inserted {
    pub claim: CardClaim,
    /// Which insertion this is: counted from 1 since the watcher started.
    pub insertion: u64,
    /// When its read finished: the start of its window.
    pub read_at: Instant,
}
