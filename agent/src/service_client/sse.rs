//! Server-sent events off the wire, sans I/O: bytes in, `(event, data)` pairs out.
//! Enough of the format for `/v1/events`: `event:` and `data:` fields, comments
//! (the keep-alives), LF or CRLF line ends.

#[derive(Debug, Default)]
pub struct Parser {
    /// A line not ended yet.
    partial: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

/// One dispatched event: its name (`message` when unnamed) and its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub event: String,
    pub data: String,
}

impl Parser {
    /// Takes the next bytes; gives the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Message> {
        let mut done = Vec::new();
        for &byte in bytes {
            if byte != b'\n' {
                self.partial.push(byte);
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(message) = self.line(&String::from_utf8_lossy(&line)) {
                done.push(message);
            }
        }
        done
    }

    fn line(&mut self, line: &str) -> Option<Message> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| Message {
                event: event.unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_come_out_whole() {
        let wire = b":\n\nevent: card-inserted\r\ndata: {\"reader\":\"A\"}\r\n\r\n\
                     data: one\ndata: two\n\nevent: login-started\ndata:{}\n\n";
        for cut in 0..wire.len() {
            let mut parser = Parser::default();
            let mut seen = parser.feed(&wire[..cut]);
            seen.extend(parser.feed(&wire[cut..]));
            assert_eq!(
                seen,
                vec![
                    Message {
                        event: "card-inserted".into(),
                        data: "{\"reader\":\"A\"}".into()
                    },
                    Message {
                        event: "message".into(),
                        data: "one\ntwo".into()
                    },
                    Message {
                        event: "login-started".into(),
                        data: "{}".into()
                    },
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_event_without_data_and_an_unended_one_are_not_dispatched() {
        let mut parser = Parser::default();
        assert!(parser
            .feed(b"event: reader-added\n\nevent: x\ndata: y\n")
            .is_empty());
    }
}
