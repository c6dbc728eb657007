//! Which readers there are, which hold a card, and waiting for one to.

use super::CardError;
use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

pub struct ReaderStatus {
    pub name: String,
    pub card_present: bool,
}

/// Every reader pcscd knows, with whether a card is in it.
pub fn list_readers(context: &pcsc::Context) -> Result<Vec<ReaderStatus>, CardError> {
    let mut states = reader_states(context)?;
    if !states.is_empty() {
        context.get_status_change(Duration::ZERO, &mut states)?;
    }
    Ok(states
        .iter()
        .map(|state| ReaderStatus {
            name: state.name().to_string_lossy().into_owned(),
            card_present: holds_card(state),
        })
        .collect())
}

/// The reader to read: `wanted` if given, else the first that holds a card.
/// With a `wait`, waits that long for a reader and a card to appear.
pub fn wait_for_card(
    context: &pcsc::Context,
    wanted: Option<&str>,
    wait: Duration,
) -> Result<CString, CardError> {
    let deadline = Instant::now() + wait;
    loop {
        let expired = Instant::now() >= deadline;
        let mut states = reader_states(context)?;
        if let Some(wanted) = wanted {
            let is_wanted =
                |state: &pcsc::ReaderState| state.name().to_bytes() == wanted.as_bytes();
            if expired && !states.is_empty() && !states.iter().any(is_wanted) {
                return Err(unknown_reader(wanted, &states));
            }
            states.retain(is_wanted);
        }
        if !states.is_empty() {
            context.get_status_change(Duration::ZERO, &mut states)?;
            if let Some(ready) = states.iter().find(|state| holds_card(state)) {
                return Ok(ready.name().to_owned());
            }
        }
        if expired {
            return Err(match states.is_empty() {
                true => CardError::NoReader,
                false => CardError::NoCard,
            });
        }
        wait_for_change(
            context,
            states,
            deadline.saturating_duration_since(Instant::now()),
        )?;
    }
}

/// Whether the card pcscd counted `event_count` for is still in `reader`: the same
/// insertion, not pulled out since (nor swapped for another), even if the watcher has not
/// seen it go yet.
pub fn still_inserted(
    context: &pcsc::Context,
    reader: &CStr,
    event_count: u32,
) -> Result<bool, CardError> {
    let mut states = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
    match context.get_status_change(Duration::ZERO, &mut states) {
        Ok(()) => Ok(holds_card(&states[0]) && states[0].event_count() == event_count),
        Err(pcsc::Error::UnknownReader) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

fn unknown_reader(wanted: &str, states: &[pcsc::ReaderState]) -> CardError {
    let available: Vec<String> = states
        .iter()
        .map(|state| format!("{:?}", state.name().to_string_lossy()))
        .collect();
    CardError::UnknownReader {
        wanted: wanted.to_owned(),
        available: available.join(", "),
    }
}

/// Blocks until a card or reader comes or goes, or `timeout` passes.
fn wait_for_change(
    context: &pcsc::Context,
    mut states: Vec<pcsc::ReaderState>,
    timeout: Duration,
) -> Result<(), CardError> {
    for state in &mut states {
        state.sync_current_state();
    }
    states.push(pcsc::ReaderState::new(
        pcsc::PNP_NOTIFICATION(),
        pcsc::State::UNAWARE,
    ));
    let pnp = states.len() - 1;
    // Learn the current reader count first, so that only a real change wakes us.
    timeout_is_fine(context.get_status_change(Duration::ZERO, &mut states[pnp..]))?;
    states[pnp].sync_current_state();
    timeout_is_fine(context.get_status_change(timeout, &mut states))
}

fn timeout_is_fine(result: Result<(), pcsc::Error>) -> Result<(), CardError> {
    match result {
        Ok(()) | Err(pcsc::Error::Timeout) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn reader_states(context: &pcsc::Context) -> Result<Vec<pcsc::ReaderState>, CardError> {
    let names = match context.list_readers_owned() {
        Ok(names) => names,
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    Ok(names
        .into_iter()
        .filter(|name| name.as_c_str() != pcsc::PNP_NOTIFICATION())
        .map(|name| pcsc::ReaderState::new(name, pcsc::State::UNAWARE))
        .collect())
}

fn holds_card(state: &pcsc::ReaderState) -> bool {
    let event = state.event_state();
    event.contains(pcsc::State::PRESENT) && !event.contains(pcsc::State::MUTE)
}
