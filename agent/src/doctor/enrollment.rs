//! This agent's enrollment: here (a key, enrolled at the configured server), and there:
//! the server is asked whether it still takes this agent's assertions.

use super::Finding;
use crate::config::Config;
use crate::enrollment::{self, Identity, Refusal};
use std::path::Path;
use thaiid_protocol::assertion::CardClaim;
use thaiid_protocol::decode::Name;
use thaiid_protocol::layout::Field;
use thaiid_protocol::{BuddhistDate, CitizenId};

/// The citizen ID of the probe: all zeros, no one's (its check digit is wrong).
const NOBODY: &str = "0000000000000";

const ENROLLMENT: &str = "enrollment";
const NEW_TOKEN_TH: &str = "ขอ token ใหม่จาก IT แล้วสั่ง thaiid-agent enroll --token TOKEN";
const NEW_TOKEN_EN: &str = "ask IT for a new token, then run `thaiid-agent enroll --token TOKEN`";

pub async fn examine(config: &Config, data_dir: &Path) -> Finding {
    let identity = match enrollment::load(data_dir) {
        Ok(Some(identity)) => identity,
        Ok(None) if config.enroll_token.is_some() => {
            return Finding::fail(
                ENROLLMENT,
                "not enrolled yet (the agent enrolls itself with the configured token when it starts)",
                "เปิดโปรแกรม agent ใหม่เมื่อเชื่อมต่อเซิร์ฟเวอร์ได้ ถ้ายังไม่ได้ ขอ token ใหม่จาก IT",
                "start the agent again once the server is reachable; if it still fails, ask IT for a new token",
            )
        }
        Ok(None) => {
            return Finding::fail(
                ENROLLMENT,
                "not enrolled",
                "ขอ token จาก IT แล้วสั่ง thaiid-agent enroll --token TOKEN",
                "ask IT for a token, then run `thaiid-agent enroll --token TOKEN`",
            )
        }
        Err(error) => {
            return Finding::fail(ENROLLMENT, error.to_string(), NEW_TOKEN_TH, NEW_TOKEN_EN)
        }
    };
    let enrolled = &identity.enrollment;
    match &config.server_url {
        Some(server) if *server != enrolled.server_url => Finding::fail(
            ENROLLMENT,
            format!(
                "enrolled at {}, but the configured server is {server}",
                enrolled.server_url
            ),
            "ขอ token ของเซิร์ฟเวอร์ใหม่จาก IT แล้วสั่ง thaiid-agent enroll --token TOKEN",
            "ask IT for a token of the configured server, then run `thaiid-agent enroll --token TOKEN`",
        ),
        _ => match ask_server(&identity).await {
            Answer::Takes => Finding::ok(
                ENROLLMENT,
                format!(
                    "agent {} at {}, which takes its assertions; key: {}",
                    enrolled.agent_id,
                    enrolled.server_url,
                    identity.key.describe()
                ),
            ),
            Answer::Unreachable => Finding::ok(
                ENROLLMENT,
                format!(
                    "agent {} at {} (the server could not confirm it now); key: {}",
                    enrolled.agent_id,
                    enrolled.server_url,
                    identity.key.describe()
                ),
            ),
            Answer::Refuses(code) => refused(&identity, &code),
        },
    }
}

enum Answer {
    /// Agent, key, audience and times are right.
    Takes,
    Refuses(String),
    Unreachable,
}

/// Posts an assertion for a nonce nobody issued. The server checks the agent, its
/// signature, the audience and the times before it looks at the nonce, and a nonce it
/// does not know spends no nonce and no counter (the assertion's id is kept, as for any
/// attempt): `UNKNOWN_NONCE` says all of those checks passed. The card claim is empty
/// ([`NOBODY`] for the citizen ID), so the server's audit row of the attempt holds no
/// one's data; the agent's counter is not used.
async fn ask_server(identity: &Identity) -> Answer {
    let nobody = || Name {
        prefix: String::new(),
        first: String::new(),
        middle: String::new(),
        last: String::new(),
    };
    let lifelong =
        BuddhistDate::parse(Field::ExpiryDate, "99999999").expect("the lifelong date parses");
    let no_card = CardClaim {
        citizen_id: CitizenId::parse(NOBODY).expect("13 digits"),
        name_th: nobody(),
        name_en: nobody(),
        expiry_date: lifelong,
        card_serial: String::new(),
        laser_id: None,
        atr: String::new(),
        data_sha256: "00".repeat(32),
    };
    let server = &identity.enrollment.server_url;
    let Ok(token) = identity.assert("doctor-unissued-nonce", server, 0, no_card) else {
        return Answer::Refuses("CANNOT_SIGN".into());
    };
    match identity.post(&crate::http::client(), token).await {
        Ok(_) => Answer::Takes,
        Err(Refusal::Rejected(code)) if code == "UNKNOWN_NONCE" => Answer::Takes,
        Err(Refusal::Rejected(code)) => Answer::Refuses(code),
        Err(Refusal::Unreachable) => Answer::Unreachable,
    }
}

fn refused(identity: &Identity, code: &str) -> Finding {
    let agent = &identity.enrollment.agent_id;
    let server = &identity.enrollment.server_url;
    match code {
        "REVOKED_AGENT" => Finding::fail(
            ENROLLMENT,
            format!("{server} revoked this workstation (agent {agent})"),
            NEW_TOKEN_TH,
            NEW_TOKEN_EN,
        ),
        "UNKNOWN_AGENT" | "BAD_SIGNATURE" | "BAD_AGENT_KEY" => Finding::fail(
            ENROLLMENT,
            format!("{server} does not know this workstation's key (agent {agent}, {code})"),
            NEW_TOKEN_TH,
            NEW_TOKEN_EN,
        ),
        "ASSERTION_EXPIRED" | "ISSUED_IN_FUTURE" => Finding::fail(
            ENROLLMENT,
            format!("{server} refuses this computer's time ({code})"),
            "ตั้งนาฬิกาเครื่องให้ตรง (เปิดการตั้งเวลาอัตโนมัติ)",
            "set the computer's clock right (turn on automatic time)",
        ),
        _ => Finding::fail(
            ENROLLMENT,
            format!("{server} refuses this agent's assertions ({code})"),
            "แจ้ง IT พร้อมรหัสนี้",
            "tell IT, with this code",
        ),
    }
}
