//! The card's APDU state machine: what a Thai ID card answers to each command (SPEC §2).
//!
//! Pure: no sockets, no clocks. The vpcd session (`vpcd.rs`) feeds it control messages and APDUs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thaiid_protocol::layout::FILE_LEN;

use crate::fixture::{Answer, CardFixture};

/// SELECT of the MOI applet, the only SELECT the card accepts.
pub const SELECT_MOI: [u8; 13] = [
    0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x00, 0x54, 0x48, 0x00, 0x01,
];

mod laser;

use laser::LaserApplet;
pub use laser::SELECT_LASER;

/// What GET RESPONSE returns after the SELECT: 10 bytes shaped like an FCI.
pub const SELECT_RESPONSE: [u8; 10] = [0x6F, 0x08, 0x84, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x54, 0x48];

/// Misbehaviours to switch on, all off by default.
///
/// APDU indexes count from 0 at the last power-on or reset (pcscd powers the card on at
/// insertion and again after powering an idle card down, and resets it on a disconnect with
/// `Disposition::ResetCard`), so a fault hits the same command of every session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// A READ whose Le exceeds this answers `6C <max_le>`.
    pub max_le: Option<u8>,
    /// At this APDU index, answer exactly this status word, no data.
    pub status_at: Option<(u64, u16)>,
    /// At this APDU index, answer half the data + `90 00`.
    pub short_at: Option<u64>,
    /// At this APDU index, answer the single byte `90`.
    pub malformed_at: Option<u64>,
    /// Answer this many APDUs, then close the connection when the next one arrives (the card is
    /// pulled out mid-read; that APDU gets no answer). Applied by the vpcd session.
    pub remove_after: Option<u64>,
    /// Sleep this long before each APDU answer. Applied by the vpcd session.
    pub slow: Option<Duration>,
}

/// What a command asked for, by its CLA and INS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    Select,
    Read,
    GetResponse,
    /// `80 00 00 00 Le`: the laser applet's read.
    LaserRead,
    /// Anything else, including every write or VERIFY: the agent must never send one.
    Other,
}

/// One received APDU, as logged for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    /// The whole APDU as received.
    pub bytes: Vec<u8>,
}

impl Command {
    fn from_apdu(apdu: &[u8]) -> Command {
        let byte = |i: usize| apdu.get(i).copied().unwrap_or(0);
        Command {
            cla: byte(0),
            ins: byte(1),
            p1: byte(2),
            p2: byte(3),
            bytes: apdu.to_vec(),
        }
    }

    pub fn kind(&self) -> CommandKind {
        match (self.cla, self.ins) {
            (0x00, 0xA4) => CommandKind::Select,
            (0x80, 0xB0) => CommandKind::Read,
            (0x00, 0xC0) => CommandKind::GetResponse,
            (0x80, 0x00) => CommandKind::LaserRead,
            _ => CommandKind::Other,
        }
    }
}

/// What the card has received, shared between the card and its test handle.
#[derive(Debug, Default)]
pub struct CardStats {
    apdus: AtomicU64,
    commands: Mutex<Vec<Command>>,
}

impl CardStats {
    /// APDUs received since this was created or cleared, faulted ones included.
    pub fn apdu_count(&self) -> u64 {
        self.apdus.load(Ordering::SeqCst)
    }

    /// Every APDU received, in order.
    pub fn commands(&self) -> Vec<Command> {
        self.log().clone()
    }

    pub fn clear(&self) {
        let mut log = self.log();
        log.clear();
        self.apdus.store(0, Ordering::SeqCst);
    }

    fn record(&self, apdu: &[u8]) {
        self.log().push(Command::from_apdu(apdu));
        self.apdus.fetch_add(1, Ordering::SeqCst);
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<Command>> {
        // A panic while holding the lock leaves a plain Vec behind; it is still consistent.
        self.commands
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The result of one command before it is put on the wire.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    /// Data + `90 00`.
    Data(Vec<u8>),
    /// A status word alone.
    Status(u16),
    /// Part of the pending data + `61 <rest>`.
    Partial(Vec<u8>, u16),
}

impl Reply {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Data(mut data) => {
                data.extend_from_slice(&[0x90, 0x00]);
                data
            }
            Reply::Status(sw) => sw.to_be_bytes().to_vec(),
            Reply::Partial(mut data, sw) => {
                data.extend_from_slice(&sw.to_be_bytes());
                data
            }
        }
    }
}

/// The card as the protocol crate's channel: the agent's read runs against it in plain
/// `cargo test`, without pcscd or vpcd. A card in memory cannot fail to answer.
impl thaiid_protocol::transport::CardChannel for Card {
    type Error = std::convert::Infallible;

    fn transmit<'a>(
        &mut self,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], Self::Error> {
        let reply = self.answer(command);
        let len = reply.len().min(answer.len());
        answer[..len].copy_from_slice(&reply[..len]);
        Ok(&answer[..len])
    }
}

/// Which applet a SELECT chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applet {
    None,
    Moi,
    Laser,
}

/// A Thai ID card, from power-on to removal.
#[derive(Debug)]
pub struct Card {
    image: Vec<u8>,
    atr: Vec<u8>,
    answer_mode: Answer,
    /// `None`: the card has no laser applet.
    laser: Option<LaserApplet>,
    faults: Faults,
    stats: Arc<CardStats>,
    selected: Applet,
    pending: Option<Vec<u8>>,
    since_power_on: u64,
}

impl Card {
    pub fn new(fixture: &CardFixture, faults: Faults) -> Card {
        Card::with_stats(fixture, faults, Arc::default())
    }

    /// A card that records what it receives into `stats` (kept across re-insertions).
    pub fn with_stats(fixture: &CardFixture, faults: Faults, stats: Arc<CardStats>) -> Card {
        Card {
            image: fixture.image.clone(),
            atr: fixture.atr.clone(),
            answer_mode: fixture.answer,
            laser: fixture
                .laser_id
                .as_deref()
                .map(|id| LaserApplet::new(id, fixture.laser_answer)),
            faults,
            stats,
            selected: Applet::None,
            pending: None,
            since_power_on: 0,
        }
    }

    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn stats(&self) -> Arc<CardStats> {
        Arc::clone(&self.stats)
    }

    /// APDUs received since the last power-on or reset.
    pub fn apdus_since_power_on(&self) -> u64 {
        self.since_power_on
    }

    pub fn power_on(&mut self) {
        self.restart();
    }

    pub fn power_off(&mut self) {
        self.restart();
    }

    pub fn reset(&mut self) {
        self.restart();
    }

    fn restart(&mut self) {
        self.selected = Applet::None;
        self.pending = None;
        self.since_power_on = 0;
    }

    /// Logs `apdu` as received without answering it (the card is gone before it can).
    pub fn record_unanswered(&mut self, apdu: &[u8]) {
        self.stats.record(apdu);
        self.since_power_on += 1;
    }

    /// The card's answer to one APDU: response data + SW1 SW2.
    pub fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let index = self.since_power_on;
        self.record_unanswered(apdu);

        if let Some((at, sw)) = self.faults.status_at {
            if at == index {
                return sw.to_be_bytes().to_vec();
            }
        }
        if self.faults.malformed_at == Some(index) {
            return vec![0x90];
        }
        let reply = self.execute(apdu);
        if self.faults.short_at == Some(index) {
            return self.shorten(reply).into_bytes();
        }
        reply.into_bytes()
    }

    /// The data this command's success would carry, cut in half, + `90 00`.
    fn shorten(&mut self, reply: Reply) -> Reply {
        let data = match reply {
            Reply::Data(data) => data,
            Reply::Partial(data, _) => {
                self.pending = None;
                data
            }
            Reply::Status(sw) if sw >> 8 == 0x61 => match self.pending.take() {
                Some(data) => data,
                None => return reply,
            },
            Reply::Status(_) => return reply,
        };
        Reply::Data(data[..data.len() / 2].to_vec())
    }

    fn execute(&mut self, apdu: &[u8]) -> Reply {
        let &[cla, ins, p1, p2, ..] = apdu else {
            return Reply::Status(0x6700);
        };
        // Only GET RESPONSE may collect pending data; any other command drops it.
        if ins != 0xC0 {
            self.pending = None;
        }
        match (ins, cla) {
            (0xA4, 0x00) => self.select(apdu),
            (0xB0, 0x80) if self.selected == Applet::Moi => self.read(apdu, p1, p2),
            (0x00, 0x80) if self.selected == Applet::Laser => self.read_laser(apdu),
            (0xC0, 0x00) if self.selected != Applet::None => self.get_response(apdu, p1, p2),
            (0xB0, 0x80) | (0xC0, 0x00) | (0x00, 0x80) => Reply::Status(0x6986),
            (0xA4 | 0xB0 | 0xC0, _) => Reply::Status(0x6E00),
            _ => Reply::Status(0x6D00),
        }
    }

    fn select(&mut self, apdu: &[u8]) -> Reply {
        let lc = apdu.get(4).map_or(0, |&lc| usize::from(lc));
        // Lc bytes of data, optionally followed by Le.
        if apdu.len() != 5 + lc && apdu.len() != 6 + lc {
            return Reply::Status(0x6700);
        }
        self.selected = match &apdu[..5 + lc] {
            aid if aid == SELECT_MOI => Applet::Moi,
            aid if aid == SELECT_LASER && self.laser.is_some() => Applet::Laser,
            _ => {
                self.selected = Applet::None;
                return Reply::Status(0x6A82);
            }
        };
        match self.answer_mode {
            Answer::GetResponse => {
                self.pending = Some(SELECT_RESPONSE.to_vec());
                Reply::Status(0x6100 | SELECT_RESPONSE.len() as u16)
            }
            Answer::Direct => Reply::Status(0x9000),
        }
    }

    fn read(&mut self, apdu: &[u8], p1: u8, p2: u8) -> Reply {
        let &[_, _, _, _, 0x02, 0x00, le] = apdu else {
            return Reply::Status(0x6700);
        };
        if le == 0 {
            return Reply::Status(0x6700);
        }
        let offset = usize::from(u16::from_be_bytes([p1, p2]));
        let end = offset + usize::from(le);
        if end > usize::from(FILE_LEN) {
            return Reply::Status(0x6B00);
        }
        if let Some(max) = self.faults.max_le {
            if le > max {
                return Reply::Status(0x6C00 | u16::from(max));
            }
        }
        let data = self.image[offset..end].to_vec();
        match self.answer_mode {
            Answer::GetResponse => {
                self.pending = Some(data);
                Reply::Status(0x6100 | u16::from(le))
            }
            Answer::Direct => Reply::Data(data),
        }
    }

    /// `80 00 00 00 Le`: the laser applet's record, in the fixture's form.
    fn read_laser(&mut self, apdu: &[u8]) -> Reply {
        let Some(applet) = &self.laser else {
            return Reply::Status(0x6986);
        };
        let (reply, pending) = applet.read(apdu, self.answer_mode);
        self.pending = pending;
        reply
    }

    fn get_response(&mut self, apdu: &[u8], p1: u8, p2: u8) -> Reply {
        let &[_, _, _, _, le] = apdu else {
            return Reply::Status(0x6700);
        };
        // Cards whose ATR starts 3B 67 want P2 = 01; the others P2 = 00.
        let wanted_p2 = u8::from(self.atr.starts_with(&[0x3B, 0x67]));
        if p1 != 0x00 || p2 != wanted_p2 {
            return Reply::Status(0x6A86);
        }
        let Some(mut pending) = self.pending.take() else {
            return Reply::Status(0x6985);
        };
        let le = if le == 0 { 256 } else { usize::from(le) };
        let held = pending.len();
        if le > held {
            self.pending = Some(pending);
            // Pending data never exceeds 255 bytes: it comes from one READ or the SELECT.
            return Reply::Status(0x6C00 | (held as u16 & 0xFF));
        }
        if le < held {
            let rest = pending.split_off(le);
            let sw = 0x6100 | (rest.len() as u16 & 0xFF);
            self.pending = Some(rest);
            return Reply::Partial(pending, sw);
        }
        Reply::Data(pending)
    }
}

#[cfg(test)]
mod tests;
