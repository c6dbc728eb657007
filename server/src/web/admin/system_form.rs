//! The form of a system's settings, shared by adding one (`/admin/systems`) and changing
//! one (`/admin/systems/{code}`): what it posts, what it becomes
//! ([`system_admin::Settings`]), and its fields, filled in again after a refusal.

use crate::amr::Level;
use crate::oidc::clients::{ClientError, Registration};
use crate::oidc::system_admin::{Listed, Settings, SystemAdminError};
use crate::systems::SystemError;
use crate::web::html::{escape, notice};

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct SystemForm {
    pub code: String,
    pub name: String,
    pub url: String,
    /// One URI a line.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    /// `one-factor` or `two-factor`.
    pub level: String,
    /// A checkbox: present (`on`) for a public client, PKCE alone.
    pub public: Option<String>,
    pub csrf: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

impl SystemForm {
    /// The form of system `listed` as it stands, with its client's URIs.
    pub fn of(listed: &Listed, uris: (&[String], &[String])) -> SystemForm {
        SystemForm {
            code: listed.system.code.clone(),
            name: listed.system.name.clone(),
            url: listed.system.url.clone(),
            redirect_uris: uris.0.join("\n"),
            post_logout_redirect_uris: uris.1.join("\n"),
            level: listed.level.as_str().to_owned(),
            public: (listed.public_client == Some(true)).then(|| "on".to_owned()),
            csrf: String::new(),
        }
    }

    /// The settings the form asks for. A system becomes (or stays) an OpenID Connect
    /// client when it is one or redirect URIs are given; a client's URIs are replaced by
    /// the form's, so an emptied list is refused (a client needs one), not a silent keep.
    pub fn settings(&self, code: &str, is_client: bool) -> Result<Settings, String> {
        let level = Level::parse(self.level.trim()).map_err(|unknown| unknown.to_string())?;
        let redirect_uris = lines(&self.redirect_uris);
        let post_logout_redirect_uris = lines(&self.post_logout_redirect_uris);
        let asks_client =
            is_client || !redirect_uris.is_empty() || !post_logout_redirect_uris.is_empty();
        Ok(Settings {
            code: code.trim().to_owned(),
            name: self.name.clone(),
            url: self.url.trim().to_owned(),
            client: asks_client.then(|| Registration {
                redirect_uris,
                post_logout_redirect_uris,
                public: self.public.is_some(),
                id_token_alg: None,
            }),
            require: Some(level),
        })
    }

    /// The form's fields but the code and the CSRF token, filled in with its values.
    pub fn fields(&self) -> String {
        let level = |level: Level| {
            let selected = if self.level == level.as_str() {
                " selected"
            } else {
                ""
            };
            let th = match level {
                Level::OneFactor => "หนึ่งปัจจัย: บัตร หรือรหัสผ่าน + OTP",
                Level::TwoFactor => "สองปัจจัย: บัตร + OTP หรือรหัสผ่าน + OTP",
            };
            format!(r#"<option value="{level}"{selected}>{th} ({level})</option>"#)
        };
        format!(
            r#"<label>ชื่อระบบ <span lang="en">(name)</span> <input name="name" id="system-name" value="{name}" required maxlength="200"></label>
<label>ที่อยู่เว็บของระบบ <span lang="en">(URL)</span> <input name="url" id="system-url" value="{url}" placeholder="https://hr.example.go.th/"></label>
<label>ระดับการยืนยันตัวตนที่ต้องการ <span lang="en">(required level)</span> <select name="level" id="system-level">{one}{two}</select></label>
<label>Redirect URI สำหรับ OpenID Connect (บรรทัดละหนึ่ง) <span lang="en">(redirect URIs, one a line)</span>
<textarea name="redirect_uris" id="system-redirect-uris">{redirect}</textarea></label>
<label>Redirect URI หลังออกจากระบบ (บรรทัดละหนึ่ง) <span lang="en">(post-logout redirect URIs)</span>
<textarea name="post_logout_redirect_uris" id="system-logout-uris">{logout}</textarea></label>
<label><input type="checkbox" name="public" id="system-public"{public}> ไคลเอนต์สาธารณะ ไม่มีรหัสลับ ใช้ PKCE อย่างเดียว <span lang="en">(public client: no secret, PKCE alone)</span></label>"#,
            name = escape(&self.name),
            url = escape(&self.url),
            one = level(Level::OneFactor),
            two = level(Level::TwoFactor),
            redirect = escape(&self.redirect_uris),
            logout = escape(&self.post_logout_redirect_uris),
            public = if self.public.is_some() {
                " checked"
            } else {
                ""
            },
        )
    }
}

/// Why a system's form was refused: Thai first, then the domain's own words.
pub fn refusal(error: &SystemAdminError) -> String {
    let th = match error {
        SystemAdminError::Exists(_) => "มีระบบรหัสนี้อยู่แล้ว แก้ไขได้ที่หน้าของระบบนั้น",
        SystemAdminError::NoSystem(_) => "ไม่พบระบบนี้",
        SystemAdminError::System(SystemError::BadCode(_)) => {
            "รหัสระบบต้องเป็นตัวอักษรภาษาอังกฤษหรือตัวเลขเท่านั้น เช่น 01010101"
        }
        SystemAdminError::System(SystemError::NoName) => "กรุณาใส่ชื่อระบบ (ไม่เกิน 200 ตัวอักษร)",
        SystemAdminError::System(SystemError::BadUrl(_)) => {
            "ที่อยู่เว็บของระบบต้องขึ้นต้นด้วย https:// (หรือ http://) หรือเว้นว่าง"
        }
        SystemAdminError::Client(ClientError::NoRedirectUri) => {
            "ระบบที่เชื่อมต่อแบบ OpenID Connect ต้องมี Redirect URI อย่างน้อยหนึ่งรายการ"
        }
        SystemAdminError::Client(ClientError::BadRedirectUri { .. }) => {
            "Redirect URI ไม่ถูกต้อง: ต้องเป็น URL เต็มแบบ https:// ไม่มี #fragment และไม่มีชื่อผู้ใช้หรือรหัสผ่าน"
        }
        SystemAdminError::Client(ClientError::PublicClient(_)) => {
            "ไคลเอนต์สาธารณะไม่มีรหัสลับ (ใช้ PKCE อย่างเดียว)"
        }
        _ => "บันทึกไม่สำเร็จ",
    };
    notice("error", th, &error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_lines_and_a_client_stays_a_client() {
        let form = SystemForm {
            name: "ระบบ".into(),
            redirect_uris: " https://a.example/cb \r\n\r\nhttps://b.example/cb\n".into(),
            level: "two-factor".into(),
            ..SystemForm::default()
        };
        let settings = form.settings("01010101", false).unwrap();
        let client = settings.client.unwrap();
        assert_eq!(
            client.redirect_uris,
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(settings.require, Some(Level::TwoFactor));
        let plain = SystemForm {
            level: "one-factor".into(),
            ..SystemForm::default()
        };
        assert!(plain.settings("01", false).unwrap().client.is_none());
        assert!(plain.settings("01", true).unwrap().client.is_some());
        let bad = SystemForm {
            level: "three-factor".into(),
            ..SystemForm::default()
        };
        assert!(bad
            .settings("01", false)
            .unwrap_err()
            .contains("three-factor"));
    }
}
