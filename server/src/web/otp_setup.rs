//! `/me/otp`: a person signed in (by card, or by a first factor and the OTP; never by a
//! password alone, which leaves the session waiting for its OTP, not signed in) sets up
//! the OTP app: a QR code and the key in text, the steps for the administration's app
//! (180 s) and for Google/Microsoft Authenticator (30 s), and one code from the app to
//! confirm it. Replacing an OTP needs a code of the current one too, or the helpdesk.
//! Every attempt is audited, and guesses are rate-limited as the OTP login's are.

use super::attempts::audit;
use super::guessing;
use super::html::{self, csrf_field, escape, notice};
use super::{qr, stale_form, Reply, WebResult};
use crate::audit::Method;
use crate::http::extract::{ClientAddr, LoggedIn};
use crate::http::{AppState, PageError};
use crate::otp_check::OtpCheck;
use crate::otp_setup::{self, Confirmed, OtpSetupError, Refusal};
use crate::sessions::Session;
use crate::{otp, users};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Form;

pub const PATH: &str = "/me/otp";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    /// The new app's code.
    code: String,
    /// The current app's code, when the account has an OTP.
    current: String,
    csrf: String,
}

const STEPS: &str = r#"<section class="otp-steps" id="otp-steps-agency">
<h2>แอปพลิเคชัน OTP ของหน่วยงาน (รหัสเปลี่ยนทุก 3 นาที)</h2>
<ol>
<li>เปิดแอปพลิเคชัน OTP ของหน่วยงานบนโทรศัพท์มือถือ แล้วเลือกเพิ่มบัญชี</li>
<li>สแกน QR code ด้านล่าง หรือพิมพ์รหัสลับ (key) ที่แสดงใต้ QR code</li>
<li>กรอกรหัส 6 หลักที่แอปแสดงในช่อง "รหัสจากแอป" แล้วกดยืนยัน</li>
</ol>
<p lang="en">The administration's OTP app (a new code every 3 minutes): add an account, scan the QR code below or type the key under it, then enter the 6-digit code it shows and confirm.</p>
</section>
<section class="otp-steps" id="otp-steps-authenticator">
<h2>Google Authenticator หรือ Microsoft Authenticator (รหัสเปลี่ยนทุก 30 วินาที)</h2>
<ol>
<li>Google Authenticator: กดปุ่ม + แล้วเลือก "สแกนคิวอาร์โค้ด" · Microsoft Authenticator: กดปุ่ม + เลือก "บัญชีอื่น" แล้ว "สแกนรหัส QR"</li>
<li>สแกน QR code ด้านล่าง หรือเลือก "ป้อนคีย์การตั้งค่า" แล้วพิมพ์รหัสลับ (key) แบบตามเวลา (time based)</li>
<li>กรอกรหัส 6 หลักที่แอปแสดงแล้วกดยืนยัน ระบบจะจำว่าแอปของท่านเปลี่ยนรหัสทุก 30 วินาที</li>
</ol>
<p lang="en">Google Authenticator (+, "Scan a QR code") or Microsoft Authenticator (+, "Other account", "Scan a QR code"); or enter the key as a time-based setup key. These apps show a new code every 30 seconds: enter one and the SSO remembers your app's step.</p>
</section>"#;

/// The setup page: a new secret staged for this session (the one staged before, on a
/// reload), its QR code and key, the steps, and the form, under `message`.
async fn setup_page(
    state: &AppState,
    session: &Session,
    account: &users::Account,
    message: &str,
) -> Result<String, PageError> {
    let username = account.username.as_str();
    let secret = otp_setup::stage(&state.pool, &state.otp_key, &session.id_hash, username).await?;
    let image = otp::provisioning_uri(&secret, username)
        .map_err(|problem| problem.to_string())
        .and_then(|uri| qr::svg(&uri).map_err(|problem| problem.to_string()))
        .map_err(|problem| {
            tracing::error!("the OTP setup's QR code: {problem}");
            PageError
        })?;
    let has_otp = account.totp_secret.is_some();
    let (replacing, current) = if has_otp {
        (
            notice(
                "info",
                "บัญชีนี้มี OTP อยู่แล้ว การตั้งค่าใหม่จะแทนที่ OTP เดิม จึงต้องกรอกรหัสจากแอปเดิมด้วย หากไม่มีแอปเดิมแล้ว (เช่น เปลี่ยนโทรศัพท์หรือทำโทรศัพท์หาย) กรุณาติดต่อเจ้าหน้าที่ (helpdesk) ให้ตั้งค่า OTP ใหม่ให้",
                "This account has an OTP: the new one replaces it, so the code of your current app is needed too. Without your current app (a new or lost phone), ask the helpdesk to reset your OTP.",
            ),
            r#"<label>รหัสจากแอปเดิม (Current app's code) <input name="current" id="current" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></label>"#,
        )
    } else {
        (String::new(), "")
    };
    let body = format!(
        r#"{message}
{replacing}
{STEPS}
<figure class="otp-qr">
{image}
<figcaption>
<p>รหัสลับ (key) สำหรับพิมพ์เอง: <code id="otp-secret">{key}</code></p>
<p>ชื่อบัญชี: <span id="otp-account">{issuer}: {username}</span></p>
<p lang="en">The key, to type in by hand, is shown above; the account is {issuer}: {username}.</p>
</figcaption>
</figure>
<form method="post" action="{PATH}" id="otp-setup">
{csrf}
{current}
<label>รหัสจากแอป (The app's code) <input name="code" id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6" required></label>
<button type="submit">ยืนยันและบันทึก OTP</button>
</form>
<p><a href="/me">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>"#,
        key = otp_setup::grouped(&secret),
        issuer = escape(otp::ISSUER),
        username = escape(username),
        csrf = csrf_field(session),
    );
    Ok(html::page("ตั้งค่า OTP", Some(session), &body))
}

/// What the page says of a confirmation it refused.
fn refusal_notice(refusal: Refusal) -> String {
    let (th, en) = match refusal {
        Refusal::WrongCode => (
            "รหัสจากแอปไม่ถูกต้อง ยังไม่ได้บันทึก OTP กรุณาตรวจว่าสแกน QR code จากหน้านี้ แล้วกรอกรหัส 6 หลักที่แอปแสดงอยู่ตอนนี้",
            "Wrong code: nothing was saved. Check that your app read the QR code on this page, and type the 6 digits it shows now.",
        ),
        Refusal::NothingStaged => (
            "การตั้งค่านี้ยืนยันไปแล้ว หรือหน้านี้เก่าเกินไป รหัสนี้ใช้ซ้ำไม่ได้ และไม่ได้บันทึกอะไรเพิ่ม หากต้องการตั้งค่าใหม่ กรุณาสแกน QR code ใหม่ด้านล่าง",
            "This setup was confirmed already, or the page was stale: a code is not used twice, and nothing was saved. To set up again, scan the new QR code below.",
        ),
        Refusal::Current(OtpCheck::Replayed) => (
            "รหัสจากแอปเดิมนี้ถูกใช้ไปแล้ว ยังไม่ได้บันทึก OTP ใหม่ กรุณารอรหัสถัดไปจากแอปเดิม",
            "That code of your current app was used already: nothing was saved. Wait for its next code.",
        ),
        Refusal::Current(_) => (
            "รหัสจากแอปเดิมไม่ถูกต้อง ยังไม่ได้บันทึก OTP ใหม่ การเปลี่ยนแอป OTP ต้องใช้รหัสจากแอปเดิม หรือติดต่อเจ้าหน้าที่ (helpdesk)",
            "The code of your current app is missing or wrong: nothing was saved. Replacing the OTP needs it, or the helpdesk.",
        ),
    };
    notice("error", th, en)
}

/// `GET /me/otp`.
pub async fn form(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
) -> WebResult {
    let Some(account) = users::find(&state.pool, &username).await? else {
        return Ok(Reply::see_other("/login"));
    };
    let html = setup_page(&state, &session, &account, "").await?;
    Ok(Reply::page(StatusCode::OK, html))
}

fn stored_nothing(error: OtpSetupError) -> PageError {
    match error {
        OtpSetupError::Db(error) => error.into(),
        other => {
            tracing::error!("{other}");
            PageError
        }
    }
}

/// `POST /me/otp` (fields `code`, and `current` to replace an OTP).
pub async fn confirm(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    client: ClientAddr,
    Form(form): Form<SetupForm>,
) -> WebResult {
    if !session.csrf_matches(&form.csrf) {
        return Ok(stale_form());
    }
    let Some(account) = users::find(&state.pool, &username).await? else {
        return Ok(Reply::see_other("/login"));
    };
    let now = crate::now();
    let known = Some(username.as_str());
    let counted = guessing::attempt(&state, Method::OtpSetup, &username, known, client);
    if let Err(wait) = counted.await? {
        let message = guessing::wait_notice(wait);
        let html = setup_page(&state, &session, &account, &message).await?;
        let refused = Reply::page(StatusCode::TOO_MANY_REQUESTS, html);
        return Ok(refused.with_retry_after(wait.0));
    }
    let confirmed = otp_setup::confirm(
        &state.pool,
        &state.otp_key,
        &session.id_hash,
        &username,
        &form.code,
        &form.current,
        now,
    )
    .await
    .map_err(stored_nothing)?;
    match confirmed {
        Ok(Confirmed { step, .. }) => {
            guessing::right(&state, &username, client).await?;
            audit(&state, Method::OtpSetup, Ok(()), Some(&username), client).await?;
            Ok(Reply::see_other(&format!("/me?otp={}", step.secs())))
        }
        Err(refusal) => {
            let code = Err(refusal.code());
            audit(&state, Method::OtpSetup, code, Some(&username), client).await?;
            let account = users::find(&state.pool, &username)
                .await?
                .unwrap_or(account);
            let html = setup_page(&state, &session, &account, &refusal_notice(refusal)).await?;
            Ok(Reply::page(StatusCode::UNPROCESSABLE_ENTITY, html))
        }
    }
}
