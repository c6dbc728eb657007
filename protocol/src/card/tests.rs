use super::*;
use crate::layout::FILE_LEN;
use encoding_rs::WINDOWS_874;
use serde_json::json;

/// A synthetic card file: each field TIS-620 encoded and padded with spaces.
fn card_file(fields: &[(Field, &str)]) -> Vec<u8> {
    let mut file = vec![b' '; usize::from(FILE_LEN)];
    for (field, text) in fields {
        let (bytes, _, unmappable) = WINDOWS_874.encode(text);
        assert!(
            !unmappable && bytes.len() <= usize::from(field.len()),
            "{field}"
        );
        let start = usize::from(field.offset());
        file[start..start + bytes.len()].copy_from_slice(&bytes);
    }
    file
}

fn somsak() -> Vec<(Field, &'static str)> {
    vec![
        (Field::Version, "0003"),
        (Field::CitizenId, "1101700203450"),
        (Field::NameTh, "นาย#สมศักดิ์##ทองดี"),
        (Field::NameEn, "Mr.#Somsak##Thongdee"),
        (Field::DateOfBirth, "25350229"),
        (Field::Gender, "1"),
        (Field::RequestNumber, "1017-01-01234567"),
        (Field::Issuer, "สำนักงานเขตพระนคร/กรุงเทพมหานคร"),
        (Field::IssuerCode, "1017000000000"),
        (Field::IssueDate, "25650115"),
        (Field::ExpiryDate, "25730228"),
        (Field::CardType, "01"),
        (
            Field::Address,
            "12/3#หมู่ที่ 4##ถนนตัวอย่าง##แขวงบวรนิเวศ#เขตพระนคร#กรุงเทพมหานคร",
        ),
        (Field::CardSerial, "0123456789AB"),
    ]
}

const ATR: [u8; 4] = [0x3B, 0x68, 0x00, 0xFF];

/// What a text read (no photo) brings back from `file`.
fn text_image(file: &[u8]) -> CardImage {
    let mut image = CardImage::new();
    for chunk in crate::ReadPlan::new(&Field::TEXT).chunks() {
        let start = usize::from(chunk.offset);
        image.put(chunk.offset, &file[start..start + usize::from(chunk.len)]);
    }
    image
}

fn decode(file: &[u8]) -> Result<Card, DecodeError> {
    Card::decode(&ATR, &text_image(file))
}

#[test]
fn decodes_to_the_card_json() {
    let card = decode(&card_file(&somsak())).unwrap();
    let expected = json!({
        "atr": "3B6800FF",
        "citizen_id": "1101700203450",
        "citizen_id_valid": true,
        "name_th": {"prefix": "นาย", "first": "สมศักดิ์", "middle": "", "last": "ทองดี"},
        "name_en": {"prefix": "Mr.", "first": "Somsak", "middle": "", "last": "Thongdee"},
        "date_of_birth": {"raw": "25350229", "year": 1992, "month": 2, "day": 29, "lifelong": false},
        "gender": "male",
        "issuer": "สำนักงานเขตพระนคร/กรุงเทพมหานคร",
        "issuer_code": "1017000000000",
        "issue_date": {"raw": "25650115", "year": 2022, "month": 1, "day": 15, "lifelong": false},
        "expiry_date": {"raw": "25730228", "year": 2030, "month": 2, "day": 28, "lifelong": false},
        "request_number": "1017-01-01234567",
        "card_serial": "0123456789AB",
        "laser_id": null,
        "card_type": "01",
        "version": "0003",
        "address": {
            "parts": ["12/3", "หมู่ที่ 4", "", "ถนนตัวอย่าง", "", "แขวงบวรนิเวศ", "เขตพระนคร", "กรุงเทพมหานคร"],
            "house_no": "12/3", "village_no": "หมู่ที่ 4", "lane": "", "road": "ถนนตัวอย่าง",
            "subdistrict": "แขวงบวรนิเวศ", "district": "เขตพระนคร", "province": "กรุงเทพมหานคร"
        }
    });
    assert_eq!(serde_json::to_value(&card).unwrap(), expected);
    // Keys come out in the order of SPEC §4.
    let text = serde_json::to_string(&card).unwrap();
    let keys = [
        "\"atr\"",
        "\"citizen_id\"",
        "\"citizen_id_valid\"",
        "\"name_th\"",
        "\"name_en\"",
        "\"date_of_birth\"",
        "\"gender\"",
        "\"issuer\"",
        "\"issuer_code\"",
        "\"issue_date\"",
        "\"expiry_date\"",
        "\"request_number\"",
        "\"card_serial\"",
        "\"laser_id\"",
        "\"card_type\"",
        "\"version\"",
        "\"address\"",
    ];
    let positions: Vec<usize> = keys.iter().map(|key| text.find(key).unwrap()).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
}

#[test]
fn a_wrong_check_digit_is_reported_and_the_card_still_shown() {
    let mut fields = somsak();
    fields[1] = (Field::CitizenId, "1101700203451");
    let card = decode(&card_file(&fields)).unwrap();
    assert!(!card.citizen_id_valid);
    assert_eq!(card.name_en.first, "Somsak");
}

#[test]
fn the_photo_is_there_only_when_read() {
    let mut file = card_file(&somsak());
    let start = usize::from(Field::Photo.offset());
    file[start..start + 4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xD9]);
    let whole = CardImage::from_file(&file).unwrap();
    let card = Card::decode(&ATR, &whole).unwrap();
    assert_eq!(card.photo.unwrap().jpeg(), [0xFF, 0xD8, 0xFF, 0xD9]);

    let card = decode(&file).unwrap();
    assert!(card.photo.is_none());
    assert!(serde_json::to_value(&card).unwrap().get("photo").is_none());
}

#[test]
fn a_field_not_read_is_named() {
    let mut image = CardImage::new();
    image.put(0, &card_file(&somsak())[..0x100]);
    assert_eq!(
        Card::decode(&ATR, &image).unwrap_err(),
        Problem::NotRead.at(Field::Issuer)
    );
}

#[test]
fn each_bad_field_names_itself() {
    for (field, text, problem) in [
        (
            Field::CitizenId,
            "11017002O3450",
            "12 of them digits, where 13 digits belong",
        ),
        (Field::NameTh, "นายสมศักดิ์ ทองดี", "parts where a name has"),
        (Field::DateOfBirth, "2535022", "not 8 digits"),
        (Field::ExpiryDate, "25731301", "month out of range"),
        (Field::Address, "1#2#3", "parts where an address has 7 or 8"),
    ] {
        let mut fields = somsak();
        fields.retain(|(f, _)| *f != field);
        fields.push((field, text));
        let err = decode(&card_file(&fields)).unwrap_err();
        assert_eq!(err.field, field);
        assert!(err.to_string().contains(problem), "{err}");
    }
}

#[test]
fn a_photo_read_but_missing_is_an_error() {
    let file = card_file(&somsak());
    let err = Card::decode(&ATR, &CardImage::from_file(&file).unwrap()).unwrap_err();
    assert_eq!(err.field, Field::Photo);
}
