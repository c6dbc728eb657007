//! A card that plays back a transcript, for the transport's tests: each test lists the
//! exact commands the session must send and what the card answers to each.

use super::CardChannel;
use crate::hex::{parse, spaced};

/// A card that plays back a transcript and fails the test on any other command.
pub struct Transcript {
    steps: Vec<(Vec<u8>, Vec<u8>)>,
    next: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("card removed")]
pub struct Removed;

pub const REMOVED: &str = "<removed>";

impl Transcript {
    pub fn new(steps: &[(&str, &str)]) -> Transcript {
        let steps = steps
            .iter()
            .map(|(command, answer)| {
                let answer = if *answer == REMOVED {
                    Vec::new()
                } else {
                    parse(answer).expect("answer hex")
                };
                (parse(command).expect("command hex"), answer)
            })
            .collect();
        Transcript { steps, next: 0 }
    }

    pub fn finished(&self) -> bool {
        self.next == self.steps.len()
    }
}

impl CardChannel for Transcript {
    type Error = Removed;

    fn transmit<'a>(&mut self, command: &[u8], answer: &'a mut [u8]) -> Result<&'a [u8], Removed> {
        let (expected, reply) = self.steps.get(self.next).unwrap_or_else(|| {
            panic!("unexpected extra command {}", spaced(command));
        });
        assert_eq!(spaced(command), spaced(expected), "command #{}", self.next);
        self.next += 1;
        if reply.is_empty() {
            return Err(Removed);
        }
        answer[..reply.len()].copy_from_slice(reply);
        Ok(&answer[..reply.len()])
    }
}
