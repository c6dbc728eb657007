//! `thaiid-server demo seed|otp`: the demo's systems and synthetic account.

use super::{card_key, otp_key, Outcome};
use crate::cli::DemoCommand;
use crate::db::Pool;
use crate::{card_key as cards, demo};

pub async fn run(pool: &Pool, command: DemoCommand, now: i64) -> Outcome {
    let seeded = demo::seed(pool, &otp_key()?, &card_key()?, now).await?;
    match command {
        DemoCommand::Seed => println!(
            "demo account: {} / {} (OTP: thaiid-server demo otp), card {} (serial {})",
            demo::USERNAME,
            demo::PASSWORD,
            thaiid_protocol::CitizenId::parse(demo::CITIZEN_ID)?.masked(),
            cards::masked_serial(demo::CARD_SERIAL)
        ),
        DemoCommand::Otp => println!("{}", demo::otp_now(&seeded, now)?),
    }
    Ok(())
}
