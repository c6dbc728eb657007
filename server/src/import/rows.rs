//! Reading the HR export: UTF-8 (a spreadsheet's byte order mark is dropped), RFC 4180
//! quoting, a header naming the columns, then one person a row, each checked on its own
//! (user name, names, citizen ID with its check digit, system codes).

use super::{Refusal, MAX_NAME_CHARS};
use crate::users;
use thaiid_protocol::CitizenId;

/// The file's columns, in order; the last is optional.
pub const COLUMNS: [&str; 5] = ["username", "name_th", "name_en", "citizen_id", "systems"];

/// A file that cannot be read as a whole: nothing is imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error(
        "row {row} is not UTF-8 text: save the file from the spreadsheet as \"CSV UTF-8\" \
         (Thai names in TIS-620 or Windows-874 are not read)"
    )]
    NotUtf8 { row: u64 },
    #[error("the file is empty: its first row names the columns {}", COLUMNS.join(","))]
    Empty,
    #[error(
        "the first row names the columns {found:?}: expected username,name_th,name_en,\
         citizen_id and optionally systems"
    )]
    BadHeader { found: String },
    #[error("row {row}: {message}")]
    Unreadable { row: u64, message: String },
}

/// A person as a row gives them, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub username: String,
    pub name_th: String,
    pub name_en: String,
    pub citizen_id: String,
    /// System codes, each once, in the file's order.
    pub systems: Vec<String>,
}

/// A row of the file: where it is, what the report may show of it, and the person or
/// why not.
#[derive(Debug, Clone)]
pub struct Row {
    pub row: u64,
    pub username: String,
    pub citizen_id_masked: Option<String>,
    pub person: Result<Person, Refusal>,
}

/// The rows of `csv`, after its header.
pub fn read(csv: &[u8]) -> Result<Vec<Row>, FileError> {
    let text = std::str::from_utf8(csv).map_err(|error| FileError::NotUtf8 {
        row: line_of(csv, error.valid_up_to()),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The csv crate counts a CRLF record's line from its LF, one row early: LF alone.
    // (A line end inside a quoted name becomes LF, still a control character: refused.)
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records
        .next()
        .ok_or(FileError::Empty)?
        .map_err(unreadable)?;
    let names: Vec<String> = header.iter().map(str::to_ascii_lowercase).collect();
    if !(names == COLUMNS[..4] || names == COLUMNS) {
        return Err(FileError::BadHeader {
            found: header.iter().collect::<Vec<_>>().join(","),
        });
    }
    records
        .map(|record| {
            let record = record.map_err(unreadable)?;
            let row = record.position().map_or(0, |at| at.line());
            let fields: Vec<&str> = record.iter().collect();
            Ok(Row {
                row,
                username: fields.first().copied().unwrap_or_default().to_owned(),
                citizen_id_masked: fields
                    .get(3)
                    .and_then(|id| CitizenId::parse(id).ok())
                    .map(|id| id.masked()),
                person: person(&fields),
            })
        })
        .collect()
}

/// The line `offset` falls on, counted from 1.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64
}

fn unreadable(error: csv::Error) -> FileError {
    let row = error.position().map_or(0, |at| at.line());
    FileError::Unreadable {
        row,
        message: error.to_string(),
    }
}

fn person(fields: &[&str]) -> Result<Person, Refusal> {
    let [username, name_th, name_en, citizen_id, rest @ ..] = fields else {
        return Err(Refusal::Columns(fields.len()));
    };
    if rest.len() > 1 {
        return Err(Refusal::Columns(fields.len()));
    }
    users::check_username(username).map_err(|_| Refusal::BadUsername)?;
    if name_th.is_empty() {
        return Err(Refusal::NoThaiName);
    }
    for name in [name_th, name_en] {
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Refusal::BadName);
        }
    }
    if !CitizenId::parse(citizen_id).is_ok_and(|id| id.check_digit_valid()) {
        return Err(Refusal::BadCitizenId);
    }
    let mut systems: Vec<String> = Vec::new();
    for code in rest.first().copied().unwrap_or_default().split_whitespace() {
        if !systems.iter().any(|seen| seen == code) {
            systems.push(code.to_owned());
        }
    }
    Ok(Person {
        username: (*username).to_owned(),
        name_th: (*name_th).to_owned(),
        name_en: (*name_en).to_owned(),
        citizen_id: (*citizen_id).to_owned(),
        systems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "username,name_th,name_en,citizen_id,systems\n";

    fn people(body: &str) -> Vec<(u64, Result<Person, Refusal>)> {
        read(format!("{HEADER}{body}").as_bytes())
            .unwrap()
            .into_iter()
            .map(|row| (row.row, row.person))
            .collect()
    }

    #[test]
    fn quoted_fields_thai_names_and_a_byte_order_mark_are_read() {
        let csv = "\u{feff}username,name_th,name_en,citizen_id\r\n\
                   somchai.t,\"นาย สมชาย, ทดสอบ\",\"Somchai \"\"Tee\"\" T.\",1101700203450\n";
        let rows = read(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 2);
        assert_eq!(
            rows[0].citizen_id_masked.as_deref(),
            Some("1-1017-xxxxx-xx-0")
        );
        let person = rows[0].person.clone().unwrap();
        assert_eq!(person.name_th, "นาย สมชาย, ทดสอบ");
        assert_eq!(person.name_en, "Somchai \"Tee\" T.");
        assert!(person.systems.is_empty());
    }

    #[test]
    fn each_bad_row_is_refused_with_its_reason_and_row() {
        let rows = people(
            "a.b,ก,A,1101700203451\n\
             a b,ก,A,1101700203450\n\
             a.b,,A,1101700203450\n\
             a.b,ก,A\n\
             a.b,ก,A,1101700203450,01 02,extra\n\
             a.b,\"ก\nข\",A,1101700203450\n\
             a.b,ก,A,110170020345\n\
             a.b,ก,A,1101700203450, 01010101  01010101 02020202 \n",
        );
        let refusals: Vec<(u64, Result<Person, Refusal>)> = rows.clone();
        assert_eq!(refusals[0], (2, Err(Refusal::BadCitizenId)));
        assert_eq!(refusals[1], (3, Err(Refusal::BadUsername)));
        assert_eq!(refusals[2], (4, Err(Refusal::NoThaiName)));
        assert_eq!(refusals[3], (5, Err(Refusal::Columns(3))));
        assert_eq!(refusals[4], (6, Err(Refusal::Columns(6))));
        assert_eq!(refusals[5], (7, Err(Refusal::BadName)));
        // The quoted line end moved the next row one line down.
        assert_eq!(refusals[6], (9, Err(Refusal::BadCitizenId)));
        let systems = rows[7].1.clone().unwrap().systems;
        assert_eq!(systems, ["01010101", "02020202"]);
    }

    #[test]
    fn a_file_that_is_not_utf8_or_has_no_header_is_refused_whole() {
        let tis620 = b"username,name_th,name_en,citizen_id\na,\xca\xc1,A,1101700203450\n";
        assert!(matches!(read(tis620), Err(FileError::NotUtf8 { row: 2 })));
        assert!(matches!(read(b""), Err(FileError::Empty)));
        let no_header = "somchai.t,สมชาย,Somchai,1101700203450\n";
        let refused = read(no_header.as_bytes()).unwrap_err();
        assert!(refused.to_string().contains("expected username,name_th"));
    }
}
