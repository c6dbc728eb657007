//! The virtual Thai national ID card used by the end-to-end tests and the demo, and the
//! synthetic card fixtures it serves.
//!
//! The card is a real vpcd client: pcscd and every PC/SC program see it in the reader
//! "Virtual PCD 00 <slot>" exactly as they would see a real card.
//!
//! ```no_run
//! use thaiid_tests::{CardFixture, Faults, ReaderLock, VirtualCard};
//!
//! let _reader = ReaderLock::acquire(1)?;
//! let card = VirtualCard::new(1, CardFixture::named("demo")?, Faults::default());
//! card.insert()?;
//! // ... run the agent against "Virtual PCD 00 01" ...
//! assert!(card.commands().iter().all(|c| c.kind() != thaiid_tests::CommandKind::Other));
//! card.remove()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod card;
pub mod fixture;
pub mod reader;
pub mod virtual_card;
pub mod vpcd;

pub use card::{Card, CardStats, Command, CommandKind, Faults};
pub use fixture::{cards_dir, fixtures_dir, Answer, CardFixture, FixtureError, LaserAnswer};
pub use reader::{reader_name, Presence, ReaderError, ReaderLock};
pub use virtual_card::{VirtualCard, VirtualCardError};
pub use vpcd::SessionEnd;
