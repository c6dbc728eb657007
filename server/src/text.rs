//! Stored text on a terminal: what people typed (names, reasons, hostnames) or an agent
//! sent must print as one value on one line, never as a forged row or a cursor move.

/// `text` with its control characters (escapes that would move a terminal's cursor, tabs
/// and line ends that would forge a column or a row) written as Rust escapes.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_and_thai_is_kept() {
        assert_eq!(
            super::printable("ws-1\n2026-12-02\tOK\u{1b}[2J สมชาย"),
            "ws-1\\n2026-12-02\\tOK\\u{1b}[2J สมชาย"
        );
    }
}
