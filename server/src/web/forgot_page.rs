//! The `/forgot` page at each step: the name; the card or a helpdesk reset code; the
//! OTP; the new password. Thai first, English under it.

use super::html::{self, csrf_field, escape};
use crate::http::AppState;
use crate::password_resets::{Reset, Stage};
use crate::sessions::Session;

pub const PATH: &str = "/forgot";

/// The step the session is at, with `message` above it.
pub(super) fn forgot_page(
    state: &AppState,
    session: &Session,
    reset: Option<&Reset>,
    message: &str,
) -> String {
    let csrf = csrf_field(session);
    let step = match reset {
        None => format!(
            r#"<p>กรอกชื่อผู้ใช้ แล้วยืนยันตัวตนด้วยบัตรประชาชนที่ลงทะเบียนไว้และรหัส OTP (หรือรหัสรีเซ็ตจากเจ้าหน้าที่แทนบัตร) จากนั้นตั้งรหัสผ่านใหม่</p>
<p lang="en">Type your user name, prove who you are with your registered ID card and the OTP (or a helpdesk reset code instead of the card), then set a new password.</p>
<form method="post" action="{PATH}" id="forgot-name">
{csrf}
<label>ชื่อผู้ใช้ <input name="username" id="username" autocomplete="username" required autofocus></label>
<button type="submit">ถัดไป</button>
</form>"#
        ),
        Some(reset) => {
            let who = format!(
                "<p>ชื่อผู้ใช้: <strong id=\"forgot-username\">{}</strong> <a href=\"{PATH}?again=1\">เปลี่ยนชื่อผู้ใช้</a></p>",
                escape(&reset.username)
            );
            let asked = match reset.stage {
                Stage::Named => format!(
                    r#"<section class="card-login">
<h2>ยืนยันตัวตนด้วยบัตรประชาชน</h2>
<p>เสียบบัตรประชาชนที่ลงทะเบียนไว้ในเครื่องอ่านบัตร แล้วกดปุ่มด้านล่าง</p>
<p lang="en">Insert your registered ID card into the reader and press the button.</p>
<button type="button" id="forgot-card" data-agent-url="{agent_url}">ยืนยันตัวตนด้วยบัตรประชาชน</button>
<div id="card-status" role="status" aria-live="polite"></div>
</section>
<section>
<h2>หรือใช้รหัสรีเซ็ตจากเจ้าหน้าที่ (helpdesk)</h2>
<p lang="en">Or type the reset code the helpdesk gave you (valid 15 minutes, once).</p>
<form method="post" action="{PATH}/code" id="forgot-code">
{csrf}
<label>รหัสรีเซ็ต <input name="code" id="reset-code" autocomplete="off" required></label>
<button type="submit">ถัดไป</button>
</form>
</section>
<script type="module" src="/assets/forgot-card.js"></script>"#,
                    agent_url = escape(&state.agent_url),
                ),
                Stage::Proven => format!(
                    r#"<p>กรอกรหัส OTP 6 หลักจากแอปพลิเคชันบนมือถือ</p>
<p lang="en">Enter the 6-digit code of your mobile app.</p>
<form method="post" action="{PATH}/otp" id="forgot-otp">
{csrf}
<label>รหัส OTP <input name="code" id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6" required autofocus></label>
<button type="submit">ถัดไป</button>
</form>"#
                ),
                Stage::Ready => format!(
                    r#"<p>ตั้งรหัสผ่านใหม่: อย่างน้อย 10 ตัวอักษร ไม่ใช่ชื่อผู้ใช้ ไม่ใช่เลขประจำตัวประชาชน และไม่ใช่รหัสผ่านที่ใช้กันทั่วไป เมื่อตั้งแล้ว ทุกเซสชันของบัญชีนี้จะออกจากระบบ</p>
<p lang="en">Set a new password: at least 10 characters, not your user name, not your citizen ID, not a common password. Every session of the account then ends.</p>
<form method="post" action="{PATH}/password" id="forgot-password">
{csrf}
<label>รหัสผ่านใหม่ <input name="password" id="password" type="password" autocomplete="new-password" minlength="10" required autofocus></label>
<button type="submit">ตั้งรหัสผ่านใหม่</button>
</form>"#
                ),
            };
            format!("{who}\n{asked}")
        }
    };
    let body = format!("{message}\n{step}\n<p><a href=\"/login\">กลับไปหน้าเข้าสู่ระบบ</a></p>");
    html::page("ลืมรหัสผ่าน", Some(session), &body)
}
