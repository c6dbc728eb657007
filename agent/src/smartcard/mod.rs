//! The PC/SC side of the agent: readers, waiting for a card, reading it.
//! Every call here blocks; async code must run it on its own thread.

mod channel;
mod error;
mod read;
mod readers;
mod trace;

pub use error::{exit, CardError};
pub use read::{read_card, read_over, CardRead};
pub use readers::{list_readers, still_inserted, wait_for_card, ReaderStatus};
