//! What the tray shows: one state folded from the service's status and events (or its
//! absence), with its words in Thai and English. No backend code here.

use crate::service_client::ServiceEvent;
use std::collections::BTreeMap;
use thaiid_protocol::api::AgentStatus;

/// The one thing the icon says at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayState {
    /// Before the service first answered (or said it is not there).
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
    /// Nothing answers on the service's port.
    ServiceDown,
    /// Something answers on the service's port, but not as the service: what it said.
    NotTheService(String),
}

impl TrayState {
    pub fn thai(&self) -> String {
        match self {
            TrayState::Starting => "กำลังเริ่มทำงาน".to_owned(),
            TrayState::NoReader => "ไม่พบเครื่องอ่านบัตร: เสียบเครื่องอ่านบัตร".to_owned(),
            TrayState::Ready => "พร้อม: เสียบบัตรประชาชนเมื่อเข้าสู่ระบบ".to_owned(),
            TrayState::CardInserted => "เสียบบัตรประชาชนแล้ว".to_owned(),
            TrayState::LoggingIn { origin } => format!("กำลังเข้าสู่ระบบ {origin}"),
            TrayState::Error(Problem::ServiceDown) => {
                "ผิดพลาด: บริการ thaiid-agent ไม่ทำงาน: ให้ IT เปิดบริการ (sudo systemctl start thaiid-agent)"
                    .to_owned()
            }
            TrayState::Error(Problem::NotTheService(_)) => {
                "ผิดพลาด: โปรแกรมอื่นใช้พอร์ตของบริการ เปิดการวินิจฉัย".to_owned()
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
            TrayState::Error(Problem::ServiceDown) => {
                "Error: service not running: have IT start it (sudo systemctl start thaiid-agent; \
                 Windows: the ThaiID Login Agent service)"
                    .to_owned()
            }
            TrayState::Error(Problem::NotTheService(detail)) => {
                format!(
                    "Error: another program holds the service's port: open diagnostics ({detail})"
                )
            }
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
            TrayState::Error(Problem::ServiceDown) => {
                ("ผิดพลาด: บริการไม่ทำงาน", "Error: service not running")
            }
            TrayState::Error(Problem::NotTheService(_)) => ("ผิดพลาด", "Error: not the service"),
        };
        format!("{thai} / {english}")
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
    /// `None` before the first answer (or the first failure to get one).
    service: Option<Result<(), Problem>>,
    /// Each reader the service sees, and whether it holds a card.
    readers: BTreeMap<String, bool>,
    /// Logins started and not yet finished, oldest first.
    logins: Vec<String>,
}

impl Model {
    pub fn state(&self) -> TrayState {
        match &self.service {
            None => TrayState::Starting,
            Some(Err(problem)) => TrayState::Error(problem.clone()),
            Some(Ok(())) => {
                if let Some(origin) = self.logins.last() {
                    TrayState::LoggingIn {
                        origin: origin.clone(),
                    }
                } else if self.readers.is_empty() {
                    TrayState::NoReader
                } else if self.card_present() {
                    TrayState::CardInserted
                } else {
                    TrayState::Ready
                }
            }
        }
    }

    pub fn card_present(&self) -> bool {
        self.readers.values().any(|&card| card)
    }

    /// The service answered its status (at a (re)connect): all is as it says. Logins that
    /// were shown are dropped: their end may have been missed.
    pub fn connected(&mut self, status: &AgentStatus) {
        self.service = Some(Ok(()));
        self.readers = (status.readers.iter())
            .map(|reader| (reader.name.clone(), reader.card_present))
            .collect();
        self.logins.clear();
    }

    /// The service is gone, or was never there.
    pub fn lost(&mut self, problem: Problem) {
        self.service = Some(Err(problem));
        self.readers.clear();
        self.logins.clear();
    }

    pub fn saw(&mut self, event: &ServiceEvent) {
        match event {
            ServiceEvent::ReaderAdded { reader } => {
                self.readers.entry(reader.clone()).or_insert(false);
            }
            ServiceEvent::ReaderRemoved { reader } => {
                self.readers.remove(reader);
            }
            ServiceEvent::CardInserted { reader } => {
                self.readers.insert(reader.clone(), true);
            }
            ServiceEvent::CardRemoved { reader } => {
                self.readers.insert(reader.clone(), false);
            }
            ServiceEvent::LoginStarted { origin } => self.logins.push(origin.clone()),
            ServiceEvent::LoginFinished { origin, .. } => {
                if let Some(at) = self.logins.iter().position(|o| o == origin) {
                    self.logins.remove(at);
                }
            }
        }
    }
}

#[cfg(test)]
impl TrayState {
    /// One of each state, for the tests of what each shows.
    pub(crate) fn examples() -> [TrayState; 7] {
        [
            TrayState::Starting,
            TrayState::NoReader,
            TrayState::Ready,
            TrayState::CardInserted,
            TrayState::LoggingIn {
                origin: "https://sso.example.go.th".to_owned(),
            },
            TrayState::Error(Problem::ServiceDown),
            TrayState::Error(Problem::NotTheService("HTTP 404".to_owned())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thaiid_protocol::api::ReaderInfo;

    fn status(cards: &[bool]) -> AgentStatus {
        AgentStatus {
            version: "0.1.0".into(),
            enrolled: true,
            readers: cards
                .iter()
                .enumerate()
                .map(|(index, &card_present)| ReaderInfo {
                    name: format!("Reader {index}"),
                    card_present,
                })
                .collect(),
        }
    }

    fn reader(index: usize) -> String {
        format!("Reader {index}")
    }

    #[test]
    fn states_follow_the_service() {
        let mut model = Model::default();
        assert_eq!(model.state(), TrayState::Starting);
        model.lost(Problem::ServiceDown);
        assert_eq!(model.state(), TrayState::Error(Problem::ServiceDown));
        model.connected(&status(&[]));
        assert_eq!(model.state(), TrayState::NoReader);
        model.saw(&ServiceEvent::ReaderAdded { reader: reader(0) });
        assert_eq!(model.state(), TrayState::Ready);
        model.saw(&ServiceEvent::CardInserted { reader: reader(1) });
        assert_eq!(model.state(), TrayState::CardInserted);
        assert!(model.card_present());
        model.saw(&ServiceEvent::CardRemoved { reader: reader(1) });
        assert_eq!(model.state(), TrayState::Ready);
        model.saw(&ServiceEvent::ReaderRemoved { reader: reader(1) });
        model.saw(&ServiceEvent::ReaderRemoved { reader: reader(0) });
        assert_eq!(model.state(), TrayState::NoReader);
        model.connected(&status(&[false, true]));
        assert_eq!(model.state(), TrayState::CardInserted);
        let odd = Problem::NotTheService("its status: expected value".into());
        model.lost(odd.clone());
        assert_eq!(model.state(), TrayState::Error(odd));
        assert!(!model.card_present());
    }

    #[test]
    fn a_login_shows_until_it_finishes_or_the_service_is_lost() {
        let mut model = Model::default();
        model.connected(&status(&[false]));
        let origin = "https://sso.example.go.th".to_owned();
        model.saw(&ServiceEvent::LoginStarted {
            origin: origin.clone(),
        });
        assert_eq!(
            model.state(),
            TrayState::LoggingIn {
                origin: origin.clone()
            }
        );
        model.saw(&ServiceEvent::LoginFinished {
            origin: "https://other.example".to_owned(),
            ok: true,
        });
        assert!(matches!(model.state(), TrayState::LoggingIn { .. }));
        model.saw(&ServiceEvent::LoginFinished {
            origin: origin.clone(),
            ok: false,
        });
        assert_eq!(model.state(), TrayState::Ready);
        model.saw(&ServiceEvent::LoginStarted { origin });
        model.lost(Problem::ServiceDown);
        model.connected(&status(&[false]));
        assert_eq!(model.state(), TrayState::Ready);
    }

    #[test]
    fn every_state_has_thai_and_english_words() {
        let states = TrayState::examples();
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
        assert!(states[5].english().contains("service not running"));
        assert!(states[5].english().contains("systemctl start thaiid-agent"));
        let logging_in = &states[4];
        assert!(logging_in.thai().contains("https://sso.example.go.th"));
        assert!(logging_in.english().contains("https://sso.example.go.th"));
    }
}
