//! The protocol crate's card channel over a PC/SC transaction.

use thaiid_protocol::transport::CardChannel;

/// Transmits inside an open transaction, so no other program interleaves its commands.
pub struct TransactionChannel<'a, 'tx>(pub &'a pcsc::Transaction<'tx>);

impl CardChannel for TransactionChannel<'_, '_> {
    type Error = pcsc::Error;

    fn transmit<'a>(
        &mut self,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error> {
        let answer = self.0.transmit(command, answer);
        tracing::trace!(
            target: crate::logging::APDU_TARGET,
            "{}",
            super::trace::exchange(command, answer.as_deref())
        );
        answer
    }
}
