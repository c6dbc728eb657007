//! The pages' side of the guessing limits ([`crate::throttle`]): every page that checks a
//! password or a code counts the attempt here first, records the refusals, and reports
//! once when an account becomes one guessed at from many addresses.

use super::attempts::audit;
use super::html::notice;
use crate::alerts;
use crate::audit::{self, Method};
use crate::http::extract::ClientAddr;
use crate::http::AppState;
use crate::throttle::{self, Attempt, Guess};
use thaiid_protocol::api::ServerErrorCode;

/// An attempt refused: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wait(pub i64);

/// Counts an attempt of `method` at `username`'s password or code from `client`.
/// `known`: the account's name if there is such an account (what the audit rows may
/// name). A refusal is answered as how long to wait; the first of its window is audited
/// (`THROTTLED`), the rest only counted in the metrics.
pub(super) async fn attempt(
    state: &AppState,
    method: Method,
    username: &str,
    known: Option<&str>,
    client: ClientAddr,
) -> Result<Result<(), Wait>, sqlx::Error> {
    let now = crate::now();
    match throttle::attempt(&state.pool, &Guess::new(username, client.0), now).await? {
        Attempt::Check { guessed_from } => {
            if let Some(addresses) = guessed_from {
                let mut entry = audit::Entry::new(method);
                entry.set_outcome(Err(ServerErrorCode::Throttled));
                entry.username = known.map(str::to_owned);
                entry.remote = client.text();
                entry.detail = Some(alerts::guessed_detail(addresses));
                audit::record(&state.pool, &entry, now).await?;
            }
            Ok(Ok(()))
        }
        Attempt::Refused { retry_after, first } => {
            let throttled = Err(ServerErrorCode::Throttled);
            if first {
                audit(state, method, throttled, known, client).await?;
            } else {
                state.metrics.login(method, false);
            }
            Ok(Err(Wait(retry_after)))
        }
    }
}

/// A right password or code: its try given back.
pub(super) async fn right(
    state: &AppState,
    username: &str,
    client: ClientAddr,
) -> Result<(), sqlx::Error> {
    throttle::refund(&state.pool, &Guess::new(username, client.0)).await
}

/// Logged in from `client`: its earlier failures on the account forgotten.
pub(super) async fn logged_in(
    state: &AppState,
    username: &str,
    client: ClientAddr,
) -> Result<(), sqlx::Error> {
    throttle::succeeded(&state.pool, &Guess::new(username, client.0)).await
}

/// The login's notice of a refused attempt: how long to wait, and the card that needs
/// no wait.
pub(super) fn login_wait_notice(wait: Wait) -> String {
    let (th, en) = wait_text(wait.0);
    notice(
        "error",
        &format!("ลองผิดหลายครั้งเกินไป กรุณารอ {th} แล้วลองใหม่ หรือเข้าสู่ระบบด้วยบัตรประชาชน"),
        &format!("Too many failed attempts: wait {en} and try again, or log in with your ID card."),
    )
}

/// The notice of a refused attempt: how long to wait.
pub(super) fn wait_notice(wait: Wait) -> String {
    let (th, en) = wait_text(wait.0);
    notice(
        "error",
        &format!("ลองผิดหลายครั้งเกินไป กรุณารอ {th} แล้วลองใหม่"),
        &format!("Too many failed attempts: wait {en} and try again."),
    )
}

/// `secs` in whole minutes, rounded up, or in seconds under a minute.
fn wait_text(secs: i64) -> (String, String) {
    if secs < 60 {
        let s = if secs == 1 { "" } else { "s" };
        (format!("{secs} วินาที"), format!("{secs} second{s}"))
    } else {
        let minutes = (secs + 59) / 60;
        let s = if minutes == 1 { "" } else { "s" };
        (format!("{minutes} นาที"), format!("{minutes} minute{s}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_minutes_rounded_up_or_seconds() {
        assert_eq!(wait_text(900).0, "15 นาที");
        assert_eq!(wait_text(61).1, "2 minutes");
        assert_eq!(wait_text(30).1, "30 seconds");
        assert_eq!(wait_text(1).1, "1 second");
    }
}
