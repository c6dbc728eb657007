//! A card that answers from a list, one answer a command, for the fuzz targets.

use thaiid_protocol::transport::CardChannel;

/// The answers still to give; a command past the last one finds the card gone.
pub struct Replay(std::vec::IntoIter<Vec<u8>>);

/// No answer left: the channel fails, as when the card is pulled out.
#[derive(Debug)]
pub struct Dry;

impl std::fmt::Display for Dry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no more answers")
    }
}

impl std::error::Error for Dry {}

impl Replay {
    pub fn new(answers: Vec<Vec<u8>>) -> Replay {
        Replay(answers.into_iter())
    }

    /// Answers taken from the input: a length byte, then that many bytes, again and again.
    pub fn from_input(mut input: &[u8]) -> Replay {
        let mut answers = Vec::new();
        while let Some((&len, rest)) = input.split_first() {
            let (answer, rest) = rest.split_at(usize::from(len).min(rest.len()));
            answers.push(answer.to_vec());
            input = rest;
        }
        Replay::new(answers)
    }
}

impl CardChannel for Replay {
    type Error = Dry;

    fn transmit<'b>(&mut self, _command: &[u8], answer: &'b mut [u8]) -> Result<&'b [u8], Dry> {
        let next = self.0.next().ok_or(Dry)?;
        let len = next.len().min(answer.len());
        answer[..len].copy_from_slice(&next[..len]);
        Ok(&answer[..len])
    }
}
