//! One read of a card: connect, one transaction, SELECT, the planned READs, the laser
//! ID, decode.

use super::channel::TransactionChannel;
use super::CardError;
use std::ffi::CStr;
use std::time::Duration;
use thaiid_protocol::assertion::CardClaim;
use thaiid_protocol::transport::laser::{LaserRead, LaserUnreadable};
use thaiid_protocol::transport::{CardChannel, CardSession, Malformed, ReadError};
use thaiid_protocol::{Card, CardImage, ReadPlan};

/// What one read brought back.
pub struct CardRead {
    pub atr: Vec<u8>,
    pub image: CardImage,
    /// What the laser applet gave: its ID, no applet (older cards), or an answer that
    /// holds no ID (logged). The card and the claim carry the ID alone.
    pub laser: LaserRead,
}

impl CardRead {
    pub fn decode(&self) -> Result<Card, CardError> {
        let mut card = Card::decode(&self.atr, &self.image)?;
        card.laser_id = self.laser.laser_id().cloned();
        Ok(card)
    }

    /// The login fields, for an assertion.
    pub fn claim(&self) -> Result<CardClaim, CardError> {
        let mut claim = CardClaim::decode(&self.atr, &self.image)?;
        claim.laser_id = self.laser.laser_id().cloned();
        Ok(claim)
    }
}

/// Reads `plan` from the card in `reader`. Nothing is returned unless every READ succeeded.
pub fn read_card(
    context: &pcsc::Context,
    reader: &CStr,
    plan: &ReadPlan,
) -> Result<CardRead, CardError> {
    let mut card = context.connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
    let result = read_connected(&mut card, plan, || card_left(context, reader));
    // Leave the card as it is: a reset would disturb other programs using it.
    let _ = card.disconnect(pcsc::Disposition::LeaveCard);
    result
}

fn read_connected(
    card: &mut pcsc::Card,
    plan: &ReadPlan,
    card_left: impl Fn() -> bool,
) -> Result<CardRead, CardError> {
    let atr = atr_of(card)?;
    let transaction = card.transaction()?;
    let read = read_over(TransactionChannel(&transaction), atr, plan, card_left)?;
    // The data is in hand: a failure to end the transaction (card just pulled) loses nothing.
    let _ = transaction.end(pcsc::Disposition::LeaveCard);
    Ok(read)
}

/// How often, and how far apart, the ATR is asked for while the reader has none yet.
const ATR_TRIES: u32 = 10;
const ATR_RETRY: Duration = Duration::from_millis(50);

/// The card's ATR, asked in one call with buffers of the largest sizes. Not the size query
/// then the read (`status2_owned`): right after an insertion the reader's ATR can arrive
/// between the two calls, and the second then fails with "buffer too small" (seen under
/// Wine 10, whose winscard adds a round trip). An ATR not there yet is asked for again.
fn atr_of(card: &pcsc::Card) -> Result<Vec<u8>, CardError> {
    let mut names = [0u8; 2048];
    let mut atr = [0u8; pcsc::MAX_ATR_SIZE];
    for _ in 0..ATR_TRIES {
        match card.status2(&mut names, &mut atr) {
            Ok(status) if !status.atr().is_empty() => return Ok(status.atr().to_vec()),
            Ok(_) | Err(pcsc::Error::InsufficientBuffer) => std::thread::sleep(ATR_RETRY),
            Err(error) => return Err(error.into()),
        }
    }
    Err(CardError::CardUnreadable(
        "the reader gave no ATR for the card".into(),
    ))
}

/// SELECT, the planned READs and the laser ID of the card whose ATR is `atr`, over
/// `channel`: the one read of every caller, over PC/SC or over a card in memory (the
/// golden-file tests). `card_left` tells whether the card has gone, for an empty answer.
pub fn read_over<C: CardChannel>(
    channel: C,
    atr: Vec<u8>,
    plan: &ReadPlan,
    card_left: impl Fn() -> bool,
) -> Result<CardRead, CardError>
where
    CardError: From<C::Error>,
{
    let mut session = CardSession::new(channel, &atr);
    let removed_or = |error: ReadError<C::Error>| match error {
        // Some readers (vpcd among them) first report a pulled card as an empty answer.
        ReadError::Malformed {
            problem: Malformed::NoStatusWord(0),
            ..
        } if card_left() => CardError::CardRemoved,
        error => <CardError as From<ReadError<C::Error>>>::from(error),
    };
    let image = session
        .select()
        .and_then(|()| session.read(plan))
        .map_err(removed_or)?;
    // A card pulled out, a reader gone: the read failed. An applet that answers oddly
    // only leaves the card without a laser ID (a login then cannot match a registered one).
    let laser = match session.read_laser().map_err(removed_or)? {
        LaserRead::Unreadable(LaserUnreadable::Malformed {
            problem: Malformed::NoStatusWord(0),
            ..
        }) if card_left() => return Err(CardError::CardRemoved),
        laser => laser,
    };
    match &laser {
        // The reason names status words and lengths, never the ID's characters.
        LaserRead::Unreadable(reason) => tracing::warn!("the card gave no laser ID: {reason}"),
        LaserRead::NoApplet => tracing::debug!("the card has no laser ID applet"),
        LaserRead::Id(_) => {}
    }
    Ok(CardRead { atr, image, laser })
}

/// Is the reader empty now, or within half a second?
fn card_left(context: &pcsc::Context, reader: &CStr) -> bool {
    let mut state = [pcsc::ReaderState::new(reader, pcsc::State::UNAWARE)];
    let present = |state: &pcsc::ReaderState| state.event_state().contains(pcsc::State::PRESENT);
    if context
        .get_status_change(Duration::ZERO, &mut state)
        .is_err()
        || !present(&state[0])
    {
        return true;
    }
    state[0].sync_current_state();
    let _ = context.get_status_change(Duration::from_millis(500), &mut state);
    !present(&state[0])
}
