//! The audit log's rows as files an auditor takes away: CSV (RFC 4180: a header, CRLF,
//! quotes where needed) with every cell a spreadsheet could take for a formula made
//! inert, and JSON Lines (one object a row). Only what the log holds: citizen IDs and card
//! serials as it stored them (masked), nothing added.

use crate::audit::Entry;
use crate::audit_search::Found;
use thaiid_protocol::date::THAI_UTC_OFFSET_SECS;

/// The columns, in order: the CSV header and the JSON objects' keys.
pub const COLUMNS: [&str; 13] = [
    "time",
    "method",
    "outcome",
    "username",
    "actor",
    "system",
    "detail",
    "citizen_id",
    "card",
    "agent_id",
    "remote",
    "amr",
    "id",
];

/// The moment in Thailand's time with its offset: `2026-12-06T08:30:05+07:00`.
pub fn thai_rfc3339(unix_secs: i64) -> String {
    let local = thaiid_protocol::date::rfc3339_utc(unix_secs + THAI_UTC_OFFSET_SECS);
    format!("{}+07:00", local.trim_end_matches('Z'))
}

fn values(found: &Found) -> [Option<String>; 13] {
    let Entry {
        method,
        outcome,
        username,
        actor,
        system,
        detail,
        citizen_id,
        card,
        agent_id,
        remote,
        amr,
        ..
    } = &found.row.entry;
    [
        Some(thai_rfc3339(found.row.at)),
        Some(method.as_str().to_owned()),
        Some(outcome.clone()),
        username.clone(),
        actor.clone(),
        system.clone(),
        detail.clone(),
        citizen_id.clone(),
        card.clone(),
        agent_id.clone(),
        remote.clone(),
        amr.map(|amr| amr.as_str().to_owned()),
        Some(found.id.clone()),
    ]
}

/// The CSV's first line.
pub fn csv_header() -> String {
    format!("{}\r\n", COLUMNS.join(","))
}

/// One row of the CSV, CRLF-terminated.
pub fn csv_row(found: &Found) -> String {
    let cells: Vec<String> = values(found)
        .iter()
        .map(|value| csv_cell(value.as_deref().unwrap_or_default()))
        .collect();
    format!("{}\r\n", cells.join(","))
}

/// A cell: text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a leading `'` (OWASP's advice), then RFC 4180's
/// quoting where the text holds a comma, quote or line break.
pub fn csv_cell(text: &str) -> String {
    let inert = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    };
    if inert.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", inert.replace('"', "\"\""))
    } else {
        inert
    }
}

/// One line of the JSON Lines export, newline-terminated.
pub fn json_line(found: &Found) -> String {
    let mut object = serde_json::Map::new();
    object.insert("at".into(), found.row.at.into());
    for (key, value) in COLUMNS.iter().zip(values(found)) {
        object.insert((*key).into(), value.into());
    }
    let mut line = serde_json::Value::Object(object).to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Logged, Method};

    fn found(detail: &str) -> Found {
        let mut entry = Entry::new(Method::Role);
        entry.outcome = "OK".into();
        entry.username = Some("malee.s".into());
        entry.actor = Some("somchai.t".into());
        entry.detail = Some(detail.into());
        Found {
            id: "0001".into(),
            row: Logged {
                at: 1_796_520_605,
                entry,
            },
        }
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_inert() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\t=1"), "'\t=1");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("1-1037-xxxxx-xx-8"), "1-1037-xxxxx-xx-8");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn a_row_in_csv_and_json_lines() {
        let row = found("helpdesk granted");
        assert_eq!(
            csv_header(),
            "time,method,outcome,username,actor,system,detail,citizen_id,card,agent_id,remote,amr,id\r\n"
        );
        assert_eq!(
            csv_row(&row),
            "2026-12-06T08:30:05+07:00,role,OK,malee.s,somchai.t,,helpdesk granted,,,,,,0001\r\n"
        );
        let line = json_line(&row);
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(object["time"], "2026-12-06T08:30:05+07:00");
        assert_eq!(object["at"], 1_796_520_605);
        assert_eq!(object["actor"], "somchai.t");
        assert_eq!(object["system"], serde_json::Value::Null);
    }
}
