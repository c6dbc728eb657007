//! The demo's data: a handful of the administration's systems and one synthetic person,
//! นายสมชาย ทดสอบ, whose card is the virtual card's demo fixture (citizen ID
//! 1103700123458, registered as the account's card), with a password and an OTP so both
//! ways of logging in can be tried.
//! Seeding twice changes nothing.

use crate::card_key::CardKey;
use crate::cards::{self, CardError};
use crate::db::Pool;
use crate::otp::{self, OtpError};
use crate::otp_key::{OtpKey, OtpKeyError};
use crate::systems::{self, SystemError};
use crate::users::{self, UserError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    #[error("the demo account: {0}")]
    User(#[from] UserError),
    #[error("the demo systems: {0}")]
    System(#[from] SystemError),
    #[error("the demo card: {0}")]
    Card(#[from] CardError),
    #[error("the demo OTP: {0}")]
    OtpKey(#[from] OtpKeyError),
    #[error("the demo OTP: {0}")]
    Otp(#[from] OtpError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

pub const USERNAME: &str = "somchai.t";
pub const DISPLAY_NAME: &str = "นายสมชาย ทดสอบ";
pub const PASSWORD: &str = "demo-password-2569";
/// The demo fixture's citizen ID (synthetic, right check digit).
pub const CITIZEN_ID: &str = "1103700123458";
/// The demo fixture's card serial (fixtures/cards/demo.toml): the demo account's
/// registered card.
pub const CARD_SERIAL: &str = "13020112345678";
/// The demo fixture's laser ID (fixtures/cards/demo.toml), registered with the serial.
pub const LASER_ID: Option<&str> = Some("JT0-1234567-89");

/// (code, name, may the demo person use it)
pub const SYSTEMS: &[(&str, &str, bool)] = &[
    ("01010101", "ระบบข้อมูลและช่วยงานระบบคอมพิวเตอร์", true),
    ("01010102", "ระบบสารบรรณอิเล็กทรอนิกส์", true),
    ("02010101", "ระบบบริหารงานบุคคล", true),
    ("03010101", "ระบบงบประมาณและการเงิน", false),
    ("04010101", "ระบบทะเบียนราษฎร (สำหรับเจ้าหน้าที่)", false),
];

/// The demo account as seeded: its OTP secret (base32) lets the demo print the code.
pub struct Seeded {
    pub otp_secret: String,
}

pub async fn seed(
    pool: &Pool,
    key: &OtpKey,
    card_key: &CardKey,
    now: i64,
) -> Result<Seeded, DemoError> {
    // A system IT changed (its URL, as the demo's OpenID Connect client) stays as it is.
    let existing = systems::all(pool).await?;
    for (code, name, _) in SYSTEMS {
        if !existing.iter().any(|system| system.code == *code) {
            systems::put(pool, code, name, "").await?;
        }
    }
    let existing = users::find(pool, USERNAME).await?;
    if existing.is_none() {
        users::add(pool, USERNAME, DISPLAY_NAME, Some(CITIZEN_ID), now).await?;
        users::set_details(
            pool,
            USERNAME,
            None,
            Some("กองเทคโนโลยีสารสนเทศ"),
            Some("somchai.t@example.go.th"),
        )
        .await?;
        users::set_password(pool, USERNAME, PASSWORD).await?;
    }
    // Also in a demo database from before registered cards.
    let registered = cards::registered(pool, USERNAME).await?;
    if registered.is_none() {
        let laser = cards::LaserEntry::as_read(LASER_ID);
        cards::register_by_it(pool, card_key, USERNAME, CARD_SERIAL, laser, now).await?;
    }
    let otp_secret = match existing.and_then(|account| account.totp_secret) {
        Some(stored) => key.open(&stored, USERNAME)?,
        None => users::enrol_otp(pool, key, USERNAME).await?,
    };
    for (code, _, granted) in SYSTEMS {
        if *granted {
            systems::grant(pool, USERNAME, code).await?;
        }
    }
    Ok(Seeded { otp_secret })
}

/// The demo account's OTP code now, as its mobile app would show it.
pub fn otp_now(seeded: &Seeded, now: i64) -> Result<String, OtpError> {
    otp::code_at(&seeded.otp_secret, now as u64)
}
