//! `thaiid-agent readers`.

use crate::error::AgentError;
use crate::smartcard::{list_readers, CardError};

pub fn run(json: bool) -> Result<(), AgentError> {
    let context = pcsc::Context::establish(pcsc::Scope::User)?;
    let readers = list_readers(&context)?;
    if json {
        let list: Vec<serde_json::Value> = readers
            .iter()
            .map(|r| serde_json::json!({"name": r.name, "card_present": r.card_present}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for reader in &readers {
            let state = match reader.card_present {
                true => "มีบัตร (card present)",
                false => "ว่าง (empty)",
            };
            println!("{}\t{state}", reader.name);
        }
    }
    if readers.is_empty() {
        return Err(CardError::NoReader.into());
    }
    Ok(())
}
