//! What the tray shows: one state folded from the card watcher, the logins and the
//! server's fate, with its words in Thai and English. No backend code here.

use crate::serve::LoginEvent;
use crate::watcher::{CardState, Snapshot};

/// The one thing the icon says at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayState {
    /// Before the card watcher has first looked.
    Starting,
    NoReader,
    Ready,
    CardInserted,
    LoggingIn {
        origin: String,
    },
    Error(Problem),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// pcscd (or Windows' smart card service) does not answer.
    NoCardService,
    /// The server could not start: the error as the agent words it.
    NotServing(String),
}

impl TrayState {
    pub fn thai(&self) -> String {
        match self {
            TrayState::Starting => "กำลังเริ่มทำงาน".to_owned(),
            TrayState::NoReader => "ไม่พบเครื่องอ่านบัตร: เสียบเครื่องอ่านบัตร".to_owned(),
            TrayState::Ready => "พร้อม: เสียบบัตรประชาชนเมื่อเข้าสู่ระบบ".to_owned(),
            TrayState::CardInserted => "เสียบบัตรประชาชนแล้ว".to_owned(),
            TrayState::LoggingIn { origin } => format!("กำลังเข้าสู่ระบบ {origin}"),
            TrayState::Error(Problem::NoCardService) => {
                "ผิดพลาด: บริการสมาร์ทการ์ด (pcscd) ไม่ทำงาน".to_owned()
            }
            TrayState::Error(Problem::NotServing(_)) => {
                "ผิดพลาด: โปรแกรมเริ่มทำงานไม่ได้ เปิดการวินิจฉัย".to_owned()
            }
        }
    }

    pub fn english(&self) -> String {
        match self {
            TrayState::Starting => "Starting".to_owned(),
            TrayState::NoReader => "No card reader: plug in a card reader".to_owned(),
            TrayState::Ready => "Ready: insert your ID card when you log in".to_owned(),
            TrayState::CardInserted => "ID card inserted".to_owned(),
            TrayState::LoggingIn { origin } => format!("Logging in to {origin}"),
            TrayState::Error(Problem::NoCardService) => {
                "Error: the smart card service (pcscd) is not running".to_owned()
            }
            TrayState::Error(Problem::NotServing(error)) => format!("Error: {error}"),
        }
    }

    /// The hover text: the product, then the state in both languages.
    pub fn tooltip(&self) -> String {
        format!("{PRODUCT}\n{}\n{}", self.thai(), self.english())
    }

    /// The menu's first, inert line: short, the sentences are in the tooltip.
    pub fn status_line(&self) -> String {
        let (thai, english) = match self {
            TrayState::Starting => ("กำลังเริ่มทำงาน", "Starting"),
            TrayState::NoReader => ("ไม่พบเครื่องอ่านบัตร", "No card reader"),
            TrayState::Ready => ("พร้อมใช้งาน", "Ready"),
            TrayState::CardInserted => ("เสียบบัตรแล้ว", "Card inserted"),
            TrayState::LoggingIn { origin } => {
                return format!("กำลังเข้าสู่ระบบ / Logging in: {origin}")
            }
            TrayState::Error(Problem::NoCardService) => {
                ("ผิดพลาด: pcscd ไม่ทำงาน", "Error: pcscd is not running")
            }
            TrayState::Error(Problem::NotServing(_)) => ("ผิดพลาด", "Error: not serving"),
        };
        format!("{thai} / {english}")
    }

    pub fn icon(&self) -> super::icons::Rgba {
        super::icons::for_state(self)
    }
}

pub const PRODUCT: &str = "ThaiID Login Agent";

/// The menu's labels.
pub const OPEN_DIAGNOSTICS: &str = "เปิดการวินิจฉัย / Open diagnostics";
pub const QUIT: &str = "ออก / Quit";

/// The notification that asks for the card when a login waits for one.
pub fn insert_card_notice(origin: &str) -> (String, String) {
    (
        "เสียบบัตรประชาชน / Insert your ID card".to_owned(),
        format!(
            "{origin} ขอเข้าสู่ระบบด้วยบัตรประชาชน\n{origin} asks you to log in with your Thai ID card"
        ),
    )
}

/// The facts the state is folded from.
#[derive(Debug, Default)]
pub struct Model {
    /// Has the watcher published once?
    looked: bool,
    service_up: bool,
    readers: usize,
    card_present: bool,
    /// Logins started and not yet finished, oldest first.
    logins: Vec<String>,
}

impl Model {
    pub fn state(&self) -> TrayState {
        if !self.looked {
            TrayState::Starting
        } else if !self.service_up {
            TrayState::Error(Problem::NoCardService)
        } else if let Some(origin) = self.logins.last() {
            TrayState::LoggingIn {
                origin: origin.clone(),
            }
        } else if self.readers == 0 {
            TrayState::NoReader
        } else if self.card_present {
            TrayState::CardInserted
        } else {
            TrayState::Ready
        }
    }

    pub fn card_present(&self) -> bool {
        self.card_present
    }

    pub fn saw(&mut self, snapshot: &Snapshot) {
        self.looked = true;
        self.service_up = snapshot.service_up;
        self.readers = snapshot.readers.len();
        self.card_present = snapshot.readers.iter().any(|reader| {
            reader
                .card
                .as_ref()
                .is_some_and(|card| !matches!(card, CardState::Removed))
        });
    }

    pub fn login(&mut self, event: &LoginEvent) {
        match event {
            LoginEvent::Started { origin } => self.logins.push(origin.clone()),
            LoginEvent::Finished { origin, .. } => {
                if let Some(at) = self.logins.iter().position(|o| o == origin) {
                    self.logins.remove(at);
                }
            }
        }
    }

    /// Some login events were lost: better no "logging in" than one that never ends.
    pub fn lost_logins(&mut self) {
        self.logins.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watcher::ReaderView;

    fn snapshot(service_up: bool, cards: &[Option<CardState>]) -> Snapshot {
        Snapshot {
            service_up,
            readers: cards
                .iter()
                .enumerate()
                .map(|(index, card)| ReaderView {
                    name: format!("Reader {index}"),
                    card: card.clone(),
                })
                .collect(),
            pulled_mid_read: 0,
        }
    }

    #[test]
    fn states_follow_the_watcher() {
        let mut model = Model::default();
        assert_eq!(model.state(), TrayState::Starting);
        model.saw(&snapshot(false, &[]));
        assert_eq!(model.state(), TrayState::Error(Problem::NoCardService));
        model.saw(&snapshot(true, &[]));
        assert_eq!(model.state(), TrayState::NoReader);
        model.saw(&snapshot(true, &[None, None]));
        assert_eq!(model.state(), TrayState::Ready);
        model.saw(&snapshot(true, &[None, Some(CardState::Reading)]));
        assert_eq!(model.state(), TrayState::CardInserted);
        assert!(model.card_present());
        model.saw(&snapshot(true, &[Some(CardState::Removed)]));
        assert_eq!(model.state(), TrayState::Ready);
        model.saw(&snapshot(false, &[]));
        assert_eq!(model.state(), TrayState::Error(Problem::NoCardService));
    }

    #[test]
    fn a_login_shows_until_it_finishes() {
        let mut model = Model::default();
        model.saw(&snapshot(true, &[None]));
        let origin = "https://sso.example.go.th".to_owned();
        model.login(&LoginEvent::Started {
            origin: origin.clone(),
        });
        assert_eq!(
            model.state(),
            TrayState::LoggingIn {
                origin: origin.clone()
            }
        );
        model.login(&LoginEvent::Finished {
            origin: "https://other.example".to_owned(),
            code: None,
        });
        assert!(matches!(model.state(), TrayState::LoggingIn { .. }));
        model.login(&LoginEvent::Finished { origin, code: None });
        assert_eq!(model.state(), TrayState::Ready);
        model.login(&LoginEvent::Started {
            origin: "https://a.example".to_owned(),
        });
        model.lost_logins();
        assert_eq!(model.state(), TrayState::Ready);
    }

    #[test]
    fn every_state_has_thai_and_english_words_and_its_own_icon() {
        let states = [
            TrayState::Starting,
            TrayState::NoReader,
            TrayState::Ready,
            TrayState::CardInserted,
            TrayState::LoggingIn {
                origin: "https://sso.example.go.th".to_owned(),
            },
            TrayState::Error(Problem::NoCardService),
            TrayState::Error(Problem::NotServing("cannot listen".to_owned())),
        ];
        for state in &states {
            let thai = state.thai();
            assert!(
                thai.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)),
                "{thai}"
            );
            assert!(state.english().is_ascii(), "{}", state.english());
            assert!(state.tooltip().contains(&state.english()));
            let line = state.status_line();
            assert!(line.contains(" / ") && line.chars().count() < 60, "{line}");
        }
        let logging_in = &states[4];
        assert!(logging_in.thai().contains("https://sso.example.go.th"));
        assert!(logging_in.english().contains("https://sso.example.go.th"));
        // The two error states share the error icon; the other states differ.
        let icons: Vec<_> = states[..6].iter().map(|s| s.icon().pixels).collect();
        for (i, a) in icons.iter().enumerate() {
            for b in &icons[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
