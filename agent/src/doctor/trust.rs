//! The localhost certificate, and each browser trust store's trust in its CA.

use super::Finding;
use crate::paths::StateDir;
use crate::setup;

const CERTIFICATE: &str = "localhost certificate";

pub fn examine(state: &StateDir) -> Vec<Finding> {
    let ca_name = match setup::certificate_status(&state.path) {
        Ok(name) => name,
        Err(stale) => {
            return vec![Finding::fail(
                CERTIFICATE,
                match stale {
                    setup::Stale::NotMade => "not made yet".to_owned(),
                    stale => stale.to_string(),
                },
                "สั่ง thaiid-agent setup (หรือเปิดโปรแกรม agent ใหม่)",
                "run `thaiid-agent setup` (or start the agent again)",
            )]
        }
    };
    let mut findings = vec![Finding::ok(CERTIFICATE, ca_name)];
    let stores = setup::trust_status(state);
    if stores.is_empty() {
        findings.push(Finding::fail(
            "browser trust",
            "no browser trust store found",
            "เปิดเบราว์เซอร์หนึ่งครั้ง แล้วสั่ง thaiid-agent setup",
            "open the browser once, then run `thaiid-agent setup`",
        ));
    }
    for (store, trusted) in stores {
        findings.push(match trusted {
            true => Finding::ok(format!("trusted by {store}"), "yes"),
            false => Finding::fail(
                format!("trusted by {store}"),
                "the agent's CA is not trusted there",
                "ปิดเบราว์เซอร์ แล้วสั่ง thaiid-agent setup",
                "close the browser and run `thaiid-agent setup`",
            ),
        });
    }
    findings
}
