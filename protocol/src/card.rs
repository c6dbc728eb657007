//! The card as the agent shows it: every field decoded, in the shape of the card JSON.

use crate::citizen_id::CitizenId;
use crate::date::BuddhistDate;
use crate::decode::{self, Address, DecodeError, Gender, Name, Problem};
use crate::image::CardImage;
use crate::laser::LaserId;
use crate::layout::Field;
use crate::photo::Photo;
use serde::{Serialize, Serializer};

/// A decoded Thai national ID card (SPEC §4). Serializes to exactly the card JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Card {
    /// The card's answer to reset, as the reader gave it.
    #[serde(serialize_with = "upper_hex")]
    pub atr: Vec<u8>,
    /// The 13-digit citizen ID.
    #[serde(serialize_with = "citizen_id_str")]
    pub citizen_id: CitizenId,
    /// Is the check digit right? A wrong one is reported, the card is still shown.
    pub citizen_id_valid: bool,
    /// The holder's name in Thai.
    pub name_th: Name,
    /// The holder's name in English.
    pub name_en: Name,
    /// The holder's date of birth.
    pub date_of_birth: BuddhistDate,
    /// The holder's gender.
    pub gender: Gender,
    /// The issuing office, as the card writes it.
    pub issuer: String,
    /// The issuing office's code.
    pub issuer_code: String,
    /// When the card was issued.
    pub issue_date: BuddhistDate,
    /// When the card expires (or lifelong).
    pub expiry_date: BuddhistDate,
    /// The request number of the card's issue.
    pub request_number: String,
    /// The 14-digit number printed under the photo.
    pub card_serial: String,
    /// From the laser applet (set by the reader after [`Card::decode`]); `null` without one.
    pub laser_id: Option<LaserId>,
    /// The card type field (2 characters).
    pub card_type: String,
    /// The card's data version (4 characters).
    pub version: String,
    /// The holder's registered address.
    pub address: Address,
    /// The photo, when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<Photo>,
}

impl Card {
    /// Decodes every text field of `image`, and the photo if it was read.
    pub fn decode(atr: &[u8], image: &CardImage) -> Result<Card, DecodeError> {
        let text = |field| field_text(image, field);
        let date = |field| BuddhistDate::parse(field, &text(field)?);
        let citizen_id = CitizenId::parse(&text(Field::CitizenId)?)?;
        Ok(Card {
            atr: atr.to_vec(),
            citizen_id_valid: citizen_id.check_digit_valid(),
            citizen_id,
            name_th: decode::name(Field::NameTh, &text(Field::NameTh)?)?,
            name_en: decode::name(Field::NameEn, &text(Field::NameEn)?)?,
            date_of_birth: date(Field::DateOfBirth)?,
            gender: decode::gender(&text(Field::Gender)?),
            issuer: text(Field::Issuer)?,
            issuer_code: text(Field::IssuerCode)?,
            issue_date: date(Field::IssueDate)?,
            expiry_date: date(Field::ExpiryDate)?,
            request_number: text(Field::RequestNumber)?,
            card_serial: text(Field::CardSerial)?,
            laser_id: None,
            card_type: text(Field::CardType)?,
            version: text(Field::Version)?,
            address: Address::parse(&text(Field::Address)?)?,
            photo: image.field(Field::Photo).map(Photo::parse).transpose()?,
        })
    }
}

fn raw(image: &CardImage, field: Field) -> Result<&[u8], DecodeError> {
    image.field(field).ok_or(Problem::NotRead.at(field))
}

/// One field's text, decoded from what was read.
pub(crate) fn field_text(image: &CardImage, field: Field) -> Result<String, DecodeError> {
    decode::text(field, raw(image, field)?)
}

fn upper_hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::hex::upper(bytes))
}

fn citizen_id_str<S: Serializer>(id: &CitizenId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.as_str())
}

#[cfg(test)]
mod tests;
