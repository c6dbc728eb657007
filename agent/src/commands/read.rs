//! `thaiid-agent read`.

use crate::cli::ReadArgs;
use crate::error::AgentError;
use crate::smartcard::{read_card, wait_for_card};
use crate::summary::summary;
use thaiid_protocol::layout::Field;
use thaiid_protocol::ReadPlan;

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
        true => {
            serde_json::to_string_pretty(&card).expect("the card model always serializes") + "\n"
        }
        false => summary(&card),
    };
    print!("{output}");
    Ok(())
}
