//! The Thai national ID card, without I/O.
//!
//! - [`layout`]: where each field lives in the card's one flat file, and how to read
//!   adjacent fields in the fewest commands ([`layout::ReadPlan`]).
//! - [`apdu`] and [`transport`]: the commands the card understands and the exchange
//!   rules (61xx + GET RESPONSE, the `3B 67` ATR rule, 6Cxx resend), over any
//!   [`transport::CardChannel`] the caller brings (PC/SC in the agent, memory in tests).
//! - [`decode`] and [`card`]: TIS-620 text, names, addresses, Buddhist-era dates,
//!   citizen ID and photo, decoded into the [`card::Card`] model that prints as the
//!   agent's card JSON.
//! - [`assertion`]: the ES256 card assertion the agent signs and the server verifies.

#![warn(missing_docs)]

pub mod apdu;
pub mod api;
pub mod assertion;
pub mod card;
pub mod citizen_id;
pub mod date;
pub mod decode;
pub mod hex;
pub mod image;
pub mod laser;
pub mod layout;
pub mod origin;
pub mod photo;
pub mod transport;

pub use card::Card;
pub use citizen_id::CitizenId;
pub use date::BuddhistDate;
pub use image::CardImage;
pub use laser::LaserId;
pub use layout::{Field, ReadPlan};
