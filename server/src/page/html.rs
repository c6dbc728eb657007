//! The pages' HTML: escaping and the frame every page shares. Thai first, English under it.

use crate::sessions::Session;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A moment as people in Thailand read it: their clock (UTC+7, no daylight saving),
/// `2026-12-02 19:26:05`. Pages say so in their column heads.
pub fn thai_time(unix_secs: i64) -> String {
    use thaiid_protocol::date::{civil_date, THAI_UTC_OFFSET_SECS};
    let local = unix_secs + THAI_UTC_OFFSET_SECS;
    let (year, month, day) = civil_date(local);
    let seconds = local.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A message box: `kind` is info, ok or error.
pub fn notice(kind: &str, th: &str, en: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!(
        r#"<div class="notice {kind}" role="{role}"><p>{}</p><p lang="en">{}</p></div>"#,
        escape(th),
        escape(en)
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(session: &Session) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        escape(&session.csrf)
    )
}

/// A whole page. The menu shows when somebody is logged in.
pub fn page(title: &str, session: Option<&Session>, body: &str) -> String {
    let menu = match session {
        Some(
            session @ Session {
                username: Some(name),
                ..
            },
        ) => format!(
            r#"<nav><a href="/systems">ระบบงาน</a> <a href="/permissions">ขอเปลี่ยนสิทธิ์</a> <a href="/me">ข้อมูลส่วนบุคคล</a>
<form method="post" action="/logout" class="inline">{}<button type="submit" id="logout">ออกจากระบบ</button></form>
<span class="who">{}</span></nav>"#,
            csrf_field(session),
            escape(name)
        ),
        _ => String::new(),
    };
    let csrf = session.map(|s| escape(&s.csrf)).unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{csrf}">
<title>{title} · ระบบยืนยันตัวตนกลาง</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header><strong>ระบบยืนยันตัวตนกลาง (SSO)</strong>{menu}</header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_thai_clock_times() {
        // 2026-11-28T17:20:05Z is past midnight in Bangkok.
        assert_eq!(thai_time(1_795_886_405), "2026-11-29 00:20:05");
        assert_eq!(thai_time(0), "1970-01-01 07:00:00");
    }

    #[test]
    fn markup_in_text_stays_text() {
        assert_eq!(
            escape(r#"<script>"x" & 'y'</script>"#),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
