//! The card side: pcscd, the readers, and a card that answers.

use super::Finding;
use crate::smartcard::CardError;
use crate::smartcard::{list_readers, read_card};
use std::ffi::CString;
use std::time::{SystemTime, UNIX_EPOCH};
use thaiid_protocol::date::thai_date;
use thaiid_protocol::layout::Field;
use thaiid_protocol::transport::laser::LaserRead;
use thaiid_protocol::ReadPlan;

const SERVICE: &str = "smart card service (pcscd)";
const READERS: &str = "card readers";
const CARD: &str = "ID card";
const LASER: &str = "laser ID";

pub fn examine(wanted: Option<&str>) -> Vec<Finding> {
    let context = match pcsc::Context::establish(pcsc::Scope::User) {
        Ok(context) => context,
        Err(error) => {
            return vec![Finding::fail(
                SERVICE,
                format!("not reachable ({error})"),
                "เปิดบริการ pcscd: sudo systemctl enable --now pcscd.socket (Windows: เปิดบริการ Smart Card)",
                "start the service: sudo systemctl enable --now pcscd.socket (Windows: start the Smart Card service)",
            )]
        }
    };
    let mut findings = vec![Finding::ok(SERVICE, "running")];
    let readers = match list_readers(&context) {
        Ok(readers) => readers,
        Err(error) => {
            findings.push(Finding::fail(
                READERS,
                error.to_string(),
                "เสียบเครื่องอ่านบัตรใหม่ แล้วลองอีกครั้ง",
                "plug the card reader in again and retry",
            ));
            return findings;
        }
    };
    let names: Vec<&str> = readers.iter().map(|reader| reader.name.as_str()).collect();
    if readers.is_empty() {
        findings.push(Finding::fail(
            READERS,
            "no card reader",
            "เสียบเครื่องอ่านบัตร (USB) เข้ากับเครื่อง",
            "plug in a card reader (USB)",
        ));
        return findings;
    }
    if let Some(wanted) = wanted.filter(|wanted| !names.contains(wanted)) {
        findings.push(Finding::fail(
            READERS,
            format!(
                "the configured reader {wanted:?} is not there; there are: {}",
                names.join(", ")
            ),
            "เสียบเครื่องอ่านที่ตั้งค่าไว้ หรือลบค่า reader ในไฟล์ตั้งค่า",
            "plug in the configured reader, or remove `reader` from the configuration",
        ));
        return findings;
    }
    findings.push(Finding::ok(READERS, names.join(", ")));
    let with_card = readers
        .iter()
        .filter(|reader| wanted.is_none_or(|wanted| wanted == reader.name))
        .find(|reader| reader.card_present);
    let Some(reader) = with_card else {
        findings.push(Finding::fail(
            CARD,
            "no card in the reader",
            "เสียบบัตรประชาชนเพื่อตรวจว่าอ่านได้",
            "insert a Thai national ID card to check that it reads",
        ));
        return findings;
    };
    let name = CString::new(reader.name.clone()).unwrap_or_default();
    let read = read_card(&context, &name, &ReadPlan::new(&Field::LOGIN));
    let laser = read.as_ref().ok().map(|read| laser(&read.laser));
    let claim = read.and_then(|read| read.claim());
    findings.push(match claim {
        Ok(claim) if claim.expiry_date.is_past(thai_date(unix_now())) => Finding::fail(
            CARD,
            format!("the card in {} has expired", reader.name),
            "ต่ออายุบัตรประชาชนที่สำนักงานเขตหรืออำเภอ",
            "renew the ID card at a district office",
        ),
        Ok(_) => Finding::ok(
            CARD,
            format!("a Thai national ID card answers in {}", reader.name),
        ),
        Err(error @ CardError::NotThaiIdCard(_)) => Finding::fail(
            CARD,
            format!("{}: {error}", reader.name),
            "ใช้บัตรประชาชนไทย (บัตรอื่นใช้เข้าสู่ระบบไม่ได้)",
            "use a Thai national ID card: other cards cannot log in",
        ),
        Err(error) => Finding::fail(
            CARD,
            format!("{}: {error}", reader.name),
            "ถอดบัตร เช็ดชิปให้สะอาด แล้วเสียบใหม่",
            "take the card out, wipe the chip and insert it again",
        ),
    });
    findings.extend(laser);
    findings
}

/// What the laser applet gave, never the ID itself: the SSO binds card logins to it.
fn laser(read: &LaserRead) -> Finding {
    match read {
        LaserRead::Id(_) => Finding::ok(LASER, "the card gives its laser ID"),
        LaserRead::NoApplet => Finding::ok(
            LASER,
            "the card has no laser applet (older cards): the SSO asks for the OTP after it",
        ),
        LaserRead::Unreadable(reason) => Finding::fail(
            LASER,
            format!("the card gave no laser ID: {reason}"),
            "ถอดบัตร เช็ดชิปให้สะอาด แล้วเสียบใหม่ หากยังไม่ได้ แจ้งเจ้าหน้าที่ (helpdesk) พร้อมข้อความนี้",
            "take the card out, wipe the chip and insert it again; if it still fails, give this line to the helpdesk",
        ),
    }
}

fn unix_now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    since_epoch.as_secs() as i64
}
