//! Hex text for ATRs, digests and APDU traces.

use std::fmt::Write;

/// `3B67...`: uppercase, no spaces (the card JSON's `atr`).
pub fn upper(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02X}");
            out
        })
}

/// `9f86...`: lowercase, no spaces (digests).
pub fn lower(bytes: &[u8]) -> String {
    upper(bytes).to_ascii_lowercase()
}

/// `3B 67 00`: uppercase with spaces (APDU traces).
pub fn spaced(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// Parses hex digits, ignoring spaces; `None` on anything else or an odd count.
pub fn parse(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| c.to_digit(16).map(|d| d as u8))
        .collect::<Option<_>>()?;
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    Some(
        digits
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair[1])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = [0x3B, 0x67, 0x00, 0xFF];
        assert_eq!(upper(&bytes), "3B6700FF");
        assert_eq!(lower(&bytes), "3b6700ff");
        assert_eq!(spaced(&bytes), "3B 67 00 FF");
        assert_eq!(parse("3B 67 00 ff").as_deref(), Some(&bytes[..]));
        assert_eq!(parse("3B6"), None);
        assert_eq!(parse("3G"), None);
        assert_eq!(parse("").as_deref(), Some(&[][..]));
    }
}
