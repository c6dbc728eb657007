//! Assurance levels at the authorization endpoint (SPEC §7): the level a sign-in needs is
//! the higher of the system's and the request's `acr_values` (honoured as essential). A
//! person signed in with less (the card alone) is asked only for the missing factor, the
//! OTP, on `/login/otp`, in the same browser session: the session holds its card as a
//! pending first factor and remembers the request, and the OTP logs it in again as
//! `card otp` (a new session id, as at every login), which goes back to the request.

use crate::amr::{Amr, FirstFactor, Level};
use crate::db::Pool;
use crate::page::html::{self, notice};
use crate::page::Reply;
use crate::sessions::{self, Session};
use crate::signin;
use axum::http::StatusCode;
use thaiid_protocol::api::ServerErrorCode;

/// The level a request needs: the system's, raised by `acr_values` when given. `Err`
/// when `acr_values` names no level of ours: the request cannot be met.
pub fn needed(system: Level, acr_values: Option<&str>) -> Result<Level, UnmetAcrValues> {
    match acr_values {
        None => Ok(system),
        Some(values) => Level::of_acr_values(values)
            .map(|asked| asked.max(system))
            .ok_or(UnmetAcrValues),
    }
}

/// `acr_values` with no value this provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnmetAcrValues;

/// What a session with `amr`, short of the level its request needs, does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUp {
    /// The OTP page, with this first factor held.
    Otp(FirstFactor),
    /// The account has no OTP: the level cannot be reached now.
    NoOtp,
}

impl StepUp {
    /// The step for a login by `amr` of an account that has an OTP or not. Only the card
    /// alone is short of a level; what reaches two factors already never comes here.
    pub fn of(amr: Amr, has_otp: bool) -> StepUp {
        match amr {
            _ if !has_otp => StepUp::NoOtp,
            Amr::Card | Amr::CardOtp => StepUp::Otp(FirstFactor::Card),
            Amr::PasswordOtp => StepUp::Otp(FirstFactor::Password),
        }
    }
}

/// Sends `session`, signed in as `username` and holding `factor`, to the OTP page; once
/// the OTP is right it comes back to the request at `path`.
pub async fn ask_otp(
    pool: &Pool,
    session: &Session,
    username: &str,
    factor: FirstFactor,
    path: &str,
    now: i64,
) -> Result<Reply, sqlx::Error> {
    sessions::set_pending(pool, session, username, factor).await?;
    signin::remember(pool, session, path, now).await?;
    Ok(Reply::see_other(signin::OTP_PATH))
}

/// The page of a person whose system needs the OTP while their account has none.
pub fn no_otp_page(session: &Session) -> Reply {
    let body = format!(
        "{}<p class=\"code\">{}</p><p><a href=\"/me/otp\" id=\"set-up-otp\">ตั้งค่า OTP</a> · <a href=\"/systems\">ระบบงาน</a></p>",
        notice(
            "error",
            "ระบบงานนี้ต้องยืนยันตัวตนด้วยรหัส OTP เพิ่มอีกขั้นหนึ่ง แต่บัญชีของท่านยังไม่ได้ตั้งค่า OTP กรุณาตั้งค่า OTP ที่หน้า /me/otp แล้วเข้าระบบงานนี้อีกครั้ง",
            "This system needs the OTP too, and your account has no OTP yet: set it up on /me/otp, then open the system again.",
        ),
        ServerErrorCode::NoOtp.as_str()
    );
    Reply::page(
        StatusCode::FORBIDDEN,
        html::page("ต้องใช้รหัส OTP", Some(session), &body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_higher_of_the_system_s_level_and_the_request_s() {
        let one = Level::OneFactor.acr();
        let two = Level::TwoFactor.acr();
        assert_eq!(needed(Level::OneFactor, None), Ok(Level::OneFactor));
        assert_eq!(needed(Level::TwoFactor, None), Ok(Level::TwoFactor));
        assert_eq!(needed(Level::OneFactor, Some(two)), Ok(Level::TwoFactor));
        assert_eq!(needed(Level::TwoFactor, Some(one)), Ok(Level::TwoFactor));
        assert_eq!(
            needed(Level::OneFactor, Some("urn:other:silver")),
            Err(UnmetAcrValues)
        );
        assert_eq!(needed(Level::TwoFactor, Some("0")), Err(UnmetAcrValues));
    }

    #[test]
    fn the_card_alone_steps_up_by_the_otp() {
        assert_eq!(StepUp::of(Amr::Card, true), StepUp::Otp(FirstFactor::Card));
        assert_eq!(StepUp::of(Amr::Card, false), StepUp::NoOtp);
        assert_eq!(
            FirstFactor::Card.with_otp().level(),
            Level::TwoFactor,
            "the step reaches the level"
        );
    }
}
