//! The holder's photo: a JPEG followed by padding, cut once after its end marker.

use crate::decode::{DecodeError, Problem};
use crate::layout::Field;
use ring::digest::{digest, SHA256};
use serde::Serialize;

/// The photo's JPEG bytes, exactly as stored before the padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo(Vec<u8>);

impl Photo {
    /// Finds where the JPEG ends by walking its segments, so that bytes `FF D9` inside
    /// a segment (a thumbnail, say) do not cut it short, then cuts there once.
    pub fn parse(field_bytes: &[u8]) -> Result<Photo, DecodeError> {
        let bad = |why| Problem::BadPhoto(why).at(Field::Photo);
        if !field_bytes.starts_with(&[0xFF, 0xD8]) {
            return Err(bad("is not a JPEG (no FF D8 start marker)"));
        }
        let end = jpeg_end(field_bytes).ok_or(bad("has no JPEG end marker FF D9"))?;
        Ok(Photo(field_bytes[..end].to_vec()))
    }

    /// The JPEG, from its start marker to its end marker.
    pub fn jpeg(&self) -> &[u8] {
        &self.0
    }

    /// SHA-256 of the JPEG, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        crate::hex::lower(digest(&SHA256, &self.0).as_ref())
    }
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({} bytes)", self.0.len())
    }
}

/// In the card JSON the photo is summarised, never embedded.
impl Serialize for Photo {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Photo", 2)?;
        s.serialize_field("bytes", &self.0.len())?;
        s.serialize_field("sha256", &self.sha256_hex())?;
        s.end()
    }
}

/// Index just past the `FF D9` that ends the image starting at `bytes[0..2] == FF D8`.
fn jpeg_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 2;
    loop {
        // A marker: FF, maybe fill bytes FF, then its code.
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        while *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        let code = bytes[at + 1];
        at += 2;
        match code {
            0xD9 => return Some(at),
            // Stand-alone markers carry no length.
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let length =
                    usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
                if length < 2 {
                    return None;
                }
                at += length;
                if code == 0xDA {
                    at = entropy_coded_end(bytes, at)?;
                }
            }
        }
    }
}

/// After a scan header: the next marker that is neither a stuffed `FF 00` nor a restart.
fn entropy_coded_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => at += 1,
            _ => return Some(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG-shaped stream: SOI, an APP segment hiding FF D9, a scan with a
    /// stuffed FF 00 and a restart marker, EOI; then padding.
    fn jpeg_with_traps() -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x20, 0x20]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x04, 0x01, 0x02]);
        jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0x20, 0xFF, 0xD3, 0x20, 0x20]);
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn cut_once_after_the_real_end_marker() {
        let jpeg = jpeg_with_traps();
        let mut field = jpeg.clone();
        field.resize(5118, 0x20);
        let photo = Photo::parse(&field).unwrap();
        assert_eq!(photo.jpeg(), jpeg);
    }

    #[test]
    fn padding_that_looks_like_an_end_marker_is_not_kept() {
        let jpeg = jpeg_with_traps();
        let mut field = jpeg.clone();
        field.extend_from_slice(&[0x20, 0xFF, 0xD9, 0x00]);
        assert_eq!(Photo::parse(&field).unwrap().jpeg(), jpeg);
    }

    #[test]
    fn summary_json() {
        let photo = Photo::parse(&jpeg_with_traps()).unwrap();
        let value = serde_json::to_value(&photo).unwrap();
        assert_eq!(value["bytes"], 26);
        assert_eq!(value["sha256"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn not_a_jpeg_or_cut_short() {
        assert_eq!(
            Photo::parse(&[0x20; 5118]).unwrap_err().to_string(),
            "photo: is not a JPEG (no FF D8 start marker)"
        );
        let jpeg = jpeg_with_traps();
        for cut in 2..jpeg.len() {
            assert!(Photo::parse(&jpeg[..cut]).is_err(), "cut at {cut}");
        }
    }
}
