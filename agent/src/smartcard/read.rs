//! One read of a card: connect, one transaction, SELECT, the planned READs, decode.

use super::channel::TransactionChannel;
use crate::error::AgentError;
use std::ffi::CStr;
use thaiid_protocol::transport::CardSession;
use thaiid_protocol::{Card, CardImage, ReadPlan};

/// What one read brought back.
pub struct CardRead {
    pub atr: Vec<u8>,
    pub image: CardImage,
}

impl CardRead {
    pub fn decode(&self) -> Result<Card, AgentError> {
        Ok(Card::decode(&self.atr, &self.image)?)
    }
}

/// Reads `plan` from the card in `reader`. Nothing is returned unless every READ succeeded.
pub fn read_card(
    context: &pcsc::Context,
    reader: &CStr,
    plan: &ReadPlan,
) -> Result<CardRead, AgentError> {
    let mut card = context.connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
    let atr = card.status2_owned()?.atr().to_vec();
    let transaction = card.transaction()?;
    let mut session = CardSession::new(TransactionChannel(&transaction), &atr);
    session.select()?;
    let image = session.read(plan)?;
    // The data is in hand: a failure to end the transaction (card just pulled) loses nothing.
    let _ = transaction.end(pcsc::Disposition::LeaveCard);
    Ok(CardRead { atr, image })
}
