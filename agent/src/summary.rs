//! The short human summary `thaiid-agent read` prints without `--json`: Thai labels,
//! English in brackets, citizen ID masked (the screen may be seen by others).

use std::fmt::Write;
use thaiid_protocol::decode::{Gender, Name};
use thaiid_protocol::{BuddhistDate, Card};

pub fn summary(card: &Card) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{label}: {value}");
    };
    let check = match card.citizen_id_valid {
        true => "",
        false => "  ⚠ เลขตรวจสอบไม่ถูกต้อง (check digit wrong)",
    };
    line(
        "เลขประจำตัวประชาชน (Citizen ID)",
        &format!("{}{check}", card.citizen_id.masked()),
    );
    line("ชื่อ (Name)", &full_name(&card.name_th));
    line("Name", &full_name(&card.name_en));
    line("เกิดวันที่ (Date of birth)", &date(&card.date_of_birth));
    line(
        "เพศ (Gender)",
        match card.gender {
            Gender::Male => "ชาย (male)",
            Gender::Female => "หญิง (female)",
            Gender::Unknown => "ไม่ระบุ (unknown)",
        },
    );
    line("วันออกบัตร (Issued)", &date(&card.issue_date));
    line("วันบัตรหมดอายุ (Expires)", &date(&card.expiry_date));
    if let Some(photo) = &card.photo {
        line("รูปถ่าย (Photo)", &format!("{} bytes", photo.jpeg().len()));
    }
    out
}

fn full_name(name: &Name) -> String {
    [&name.prefix, &name.first, &name.middle, &name.last]
        .into_iter()
        .filter(|part| !part.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `DD/MM/YYYY` in the Buddhist era as Thai documents write it; `-` for an unknown part.
fn date(date: &BuddhistDate) -> String {
    if date.is_lifelong() {
        return "ตลอดชีพ (lifelong)".to_owned();
    }
    let part = |value: Option<u8>| value.map_or("-".to_owned(), |v| format!("{v:02}"));
    format!(
        "{}/{}/{}",
        part(date.day()),
        part(date.month()),
        &date.raw()[..4]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use thaiid_protocol::layout::Field;

    #[test]
    fn dates_as_thai_documents_write_them() {
        let parse = |raw| BuddhistDate::parse(Field::IssueDate, raw).unwrap();
        assert_eq!(date(&parse("25350229")), "29/02/2535");
        assert_eq!(date(&parse("25200700")), "-/07/2520");
        assert_eq!(date(&parse("99999999")), "ตลอดชีพ (lifelong)");
    }

    #[test]
    fn names_skip_the_empty_middle() {
        let name = Name {
            prefix: "นาย".into(),
            first: "สมศักดิ์".into(),
            middle: String::new(),
            last: "ทองดี".into(),
        };
        assert_eq!(full_name(&name), "นาย สมศักดิ์ ทองดี");
    }
}
