//! The `--verbose` APDU trace: each command in full, each answer as its length and
//! status word only, since what the card answers is the person's data.

use thaiid_protocol::apdu::split_answer;
use thaiid_protocol::hex;

/// One exchange, as a log line without personal data.
pub fn exchange(command: &[u8], answer: Result<&[u8], &pcsc::Error>) -> String {
    let answer = match answer.map(split_answer) {
        Ok(Some((data, sw))) => format!("{} data bytes (masked), {sw}", data.len()),
        Ok(None) => "an answer too short for a status word".to_owned(),
        Err(error) => format!("failed: {error}"),
    };
    format!("> {}  < {answer}", hex::spaced(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_and_answers_masked() {
        let citizen_id = b"1103700123458";
        let mut answer = citizen_id.to_vec();
        answer.extend_from_slice(&[0x90, 0x00]);
        let line = exchange(&[0x80, 0xB0, 0x00, 0x04, 0x02, 0x00, 0x0D], Ok(&answer));
        assert!(
            line.starts_with("> 80 B0 00 04 02 00 0D  < 13 data bytes (masked), 90 00"),
            "{line}"
        );
        assert!(!line.contains("31 31 30"), "{line}");
        assert!(!line.contains("1103700123458"), "{line}");
        let line = exchange(&[0x00], Err(&pcsc::Error::RemovedCard));
        assert!(line.contains("failed"), "{line}");
        assert!(exchange(&[0x00], Ok(&[0x90])).contains("too short"));
    }
}
