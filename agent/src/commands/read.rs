//! `thaiid-agent read`.

use crate::cli::ReadArgs;
use crate::error::AgentError;
use crate::smartcard::{read_card, wait_for_card};
use crate::summary::summary;
use thaiid_protocol::layout::Field;
use thaiid_protocol::{Card, ReadPlan};

pub fn run(args: &ReadArgs) -> Result<(), AgentError> {
    let context = pcsc::Context::establish(pcsc::Scope::User)?;
    let reader = wait_for_card(&context, args.reader.as_deref(), args.wait)?;
    let fields: &[Field] = match args.photo {
        Some(_) => &Field::ALL,
        None => &Field::TEXT,
    };
    let card = read_card(&context, &reader, &ReadPlan::new(fields))?.decode()?;
    if let (Some(path), Some(photo)) = (&args.photo, &card.photo) {
        std::fs::write(path, photo.jpeg()).map_err(|source| AgentError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    let output = match args.json {
        true => card_json(&card),
        false => summary(&card),
    };
    print!("{output}");
    Ok(())
}

/// What `read --json` prints for `card` (SPEC §4): the golden files hold exactly this.
pub fn card_json(card: &Card) -> String {
    serde_json::to_string_pretty(card).expect("the card model always serializes") + "\n"
}
