//! Any bytes into any decoder, and any answers from a card: a value or an error, never a panic.

use proptest::prelude::*;
use thaiid_protocol::decode::{self, Address};
use thaiid_protocol::layout::{Field, FILE_LEN};
use thaiid_protocol::photo::Photo;
use thaiid_protocol::transport::{CardChannel, CardSession};
use thaiid_protocol::{BuddhistDate, Card, CardImage, CitizenId, ReadPlan};

fn any_field() -> impl Strategy<Value = Field> {
    prop::sample::select(Field::ALL.to_vec())
}

/// Text biased towards what cards carry: TIS-620 Thai, digits, '#', spaces and garbage.
fn card_like_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => 0xA1u8..=0xFB,
            2 => prop::sample::select(b"0123456789# ".to_vec()),
            1 => any::<u8>(),
        ],
        0..max,
    )
}

proptest! {
    #[test]
    fn text_decoders_never_panic(field in any_field(), bytes in card_like_bytes(200)) {
        if let Ok(text) = decode::text(field, &bytes) {
            prop_assert_eq!(text.trim(), text.as_str());
            let _ = decode::name(field, &text);
            let _ = Address::parse(&text);
            let _ = BuddhistDate::parse(field, &text);
            let _ = decode::gender(&text);
            if let Ok(id) = CitizenId::parse(&text) {
                let _ = id.check_digit_valid();
                prop_assert!(id.masked().contains("xxxxx"));
            }
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,120}") {
        let _ = decode::name(Field::NameTh, &text);
        let _ = Address::parse(&text);
        let _ = BuddhistDate::parse(Field::IssueDate, &text);
        let _ = CitizenId::parse(&text);
    }

    #[test]
    fn eight_digit_strings_are_dates_or_errors(raw in "[0-9]{8}") {
        if let Ok(date) = BuddhistDate::parse(Field::DateOfBirth, &raw) {
            prop_assert_eq!(date.raw(), raw.as_str());
            prop_assert!(date.month().is_none_or(|m| (1..=12).contains(&m)));
            prop_assert!(date.day().is_none_or(|d| (1..=31).contains(&d)));
        }
    }

    #[test]
    fn photo_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..600), jpeg_start in any::<bool>()) {
        if jpeg_start {
            bytes.splice(0..0, [0xFF, 0xD8]);
        }
        if let Ok(photo) = Photo::parse(&bytes) {
            prop_assert!(photo.jpeg().ends_with(&[0xFF, 0xD9]));
            prop_assert!(bytes.starts_with(photo.jpeg()));
        }
    }

    #[test]
    fn whole_card_decode_never_panics(
        head in card_like_bytes(0x179),
        tail in card_like_bytes(0x0E + 0xA0),
        photo in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut file = vec![b' '; usize::from(FILE_LEN)];
        file[..head.len()].copy_from_slice(&head);
        let photo_at = usize::from(Field::Photo.offset());
        file[photo_at..photo_at + photo.len()].copy_from_slice(&photo);
        let address_at = usize::from(Field::Address.offset());
        file[address_at..address_at + tail.len()].copy_from_slice(&tail);
        let image = CardImage::from_file(&file).expect("whole file");
        let _ = Card::decode(&[0x3B, 0x67], &image);
    }

    #[test]
    fn any_card_answers_give_a_value_or_an_error(
        answers in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..260), 1..60),
        atr in prop::collection::vec(any::<u8>(), 0..20),
        with_photo in any::<bool>(),
    ) {
        let channel = Babbler { answers, next: 0 };
        let mut session = CardSession::new(channel, &atr);
        let fields: &[Field] = if with_photo { &Field::ALL } else { &Field::TEXT };
        if session.select().is_ok() {
            if let Ok(image) = session.read(&ReadPlan::new(fields)) {
                let _ = Card::decode(&atr, &image);
            }
        }
    }
}

/// A card that answers whatever it was given, then runs dry.
struct Babbler {
    answers: Vec<Vec<u8>>,
    next: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("no more answers")]
struct Dry;

impl CardChannel for Babbler {
    type Error = Dry;

    fn transmit<'a>(&mut self, _command: &[u8], answer: &'a mut [u8]) -> Result<&'a [u8], Dry> {
        let reply = self.answers.get(self.next).ok_or(Dry)?;
        self.next += 1;
        let len = reply.len().min(answer.len());
        answer[..len].copy_from_slice(&reply[..len]);
        Ok(&answer[..len])
    }
}
