//! The card watcher: a thread of its own (PC/SC calls block) that follows readers and
//! cards, reads the login fields the moment a card is inserted, and forgets them the
//! moment it is removed. It survives pcscd restarts by connecting again.

mod snapshot;

pub use snapshot::{CardState, Inserted, Owner, ReaderView, Snapshot};

use crate::smartcard::read_card;
use crate::smartcard::CardError;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::Duration;
use thaiid_protocol::layout::Field;
use thaiid_protocol::ReadPlan;
use tokio::sync::{broadcast, watch};

/// What changed, for `/v1/events`: reader names only, never card data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderEvent {
    ReaderAdded(String),
    ReaderRemoved(String),
    CardInserted(String),
    CardRemoved(String),
}

/// The async side's handle on the watcher thread.
#[derive(Clone)]
pub struct Watcher {
    pub snapshot: watch::Receiver<Snapshot>,
    pub events: broadcast::Sender<ReaderEvent>,
}

/// How long one wait for a change lasts; also how fast a stopped service is noticed.
const POLL: Duration = Duration::from_secs(2);
const RECONNECT: Duration = Duration::from_millis(500);

/// Tells whose an insertion is, the moment the watcher sees the card go in.
pub type OwnerNow = Box<dyn Fn() -> Owner + Send>;

/// Starts watching; only `reader` if given.
pub fn spawn(reader: Option<String>, owner_now: OwnerNow) -> Watcher {
    let (snapshot_tx, snapshot) = watch::channel(Snapshot::default());
    let (events, _) = broadcast::channel(64);
    let thread_events = events.clone();
    std::thread::Builder::new()
        .name("card-watcher".into())
        .spawn(move || {
            let mut tracked = Tracked::new(reader, snapshot_tx, thread_events, owner_now);
            loop {
                match pcsc::Context::establish(pcsc::Scope::User) {
                    Ok(context) => {
                        let error = tracked.follow(&context);
                        tracing::warn!("smart card service: {error}; connecting again");
                    }
                    Err(error) => tracing::debug!("smart card service not reachable: {error}"),
                }
                tracked.forget_all();
                std::thread::sleep(RECONNECT);
            }
        })
        .expect("spawn the card watcher thread");
    Watcher { snapshot, events }
}

#[derive(Default)]
struct Slot {
    card: Option<CardState>,
    /// pcsc-lite's card event count when last looked at.
    count: u32,
}

/// The readers followed, their last known PC/SC state and what their card holds.
/// `ReaderState` cannot be copied without losing its event count, so the states stay
/// in one vector that is handed to PC/SC as it is, the PnP pseudo-reader last.
struct Tracked {
    only: Option<String>,
    states: Vec<pcsc::ReaderState>,
    slots: Vec<Slot>,
    pulled_mid_read: u64,
    /// Cards inserted since start: each read card is numbered by it.
    insertions: u64,
    snapshot: watch::Sender<Snapshot>,
    events: broadcast::Sender<ReaderEvent>,
    owner_now: OwnerNow,
}

impl Tracked {
    fn new(
        only: Option<String>,
        snapshot: watch::Sender<Snapshot>,
        events: broadcast::Sender<ReaderEvent>,
        owner_now: OwnerNow,
    ) -> Tracked {
        Tracked {
            only,
            states: Vec::new(),
            slots: Vec::new(),
            pulled_mid_read: 0,
            insertions: 0,
            snapshot,
            events,
            owner_now,
        }
    }

    /// Follows readers and cards until the service fails.
    fn follow(&mut self, context: &pcsc::Context) -> pcsc::Error {
        self.states = vec![pcsc::ReaderState::new(
            pcsc::PNP_NOTIFICATION(),
            pcsc::State::UNAWARE,
        )];
        self.slots = Vec::new();
        loop {
            if let Err(error) = self.update_readers(context) {
                return error;
            }
            match context.get_status_change(POLL, &mut self.states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {}
                // The list changed under us: look again.
                Err(pcsc::Error::UnknownReader) => continue,
                Err(error) => return error,
            }
            for index in 0..self.states.len() {
                self.update_card(context, index);
            }
            self.publish(true);
        }
    }

    /// The readers: every state but the last, the PnP notification; none before the
    /// service was first reached.
    fn reader_count(&self) -> usize {
        self.states.len().saturating_sub(1)
    }

    fn name(&self, index: usize) -> String {
        self.states[index].name().to_string_lossy().into_owned()
    }

    fn update_readers(&mut self, context: &pcsc::Context) -> Result<(), pcsc::Error> {
        let names: Vec<CString> = match context.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(error) => return Err(error),
        };
        let names: Vec<CString> = names
            .into_iter()
            .filter(|name| {
                name.as_c_str() != pcsc::PNP_NOTIFICATION()
                    && self
                        .only
                        .as_ref()
                        .is_none_or(|only| name.as_bytes() == only.as_bytes())
            })
            .collect();
        let mut index = 0;
        while index < self.reader_count() {
            if names
                .iter()
                .any(|name| name.as_c_str() == self.states[index].name())
            {
                index += 1;
            } else {
                self.drop_reader(index);
            }
        }
        for name in names {
            if !self.states[..self.reader_count()]
                .iter()
                .any(|s| s.name() == name.as_c_str())
            {
                let reader_name = name.to_string_lossy().into_owned();
                tracing::info!(reader = %reader_name, "reader added");
                let _ = self.events.send(ReaderEvent::ReaderAdded(reader_name));
                let at = self.reader_count();
                self.states
                    .insert(at, pcsc::ReaderState::new(name, pcsc::State::UNAWARE));
                self.slots.insert(at, Slot::default());
            }
        }
        Ok(())
    }

    fn drop_reader(&mut self, index: usize) {
        let reader_name = self.name(index);
        if self.slots.remove(index).card.is_some() {
            let _ = self
                .events
                .send(ReaderEvent::CardRemoved(reader_name.clone()));
        }
        self.states.remove(index);
        tracing::info!(reader = %reader_name, "reader removed");
        let _ = self.events.send(ReaderEvent::ReaderRemoved(reader_name));
    }

    /// Reads a newly inserted card; forgets a removed one.
    fn update_card(&mut self, context: &pcsc::Context, index: usize) {
        let is_pnp = index == self.reader_count();
        let state = &mut self.states[index];
        state.sync_current_state();
        if is_pnp {
            return;
        }
        let event = state.event_state();
        let present = event.contains(pcsc::State::PRESENT) && !event.contains(pcsc::State::MUTE);
        // pcsc-lite counts card events: a new count while present is a new card, even
        // if it was swapped between two looks.
        let count = state.event_count();
        let reader_name = self.name(index);
        let slot = &mut self.slots[index];
        let new_card = present && (slot.card.is_none() || count != slot.count);
        slot.count = count;
        if !present {
            if slot.card.take().is_some() {
                tracing::info!(reader = %reader_name, "card removed");
                let _ = self.events.send(ReaderEvent::CardRemoved(reader_name));
            }
            return;
        }
        if !new_card {
            return;
        }
        slot.card = Some(CardState::Reading);
        self.publish(true);
        // Whose it is is decided as it goes in, before the read: not by whoever is at
        // the console once the read is done.
        let insertion = Insertion {
            number: self.insertions + 1,
            owner: (self.owner_now)(),
            event_count: count,
        };
        self.insertions += 1;
        let name = self.states[index].name().to_owned();
        let card = read_login_card(context, &name, insertion);
        if matches!(card, CardState::Removed) {
            self.pulled_mid_read += 1;
        }
        if let CardState::Ready(card) = &card {
            let masked = card.claim.citizen_id.masked();
            tracing::info!(reader = %reader_name, card = %masked, "card read");
        }
        let _ = self.events.send(ReaderEvent::CardInserted(reader_name));
        self.slots[index].card = Some(card);
    }

    fn forget_all(&mut self) {
        while self.reader_count() > 0 {
            self.drop_reader(0);
        }
        self.publish(false);
    }

    fn publish(&self, service_up: bool) {
        let readers = (0..self.reader_count())
            .map(|index| ReaderView {
                name: self.name(index),
                card: self.slots[index].card.clone(),
            })
            .collect();
        self.snapshot.send_replace(Snapshot {
            service_up,
            readers,
            pulled_mid_read: self.pulled_mid_read,
        });
    }
}

/// What the watcher knows of an insertion before its read.
struct Insertion {
    number: u64,
    owner: Owner,
    event_count: u32,
}

/// The login read: 7 APDUs and the laser ID's 1 to 3.
fn read_login_card(context: &pcsc::Context, reader: &CStr, insertion: Insertion) -> CardState {
    let read = read_card(context, reader, &ReadPlan::new(&Field::LOGIN));
    match read.and_then(|read| read.claim()) {
        Ok(claim) => CardState::Ready(Arc::new(Inserted {
            claim,
            insertion: insertion.number,
            read_at: std::time::Instant::now(),
            owner: insertion.owner,
            reader: reader.to_owned(),
            event_count: insertion.event_count,
        })),
        Err(CardError::CardRemoved) => CardState::Removed,
        Err(error) => {
            tracing::warn!("card unreadable: {error}");
            CardState::Unreadable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_never_reached_is_published_as_down_with_no_readers() {
        let (snapshot_tx, snapshot) = watch::channel(Snapshot::default());
        let owner_now: OwnerNow = Box::new(|| Owner::Nobody);
        let mut tracked = Tracked::new(None, snapshot_tx, broadcast::channel(4).0, owner_now);
        tracked.forget_all();
        assert!(!snapshot.borrow().service_up);
        assert!(snapshot.borrow().readers.is_empty());
    }
}
